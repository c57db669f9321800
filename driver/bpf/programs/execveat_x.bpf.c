/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Failed execveat() exit: PPME_SYSCALL_EXECVEAT_X (30 parameters) with res < 0,
 * in three stages (see helpers/events/exec.h). Stage 1 is tail-called from
 * sd_sys_exit. A successful execveat is emitted by sd_sched_process_exec as an
 * execve, as libs' drivers do.
 */
#include "../helpers/events/exec.h"
#include "../helpers/extract/syscall.h"

int sd_execveat_x_2(unsigned long long *ctx);
int sd_execveat_x_3(unsigned long long *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SD_EXEC_STAGES);
	__uint(key_size, sizeof(__u32));
	__array(values, int(void *));
} sd_execveat_x_stages SEC(".maps") = {
        .values = {[SD_EXEC_STAGE_2] = (void *)&sd_execveat_x_2,
                   [SD_EXEC_STAGE_3] = (void *)&sd_execveat_x_3},
};

/* execveat(dirfd, pathname, argv, envp, flags) */
static __always_inline void execveat_src(struct pt_regs *regs, struct sd_exec_src *src) {
	src->success = false;
	src->ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
	src->argv = sd_syscall_arg(regs, 2, src->ia32);
	src->envp = sd_syscall_arg(regs, 3, src->ia32);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sd_execveat_x, struct pt_regs *regs, long ret) {
	if(ret == 0) {
		return 0;
	}
	struct sd_exec_src src;
	struct sd_frame f;
	execveat_src(regs, &src);
	if(sd_exec_stage1(&f, SD_PPME_SYSCALL_EXECVEAT_X, SD_NPARAMS_EXECVEAT, ret, &src)) {
		bpf_tail_call(ctx, &sd_execveat_x_stages, SD_EXEC_STAGE_2);
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sd_execveat_x_2, struct pt_regs *regs, long ret) {
	struct sd_exec_src src;
	struct sd_frame f;
	execveat_src(regs, &src);
	if(sd_exec_stage2(&f, &src)) {
		bpf_tail_call(ctx, &sd_execveat_x_stages, SD_EXEC_STAGE_3);
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sd_execveat_x_3, struct pt_regs *regs, long ret) {
	struct sd_frame f;
	if(sd_exec_stage3(&f, false, NULL, 0)) {
		sd_frame_submit(&f);
	}
	return 0;
}
