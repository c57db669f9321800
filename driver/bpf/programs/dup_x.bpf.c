/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Exits of dup, dup2 and dup3 whose new descriptor names a file opened for writing and
 * not written yet (helpers/events/dup.h). Tail-called from sd_sys_exit.
 */
#include "../helpers/events/dup.h"
#include "../helpers/extract/syscall.h"

/* dup(oldfd) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_dup_x, struct pt_regs *regs, long ret) {
	bool ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
	sd_emit_dup_x(SD_PPME_SYSCALL_DUP_1_X, SD_NPARAMS_DUP_1, ret, (__s32)sd_syscall_arg(regs, 0, ia32), 0, 0);
	return 0;
}

/* dup2(oldfd, newfd) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_dup2_x, struct pt_regs *regs, long ret) {
	bool ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
	sd_emit_dup_x(SD_PPME_SYSCALL_DUP2_X, SD_NPARAMS_DUP2, ret, (__s32)sd_syscall_arg(regs, 0, ia32),
	              (__s32)sd_syscall_arg(regs, 1, ia32), 0);
	return 0;
}

/* dup3(oldfd, newfd, flags) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_dup3_x, struct pt_regs *regs, long ret) {
	bool ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
	sd_emit_dup_x(SD_PPME_SYSCALL_DUP3_X, SD_NPARAMS_DUP3, ret, (__s32)sd_syscall_arg(regs, 0, ia32),
	              (__s32)sd_syscall_arg(regs, 1, ia32), (__u32)sd_syscall_arg(regs, 2, ia32));
	return 0;
}
