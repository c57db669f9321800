/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 3 (events): the exits whose parameters are an old and a new path, libs'
 * order, successful calls only: rename (PPME_SYSCALL_RENAME_X), renameat
 * (RENAMEAT_X), renameat2 (RENAMEAT2_X), link (LINK_2_X), linkat (LINKAT_2_X).
 * Both paths are the caller's made absolute against the kernel's dirfd/cwd/root
 * (store/path.h, sd_path_resolve).
 *
 * sd_path_inode_map follows the file (store/path_inode.h), so a script written
 * under a temporary name and renamed into place is still found by its exec.
 */
#pragma once

#include "../store/frame.h"
#include "open.h"
#include "../store/path_inode.h"

/*
 * Both path arguments of a rename or link made absolute, in s->out[0] (old) and
 * s->out[1] (new); `old`/`new` point there, or are NULL for a path that cannot be
 * made absolute (too long, unreadable: sent empty). sd_path_inode_map follows the
 * file when both are known.
 */
struct sd_path_pair {
	struct sd_path_buf *old;
	struct sd_path_buf *new;
};

static __always_inline void sd_resolve_path_pair(struct sd_scratch *s, struct task_struct *task,
                                                 long olddirfd, unsigned long oldname, long newdirfd,
                                                 unsigned long newname, int how,
                                                 struct sd_path_pair *pair) {
	bool old_ok = sd_path_resolve_arg(s, &s->out[0], task, olddirfd, (void *)oldname, true);
	bool new_ok = sd_path_resolve_arg(s, &s->out[1], task, newdirfd, (void *)newname, true);
	pair->old = old_ok ? &s->out[0] : NULL;
	pair->new = new_ok ? &s->out[1] : NULL;
	if(old_ok && new_ok) {
		sd_path_inode_move(&s->out[0], &s->out[1], how);
	}
}

/* rename(oldpath, newpath), link(oldpath, newpath) */
static __always_inline void sd_emit_path_pair_x(__u16 type, long ret, struct sd_path_buf *oldpath,
                                                struct sd_path_buf *newpath) {
	struct sd_frame f;
	if(!sd_frame_begin(&f, type, SD_NPARAMS_RENAME)) {
		return;
	}
	/* Parameter 1: res (PT_ERRNO) */
	sd_push_s64(&f, ret);
	/* Parameter 2: oldpath (PT_FSPATH): made absolute */
	sd_push_path_buf(&f, oldpath);
	/* Parameter 3: newpath (PT_FSPATH): made absolute */
	sd_push_path_buf(&f, newpath);
	sd_frame_submit(&f);
}

/*
 * renameat(olddirfd, oldpath, newdirfd, newpath) (5 parameters), renameat2 and
 * linkat (the same and `flags`, 6 parameters).
 */
static __always_inline void sd_emit_path_pair_at_x(__u16 type, __u32 nparams, long ret,
                                                   unsigned long olddirfd, unsigned long newdirfd,
                                                   struct sd_path_buf *oldpath,
                                                   struct sd_path_buf *newpath, __u32 flags) {
	struct sd_frame f;
	if(!sd_frame_begin(&f, type, nparams)) {
		return;
	}
	/* Parameter 1: res (PT_ERRNO) */
	sd_push_s64(&f, ret);
	/* Parameter 2: olddirfd (PT_FD) */
	sd_push_s64(&f, sd_dirfd_to_ppm(olddirfd));
	/* Parameter 3: oldpath (PT_FSRELPATH): made absolute */
	sd_push_path_buf(&f, oldpath);
	/* Parameter 4: newdirfd (PT_FD) */
	sd_push_s64(&f, sd_dirfd_to_ppm(newdirfd));
	/* Parameter 5: newpath (PT_FSRELPATH): made absolute */
	sd_push_path_buf(&f, newpath);
	if(nparams == SD_NPARAMS_RENAMEAT2) {
		/* Parameter 6: flags (PT_FLAGS32): RENAME_* (renameat2) or AT_* (linkat), libs' values */
		sd_push_u32(&f, flags);
	}
	sd_frame_submit(&f);
}
