/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 1 (extract): identity and accounting of a task: ids as seen from the init
 * and from the task's own pid namespace, credentials, limits, memory, tty, clone
 * flags, and the start of the task's pid namespace. Reads only.
 */
#pragma once

#include "../base/common.h"

/* Kernels < 5.5 named start_boottime real_start_time. */
struct task_struct___sd_pre55 {
	__u64 real_start_time;
} __attribute__((preserve_access_index));

/* Kernels < 6.2 kept rss counters in struct mm_rss_stat. */
struct mm_rss_stat___sd_pre62 {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));
struct mm_struct___sd_pre62 {
	struct mm_rss_stat___sd_pre62 rss_stat;
} __attribute__((preserve_access_index));

/* Kernels < 6.3 stored capabilities as two u32 words. */
struct kernel_cap_struct___sd_pre63 {
	__u32 cap[2];
} __attribute__((preserve_access_index));

#define SD_MM_FILEPAGES 0
#define SD_MM_ANONPAGES 1
#define SD_MM_SWAPENTS 2
#define SD_MM_SHMEMPAGES 3
#define SD_RLIMIT_NOFILE 7
#define SD_PIDTYPE_TGID 1
#define SD_PIDTYPE_PGID 2

/* ---- pid namespaces ------------------------------------------------------- */

/* The namespace a `struct pid` was allocated in (its deepest level). */
static __always_inline struct pid_namespace *sd_ns_of_pid(struct pid *pid) {
	if(!pid) {
		return NULL;
	}
	__u32 level = BPF_CORE_READ(pid, level);
	return BPF_CORE_READ(pid, numbers[level].ns);
}

/* The number of `pid` in its own (deepest) namespace: the "v" ids. */
static __always_inline __s64 sd_vnr_of_pid(struct pid *pid) {
	if(!pid) {
		return 0;
	}
	__u32 level = BPF_CORE_READ(pid, level);
	return BPF_CORE_READ(pid, numbers[level].nr);
}

static __always_inline struct pid *sd_task_signal_pid(struct task_struct *task, int type) {
	return BPF_CORE_READ(task, signal, pids[type]);
}

static __always_inline __s64 sd_task_vtid(struct task_struct *task) {
	return sd_vnr_of_pid(BPF_CORE_READ(task, thread_pid));
}

static __always_inline __s64 sd_task_vpid(struct task_struct *task) {
	return sd_vnr_of_pid(sd_task_signal_pid(task, SD_PIDTYPE_TGID));
}

static __always_inline __s64 sd_task_pgid(struct task_struct *task) {
	struct pid *pgrp = sd_task_signal_pid(task, SD_PIDTYPE_PGID);
	return pgrp ? BPF_CORE_READ(pgrp, numbers[0].nr) : 0;
}

static __always_inline __s64 sd_task_vpgid(struct task_struct *task) {
	return sd_vnr_of_pid(sd_task_signal_pid(task, SD_PIDTYPE_PGID));
}

/* ns since boot at which `task` started (start_boottime; real_start_time before 5.5). */
static __always_inline __u64 sd_task_start_boot_ns(struct task_struct *task) {
	if(bpf_core_field_exists(task->start_boottime)) {
		return BPF_CORE_READ(task, start_boottime);
	}
	struct task_struct___sd_pre55 *old = (void *)task;
	if(bpf_core_field_exists(old->real_start_time)) {
		return BPF_CORE_READ(old, real_start_time);
	}
	return BPF_CORE_READ(task, start_time);
}

/*
 * Start of the init task (child reaper) of the task's pid namespace, ns since boot.
 * 0 when it cannot be read.
 */
static __always_inline __u64 sd_pidns_init_start_boot_ns(struct task_struct *task) {
	struct pid_namespace *ns = sd_ns_of_pid(BPF_CORE_READ(task, thread_pid));
	if(!ns) {
		return 0;
	}
	struct task_struct *reaper = BPF_CORE_READ(ns, child_reaper);
	if(!reaper) {
		return 0;
	}
	return sd_task_start_boot_ns(reaper);
}

/* ---- credentials ---------------------------------------------------------- */

static __always_inline __u32 sd_task_euid(struct task_struct *task) {
	return BPF_CORE_READ(task, cred, euid.val);
}

static __always_inline __u32 sd_task_egid(struct task_struct *task) {
	return BPF_CORE_READ(task, cred, egid.val);
}

static __always_inline __u32 sd_task_loginuid(struct task_struct *task) {
	if(bpf_core_field_exists(task->loginuid)) {
		return BPF_CORE_READ(task, loginuid.val);
	}
	return (__u32)-1; /* CONFIG_AUDITSYSCALL=n: no login uid */
}

/* Kernel capability set -> PPM_CAP_* bits (the same bit numbers up to CAP_CHECKPOINT_RESTORE). */
static __always_inline __u64 sd_caps_to_ppm(const kernel_cap_t *caps) {
	if(bpf_core_field_exists(caps->val)) {
		return BPF_CORE_READ(caps, val) & SD_PPM_CAP_MASK;
	}
	const struct kernel_cap_struct___sd_pre63 *old = (const void *)caps;
	__u64 lo = BPF_CORE_READ(old, cap[0]);
	__u64 hi = BPF_CORE_READ(old, cap[1]);
	return ((hi << 32) | lo) & SD_PPM_CAP_MASK;
}

/* ---- limits, faults, memory ----------------------------------------------- */

static __always_inline __u64 sd_task_fdlimit(struct task_struct *task) {
	return BPF_CORE_READ(task, signal, rlim[SD_RLIMIT_NOFILE].rlim_cur);
}

