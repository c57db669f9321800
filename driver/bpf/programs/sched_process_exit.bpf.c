/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Process (thread) exit: PPME_PROCEXIT_1_E, 5 parameters.
 * TP_PROTO(struct task_struct *p) (a `bool group_dead` was added in 6.15; unused)
 */
#include "../helpers/store/frame.h"
#include "../helpers/extract/task.h"

#define SD_MAX_THREAD_SCAN 16

/* A live thread of the exiting task's group, which inherits its children first. */
static __always_inline __s64 sd_alive_thread(struct task_struct *task) {
	struct signal_struct *signal = BPF_CORE_READ(task, signal);
	struct list_head *head = &signal->thread_head;
	struct list_head *node = BPF_CORE_READ(head, next);
	for(int i = 0; i < SD_MAX_THREAD_SCAN; i++) {
		if(node == head) {
			return 0;
		}
		struct task_struct *t = container_of(node, struct task_struct, thread_node);
		if(!(BPF_CORE_READ(t, flags) & SD_PF_EXITING)) {
			return BPF_CORE_READ(t, pid);
		}
		node = BPF_CORE_READ(t, thread_node.next);
	}
	return -1; /* too many threads to scan */
}

#define SD_MAX_ANCESTOR_SCAN 16

/*
 * The kernel's find_new_reaper past the thread group (kernel/exit.c; libs modern_bpf
 * sched_process_exit.bpf.c): a live thread of the nearest ancestor in the exiting task's pid
 * namespace that is a child subreaper (prctl PR_SET_CHILD_SUBREAPER); 0 when the walk reaches
 * the namespace's init `init` or leaves the namespace (the init reaps); -1 when the walk or a
 * thread scan is too long.
 */
static __always_inline __s64 sd_subreaper_thread(struct task_struct *task, struct task_struct *init) {
	__u32 level = BPF_CORE_READ(task, thread_pid, level);
	struct task_struct *p = BPF_CORE_READ(task, real_parent);
	for(int i = 0; i < SD_MAX_ANCESTOR_SCAN; i++) {
		if(!p || p == init || BPF_CORE_READ(p, thread_pid, level) != level) {
			return 0;
		}
		struct signal_struct *signal = BPF_CORE_READ(p, signal);
		if(BPF_CORE_READ_BITFIELD_PROBED(signal, is_child_subreaper)) {
			__s64 t = sd_alive_thread(p);
			if(t != 0) {
				return t;
			}
		}
		p = BPF_CORE_READ(p, real_parent);
	}
	return -1;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sd_sched_process_exit, struct task_struct *task) {
	struct sd_frame f;
	if(!sd_frame_begin(&f, SD_PPME_PROCEXIT_1_E, SD_NPARAMS_PROCEXIT)) {
		return 0;
	}
	__s32 exit_code = BPF_CORE_READ(task, exit_code);

	/* Parameter 1: status (PT_ERRNO): the raw wait status */
	sd_push_s64(&f, exit_code);

	/* Parameter 2: ret (PT_ERRNO): WEXITSTATUS */
	sd_push_s64(&f, (exit_code >> 8) & 0xff);

	/* Parameter 3: sig (PT_SIGTYPE): WTERMSIG when killed by a signal */
	__u8 sig = exit_code & 0x7f;
	sd_push_u8(&f, (sig != 0 && sig != 0x7f) ? sig : 0);

	/* Parameter 4: core (PT_UINT8): WCOREDUMP */
	sd_push_u8(&f, (exit_code & 0x80) ? 1 : 0);

	/* Parameter 5: reaper_tid (PT_PID): 0 without children; a live thread of the
	 * group, else of the nearest child-subreaper ancestor, else the namespace's init
	 * (0 when the init itself exits); empty when a scan was too long (userspace then
	 * applies the kernel's reparenting rules). */
	struct list_head *children = &task->children;
	if(BPF_CORE_READ(children, next) == children) {
		sd_push_s64(&f, 0);
	} else {
		__s64 reaper = sd_alive_thread(task);
		struct signal_struct *signal = BPF_CORE_READ(task, signal);
		struct pid_namespace *ns = sd_ns_of_pid(BPF_CORE_READ(task, thread_pid));
		struct task_struct *init = BPF_CORE_READ(ns, child_reaper);
		if(reaper == 0 && init != task && BPF_CORE_READ_BITFIELD_PROBED(signal, has_child_subreaper)) {
			reaper = sd_subreaper_thread(task, init);
		}
		if(reaper > 0) {
			sd_push_s64(&f, reaper);
		} else if(reaper == 0) {
			sd_push_s64(&f, init == task ? 0 : BPF_CORE_READ(init, pid));
		} else {
			sd_push_empty(&f);
		}
	}

	sd_frame_submit(&f);
	return 0;
}
