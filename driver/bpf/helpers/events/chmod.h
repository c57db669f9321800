/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 3 (events): the exits of chmod (PPME_SYSCALL_CHMOD_X), fchmodat and
 * fchmodat2 (PPME_SYSCALL_FCHMODAT_X) and fchmod (PPME_SYSCALL_FCHMOD_X), libs'
 * parameter order, successful calls only. `filename` is the caller's path made
 * absolute against the kernel's dirfd/cwd/root (store/path.h, sd_path_resolve).
 * `mode` is libs' chmod_mode_to_scap(): the PPM_S_* bits are the kernel's.
 */
#pragma once

#include "../store/frame.h"
#include "open.h"

/* chmod(filename, mode) */
static __always_inline void sd_emit_chmod_x(long ret, struct sd_path_buf *path, __u32 mode) {
	struct sd_frame f;
	if(!sd_frame_begin(&f, SD_PPME_SYSCALL_CHMOD_X, SD_NPARAMS_CHMOD)) {
		return;
	}
	/* Parameter 1: res (PT_ERRNO) */
	sd_push_s64(&f, ret);
	/* Parameter 2: filename (PT_FSPATH): made absolute */
	sd_push_path_buf(&f, path);
	/* Parameter 3: mode (PT_MODE) */
	sd_push_u32(&f, mode & SD_S_IALLUGO);
	sd_frame_submit(&f);
}

/* fchmodat(dirfd, filename, mode), fchmodat2(dirfd, filename, mode, flags) */
static __always_inline void sd_emit_fchmodat_x(long ret, unsigned long dirfd,
                                               struct sd_path_buf *path, __u32 mode) {
	struct sd_frame f;
	if(!sd_frame_begin(&f, SD_PPME_SYSCALL_FCHMODAT_X, SD_NPARAMS_FCHMODAT)) {
		return;
	}
	/* Parameter 1: res (PT_ERRNO) */
	sd_push_s64(&f, ret);
	/* Parameter 2: dirfd (PT_FD) */
	sd_push_s64(&f, sd_dirfd_to_ppm(dirfd));
	/* Parameter 3: filename (PT_FSRELPATH): made absolute */
	sd_push_path_buf(&f, path);
	/* Parameter 4: mode (PT_MODE) */
	sd_push_u32(&f, mode & SD_S_IALLUGO);
	sd_frame_submit(&f);
}

/* fchmod(fd, mode) */
static __always_inline void sd_emit_fchmod_x(long ret, long fd, __u32 mode) {
	struct sd_frame f;
	if(!sd_frame_begin(&f, SD_PPME_SYSCALL_FCHMOD_X, SD_NPARAMS_FCHMOD)) {
		return;
	}
	/* Parameter 1: res (PT_ERRNO) */
	sd_push_s64(&f, ret);
	/* Parameter 2: fd (PT_FD) */
	sd_push_s64(&f, fd);
	/* Parameter 3: mode (PT_MODE) */
	sd_push_u32(&f, mode & SD_S_IALLUGO);
	sd_frame_submit(&f);
}
