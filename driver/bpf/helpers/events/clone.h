/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 3 (events): the exit event of clone, fork, vfork and clone3
 * (PPME_SYSCALL_CLONE_20_X, FORK_20_X, VFORK_20_X, CLONE3_X): 21 parameters, the
 * same list for the four, in libs' order (driver/event_table.c).
 */
#pragma once

#include "../store/frame.h"
#include "../store/cgroups.h"
#include "../extract/task.h"

/* Parameters 2-3: argv[0] and the rest of the process' argument area. */
static __always_inline void sd_push_mm_exe_args(struct sd_frame *f, struct mm_struct *mm) {
	unsigned long arg_start = mm ? BPF_CORE_READ(mm, arg_start) : 0;
	unsigned long arg_end = mm ? BPF_CORE_READ(mm, arg_end) : 0;
	if(!arg_start || arg_end <= arg_start) {
		sd_push_empty(f); /* exe */
		sd_push_empty(f); /* args */
		return;
	}
	long exe_len = sd_push_user_str(f, (void *)arg_start, SD_MAX_PATH);
	if(exe_len <= 0 || arg_start + exe_len >= arg_end) {
		sd_push_empty(f);
		return;
	}
	sd_push_user_bytes(f, arg_start + exe_len, arg_end - (arg_start + exe_len));
}

/*
 * Emit one clone-family exit. `ret` is the syscall result (child tid in the
 * parent, 0 in the child, < 0 on failure); `raw_flags` the CLONE_* flags passed.
 */
static __always_inline void sd_emit_clone_x(__u16 type, long ret, __u64 raw_flags) {
	struct sd_frame f;
	if(!sd_frame_begin(&f, type, SD_NPARAMS_CLONE)) {
		return;
	}
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);

	/* Parameter 1: res (PT_PID) */
	sd_push_s64(&f, ret);

	if(ret >= 0) {
		/* Parameter 2: exe (PT_CHARBUF) */
		/* Parameter 3: args (PT_BYTEBUF) */
		sd_push_mm_exe_args(&f, mm);
	} else {
		/* Parameter 2: exe (PT_CHARBUF) */
		sd_push_empty(&f);
		/* Parameter 3: args (PT_BYTEBUF) */
		sd_push_empty(&f);
	}

	/* Parameter 4: tid (PT_PID) */
	sd_push_s64(&f, BPF_CORE_READ(task, pid));

	/* Parameter 5: pid (PT_PID) */
	sd_push_s64(&f, BPF_CORE_READ(task, tgid));

	/* Parameter 6: ptid (PT_PID) */
	sd_push_s64(&f, BPF_CORE_READ(task, real_parent, pid));

	/* Parameter 7: cwd (PT_CHARBUF): not collected, like libs' modern driver */
	sd_push_empty(&f);

	/* Parameter 8: fdlimit (PT_INT64) */
	sd_push_u64(&f, sd_task_fdlimit(task));

	/* Parameter 9: pgft_maj (PT_UINT64) */
	sd_push_u64(&f, BPF_CORE_READ(task, maj_flt));

	/* Parameter 10: pgft_min (PT_UINT64) */
	sd_push_u64(&f, BPF_CORE_READ(task, min_flt));

	/* Parameter 11: vm_size (PT_UINT32) */
	sd_push_u32(&f, sd_mm_vm_size_kb(mm));

	/* Parameter 12: vm_rss (PT_UINT32) */
	sd_push_u32(&f, sd_mm_vm_rss_kb(mm));

	/* Parameter 13: vm_swap (PT_UINT32) */
	sd_push_u32(&f, sd_mm_vm_swap_kb(mm));

	/* Parameter 14: comm (PT_CHARBUF) */
	sd_push_kernel_str(&f, task->comm, SD_MAX_COMM);

	/* Parameter 15: cgroups (PT_CHARBUFARRAY): "subsys=/path" entries */
	sd_push_cgroups(&f, task);

	/* Parameter 16: flags (PT_FLAGS32) */
	sd_push_u32(&f, sd_task_clone_flags(task, raw_flags));

	/* Parameter 17: uid (PT_UINT32) */
	sd_push_u32(&f, sd_task_euid(task));

	/* Parameter 18: gid (PT_UINT32) */
	sd_push_u32(&f, sd_task_egid(task));

	/* Parameter 19: vtid (PT_PID) */
	sd_push_s64(&f, sd_task_vtid(task));

	/* Parameter 20: vpid (PT_PID) */
	sd_push_s64(&f, sd_task_vpid(task));

	/* Parameter 21: pidns_init_start_ts (PT_UINT64), ns since boot: child side only */
	if(ret == 0) {
		sd_push_u64(&f, sd_pidns_init_start_boot_ns(task));
	} else {
		sd_push_empty(&f);
	}

	sd_frame_submit(&f);
}
