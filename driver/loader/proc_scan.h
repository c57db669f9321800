/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The process table at start: one PL v9 entry per thread under /proc, with the
 * same executable and pid-namespace signals the eBPF side sends on execve/clone.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "scap_writer.h"
#include "scapdrift_abi.h"

struct sd_proc_scan_stats {
	size_t threads;   /* entries written */
	size_t skipped;   /* kernel threads and tasks that vanished during the scan */
	size_t cgroups_cut; /* entries whose cgroups list did not fit in SD_MAX_CGROUPS bytes */
};

/*
 * Append the PL v9 entries of every thread to `entries`. `boot_ts_epoch_ns` turns
 * start times since boot into epoch ns; `exact` (`nexact` records, may be empty)
 * gives ns-exact starts of pid-namespace inits. Returns 0 or a negative errno.
 */
int sd_proc_scan(struct sd_buf *entries, uint64_t boot_ts_epoch_ns, const struct sd_pidns_start *exact,
                 size_t nexact, struct sd_proc_scan_stats *stats);
