/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Failed execve() exit: PPME_SYSCALL_EXECVE_19_X with res < 0, in three stages
 * (see helpers/events/exec.h). Stage 1 is tail-called from sd_sys_exit. A
 * successful execve is emitted by sd_sched_process_exec.
 */
#include "../helpers/events/exec.h"
#include "../helpers/extract/syscall.h"

int sd_execve_x_2(unsigned long long *ctx);
int sd_execve_x_3(unsigned long long *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SD_EXEC_STAGES);
	__uint(key_size, sizeof(__u32));
	__array(values, int(void *));
} sd_execve_x_stages SEC(".maps") = {
        .values = {[SD_EXEC_STAGE_2] = (void *)&sd_execve_x_2,
                   [SD_EXEC_STAGE_3] = (void *)&sd_execve_x_3},
};

/* execve(filename, argv, envp) */
static __always_inline void execve_src(struct pt_regs *regs, struct sd_exec_src *src) {
	src->success = false;
	src->ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());
	src->argv = sd_syscall_arg(regs, 1, src->ia32);
	src->envp = sd_syscall_arg(regs, 2, src->ia32);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sd_execve_x, struct pt_regs *regs, long ret) {
	if(ret == 0) {
		return 0;
	}
	struct sd_exec_src src;
	struct sd_frame f;
	execve_src(regs, &src);
	if(sd_exec_stage1(&f, SD_PPME_SYSCALL_EXECVE_19_X, SD_NPARAMS_EXECVE, ret, &src)) {
		bpf_tail_call(ctx, &sd_execve_x_stages, SD_EXEC_STAGE_2);
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sd_execve_x_2, struct pt_regs *regs, long ret) {
	struct sd_exec_src src;
	struct sd_frame f;
	execve_src(regs, &src);
	if(sd_exec_stage2(&f, &src)) {
		bpf_tail_call(ctx, &sd_execve_x_stages, SD_EXEC_STAGE_3);
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sd_execve_x_3, struct pt_regs *regs, long ret) {
	struct sd_frame f;
	if(!sd_exec_stage3(&f, false, NULL, 0)) {
		return 0;
	}
	bool ia32 = sd_in_ia32_syscall(bpf_get_current_task_btf());

	/* Parameter 31: filename (PT_FSPATH), as the caller passed it */
	sd_push_user_str(&f, (void *)sd_syscall_arg(regs, 0, ia32), SD_MAX_PATH);

	sd_frame_submit(&f);
	return 0;
}
