/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 1 (extract): which syscall is returning and its arguments, x86_64 and its
 * ia32 compat mode. Reads registers only; writes nothing.
 */
#pragma once

#include "../base/common.h"

/*
 * Reads here are direct loads through BTF pointers (the task from
 * bpf_get_current_task_btf(), the tp_btf pt_regs), not bpf_probe_read calls: they
 * run on every syscall exit.
 */

/* True while the current task runs an ia32 (32-bit compat) syscall. */
static __always_inline bool sd_in_ia32_syscall(struct task_struct *task) {
	return (task->thread_info.status & SD_TS_COMPAT) != 0;
}

/* ia32 syscall number -> the x86_64 number of the same syscall, for the ones we hook. */
static __always_inline __u32 sd_ia32_to_x64(__u32 nr) {
	switch(nr) {
	case SD_NR_IA32_FORK:
		return SD_NR_FORK;
	case SD_NR_IA32_EXECVE:
		return SD_NR_EXECVE;
	case SD_NR_IA32_CLONE:
		return SD_NR_CLONE;
	case SD_NR_IA32_VFORK:
		return SD_NR_VFORK;
	case SD_NR_IA32_EXECVEAT:
		return SD_NR_EXECVEAT;
	case SD_NR_IA32_CLONE3:
		return SD_NR_CLONE3;
	case SD_NR_IA32_WRITE:
		return SD_NR_WRITE;
	case SD_NR_IA32_OPEN:
		return SD_NR_OPEN;
	case SD_NR_IA32_CREAT:
		return SD_NR_CREAT;
	case SD_NR_IA32_LINK:
		return SD_NR_LINK;
	case SD_NR_IA32_CHMOD:
		return SD_NR_CHMOD;
	case SD_NR_IA32_RENAME:
		return SD_NR_RENAME;
	case SD_NR_IA32_FCHMOD:
		return SD_NR_FCHMOD;
	case SD_NR_IA32_DUP:
		return SD_NR_DUP;
	case SD_NR_IA32_DUP2:
		return SD_NR_DUP2;
	case SD_NR_IA32_DUP3:
		return SD_NR_DUP3;
	case SD_NR_IA32_WRITEV:
		return SD_NR_WRITEV;
	case SD_NR_IA32_PWRITE64:
		return SD_NR_PWRITE64;
	case SD_NR_IA32_SENDFILE64:
		return SD_NR_SENDFILE;
	case SD_NR_IA32_OPENAT:
		return SD_NR_OPENAT;
	case SD_NR_IA32_RENAMEAT:
		return SD_NR_RENAMEAT;
	case SD_NR_IA32_LINKAT:
		return SD_NR_LINKAT;
	case SD_NR_IA32_FCHMODAT:
		return SD_NR_FCHMODAT;
	case SD_NR_IA32_PWRITEV:
		return SD_NR_PWRITEV;
	case SD_NR_IA32_RENAMEAT2:
		return SD_NR_RENAMEAT2;
	case SD_NR_IA32_MEMFD_CREATE:
		return SD_NR_MEMFD_CREATE;
	case SD_NR_IA32_COPY_FILE_RANGE:
		return SD_NR_COPY_FILE_RANGE;
	case SD_NR_IA32_OPENAT2: /* the same number in both tables */
		return SD_NR_OPENAT2;
	case SD_NR_IA32_FCHMODAT2:
		return SD_NR_FCHMODAT2;
	default:
		return SD_SYSCALL_TABLE_SIZE; /* out of the tail table: ignored */
	}
}

/* Syscall argument `idx` (0-based) from the user registers saved at entry (tp_btf `regs`). */
static __always_inline unsigned long sd_syscall_arg(struct pt_regs *regs, int idx, bool ia32) {
	if(ia32) {
		/* ia32 order: ebx, ecx, edx, esi, edi, ebp */
		switch(idx) {
		case 0:
			return (__u32)regs->bx;
		case 1:
			return (__u32)regs->cx;
		case 2:
			return (__u32)regs->dx;
		case 3:
			return (__u32)regs->si;
		case 4:
			return (__u32)regs->di;
		default:
			return (__u32)regs->bp;
		}
	}
	/* x86_64 order: rdi, rsi, rdx, r10, r8, r9 */
	switch(idx) {
	case 0:
		return regs->di;
	case 1:
		return regs->si;
	case 2:
		return regs->dx;
	case 3:
		return regs->r10;
	case 4:
		return regs->r8;
	default:
		return regs->r9;
	}
}
