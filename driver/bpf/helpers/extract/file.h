/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 1 (extract): the open file behind a descriptor of the current task, and
 * the identity of its inode (superblock dev, inode number) as the file events
 * send it. Reads only.
 */
#pragma once

#include "../base/maps.h"

/*
 * The struct file installed at `fd` in the table of `task` (a BTF pointer, e.g.
 * bpf_get_current_task_btf()), or NULL. Runs on every write exit: direct loads
 * down to the table, one bpf_probe_read for the slot (a pointer to pointer is not
 * a BTF pointer).
 */
static __always_inline struct file *sd_task_fd_file(struct task_struct *task, long fd) {
	struct files_struct *files = task->files;
	if(fd < 0 || !files) {
		return NULL;
	}
	struct fdtable *fdt = files->fdt;
	if(!fdt || (unsigned long)fd >= fdt->max_fds) {
		return NULL;
	}
	struct file **fds = fdt->fd;
	struct file *file = NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/* dev_t as userspace sees it (new_encode_dev(), what stat() returns): libs' `dev`. */
static __always_inline __u32 sd_encode_dev(__u32 dev) {
	__u32 major = dev >> SD_MINORBITS;
	__u32 minor = dev & SD_MINORMASK;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* The inode's identity: encoded superblock dev and inode number (any inode pointer). */
static __always_inline void sd_inode_key(struct inode *inode, struct sd_inode_key *key) {
	key->ino = BPF_CORE_READ(inode, i_ino);
	key->dev = sd_encode_dev(BPF_CORE_READ(inode, i_sb, s_dev));
	key->pad = 0;
}

static __always_inline bool sd_inode_is_reg(struct inode *inode) {
	return (BPF_CORE_READ(inode, i_mode) & SD_S_IFMT) == SD_S_IFREG;
}
