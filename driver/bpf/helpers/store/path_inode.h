/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 2 (store): sd_path_inode_map (base/maps.h), the inode last seen at a path.
 * Opens for writing fill it, renames and links carry entries along, and an exec of
 * a `#!` script reads it: by then the kernel has dropped the script's struct file,
 * and only its path (bprm->filename) is left to find the inode by.
 *
 * The inode pointer is used only while its number and device still match the
 * entry's: an inode freed and reused for another file does not pass.
 */
#pragma once

#include "path.h"
#include "../extract/file.h"

/* An open for writing: the file named at `pb` (its path) is `file`'s inode. */
static __always_inline void sd_path_inode_remember(struct sd_path_buf *pb, struct file *file,
                                                   const struct sd_inode_key *key) {
	struct sd_path_inode v = {
	        .inode = (__u64)sd_file_inode(file),
	        .ino = key->ino,
	        .dev = key->dev,
	};
	__u64 hash = sd_path_hash(pb);
	bpf_map_update_elem(&sd_path_inode_map, &hash, &v, BPF_ANY);
}

/* The inode at the path in `pb` (absolute), or NULL when none is known. */
static __always_inline struct inode *sd_path_inode_lookup(struct sd_path_buf *pb) {
	__u64 hash = sd_path_hash(pb);
	struct sd_path_inode *v = bpf_map_lookup_elem(&sd_path_inode_map, &hash);
	if(!v) {
		return NULL;
	}
	struct inode *inode = (struct inode *)v->inode;
	struct sd_inode_key key;
	sd_inode_key(inode, &key);
	return key.ino == v->ino && key.dev == v->dev ? inode : NULL;
}

#define SD_PATH_MOVE 0     /* rename: the file left oldpath for newpath */
#define SD_PATH_LINK 1     /* link: the file is at both */
#define SD_PATH_EXCHANGE 2 /* renameat2(RENAME_EXCHANGE): the two files swapped */

/* sd_path_inode_map after a successful rename or link: entries follow their files. */
static __always_inline void sd_path_inode_move(struct sd_path_buf *oldpath, struct sd_path_buf *newpath,
                                               int how) {
	__u64 old_key = sd_path_hash(oldpath);
	__u64 new_key = sd_path_hash(newpath);
	struct sd_path_inode at_old = {}, at_new = {};
	struct sd_path_inode *v = bpf_map_lookup_elem(&sd_path_inode_map, &old_key);
	bool known_old = v != NULL, known_new = false;
	if(v) {
		at_old = *v;
	}
	if(how == SD_PATH_EXCHANGE) {
		v = bpf_map_lookup_elem(&sd_path_inode_map, &new_key);
		known_new = v != NULL;
		if(v) {
			at_new = *v;
		}
	}
	/* newpath now names oldpath's file: known, or unknown (an older entry is stale) */
	if(known_old) {
		bpf_map_update_elem(&sd_path_inode_map, &new_key, &at_old, BPF_ANY);
	} else {
		bpf_map_delete_elem(&sd_path_inode_map, &new_key);
	}
	if(how == SD_PATH_EXCHANGE && known_new) {
		bpf_map_update_elem(&sd_path_inode_map, &old_key, &at_new, BPF_ANY);
	} else if(how != SD_PATH_LINK) {
		bpf_map_delete_elem(&sd_path_inode_map, &old_key);
	}
}
