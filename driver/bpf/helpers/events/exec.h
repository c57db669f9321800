/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 3 (events): the exit event of execve (PPME_SYSCALL_EXECVE_19_X, 31
 * parameters) and execveat (PPME_SYSCALL_EXECVEAT_X, the same 30 without
 * `filename`), in libs' order (driver/event_table.c).
 *
 * A successful exec is emitted from sched_process_exec, where the new image is in
 * place (args and env from its memory, filename from the binprm); a failed one from
 * sys_exit, where the caller's argv/envp arrays are still readable.
 *
 * Interpreter scripts: for a `#!` file (or a binfmt_misc one) mm->exe_file is the
 * interpreter, and the kernel has changed bprm->interp away from bprm->filename. A
 * successful exec then sets SD_PPM_EXE_SCRIPT in param 20, sends in param 31 the
 * script's absolute path, and in params 20 (other bits) and 24-26 the script file:
 * found through its pending release (sd_released_script_file), else looked up by
 * path in sd_path_inode_map (known when it was opened for writing, or renamed or
 * linked into place, while the driver ran); else 24-26 are 0 (libs' "unknown")
 * and the other bits 0. Param 28 (trusted_exepath) stays the interpreter, as libs.
 */
#pragma once

#include "clone.h"
#include "../extract/exe.h"
#include "../store/path_inode.h"

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

/*
 * Parameters 17-30, common to every exec exit. `script`: this exec ran a script,
 * whose inode is `script_inode` (NULL: unknown).
 */
static __always_inline void sd_push_exec_exe_params(struct sd_frame *f, struct task_struct *task,
                                                    bool script, struct inode *script_inode,
                                                    __u32 enforce_flags) {
	struct file *exe = sd_task_exe_file(task);
	struct inode *inode = sd_file_inode(exe);
	const struct cred *cred = BPF_CORE_READ(task, cred);

	/* Parameter 17: tty (PT_UINT32) */
	sd_push_u32(f, sd_task_tty(task));

	/* Parameter 18: vpgid (PT_PID) */
	sd_push_s64(f, sd_task_vpgid(task));

	/* Parameter 19: loginuid (PT_UID) */
	sd_push_u32(f, sd_task_loginuid(task));

	/* Parameter 20: flags (PT_FLAGS32): PPM_EXE_*; for a script SD_PPM_EXE_SCRIPT and
	 * the script file's bits; the enforcement decision's bits (act/enforce.h) */
	if(script) {
		__u32 flags = SD_PPM_EXE_SCRIPT | enforce_flags;
		if(script_inode) {
			flags |= sd_inode_exe_flags(task, script_inode, &f->s->loop_a, &f->s->loop_b);
		}
		sd_push_u32(f, flags);
	} else if(inode) {
		sd_push_u32(f, sd_task_exe_flags(task, f->s) | enforce_flags);
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
	 * all filled, or all empty when there is no executable or a time is unreadable.
	 * A script whose file is unknown gets all three 0, libs' "unknown": present, so
	 * that readers drop the previous executable's values instead of keeping them. */
	struct inode *described = script ? script_inode : inode;
	__u64 ino = 0, ctime_ns = 0, mtime_ns = 0;
	bool have_exe_times = described && sd_inode_ctime_epoch_ns(described, &ctime_ns) &&
	                      sd_inode_mtime_epoch_ns(described, &mtime_ns);
	if(have_exe_times) {
		ino = BPF_CORE_READ(described, i_ino);
	}
	bool send = have_exe_times || (script && !script_inode);

	/* Parameter 24: exe_ino (PT_UINT64), of the script file for a script */
	if(send) {
		sd_push_u64(f, ino);
	} else {
		sd_push_empty(f);
	}

	/* Parameter 25: exe_ino_ctime (PT_ABSTIME), epoch ns */
	if(send) {
		sd_push_u64(f, ctime_ns);
	} else {
		sd_push_empty(f);
	}

	/* Parameter 26: exe_ino_mtime (PT_ABSTIME), epoch ns */
	if(send) {
		sd_push_u64(f, mtime_ns);
	} else {
		sd_push_empty(f);
	}

	/* Parameter 27: uid (PT_UID): effective */
	sd_push_u32(f, sd_task_euid(task));

	/* Parameter 28: trusted_exepath (PT_FSPATH): mm->exe_file, the interpreter for a script;
	 * " (deleted)" appended when the file was unlinked, as d_path() and libs' kmod do */
	if(exe) {
		if(sd_push_path(f, (struct path *)&exe->f_path) &&
		   sd_dentry_unlinked(BPF_CORE_READ(exe, f_path.dentry))) {
			sd_append_deleted_suffix(f);
		}
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
#define SD_EXEC_STAGE_SCRIPT SD_EXEC_STAGE_SCRIPT_SLOT /* a script, between 2 and 3 (abi.h) */
#define SD_EXEC_STAGES 3

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

static __always_inline bool sd_exec_stage3(struct sd_frame *f, bool script, struct inode *script_inode,
                                           __u32 enforce_flags) {
	if(!sd_frame_resume(f)) {
		return false;
	}
	/* Parameters 17-30 */
	sd_push_exec_exe_params(f, (struct task_struct *)bpf_get_current_task_btf(), script,
	                        script_inode, enforce_flags);
	return true;
}

/* Did this exec run an interpreter? load_script (and binfmt_misc) replace bprm->interp. */
static __always_inline bool sd_bprm_is_script(struct linux_binprm *bprm) {
	return BPF_CORE_READ(bprm, interp) != BPF_CORE_READ(bprm, filename);
}

/*
 * ____fput(): the callback fput() queues on the task to release a file on its
 * return to user space. A typeless ksym: libbpf takes its address from kallsyms
 * at load; 0 when the kernel has none.
 */
extern const void ____fput __ksym __weak;

#define SD_MAX_TASK_WORKS 128

/*
 * The script file the exec just handed to its interpreter. exec_binprm() let go
 * of it with fput(), which queued its release (____fput) on the task's
 * task_works, run on the return to user space, after sched_process_exec. The
 * release queued first of a file opened for exec (__FMODE_EXEC in f_flags) is
 * the script's: any other exec file released during this exec (the previous
 * executable's) is released after it. NULL when none is found in the first
 * SD_MAX_TASK_WORKS entries (or the release was not deferred): the caller then
 * goes by the path the exec named.
 */
static __always_inline struct file *sd_released_script_file(struct task_struct *task) {
	if((unsigned long)&____fput == 0) {
		return NULL;
	}
	__u32 work_off = bpf_core_field_offset(struct file, f_task_work);
	struct callback_head *work = BPF_CORE_READ(task, task_works);
	struct file *found = NULL;
	for(int i = 0; i < SD_MAX_TASK_WORKS && work; i++) {
		if((unsigned long)BPF_CORE_READ(work, func) == (unsigned long)&____fput) {
			struct file *f = (struct file *)((char *)work - work_off);
			if(BPF_CORE_READ(f, f_flags) & SD___FMODE_EXEC) {
				found = f; /* the list is newest first: keep the last */
			}
		}
		work = BPF_CORE_READ(work, next);
	}
	/* Not at the end of the list: the oldest exec file seen is not the script's
	 * (the old image's releases come after it: a process that exec'ed a script
	 * without forking, e.g. `nice ./x.sh`, frees every file it had mapped). */
	return work ? NULL : found;
}

/*
 * The script stage, for stage 3: in s->out[0] the script's path (s->script_path
 * says whether there is one) and in s->script_inode its inode (0: unknown). From
 * the script's own file when its release is found (sd_released_script_file): the
 * path walked from its dentry, symbolic links resolved as the kernel did. Else
 * bprm->filename made absolute against the cwd, and the inode known at that path
 * (a script the driver saw written).
 */
static __always_inline void sd_exec_stage_script(struct linux_binprm *bprm) {
	__u32 cpu = bpf_get_smp_processor_id();
	struct sd_scratch *s = bpf_map_lookup_elem(&sd_scratch_map, &cpu);
	if(!s) {
		return;
	}
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *script = sd_released_script_file(task);
	if(script && sd_path_build_from(&s->out[0], &script->f_path)) {
		s->script_path = 1;
		s->script_inode = (__u64)BPF_CORE_READ(script, f_inode);
		return;
	}
	s->script_inode = 0;
	s->script_path = sd_path_resolve_arg(s, &s->out[0], task, SD_AT_FDCWD,
	                                     BPF_CORE_READ(bprm, filename), false);
	if(s->script_path) {
		s->script_inode = (__u64)sd_path_inode_lookup(&s->out[0]);
	}
}
