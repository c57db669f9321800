/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 3 (events): the exits of write (PPME_SYSCALL_WRITE_X), pwrite64
 * (PWRITE_X), writev (WRITEV_X), pwritev (PWRITEV_X), and of the calls that write
 * a file without write(2): copy_file_range (COPY_FILE_RANGE_X, what cp uses) and
 * sendfile (SENDFILE_X); libs' parameter order.
 *
 * Not every write: only the first successful one to an inode after an open for
 * writing was reported (events/open.h marks the inode, store/written.h). The
 * dispatcher drops unmarked writes before the tail call; the programs here take
 * the mark and emit. `data` is sent empty.
 */
#pragma once

#include "../store/frame.h"
#include "../store/written.h"

#define SD_MAX_IOVCNT 32 /* libs' MAX_IOVCNT */

/* Is this successful write through `fd` the first since the file was opened for writing? */
static __always_inline bool sd_first_write(long ret, long fd) {
	return ret >= 0 && sd_written_take(fd);
}

/* Total length of an iovec array (libs' `size` of writev/pwritev), first SD_MAX_IOVCNT entries. */
static __always_inline __u32 sd_iovec_total(unsigned long iov, unsigned long cnt, bool ia32) {
	__u32 total = 0;
	for(__u32 i = 0; i < SD_MAX_IOVCNT && i < cnt; i++) {
		if(ia32) {
			__u32 len = 0; /* struct compat_iovec { u32 base; u32 len; } */
			bpf_probe_read_user(&len, sizeof(len), (void *)(iov + i * 8 + 4));
			total += len;
		} else {
			__u64 len = 0; /* struct iovec { void *base; size_t len; } */
			bpf_probe_read_user(&len, sizeof(len), (void *)(iov + i * 16 + 8));
			total += (__u32)len;
		}
	}
	return total;
}

/* write, pwrite64, writev, pwritev: `pos` is sent for the p* variants (nparams 5). */
static __always_inline void sd_emit_write_x(__u16 type, __u32 nparams, long ret, long fd, __u32 size,
                                            __u64 pos) {
	struct sd_frame f;
	if(!sd_frame_begin(&f, type, nparams)) {
		return;
	}
	/* Parameter 1: res (PT_ERRNO) */
	sd_push_s64(&f, ret);
	/* Parameter 2: data (PT_BYTEBUF): not collected */
	sd_push_empty(&f);
	/* Parameter 3: fd (PT_FD) */
	sd_push_s64(&f, fd);
	/* Parameter 4: size (PT_UINT32) */
	sd_push_u32(&f, size);
	if(nparams == SD_NPARAMS_PWRITE) {
		/* Parameter 5: pos (PT_UINT64) */
		sd_push_u64(&f, pos);
	}
	sd_frame_submit(&f);
}

/* copy_file_range(fdin, offin *, fdout, offout *, len, flags): offsets as the raw pointers, as libs */
static __always_inline void sd_emit_copy_file_range_x(long ret, long fdout, __u64 offout, long fdin,
                                                      __u64 offin, __u64 len) {
	struct sd_frame f;
	if(!sd_frame_begin(&f, SD_PPME_SYSCALL_COPY_FILE_RANGE_X, SD_NPARAMS_COPY_FILE_RANGE)) {
		return;
	}
	/* Parameter 1: res (PT_ERRNO) */
	sd_push_s64(&f, ret);
	/* Parameter 2: fdout (PT_FD) */
	sd_push_s64(&f, fdout);
	/* Parameter 3: offout (PT_UINT64) */
	sd_push_u64(&f, offout);
	/* Parameter 4: fdin (PT_FD) */
	sd_push_s64(&f, fdin);
	/* Parameter 5: offin (PT_UINT64) */
	sd_push_u64(&f, offin);
	/* Parameter 6: len (PT_UINT64) */
	sd_push_u64(&f, len);
	sd_frame_submit(&f);
}

/* sendfile(out_fd, in_fd, off_t *offset, count): `offset` is the value after the call, as libs */
static __always_inline void sd_emit_sendfile_x(long ret, unsigned long offset_ptr, long out_fd,
                                               long in_fd, __u64 size) {
	struct sd_frame f;
	if(!sd_frame_begin(&f, SD_PPME_SYSCALL_SENDFILE_X, SD_NPARAMS_SENDFILE)) {
		return;
	}
	__u64 offset = 0;
	if(offset_ptr) {
		bpf_probe_read_user(&offset, sizeof(offset), (void *)offset_ptr);
	}
	/* Parameter 1: res (PT_ERRNO) */
	sd_push_s64(&f, ret);
	/* Parameter 2: offset (PT_UINT64) */
	sd_push_u64(&f, offset);
	/* Parameter 3: out_fd (PT_FD) */
	sd_push_s64(&f, out_fd);
	/* Parameter 4: in_fd (PT_FD) */
	sd_push_s64(&f, in_fd);
	/* Parameter 5: size (PT_UINT64) */
	sd_push_u64(&f, size);
	sd_frame_submit(&f);
}
