/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Exits of link and linkat (helpers/events/rename_link.h). Tail-called from
 * sd_sys_exit.
 */
#include "../helpers/events/rename_link.h"
#include "../helpers/extract/syscall.h"

static __always_inline struct sd_scratch *scratch(void) {
	__u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&sd_scratch_map, &cpu);
}

/* link(oldpath, newpath) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_link_x, struct pt_regs *regs, long ret) {
	struct task_struct *task = bpf_get_current_task_btf();
	bool ia32 = sd_in_ia32_syscall(task);
	struct sd_scratch *s = scratch();
	struct sd_path_pair pair;
	if(ret < 0 || !s) {
		return 0;
	}
	sd_resolve_path_pair(s, task, SD_AT_FDCWD, sd_syscall_arg(regs, 0, ia32), SD_AT_FDCWD,
	                     sd_syscall_arg(regs, 1, ia32), SD_PATH_LINK, &pair);
	sd_emit_path_pair_x(SD_PPME_SYSCALL_LINK_2_X, ret, pair.old, pair.new);
	return 0;
}

/* linkat(olddirfd, oldpath, newdirfd, newpath, flags): libs' linkat_flags_to_scap() keeps
 * AT_SYMLINK_FOLLOW and AT_EMPTY_PATH, whose PPM_AT_* values are the kernel's */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_linkat_x, struct pt_regs *regs, long ret) {
	struct task_struct *task = bpf_get_current_task_btf();
	bool ia32 = sd_in_ia32_syscall(task);
	struct sd_scratch *s = scratch();
	struct sd_path_pair pair;
	if(ret < 0 || !s) {
		return 0;
	}
	unsigned long olddirfd = sd_syscall_arg(regs, 0, ia32), newdirfd = sd_syscall_arg(regs, 2, ia32);
	__u32 flags = sd_syscall_arg(regs, 4, ia32) & (SD_AT_SYMLINK_FOLLOW | SD_AT_EMPTY_PATH);
	sd_resolve_path_pair(s, task, olddirfd, sd_syscall_arg(regs, 1, ia32), newdirfd,
	                     sd_syscall_arg(regs, 3, ia32), SD_PATH_LINK, &pair);
	sd_emit_path_pair_at_x(SD_PPME_SYSCALL_LINKAT_2_X, SD_NPARAMS_RENAMEAT2, ret, olddirfd, newdirfd,
	                       pair.old, pair.new, flags);
	return 0;
}