static __always_inline __s64 sd_mm_counter(struct mm_struct *mm, int member) {
	if(bpf_core_type_exists(struct mm_rss_stat___sd_pre62)) {
		struct mm_struct___sd_pre62 *old = (void *)mm;
		return BPF_CORE_READ(old, rss_stat.count[member].counter);
	}
	/* percpu_counter: `count` is the folded value, per-CPU deltas are not added. */
	return BPF_CORE_READ(mm, rss_stat[member].count);
}

static __always_inline __u32 sd_clamp_kb(__s64 pages) {
	return pages > 0 ? (__u32)SD_PAGES_TO_KB((__u64)pages) : 0;
}

static __always_inline __u32 sd_mm_vm_size_kb(struct mm_struct *mm) {
	return mm ? (__u32)SD_PAGES_TO_KB(BPF_CORE_READ(mm, total_vm)) : 0;
}

static __always_inline __u32 sd_mm_vm_rss_kb(struct mm_struct *mm) {
	if(!mm) {
		return 0;
	}
	return sd_clamp_kb(sd_mm_counter(mm, SD_MM_FILEPAGES) + sd_mm_counter(mm, SD_MM_ANONPAGES) +
	                   sd_mm_counter(mm, SD_MM_SHMEMPAGES));
}

static __always_inline __u32 sd_mm_vm_swap_kb(struct mm_struct *mm) {
	return mm ? sd_clamp_kb(sd_mm_counter(mm, SD_MM_SWAPENTS)) : 0;
}

/* Controlling tty as a device number in the new_encode_dev() format userspace sees. */
static __always_inline __u32 sd_task_tty(struct task_struct *task) {
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	if(!tty) {
		return 0;
	}
	struct tty_driver *driver = BPF_CORE_READ(tty, driver);
	if(!driver) {
		return 0;
	}
	__u32 major = BPF_CORE_READ(driver, major);
	__u32 minor = BPF_CORE_READ(driver, minor_start) + BPF_CORE_READ(tty, index);
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* ---- clone flags ------------------------------------------------------------ */

static __always_inline __u32 sd_clone_flags_to_ppm(__u64 flags) {
	__u32 res = 0;
	if(flags & SD_CLONE_FILES) res |= SD_PPM_CL_CLONE_FILES;
	if(flags & SD_CLONE_FS) res |= SD_PPM_CL_CLONE_FS;
	if(flags & SD_CLONE_IO) res |= SD_PPM_CL_CLONE_IO;
	if(flags & SD_CLONE_NEWIPC) res |= SD_PPM_CL_CLONE_NEWIPC;
	if(flags & SD_CLONE_NEWNET) res |= SD_PPM_CL_CLONE_NEWNET;
	if(flags & SD_CLONE_NEWNS) res |= SD_PPM_CL_CLONE_NEWNS;
	if(flags & SD_CLONE_NEWPID) res |= SD_PPM_CL_CLONE_NEWPID;
	if(flags & SD_CLONE_NEWUTS) res |= SD_PPM_CL_CLONE_NEWUTS;
	if(flags & SD_CLONE_PARENT_SETTID) res |= SD_PPM_CL_CLONE_PARENT_SETTID;
	if(flags & SD_CLONE_PARENT) res |= SD_PPM_CL_CLONE_PARENT;
	if(flags & SD_CLONE_PTRACE) res |= SD_PPM_CL_CLONE_PTRACE;
	if(flags & SD_CLONE_SIGHAND) res |= SD_PPM_CL_CLONE_SIGHAND;
	if(flags & SD_CLONE_SYSVSEM) res |= SD_PPM_CL_CLONE_SYSVSEM;
	if(flags & SD_CLONE_THREAD) res |= SD_PPM_CL_CLONE_THREAD;
	if(flags & SD_CLONE_UNTRACED) res |= SD_PPM_CL_CLONE_UNTRACED;
	if(flags & SD_CLONE_VM) res |= SD_PPM_CL_CLONE_VM;
	if(flags & SD_CLONE_NEWUSER) res |= SD_PPM_CL_CLONE_NEWUSER;
	if(flags & SD_CLONE_CHILD_CLEARTID) res |= SD_PPM_CL_CLONE_CHILD_CLEARTID;
	if(flags & SD_CLONE_CHILD_SETTID) res |= SD_PPM_CL_CLONE_CHILD_SETTID;
	if(flags & SD_CLONE_SETTLS) res |= SD_PPM_CL_CLONE_SETTLS;
	if(flags & SD_CLONE_VFORK) res |= SD_PPM_CL_CLONE_VFORK;
	if(flags & SD_CLONE_NEWCGROUP) res |= SD_PPM_CL_CLONE_NEWCGROUP;
	return res;
}

/*
 * PPM clone flags plus PPM_CL_CHILD_IN_PIDNS: set when the task lives in a non-init
 * pid namespace, or (parent side) when its children will be created in another one.
 */
static __always_inline __u32 sd_task_clone_flags(struct task_struct *task, __u64 raw_flags) {
	__u32 res = sd_clone_flags_to_ppm(raw_flags);
	struct pid_namespace *ns = sd_ns_of_pid(BPF_CORE_READ(task, thread_pid));
	if(ns && BPF_CORE_READ(ns, level) != 0) {
		res |= SD_PPM_CL_CHILD_IN_PIDNS;
	} else if(BPF_CORE_READ(task, nsproxy, pid_ns_for_children) != ns) {
		res |= SD_PPM_CL_CHILD_IN_PIDNS;
	}
	return res;
}
