/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Successful execve() and execveat(): PPME_SYSCALL_EXECVE_19_X with res = 0,
 * emitted when the new image is in place (tracepoint sched_process_exec), in
 * three stages, four for a script (see helpers/events/exec.h). Stage 1 first takes
 * the enforcement decision (helpers/act/enforce.h).
 * TP_PROTO(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
 */
#include "../helpers/events/exec.h"
#include "../helpers/act/enforce.h"

int sd_sched_process_exec_2(unsigned long long *ctx);
int sd_sched_process_exec_3(unsigned long long *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SD_EXEC_STAGES);
	__uint(key_size, sizeof(__u32));
	__array(values, int(void *));
} sd_exec_stages SEC(".maps") = {
        /* SD_EXEC_STAGE_SCRIPT is set by the loader: the program needs bpf_loop() */
        .values = {[SD_EXEC_STAGE_2] = (void *)&sd_sched_process_exec_2,
                   [SD_EXEC_STAGE_3] = (void *)&sd_sched_process_exec_3},
};

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sd_sched_process_exec, struct task_struct *p, pid_t old_pid,
             struct linux_binprm *bprm) {
	if(BPF_CORE_READ(p, flags) & SD_PF_KTHREAD) {
		return 0;
	}
	/* Enforcement first, whatever becomes of the event: kill before the first instruction. */
	__u32 cpu = bpf_get_smp_processor_id();
	struct sd_scratch *s = bpf_map_lookup_elem(&sd_scratch_map, &cpu);
	if(s) {
		s->enforce_flags = sd_enforce_exec(p, s->name.buf);
	}
	struct sd_exec_src src = {.success = true};
	struct sd_frame f;
	if(sd_exec_stage1(&f, SD_PPME_SYSCALL_EXECVE_19_X, SD_NPARAMS_EXECVE, 0, &src)) {
		bpf_tail_call(ctx, &sd_exec_stages, SD_EXEC_STAGE_2);
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sd_sched_process_exec_2, struct task_struct *p, pid_t old_pid,
             struct linux_binprm *bprm) {
	struct sd_exec_src src = {.success = true};
	struct sd_frame f;
	if(sd_exec_stage2(&f, &src)) {
		if(sd_bprm_is_script(bprm)) {
			bpf_tail_call(ctx, &sd_exec_stages, SD_EXEC_STAGE_SCRIPT);
			/* no script stage on this kernel: the script is described as unknown */
			__u32 cpu = bpf_get_smp_processor_id();
			struct sd_scratch *s = bpf_map_lookup_elem(&sd_scratch_map, &cpu);
			if(s) {
				s->script_inode = 0;
				s->script_path = 0;
			}
		}
		bpf_tail_call(ctx, &sd_exec_stages, SD_EXEC_STAGE_3);
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sd_sched_process_exec_script, struct task_struct *p, pid_t old_pid,
             struct linux_binprm *bprm) {
	sd_exec_stage_script(bprm);
	bpf_tail_call(ctx, &sd_exec_stages, SD_EXEC_STAGE_3);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sd_sched_process_exec_3, struct task_struct *p, pid_t old_pid,
             struct linux_binprm *bprm) {
	bool script = sd_bprm_is_script(bprm);
	__u32 cpu = bpf_get_smp_processor_id();
	struct sd_scratch *s = bpf_map_lookup_elem(&sd_scratch_map, &cpu);
	struct sd_frame f;
	if(!s || !sd_exec_stage3(&f, script, script ? (struct inode *)s->script_inode : NULL, s->enforce_flags)) {
		return 0;
	}
	if(script && s->script_path) {
		/* Parameter 31: filename (PT_FSPATH): the script, made absolute */
		sd_push_path_buf(&f, &s->out[0]);
	} else {
		/* Parameter 31: filename (PT_FSPATH): bprm->filename, the path given to exec */
		sd_push_kernel_str(&f, BPF_CORE_READ(bprm, filename), SD_MAX_PATH);
	}
	sd_frame_submit(&f);
	return 0;
}
