/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The one program attached to sys_exit: it finds the returning syscall's number
 * (x86_64, or ia32 compat mapped to x86_64) and tail-calls the program the loader
 * registered for it in sd_sys_exit_tails. Syscalls without a program return here.
 */
#include "../helpers/base/maps.h"
#include "../helpers/extract/syscall.h"

SEC("tp_btf/sys_exit")
int BPF_PROG(sd_sys_exit, struct pt_regs *regs, long ret) {
	__u32 nr = (__u32)regs->orig_ax;
	if(sd_in_ia32_syscall(bpf_get_current_task_btf())) {
		nr = sd_ia32_to_x64(nr);
	}
	if(nr >= SD_SYSCALL_TABLE_SIZE) {
		return 0;
	}
	bpf_tail_call(ctx, &sd_sys_exit_tails, nr);
	return 0;
}
