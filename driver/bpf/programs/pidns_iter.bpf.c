/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Task iterator run once by the loader before it writes the process table: one
 * struct sd_pidns_start per pid namespace other than the initial one, from its
 * init task (child reaper), whose start_boottime /proc only shows in clock ticks.
 * The table then gives processes alive at start the same ns-exact
 * pidns_init_start_ts as the clone exits give new ones.
 */
#include "../helpers/extract/task.h"

SEC("iter/task")
int sd_pidns_iter(struct bpf_iter__task *ctx) {
	struct task_struct *task = ctx->task;
	if(!task) {
		return 0;
	}
	struct pid_namespace *ns = sd_ns_of_pid(BPF_CORE_READ(task, thread_pid));
	if(!ns || BPF_CORE_READ(ns, level) == 0 || BPF_CORE_READ(ns, child_reaper) != task) {
		return 0;
	}
	struct sd_pidns_start rec = {
	        .ns_ino = BPF_CORE_READ(ns, ns.inum),
	        .start_boot_ns = sd_task_start_boot_ns(task),
	};
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
