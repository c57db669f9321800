/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 2 (store): the marks of sd_written_map (base/maps.h). An open for writing
 * marks the file's inode; the write family looks the mark up on every successful
 * exit, in the dispatcher (programs/sys_exit.bpf.c) so that an unmarked write
 * costs no tail call, and the first write takes it (events/write.h).
 */
#pragma once

#include "../extract/file.h"
#include "../extract/exe.h"
#include "../extract/syscall.h"

static __always_inline void sd_written_mark(struct inode *inode) {
	__u64 key = (__u64)inode;
	__u8 marked = 1;
	bpf_map_update_elem(&sd_written_map, &key, &marked, BPF_ANY);
}

/* The inode written through `fd` by the current task, or NULL. */
static __always_inline struct inode *sd_written_inode(long fd) {
	return sd_file_inode(sd_task_fd_file(bpf_get_current_task_btf(), fd));
}

/* Is the file written through `fd` marked? A lookup only: the common case takes no lock. */
static __always_inline bool sd_written_is_marked(long fd) {
	__u64 key = (__u64)sd_written_inode(fd);
	return key && bpf_map_lookup_elem(&sd_written_map, &key) != NULL;
}

/* Take the mark of the file written through `fd`: true for the one writer that removed it. */
static __always_inline bool sd_written_take(long fd) {
	__u64 key = (__u64)sd_written_inode(fd);
	return key && bpf_map_delete_elem(&sd_written_map, &key) == 0;
}

/*
 * The written descriptor of a write-family syscall `nr` (x86_64 number), or -1 for
 * any other syscall.
 */
static __always_inline long sd_written_fd(__u32 nr, struct pt_regs *regs, bool ia32) {
	switch(nr) {
	case SD_NR_WRITE:
	case SD_NR_PWRITE64:
	case SD_NR_WRITEV:
	case SD_NR_PWRITEV:
	case SD_NR_SENDFILE:
		return (__s32)sd_syscall_arg(regs, 0, ia32);
	case SD_NR_COPY_FILE_RANGE:
		return (__s32)sd_syscall_arg(regs, 2, ia32);
	default:
		return -1;
	}
}
