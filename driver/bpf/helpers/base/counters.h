/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* Layer 0 (base): count events and failures by cause; nothing is dropped silently. */
#pragma once

#include "maps.h"

static __always_inline void sd_count(__u32 cause) {
	__u64 *slot = bpf_map_lookup_elem(&sd_counters, &cause);
	if(slot) {
		*slot += 1; /* per-CPU slot: no atomics needed */
	}
}
