/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The one program attached to sys_exit: it finds the returning syscall's number
 * (x86_64, or ia32 compat mapped to x86_64) and tail-calls the program the loader
 * registered for it in sd_sys_exit_tails. Syscalls without a program return here.
 *
 * Writes are the one hot path: all but the first write after an open for writing
 * are dropped here, by a lookup in sd_written_map, because a tail call costs as
 * much as the lookup itself (driver/bpf/README.md, "File events").
 */
#include "../helpers/base/maps.h"
#include "../helpers/extract/syscall.h"
#include "../helpers/store/written.h"

SEC("tp_btf/sys_exit")
int BPF_PROG(sd_sys_exit, struct pt_regs *regs, long ret) {
	__u32 nr = (__u32)regs->orig_ax;
	bool ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
	if(ia32) {
		nr = sd_ia32_to_x64(nr);
	}
	if(nr >= SD_SYSCALL_TABLE_SIZE) {
		return 0;
	}
	long written_fd = sd_written_fd(nr, regs, ia32);
	if(written_fd >= 0 && (ret < 0 || !sd_written_is_marked(written_fd))) {
		return 0;
	}
	bpf_tail_call(ctx, &sd_sys_exit_tails, nr);
	return 0;
}
