/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 1 (extract): which syscall is returning and its arguments, x86_64 and its
 * ia32 compat mode. Reads registers only; writes nothing.
 */
#pragma once

#include "../base/common.h"

/* True while the current task runs an ia32 (32-bit compat) syscall. */
static __always_inline bool sd_in_ia32_syscall(struct task_struct *task) {
	__u32 status = BPF_CORE_READ(task, thread_info.status);
	return (status & SD_TS_COMPAT) != 0;
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
	default:
		return SD_SYSCALL_TABLE_SIZE; /* out of the tail table: ignored */
	}
}

/* Syscall argument `idx` (0-based) from the user registers saved at entry. */
static __always_inline unsigned long sd_syscall_arg(struct pt_regs *regs, int idx, bool ia32) {
	if(ia32) {
		/* ia32 order: ebx, ecx, edx, esi, edi, ebp */
		switch(idx) {
		case 0:
			return (__u32)BPF_CORE_READ(regs, bx);
		case 1:
			return (__u32)BPF_CORE_READ(regs, cx);
		case 2:
			return (__u32)BPF_CORE_READ(regs, dx);
		case 3:
			return (__u32)BPF_CORE_READ(regs, si);
		case 4:
			return (__u32)BPF_CORE_READ(regs, di);
		default:
			return (__u32)BPF_CORE_READ(regs, bp);
		}
	}
	/* x86_64 order: rdi, rsi, rdx, r10, r8, r9 */
	switch(idx) {
	case 0:
		return BPF_CORE_READ(regs, di);
	case 1:
		return BPF_CORE_READ(regs, si);
	case 2:
		return BPF_CORE_READ(regs, dx);
	case 3:
		return BPF_CORE_READ(regs, r10);
	case 4:
		return BPF_CORE_READ(regs, r8);
	default:
		return BPF_CORE_READ(regs, r9);
	}
}
