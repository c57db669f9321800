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
 * A path being built (store/path.h). The dentry walk writes right to left: the
 * path is &buf[pos], ending with the NUL at SD_MAX_PATH - 1, and slash[k] is where
 * the '/' of the k-th component from the end is. The resolver writes left to
 * right: pos = 0, slash[k] is where the '/' of the k-th component from the start
 * is. Both set len, the path's length without the NUL.
 */
#define SD_MAX_PATH_COMPONENTS 48
#define SD_SLASH_SLOTS 64 /* power of two above SD_MAX_PATH_COMPONENTS: indexes are masked */

struct sd_path_buf {
	__u32 pos;
	__u32 depth; /* components, whose '/' positions are slash[0 .. depth) */
	__u32 len;
	__u32 start; /* resolver: start of the component being read */
	__u16 slash[SD_SLASH_SLOTS];
	__u8 buf[SD_PATH_BUF];
};

/*
 * Scratch slot where a frame is built before bpf_ringbuf_output(). A plain array
 * indexed by CPU id (a per-CPU array value cannot exceed 32 KB); the loader sets
 * max_entries to the number of possible CPUs before load. Only programs that run
 * with preemption disabled (tp_btf) use it: a preempted fentry/fexit program could
 * find it overwritten by another task's program on the same CPU.
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
	struct sd_path_buf path;              /* a dentry walk (store/path.h) */
	struct sd_path_buf name;              /* a path string as the caller passed it */
	struct sd_path_buf out[2];            /* paths resolved from a base and a string */
	__u64 script_inode;                   /* exec of a script: its inode (0: unknown), */
	__u32 script_path;                    /*   and whether out[0] holds its path; */
	__u32 enforce_flags;                  /*   the enforcement decision (param 20 bits); kept across stages (events/exec.h) */
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
 * Inodes of regular files opened for writing (an open event was emitted), keyed by
 * the struct inode pointer: the cheapest identity to get on every write exit, and
 * unique while the inode lives. The first successful write to a marked inode is
 * emitted and takes the mark (store/written.h). LRU: a file opened for writing and
 * never written only ages out; a mark left on a freed inode whose memory is reused
 * costs at most one extra write event.
 */
#define SD_WRITTEN_MAX 16384

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SD_WRITTEN_MAX);
	__type(key, __u64);
	__type(value, __u8);
} sd_written_map __weak SEC(".maps");

/*
 * Files seen opened for writing, by path: a 64-bit FNV-1a hash of the absolute
 * path -> the inode. Renames and links carry the entry to the new path. An exec of
 * a `#!` script finds the script's inode here (the kernel has dropped the script
 * file by the time the exec event is built; see events/exec.h).
 */
struct sd_path_inode {
	__u64 inode; /* struct inode *, checked against ino and dev before use */
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SD_WRITTEN_MAX);
	__type(key, __u64);
	__type(value, struct sd_path_inode);
} sd_path_inode_map __weak SEC(".maps");

/*
 * Enforcement (act/enforce.h, store/enforce_written.h; driver/bpf/README.md,
 * "Enforcement"): the loader's configuration, the trusted writers' executables
 * (sd_inode_key of the file: dev, ino), the allowed memfd names (FNV-1a 64 of
 * "memfd:<name>"), the kill switch (one u32: 1 = never kill, set by the loader and
 * never cleared), the rate window, and the last writer of each file opened for
 * writing while enforcement is on.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sd_enforce_cfg);
} sd_enforce_cfg_map __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} sd_enforce_off_map __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sd_enforce_rate);
} sd_enforce_rate_map __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SD_ENFORCE_TRUSTED_MAX);
	__type(key, struct sd_inode_key);
	__type(value, __u8);
} sd_enforce_trusted_map __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SD_ENFORCE_MEMFD_MAX);
	__type(key, __u64);
	__type(value, __u8);
} sd_enforce_memfd_map __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SD_WRITTEN_MAX);
	__type(key, struct sd_inode_key);
	__type(value, struct sd_enforce_writer);
} sd_enforce_written_map __weak SEC(".maps");

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
#define SD_LOOP_AT(p) (*(volatile __u32 *)(p))
