/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 3 (events): the exit event of execve (PPME_SYSCALL_EXECVE_19_X, 31
 * parameters) and execveat (PPME_SYSCALL_EXECVEAT_X, the same 30 without
 * `filename`), in libs' order (driver/event_table.c).
 *
 * A successful exec is emitted from sched_process_exec, where the new image is in
 * place (args and env from its memory, filename from the binprm); a failed one from
 * sys_exit, where the caller's argv/envp arrays are still readable.
 */
#pragma once

#include "clone.h"
#include "../extract/exe.h"

/* Where the argument and environment strings come from. */
struct sd_exec_src {
	bool success;            /* new image: read mm->arg_* / mm->env_* */
	bool ia32;               /* failed path: 32-bit pointers in argv/envp */
	unsigned long argv;      /* failed path: user argv array */
	unsigned long envp;      /* failed path: user envp array */
};

/* Parameters 4-14, common to every exec exit. */
static __always_inline void sd_push_exec_task_params(struct sd_frame *f, struct task_struct *task,
                                                     struct mm_struct *mm) {
	/* Parameter 4: tid (PT_PID) */
	sd_push_s64(f, BPF_CORE_READ(task, pid));

	/* Parameter 5: pid (PT_PID) */
	sd_push_s64(f, BPF_CORE_READ(task, tgid));

	/* Parameter 6: ptid (PT_PID) */
	sd_push_s64(f, BPF_CORE_READ(task, real_parent, pid));

	/* Parameter 7: cwd (PT_CHARBUF): not collected, like libs' modern driver */
	sd_push_empty(f);

	/* Parameter 8: fdlimit (PT_UINT64) */
	sd_push_u64(f, sd_task_fdlimit(task));

	/* Parameter 9: pgft_maj (PT_UINT64) */
	sd_push_u64(f, BPF_CORE_READ(task, maj_flt));

	/* Parameter 10: pgft_min (PT_UINT64) */
	sd_push_u64(f, BPF_CORE_READ(task, min_flt));

	/* Parameter 11: vm_size (PT_UINT32) */
	sd_push_u32(f, sd_mm_vm_size_kb(mm));

	/* Parameter 12: vm_rss (PT_UINT32) */
	sd_push_u32(f, sd_mm_vm_rss_kb(mm));

	/* Parameter 13: vm_swap (PT_UINT32) */
	sd_push_u32(f, sd_mm_vm_swap_kb(mm));

	/* Parameter 14: comm (PT_CHARBUF) */
	sd_push_kernel_str(f, task->comm, SD_MAX_COMM);
}

/* Parameters 17-30, common to every exec exit. */
static __always_inline void sd_push_exec_exe_params(struct sd_frame *f, struct task_struct *task) {
	struct file *exe = sd_task_exe_file(task);
	struct inode *inode = sd_file_inode(exe);
	const struct cred *cred = BPF_CORE_READ(task, cred);

	/* Parameter 17: tty (PT_UINT32) */
	sd_push_u32(f, sd_task_tty(task));

	/* Parameter 18: vpgid (PT_PID) */
	sd_push_s64(f, sd_task_vpgid(task));

	/* Parameter 19: loginuid (PT_UID) */
	sd_push_u32(f, sd_task_loginuid(task));

	/* Parameter 20: flags (PT_FLAGS32): PPM_EXE_* */
	if(inode) {
		sd_push_u32(f, sd_task_exe_flags(task, f->s));
	} else {
		sd_push_empty(f);
	}

	/* Parameter 21: cap_inheritable (PT_UINT64) */
	sd_push_u64(f, sd_caps_to_ppm(&cred->cap_inheritable));

	/* Parameter 22: cap_permitted (PT_UINT64) */
	sd_push_u64(f, sd_caps_to_ppm(&cred->cap_permitted));

	/* Parameter 23: cap_effective (PT_UINT64) */
	sd_push_u64(f, sd_caps_to_ppm(&cred->cap_effective));

	/* Parameters 24-26 go together (libsinsp reads all three when mtime is present):
	 * all filled, or all empty when there is no executable or a time is unreadable. */
	__u64 ctime_ns = 0, mtime_ns = 0;
	bool have_exe_times = inode && sd_inode_ctime_epoch_ns(inode, &ctime_ns) &&
	                      sd_inode_mtime_epoch_ns(inode, &mtime_ns);

	/* Parameter 24: exe_ino (PT_UINT64) */
	if(have_exe_times) {
		sd_push_u64(f, BPF_CORE_READ(inode, i_ino));
	} else {
		sd_push_empty(f);
	}

	/* Parameter 25: exe_ino_ctime (PT_ABSTIME), epoch ns */
	if(have_exe_times) {
		sd_push_u64(f, ctime_ns);
	} else {
		sd_push_empty(f);
	}

	/* Parameter 26: exe_ino_mtime (PT_ABSTIME), epoch ns */
	if(have_exe_times) {
		sd_push_u64(f, mtime_ns);
	} else {
		sd_push_empty(f);
	}

	/* Parameter 27: uid (PT_UID): effective */
	sd_push_u32(f, sd_task_euid(task));

	/* Parameter 28: trusted_exepath (PT_FSPATH) */
	if(exe) {
		sd_push_path(f, (struct path *)&exe->f_path);
	} else {
		sd_push_empty(f);
	}

	/* Parameter 29: pgid (PT_PID) */
	sd_push_s64(f, sd_task_pgid(task));

	/* Parameter 30: gid (PT_GID): effective */
	sd_push_u32(f, sd_task_egid(task));
}

