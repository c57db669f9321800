/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* clone3() exit, parent and child side: PPME_SYSCALL_CLONE3_X. Tail-called from sd_sys_exit. */
#include "../helpers/events/clone.h"
#include "../helpers/extract/syscall.h"

SEC("tp_btf/sys_exit")
int BPF_PROG(sd_clone3_x, struct pt_regs *regs, long ret) {
	bool ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
	unsigned long uargs = sd_syscall_arg(regs, 0, ia32);
	unsigned long usize = sd_syscall_arg(regs, 1, ia32);
	__u64 flags = 0;
	/* struct clone_args starts with `__u64 flags`; the child shares the parent's copy. */
	if(uargs && usize >= sizeof(flags) &&
	   bpf_probe_read_user(&flags, sizeof(flags), (void *)uargs) != 0) {
		sd_count(SD_CNT_READ_FAULT);
		flags = 0;
	}
	sd_emit_clone_x(SD_PPME_SYSCALL_CLONE3_X, ret, flags);
	return 0;
}
