/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 3 (events): the exits of dup (PPME_SYSCALL_DUP_1_X), dup2 (DUP2_X) and dup3
 * (DUP3_X), libs' parameter order, successful calls only — and only when the new
 * descriptor names a file opened for writing and not written yet (its inode still
 * marked, store/written.h): a shell's `cmd > file` opens the file, dup2s it onto
 * fd 1 and execs cmd, whose first write then goes through fd 1. With this event
 * the file table knows fd 1 is that file, and names cmd as the writer instead of
 * the shell that opened it. Every other dup (most of them) is not sent.
 */
#pragma once

#include "../store/frame.h"
#include "../store/written.h"


static __always_inline void sd_emit_dup_x(__u16 type, __u32 nparams, long ret, long oldfd, long newfd,
                                          __u32 flags) {
	struct sd_frame f;
	if(ret < 0 || !sd_written_is_marked(ret) || !sd_frame_begin(&f, type, nparams)) {
		return;
	}
	/* Parameter 1: res (PT_FD) */
	sd_push_s64(&f, ret);
	/* Parameter 2: oldfd (PT_FD) */
	sd_push_s64(&f, oldfd);
	if(nparams >= SD_NPARAMS_DUP2) {
		/* Parameter 3: newfd (PT_FD) */
		sd_push_s64(&f, newfd);
	}
	if(nparams >= SD_NPARAMS_DUP3) {
		/* Parameter 4: flags (PT_FLAGS32): O_CLOEXEC as libs' PPM_O_CLOEXEC (scapdrift_abi.h) */
		sd_push_u32(&f, (flags & SD_O_CLOEXEC) ? SD_PPM_O_CLOEXEC : 0);
	}
	sd_frame_submit(&f);
}
