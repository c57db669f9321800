/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Exits of chmod, fchmodat, fchmodat2 and fchmod (helpers/events/chmod.h).
 * Tail-called from sd_sys_exit. A path that cannot be made absolute (too long,
 * unreadable) is sent empty.
 */
#include "../helpers/events/chmod.h"
#include "../helpers/extract/syscall.h"

/* chmod(filename, mode) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_chmod_x, struct pt_regs *regs, long ret) {
	struct task_struct *task = bpf_get_current_task_btf();
	bool ia32 = sd_in_ia32_syscall(task);
	__u32 cpu = bpf_get_smp_processor_id();
	struct sd_scratch *s = bpf_map_lookup_elem(&sd_scratch_map, &cpu);
	if(ret < 0 || !s) {
		return 0;
	}
	bool ok = sd_path_resolve_arg(s, &s->out[0], task, SD_AT_FDCWD, (void *)sd_syscall_arg(regs, 0, ia32), true);
	sd_emit_chmod_x(ret, ok ? &s->out[0] : NULL, sd_syscall_arg(regs, 1, ia32));
	return 0;
}

/* fchmodat(dirfd, filename, mode), fchmodat2(dirfd, filename, mode, flags) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_fchmodat_x, struct pt_regs *regs, long ret) {
	struct task_struct *task = bpf_get_current_task_btf();
	bool ia32 = sd_in_ia32_syscall(task);
	__u32 cpu = bpf_get_smp_processor_id();
	struct sd_scratch *s = bpf_map_lookup_elem(&sd_scratch_map, &cpu);
	if(ret < 0 || !s) {
		return 0;
	}
	unsigned long dirfd = sd_syscall_arg(regs, 0, ia32);
	bool ok = sd_path_resolve_arg(s, &s->out[0], task, dirfd, (void *)sd_syscall_arg(regs, 1, ia32), true);
	sd_emit_fchmodat_x(ret, dirfd, ok ? &s->out[0] : NULL, sd_syscall_arg(regs, 2, ia32));
	return 0;
}

/* fchmod(fd, mode) */
SEC("tp_btf/sys_exit")
int BPF_PROG(sd_fchmod_x, struct pt_regs *regs, long ret) {
	if(ret >= 0) {
		bool ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
		sd_emit_fchmod_x(ret, (__s32)sd_syscall_arg(regs, 0, ia32), sd_syscall_arg(regs, 1, ia32));
	}
	return 0;
}
