/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 3 (act): the enforcement decision at exec, taken in sched_process_exec
 * (the new image is in place, the task has not returned to user space: a SIGKILL
 * sent now is delivered before the program's first instruction). Policies
 * (SD_ENFORCE_*, enabled by the loader in sd_enforce_cfg_map):
 *
 *   written_untrusted  the executable was opened for writing during the capture
 *                      (store/enforce_written.h) by a process whose executable is
 *                      not in sd_enforce_trusted_map;
 *   memfd              the executable is a memfd whose name is not in
 *                      sd_enforce_memfd_map (runc's "memfd:runc_cloned:/proc/self/exe");
 *   deleted            the executable was unlinked (d_unlinked());
 *   upper_layer        the executable is in an overlayfs upper layer and was opened
 *                      for writing during the capture (written in the container,
 *                      not only copied up by a chmod).
 *
 * Only tasks in the policy's cgroup (v2) or below it are judged when the policy
 * names one (scope_cgroup_id). The executable is mm->exe_file: a `#!` script is
 * judged by its interpreter.
 * Never killed, whatever matched: pid 1, the loader and its parent (scapdrift).
 * Not killed but reported as would-kill: audit mode, the kill switch thrown
 * (sd_enforce_off_map), more than max_kills_per_sec kills in the current second.
 */
#pragma once

#include "../base/counters.h"
#include "../store/enforce_written.h"

/* FNV-1a 64 of the memfd's dentry name ("memfd:<name>"), read into `buf`. */
static __always_inline bool sd_memfd_allowed(struct file *exe, __u8 *buf) {
	const unsigned char *name = BPF_CORE_READ(exe, f_path.dentry, d_name.name);
	if(bpf_probe_read_kernel_str(buf, SD_MEMFD_NAME_MAX, name) <= 0) {
		return false;
	}
	__u64 h = SD_FNV64_OFFSET;
	for(int i = 0; i < SD_MEMFD_NAME_MAX; i++) {
		__u8 c = buf[i];
		if(!c) {
			break;
		}
		h = (h ^ c) * SD_FNV64_PRIME;
	}
	return bpf_map_lookup_elem(&sd_enforce_memfd_map, &h) != NULL;
}

/* The task is in the cgroup (v2) `scope`, or below it; any task when scope is 0. */
static __always_inline bool sd_enforce_in_scope(struct task_struct *task, __u64 scope) {
	if(!scope) {
		return true;
	}
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	for(int i = 0; i < SD_MAX_CGROUP_DEPTH && cg; i++) {
		if(BPF_CORE_READ(cg, kn, id) == scope) {
			return true;
		}
		cg = (struct cgroup *)BPF_CORE_READ(cg, self.parent); /* self is cgroup's first member */
	}
	return false;
}

/* One more kill in this second, if the limit allows (approximate across CPUs). */
static __always_inline bool sd_enforce_rate_ok(const struct sd_enforce_cfg *cfg) {
	__u32 zero = 0;
	struct sd_enforce_rate *r = bpf_map_lookup_elem(&sd_enforce_rate_map, &zero);
	if(!r) {
		return false;
	}
	__u64 now = bpf_ktime_get_ns();
	if(now - r->window_start_ns >= SD_NSEC_PER_SEC) {
		r->window_start_ns = now;
		r->kills = 0;
	}
	if(r->kills >= cfg->max_kills_per_sec) {
		return false;
	}
	__sync_fetch_and_add(&r->kills, 1);
	return true;
}

/*
 * Decides on the exec `task` just made, kills it when the decision is to kill, and
 * returns the bits for param 20 (SD_PPM_EXE_ENFORCE_*, 0 when nothing matched or
 * enforcement is off). `buf`: SD_MEMFD_NAME_MAX bytes of scratch.
 */
static __always_inline __u32 sd_enforce_exec(struct task_struct *task, __u8 *buf) {
	if(!sd_enforce_enabled) {
		return 0;
	}
	__u32 zero = 0;
	struct sd_enforce_cfg *cfg = bpf_map_lookup_elem(&sd_enforce_cfg_map, &zero);
	if(!cfg || cfg->mode == SD_ENFORCE_OFF || !sd_enforce_in_scope(task, cfg->scope_cgroup_id)) {
		return 0;
	}
	struct file *exe = sd_task_exe_file(task);
	struct inode *inode = sd_file_inode(exe);
	if(!inode) {
		return 0;
	}
	__u32 policies = cfg->policies;
	__u32 matched = 0;
	if((policies & SD_ENFORCE_MEMFD) && sd_file_is_memfd(exe) && !sd_memfd_allowed(exe, buf)) {
		matched |= SD_ENFORCE_MEMFD;
	}
	if((policies & SD_ENFORCE_DELETED) && sd_dentry_unlinked(BPF_CORE_READ(exe, f_path.dentry))) {
		matched |= SD_ENFORCE_DELETED;
	}
	if(policies & (SD_ENFORCE_WRITTEN_UNTRUSTED | SD_ENFORCE_UPPER_LAYER)) {
		struct sd_inode_key key;
		sd_inode_key(inode, &key);
		struct sd_enforce_writer *w = bpf_map_lookup_elem(&sd_enforce_written_map, &key);
		if(w) {
			struct sd_inode_key writer = {.ino = w->exe_ino, .dev = w->exe_dev};
			if((policies & SD_ENFORCE_WRITTEN_UNTRUSTED) &&
			   !bpf_map_lookup_elem(&sd_enforce_trusted_map, &writer)) {
				matched |= SD_ENFORCE_WRITTEN_UNTRUSTED;
			}
			if((policies & SD_ENFORCE_UPPER_LAYER) && sd_file_overlay_layer(exe) == SD_OVERLAY_UPPER) {
				matched |= SD_ENFORCE_UPPER_LAYER;
			}
		}
	}
	if(!matched) {
		return 0;
	}
	__u32 flags = matched << SD_PPM_EXE_ENFORCE_POLICY_SHIFT;
	__u32 tgid = task->tgid;
	if(tgid == 1 || tgid == cfg->spare_tgid[0] || tgid == cfg->spare_tgid[1]) {
		sd_count(SD_CNT_ENFORCE_SPARED);
		sd_count(SD_CNT_ENFORCE_WOULD_KILL);
		return flags | SD_PPM_EXE_ENFORCE_WOULD_KILL;
	}
	__u32 *off = bpf_map_lookup_elem(&sd_enforce_off_map, &zero);
	if(!sd_enforce_can_kill || cfg->mode != SD_ENFORCE_KILL || !off || *off) {
		sd_count(SD_CNT_ENFORCE_WOULD_KILL);
		return flags | SD_PPM_EXE_ENFORCE_WOULD_KILL;
	}
	if(!sd_enforce_rate_ok(cfg)) {
		sd_count(SD_CNT_ENFORCE_RATE_LIMITED);
		sd_count(SD_CNT_ENFORCE_WOULD_KILL);
		return flags | SD_PPM_EXE_ENFORCE_WOULD_KILL;
	}
	if(bpf_send_signal(SD_SIGKILL) != 0) {
		sd_count(SD_CNT_ENFORCE_WOULD_KILL);
		return flags | SD_PPM_EXE_ENFORCE_WOULD_KILL;
	}
	sd_count(SD_CNT_ENFORCE_KILLED);
	return flags | SD_PPM_EXE_ENFORCE_KILLED;
}
