/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Exits of write, pwrite64, writev, pwritev, copy_file_range and sendfile: only
 * the first successful write to a file after it was opened for writing is sent
 * (helpers/events/write.h). Tail-called from sd_sys_exit.
 */
#include "../helpers/events/write.h"
#include "../helpers/extract/syscall.h"

/* fd of every call here is argument `idx`, a 32-bit int */
static __always_inline long fd_arg(struct pt_regs *regs, int idx, bool ia32) {
	return (__s32)sd_syscall_arg(regs, idx, ia32);
}

/* write(fd, buf, count) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_write_x, struct pt_regs *regs, long ret) {
	bool ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
	long fd = fd_arg(regs, 0, ia32);
	if(sd_first_write(ret, fd)) {
		sd_emit_write_x(SD_PPME_SYSCALL_WRITE_X, SD_NPARAMS_WRITE, ret, fd,
		                sd_syscall_arg(regs, 2, ia32), 0);
	}
	return 0;
}

/* pwrite64(fd, buf, count, pos) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_pwrite64_x, struct pt_regs *regs, long ret) {
	bool ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
	long fd = fd_arg(regs, 0, ia32);
	if(sd_first_write(ret, fd)) {
		sd_emit_write_x(SD_PPME_SYSCALL_PWRITE_X, SD_NPARAMS_PWRITE, ret, fd,
		                sd_syscall_arg(regs, 2, ia32), sd_syscall_arg(regs, 3, ia32));
	}
	return 0;
}

/* writev(fd, iov, iovcnt) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_writev_x, struct pt_regs *regs, long ret) {
	bool ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
	long fd = fd_arg(regs, 0, ia32);
	if(sd_first_write(ret, fd)) {
		__u32 size = sd_iovec_total(sd_syscall_arg(regs, 1, ia32), sd_syscall_arg(regs, 2, ia32), ia32);
		sd_emit_write_x(SD_PPME_SYSCALL_WRITEV_X, SD_NPARAMS_WRITE, ret, fd, size, 0);
	}
	return 0;
}

/* pwritev(fd, iov, iovcnt, pos_l, pos_h): pos is argument 3, as libs */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_pwritev_x, struct pt_regs *regs, long ret) {
	bool ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
	long fd = fd_arg(regs, 0, ia32);
	if(sd_first_write(ret, fd)) {
		__u32 size = sd_iovec_total(sd_syscall_arg(regs, 1, ia32), sd_syscall_arg(regs, 2, ia32), ia32);
		sd_emit_write_x(SD_PPME_SYSCALL_PWRITEV_X, SD_NPARAMS_PWRITE, ret, fd, size,
		                sd_syscall_arg(regs, 3, ia32));
	}
	return 0;
}

/* copy_file_range(fd_in, off_in *, fd_out, off_out *, len, flags) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_copy_file_range_x, struct pt_regs *regs, long ret) {
	bool ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
	long fdout = fd_arg(regs, 2, ia32);
	if(sd_first_write(ret, fdout)) {
		sd_emit_copy_file_range_x(ret, fdout, sd_syscall_arg(regs, 3, ia32), fd_arg(regs, 0, ia32),
		                          sd_syscall_arg(regs, 1, ia32), sd_syscall_arg(regs, 4, ia32));
	}
	return 0;
}

/* sendfile(out_fd, in_fd, off_t *offset, count) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_sendfile_x, struct pt_regs *regs, long ret) {
	bool ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
	long out_fd = fd_arg(regs, 0, ia32);
	if(sd_first_write(ret, out_fd)) {
		sd_emit_sendfile_x(ret, sd_syscall_arg(regs, 2, ia32), out_fd, fd_arg(regs, 1, ia32),
		                   sd_syscall_arg(regs, 3, ia32));
	}
	return 0;
}
