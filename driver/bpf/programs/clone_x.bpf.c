/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* clone() exit, parent and child side: PPME_SYSCALL_CLONE_20_X. Tail-called from sd_sys_exit. */
#include "../helpers/events/clone.h"
#include "../helpers/extract/syscall.h"

SEC("tp_btf/sys_exit")
int BPF_PROG(sd_clone_x, struct pt_regs *regs, long ret) {
	bool ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
	/* x86 passes the flags first in both modes (no CONFIG_CLONE_BACKWARDS2). */
	__u64 flags = sd_syscall_arg(regs, 0, ia32);
	sd_emit_clone_x(SD_PPME_SYSCALL_CLONE_20_X, ret, flags);
	return 0;
}
