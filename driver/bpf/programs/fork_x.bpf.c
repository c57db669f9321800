/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* fork() exit, parent and child side: PPME_SYSCALL_FORK_20_X. Tail-called from sd_sys_exit. */
#include "../helpers/events/clone.h"

SEC("tp_btf/sys_exit")
int BPF_PROG(sd_fork_x, struct pt_regs *regs, long ret) {
	/* fork() takes no flags; libs sends 0 plus the pid-namespace bit. */
	sd_emit_clone_x(SD_PPME_SYSCALL_FORK_20_X, ret, 0);
	return 0;
}
