/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* The kernel requires a GPL-compatible license for the probe_read and ring buffer helpers. */
#include "../helpers/base/common.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";
