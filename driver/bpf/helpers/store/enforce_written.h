/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 2 (store): who last opened a file for writing, for enforcement
 * (act/enforce.h). Keyed by the file's identity (encoded dev, inode number, as the
 * open events send it); the value names the writer by its executable's identity,
 * which the loader compares against the trusted writers it resolved from their
 * paths. Only while enforcement is on: otherwise nothing is stored.
 */
#pragma once

#include "../extract/exe.h"
#include "../extract/file.h"

static __always_inline bool sd_enforce_active(void) {
	__u32 zero = 0;
	struct sd_enforce_cfg *cfg = bpf_map_lookup_elem(&sd_enforce_cfg_map, &zero);
	return cfg && cfg->mode != SD_ENFORCE_OFF;
}

/* The current task opened the file `key` for writing: it is the file's last writer. */
static __always_inline void sd_enforce_note_writer(const struct sd_inode_key *key) {
	if(!sd_enforce_enabled || !sd_enforce_active()) {
		return;
	}
	struct task_struct *task = bpf_get_current_task_btf();
	struct inode *exe = sd_file_inode(sd_task_exe_file(task));
	struct sd_enforce_writer w = {.tgid = task->tgid};
	if(exe) {
		struct sd_inode_key ek;
		sd_inode_key(exe, &ek);
		w.exe_ino = ek.ino;
		w.exe_dev = ek.dev;
	}
	bpf_map_update_elem(&sd_enforce_written_map, key, &w, BPF_ANY);
}
