/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 3 (events): the exit of memfd_create (PPME_SYSCALL_MEMFD_CREATE_X), libs'
 * parameter order, successful calls only. `name` is the new file's name as the
 * kernel resolves it ("memfd:<name>"), the same bytes an exec of the memfd gets as
 * trusted_exepath, not the caller's string. The memfd is marked as opened for
 * writing, so its first write is reported (events/write.h).
 */
#pragma once

#include "../store/frame.h"
#include "../extract/exe.h"
#include "../store/written.h"

#define SD_MFD_KNOWN 0x7 /* MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB: the PPM_MFD_* values */

static __always_inline void sd_emit_memfd_create_x(long ret, __u32 flags) {
	struct file *file = sd_task_fd_file(bpf_get_current_task_btf(), ret);
	struct inode *inode = sd_file_inode(file);
	struct sd_frame f;
	if(!inode || !sd_frame_begin(&f, SD_PPME_SYSCALL_MEMFD_CREATE_X, SD_NPARAMS_MEMFD_CREATE)) {
		return;
	}
	sd_written_mark(inode);

	/* Parameter 1: fd (PT_FD) */
	sd_push_s64(&f, ret);
	/* Parameter 2: name (PT_CHARBUF): "memfd:<name>" */
	sd_push_path(&f, &file->f_path);
	/* Parameter 3: flags (PT_FLAGS32) */
	sd_push_u32(&f, flags & SD_MFD_KNOWN);
	sd_frame_submit(&f);
}
