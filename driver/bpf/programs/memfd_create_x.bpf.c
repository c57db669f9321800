/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* memfd_create() exit (helpers/events/memfd.h). Tail-called from sd_sys_exit. */
#include "../helpers/events/memfd.h"
#include "../helpers/extract/syscall.h"

/* memfd_create(const char *name, unsigned int flags) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_memfd_create_x, struct pt_regs *regs, long ret) {
	if(ret >= 0) {
		sd_emit_memfd_create_x(ret, sd_syscall_arg(regs, 1, sd_in_ia32_syscall(bpf_get_current_task_btf())));
	}
	return 0;
}
