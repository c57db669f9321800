/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Exits of open, openat, openat2 and creat that opened a regular file for writing
 * (helpers/events/open.h). Tail-called from sd_sys_exit.
 */
#include "../helpers/events/open.h"
#include "../helpers/extract/syscall.h"

static __always_inline bool ia32(void) {
	return sd_in_ia32_syscall(bpf_get_current_task_btf());
}

/* open(const char *name, int flags, umode_t mode) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_open_x, struct pt_regs *regs, long ret) {
	bool c = ia32();
	sd_emit_open_x(ret, sd_syscall_arg(regs, 1, c), sd_syscall_arg(regs, 2, c));
	return 0;
}

/* openat(int dirfd, const char *name, int flags, umode_t mode) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_openat_x, struct pt_regs *regs, long ret) {
	bool c = ia32();
	sd_emit_openat_x(ret, sd_syscall_arg(regs, 0, c), sd_syscall_arg(regs, 2, c),
	                 sd_syscall_arg(regs, 3, c));
	return 0;
}

/* openat2(int dirfd, const char *name, struct open_how *how, size_t size) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_openat2_x, struct pt_regs *regs, long ret) {
	if(ret < 0) {
		return 0;
	}
	bool c = ia32();
	struct open_how how = {};
	if(bpf_probe_read_user(&how, sizeof(how), (void *)sd_syscall_arg(regs, 2, c)) != 0) {
		sd_count(SD_CNT_READ_FAULT);
		return 0; /* no flags: write intent unknown */
	}
	sd_emit_openat2_x(ret, sd_syscall_arg(regs, 0, c), how.flags, how.mode, how.resolve);
	return 0;
}

/* creat(const char *name, umode_t mode) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_creat_x, struct pt_regs *regs, long ret) {
	sd_emit_creat_x(ret, sd_syscall_arg(regs, 1, ia32()));
	return 0;
}
