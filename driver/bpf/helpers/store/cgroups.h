/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 2 (store): the `cgroups` parameter (PT_CHARBUFARRAY) as libs' modern driver
 * writes it: one "subsys=/path\0" entry for each of cpuset, cpu, cpuacct, io and
 * memory (those the running kernel has), the path of the task's cgroup for that
 * subsystem from the root of its hierarchy (task->cgroups->subsys[id]->cgroup->kn,
 * walked up to the root). On a cgroup v1 host each subsystem has its own hierarchy;
 * on a v2 host all are on the unified one and the path is that of the nearest
 * cgroup (the task's or an ancestor) where the controller is enabled. `io` is the
 * kernel's name of the v1 `blkio` controller.
 *
 * A path deeper than SD_MAX_CGROUP_DEPTH keeps its deepest components (where the
 * container id lives) and is counted as truncated; an entry that would not fit in
 * SD_MAX_CGROUPS bytes is left out and counted.
 */
#pragma once

#include "frame.h"

#define SD_MAX_SUBSYS_NAME 32

/* struct kernfs_node's parent pointer: `parent` before 6.15, `__parent` since. */
struct kernfs_node___sd_pre615 {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));
struct kernfs_node___sd_615 {
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *sd_kernfs_parent(struct kernfs_node *kn) {
	struct kernfs_node___sd_615 *kn615 = (void *)kn;
	if(bpf_core_field_exists(kn615->__parent)) {
		return BPF_CORE_READ(kn615, __parent);
	}
	struct kernfs_node___sd_pre615 *old = (void *)kn;
	return BPF_CORE_READ(old, parent);
}

/* One byte of the parameter at `pos` (bytes into the parameter). */
static __always_inline void sd_cgroups_put(struct sd_frame *f, __u32 pos, __u8 c) {
	f->s->frame[(f->payload_off + pos) & SD_FRAME_MASK] = c;
}

/*
 * Append "name=/path\0" for subsystem `id` to the parameter, whose length so far
 * is kept in the scratch slot (loop_c) like every other loop state here: each of
 * the five calls then starts from the same verifier state, whatever the previous
 * one did. Nothing is appended when the subsystem is missing, a read fails, or
 * the entry would not fit.
 */
static __always_inline void sd_cgroup_entry(struct sd_frame *f, struct task_struct *task, __u32 id) {
	struct cgroup_subsys_state *css = BPF_CORE_READ(task, cgroups, subsys[id]);
	if(!css) {
		return;
	}
	const char *ss_name = BPF_CORE_READ(css, ss, name);
	struct kernfs_node *kn = BPF_CORE_READ(css, cgroup, kn);

	/* Pass 1: the component names, leaf first; the root has no name of its own. */
	SD_LOOP_VAR(f->s, loop_b) = 0;
	for(__u32 i = 0; i < SD_MAX_CGROUP_DEPTH; i++) {
		struct kernfs_node *parent = kn ? sd_kernfs_parent(kn) : NULL;
		if(!parent) {
			kn = NULL;
			break;
		}
		f->s->cgroup_names[i] = (__u64)BPF_CORE_READ(kn, name);
		SD_LOOP_VAR(f->s, loop_b) = i + 1;
		kn = parent;
	}
	if(kn && sd_kernfs_parent(kn)) {
		sd_count(SD_CNT_TRUNCATED); /* deeper than SD_MAX_CGROUP_DEPTH: top components left out */
	}

	/* Pass 2: "name=", then "/component" root first, then the NUL. */
	__u32 at = SD_LOOP_VAR(f->s, loop_c);
	if(at > SD_MAX_CGROUPS - SD_MAX_SUBSYS_NAME - 2) {
		sd_count(SD_CNT_TRUNCATED);
		return;
	}
	long n = bpf_probe_read_kernel_str(&f->s->frame[(f->payload_off + at) & SD_FRAME_MASK],
	                                   SD_MAX_SUBSYS_NAME, ss_name);
	if(n <= 1) {
		if(n < 0) {
			sd_count(SD_CNT_READ_FAULT);
		}
		return;
	}
	__u32 pos = at + (__u32)n - 1;
	sd_cgroups_put(f, pos, '=');
	SD_LOOP_VAR(f->s, loop_a) = pos + 1;

	for(__u32 i = 0; i < SD_MAX_CGROUP_DEPTH; i++) {
		__u32 depth = SD_LOOP_VAR(f->s, loop_b);
		if(i >= depth) {
			break;
		}
		pos = SD_LOOP_VAR(f->s, loop_a);
		if(pos > SD_MAX_CGROUPS - SD_MAX_NAME - 3) {
			sd_count(SD_CNT_TRUNCATED); /* no room for this entry: left out */
			return;
		}
		sd_cgroups_put(f, pos, '/');
		pos++;
		__u64 name = f->s->cgroup_names[(depth - 1 - i) & (SD_MAX_CGROUP_DEPTH - 1)];
		long m = bpf_probe_read_kernel_str(&f->s->frame[(f->payload_off + pos) & SD_FRAME_MASK],
		                                   SD_MAX_NAME + 1, (const void *)name);
		if(m <= 0) {
			sd_count(SD_CNT_READ_FAULT);
			return;
		}
		SD_LOOP_VAR(f->s, loop_a) = pos + (__u32)m - 1;
	}
	pos = SD_LOOP_VAR(f->s, loop_a);
	if(pos > SD_MAX_CGROUPS - 2) {
		return;
	}
	if(SD_LOOP_VAR(f->s, loop_b) == 0) {
		sd_cgroups_put(f, pos, '/'); /* the hierarchy root */
		pos++;
	}
	sd_cgroups_put(f, pos, 0);
	SD_LOOP_VAR(f->s, loop_c) = pos + 1;
}

/* Parameter `cgroups`: the five entries back to back. */
static __always_inline void sd_push_cgroups(struct sd_frame *f, struct task_struct *task) {
	/* The payload offset has a different range after every path through the earlier
	 * parameters; read back from map memory it is one unknown value, and the loops
	 * below are verified once instead of once per earlier path. */
	f->s->payload_off = f->payload_off;
	f->payload_off = SD_LOOP_VAR(f->s, payload_off);
	SD_LOOP_VAR(f->s, loop_c) = 0;
	if(bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuset_cgrp_id)) {
		sd_cgroup_entry(f, task, bpf_core_enum_value(enum cgroup_subsys_id, cpuset_cgrp_id));
	}
	if(bpf_core_enum_value_exists(enum cgroup_subsys_id, cpu_cgrp_id)) {
		sd_cgroup_entry(f, task, bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id));
	}
	if(bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuacct_cgrp_id)) {
		sd_cgroup_entry(f, task, bpf_core_enum_value(enum cgroup_subsys_id, cpuacct_cgrp_id));
	}
	if(bpf_core_enum_value_exists(enum cgroup_subsys_id, io_cgrp_id)) {
		sd_cgroup_entry(f, task, bpf_core_enum_value(enum cgroup_subsys_id, io_cgrp_id));
	}
	if(bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id)) {
		sd_cgroup_entry(f, task, bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id));
	}
	__u32 len = SD_LOOP_VAR(f->s, loop_c);
	sd_put_len(f, (__u16)(len > SD_MAX_CGROUPS ? SD_MAX_CGROUPS : len));
}