/*
 * The exec exit is built in three stages, each its own program chained by tail
 * calls, so that the verifier sees three small programs instead of one whose
 * loops (argv, envp, path components) multiply each other's states:
 *   stage 1: parameters 1-3    (res, exe, args)
 *   stage 2: parameters 4-16   (task ids and accounting, cgroups, env)
 *   stage 3: parameters 17-30  (exe signals, credentials, paths); the caller adds
 *            parameter 31 (filename) for execve and submits.
 */
#define SD_EXEC_STAGE_2 0
#define SD_EXEC_STAGE_3 1
#define SD_EXEC_STAGES 2

static __always_inline bool sd_exec_stage1(struct sd_frame *f, __u16 type, __u32 nparams, long ret,
                                           const struct sd_exec_src *src) {
	if(!sd_frame_begin(f, type, nparams)) {
		return false;
	}
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();

	/* Parameter 1: res (PT_ERRNO) */
	sd_push_s64(f, ret);

	if(src->success) {
		/* Parameter 2: exe (PT_CHARBUF) */
		/* Parameter 3: args (PT_BYTEBUF) */
		sd_push_mm_exe_args(f, BPF_CORE_READ(task, mm));
	} else {
		/* Parameter 2: exe (PT_CHARBUF) */
		sd_push_user_array_first(f, src->argv, src->ia32);
		/* Parameter 3: args (PT_BYTEBUF) */
		sd_push_user_str_array(f, src->argv, 1, src->ia32);
	}
	sd_frame_save(f);
	return true;
}

static __always_inline bool sd_exec_stage2(struct sd_frame *f, const struct sd_exec_src *src) {
	if(!sd_frame_resume(f)) {
		return false;
	}
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);

	/* Parameters 4-14 */
	sd_push_exec_task_params(f, task, mm);

	/* Parameter 15: cgroups (PT_CHARBUFARRAY): "subsys=/path" entries */
	sd_push_cgroups(f, task);

	/* Parameter 16: env (PT_BYTEBUF) */
	if(src->success) {
		unsigned long env_start = mm ? BPF_CORE_READ(mm, env_start) : 0;
		unsigned long env_end = mm ? BPF_CORE_READ(mm, env_end) : 0;
		sd_push_user_bytes(f, env_start, env_end > env_start ? env_end - env_start : 0);
	} else {
		sd_push_user_str_array(f, src->envp, 0, src->ia32);
	}
	sd_frame_save(f);
	return true;
}

static __always_inline bool sd_exec_stage3(struct sd_frame *f) {
	if(!sd_frame_resume(f)) {
		return false;
	}
	/* Parameters 17-30 */
	sd_push_exec_exe_params(f, (struct task_struct *)bpf_get_current_task_btf());
	return true;
}
