/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 0 (base): the maps. Every program file includes this header; the maps are
 * __weak so that `bpftool gen object` merges the identical definitions of all the
 * per-hook objects into one.
 */
#pragma once

#include "common.h"

/* One ring buffer shared by all CPUs: see driver/bpf/README.md ("Ring buffer"). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SD_RINGBUF_BYTES);
} sd_events __weak SEC(".maps");

/* Per-CPU counters, one u64 per cause (SD_CNT_*), summed by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SD_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} sd_counters __weak SEC(".maps");

/*
 * Scratch slot where a frame is built before bpf_ringbuf_output(). A plain array
 * indexed by CPU id (a per-CPU array value cannot exceed 32 KB); the loader sets
 * max_entries to the number of possible CPUs before load.
 */
struct sd_scratch {
	__u32 param;                          /* frame state saved across tail calls: */
	__u32 payload_off;                    /*   see sd_frame_save() / sd_frame_resume() */
	__u32 loop_a;                         /* loop state kept in map memory, see SD_LOOP_VAR */
	__u32 loop_b;
	__u32 loop_c;                         /* length of the cgroups parameter so far */
	__u32 pad;                            /* keeps rec and frame 8-byte aligned */
	struct sd_record_hdr rec;             /* ring-buffer record header */
	__u8 frame[2 * SD_FRAME_HALF];        /* frame under construction */
	__u8 path[2 * SD_MAX_PATH];           /* a path assembled right to left */
	__u64 cgroup_names[SD_MAX_CGROUP_DEPTH]; /* kernfs names of a cgroup path, leaf first */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* resized to the CPU count by the loader */
	__type(key, __u32);
	__type(value, struct sd_scratch);
} sd_scratch_map __weak SEC(".maps");

/* sys_exit dispatch: syscall number -> program; filled by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SD_SYSCALL_TABLE_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} sd_sys_exit_tails __weak SEC(".maps");

/*
 * A loop whose iterations take different branches (a path component or a mount
 * crossing, a bigger or smaller group id) multiplies the verifier's states when
 * a variable it updates (a position, a search bound) lives in a register: every
 * branch history yields a different range and nothing can be pruned. Kept in map
 * memory and read back through a volatile access, the variable is an unknown
 * scalar at every loop head, the states compare equal, and the loop verifies in
 * linear time. Every use is masked or compared before indexing.
 */
#define SD_LOOP_VAR(s, field) (*(volatile __u32 *)&(s)->field)
