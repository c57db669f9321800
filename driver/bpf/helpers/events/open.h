/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 3 (events): the exits of open (PPME_SYSCALL_OPEN_X), openat
 * (PPME_SYSCALL_OPENAT_2_X), openat2 (PPME_SYSCALL_OPENAT2_X) and creat
 * (PPME_SYSCALL_CREAT_X), in libs' parameter order, for the opens that can make
 * an executable: successful, on a regular file, with write intent (O_WRONLY,
 * O_RDWR, O_CREAT or O_TRUNC). Every other open is dropped in the kernel.
 *
 * `name` is the absolute path of the opened file resolved in the kernel (the same
 * builder as trusted_exepath), not the caller's string: consumers correlate by path.
 * Each emitted open marks the inode for events/write.h (store/written.h) and
 * remembers it by path (store/path_inode.h); with enforcement on, its writer too
 * (store/enforce_written.h).
 */
#pragma once

#include "../store/frame.h"
#include "../extract/exe.h"
#include "../extract/file.h"
#include "../store/path_inode.h"
#include "../store/written.h"
#include "../store/enforce_written.h"

/* libs' open_flags_to_scap(), bit for bit (its O_SYNC/O_TMPFILE tests are composite too). */
static __always_inline __u32 sd_open_flags_to_ppm(__u32 flags) {
	__u32 res;
	switch(flags & SD_O_ACCMODE) {
	case SD_O_WRONLY:
		res = SD_PPM_O_WRONLY;
		break;
	case SD_O_RDWR:
		res = SD_PPM_O_RDWR;
		break;
	default:
		res = SD_PPM_O_RDONLY;
		break;
	}
	if(flags & SD_O_CREAT) res |= SD_PPM_O_CREAT;
	if(flags & SD_O_TMPFILE) res |= SD_PPM_O_TMPFILE;
	if(flags & SD_O_APPEND) res |= SD_PPM_O_APPEND;
	if(flags & SD_O_DSYNC) res |= SD_PPM_O_DSYNC;
	if(flags & SD_O_EXCL) res |= SD_PPM_O_EXCL;
	if(flags & SD_O_NONBLOCK) res |= SD_PPM_O_NONBLOCK;
	if(flags & SD_O_SYNC) res |= SD_PPM_O_SYNC;
	if(flags & SD_O_TRUNC) res |= SD_PPM_O_TRUNC;
	if(flags & SD_O_DIRECT) res |= SD_PPM_O_DIRECT;
	if(flags & SD_O_DIRECTORY) res |= SD_PPM_O_DIRECTORY;
	if(flags & SD_O_LARGEFILE) res |= SD_PPM_O_LARGEFILE;
	if(flags & SD_O_CLOEXEC) res |= SD_PPM_O_CLOEXEC;
	return res;
}

/*
 * libs' open_modes_to_scap(): the permission bits when the call may create the
 * file, else 0. PPM_S_* use the kernel's bit positions (S_IXOTH 1 ... S_ISUID
 * 04000), so the conversion is a mask; chmod_mode_to_scap() is the same mask.
 */
static __always_inline __u32 sd_open_mode_to_ppm(__u32 flags, __u32 mode) {
	return (flags & (SD_O_CREAT | SD_O_TMPFILE)) ? (mode & SD_S_IALLUGO) : 0;
}

static __always_inline __u32 sd_resolve_to_ppm(__u64 resolve) {
	__u32 res = 0;
	if(resolve & SD_RESOLVE_NO_XDEV) res |= SD_PPM_RESOLVE_NO_XDEV;
	if(resolve & SD_RESOLVE_NO_MAGICLINKS) res |= SD_PPM_RESOLVE_NO_MAGICLINKS;
	if(resolve & SD_RESOLVE_NO_SYMLINKS) res |= SD_PPM_RESOLVE_NO_SYMLINKS;
	if(resolve & SD_RESOLVE_BENEATH) res |= SD_PPM_RESOLVE_BENEATH;
	if(resolve & SD_RESOLVE_IN_ROOT) res |= SD_PPM_RESOLVE_IN_ROOT;
	if(resolve & SD_RESOLVE_CACHED) res |= SD_PPM_RESOLVE_CACHED;
	return res;
}

/* A dirfd argument as libs sends it (AT_FDCWD as PPM_AT_FDCWD). */
static __always_inline __s64 sd_dirfd_to_ppm(unsigned long arg) {
	__s32 dirfd = (__s32)arg;
	return dirfd == SD_AT_FDCWD ? SD_PPM_AT_FDCWD : dirfd;
}

/*
 * The file an open returned, when it is to be reported: its inode's identity goes
 * to `key`, and the inode is marked as opened for writing.
 */
static __always_inline struct file *sd_open_target(long ret, __u32 flags, struct sd_inode_key *key) {
	if(ret < 0 || !(flags & (SD_O_WRONLY | SD_O_RDWR | SD_O_CREAT | SD_O_TRUNC))) {
		return NULL;
	}
	struct file *file = sd_task_fd_file(bpf_get_current_task_btf(), ret);
	struct inode *inode = sd_file_inode(file);
	if(!inode || !sd_inode_is_reg(inode)) {
		return NULL;
	}
	sd_inode_key(inode, key);
	sd_written_mark(inode);
	sd_enforce_note_writer(key);
	return file;
}

/* flags: PPM_O_* of the call, plus "created" and the overlay layer of the file. */
static __always_inline __u32 sd_open_file_flags(struct file *file, __u32 flags) {
	__u32 res = sd_open_flags_to_ppm(flags);
	if(BPF_CORE_READ(file, f_mode) & SD_FMODE_CREATED) {
		res |= SD_PPM_O_F_CREATED;
	}
	int layer = sd_file_overlay_layer(file);
	if(layer == SD_OVERLAY_UPPER) {
		res |= SD_PPM_FD_UPPER_LAYER;
	} else if(layer == SD_OVERLAY_LOWER) {
		res |= SD_PPM_FD_LOWER_LAYER;
	}
	return res;
}

/* open(name, flags, mode) */
static __always_inline void sd_emit_open_x(long ret, __u32 flags, __u32 mode) {
	struct sd_inode_key key;
	struct file *file = sd_open_target(ret, flags, &key);
	struct sd_frame f;
	if(!file || !sd_frame_begin(&f, SD_PPME_SYSCALL_OPEN_X, SD_NPARAMS_OPEN)) {
		return;
	}
	/* Parameter 1: fd (PT_FD) */
	sd_push_s64(&f, ret);
	/* Parameter 2: name (PT_FSPATH): resolved absolute path */
	if(sd_push_path(&f, &file->f_path)) {
		sd_path_inode_remember(&f.s->path, file, &key);
	}
	/* Parameter 3: flags (PT_FLAGS32) */
	sd_push_u32(&f, sd_open_file_flags(file, flags));
	/* Parameter 4: mode (PT_UINT32) */
	sd_push_u32(&f, sd_open_mode_to_ppm(flags, mode));
	/* Parameter 5: dev (PT_UINT32) */
	sd_push_u32(&f, key.dev);
	/* Parameter 6: ino (PT_UINT64) */
	sd_push_u64(&f, key.ino);
	sd_frame_submit(&f);
}

/* openat(dirfd, name, flags, mode) */
static __always_inline void sd_emit_openat_x(long ret, unsigned long dirfd, __u32 flags, __u32 mode) {
	struct sd_inode_key key;
	struct file *file = sd_open_target(ret, flags, &key);
	struct sd_frame f;
	if(!file || !sd_frame_begin(&f, SD_PPME_SYSCALL_OPENAT_2_X, SD_NPARAMS_OPENAT)) {
		return;
	}
	/* Parameter 1: fd (PT_FD) */
	sd_push_s64(&f, ret);
	/* Parameter 2: dirfd (PT_FD) */
	sd_push_s64(&f, sd_dirfd_to_ppm(dirfd));
	/* Parameter 3: name (PT_FSRELPATH): resolved absolute path */
	if(sd_push_path(&f, &file->f_path)) {
		sd_path_inode_remember(&f.s->path, file, &key);
	}
	/* Parameter 4: flags (PT_FLAGS32) */
	sd_push_u32(&f, sd_open_file_flags(file, flags));
	/* Parameter 5: mode (PT_UINT32) */
	sd_push_u32(&f, sd_open_mode_to_ppm(flags, mode));
	/* Parameter 6: dev (PT_UINT32) */
	sd_push_u32(&f, key.dev);
	/* Parameter 7: ino (PT_UINT64) */
	sd_push_u64(&f, key.ino);
	sd_frame_submit(&f);
}

/* openat2(dirfd, name, struct open_how *how, size): flags, mode and resolve from `how` */
static __always_inline void sd_emit_openat2_x(long ret, unsigned long dirfd, __u64 flags, __u64 mode,
                                              __u64 resolve) {
	struct sd_inode_key key;
	struct file *file = sd_open_target(ret, (__u32)flags, &key);
	struct sd_frame f;
	if(!file || !sd_frame_begin(&f, SD_PPME_SYSCALL_OPENAT2_X, SD_NPARAMS_OPENAT2)) {
		return;
	}
	/* Parameter 1: fd (PT_FD) */
	sd_push_s64(&f, ret);
	/* Parameter 2: dirfd (PT_FD) */
	sd_push_s64(&f, sd_dirfd_to_ppm(dirfd));
	/* Parameter 3: name (PT_FSRELPATH): resolved absolute path */
	if(sd_push_path(&f, &file->f_path)) {
		sd_path_inode_remember(&f.s->path, file, &key);
	}
	/* Parameter 4: flags (PT_FLAGS32) */
	sd_push_u32(&f, sd_open_file_flags(file, (__u32)flags));
	/* Parameter 5: mode (PT_UINT32) */
	sd_push_u32(&f, sd_open_mode_to_ppm((__u32)flags, (__u32)mode));
	/* Parameter 6: resolve (PT_FLAGS32) */
	sd_push_u32(&f, sd_resolve_to_ppm(resolve));
	/* Parameter 7: dev (PT_UINT32) */
	sd_push_u32(&f, key.dev);
	/* Parameter 8: ino (PT_UINT64) */
	sd_push_u64(&f, key.ino);
	sd_frame_submit(&f);
}

/* creat(name, mode) == open(name, O_CREAT | O_WRONLY | O_TRUNC, mode) */
static __always_inline void sd_emit_creat_x(long ret, __u32 mode) {
	struct sd_inode_key key;
	struct file *file = sd_open_target(ret, SD_O_CREAT | SD_O_WRONLY | SD_O_TRUNC, &key);
	struct sd_frame f;
	if(!file || !sd_frame_begin(&f, SD_PPME_SYSCALL_CREAT_X, SD_NPARAMS_CREAT)) {
		return;
	}
	/* Parameter 1: fd (PT_FD) */
	sd_push_s64(&f, ret);
	/* Parameter 2: name (PT_FSPATH): resolved absolute path */
	if(sd_push_path(&f, &file->f_path)) {
		sd_path_inode_remember(&f.s->path, file, &key);
	}
	/* Parameter 3: mode (PT_UINT32) */
	sd_push_u32(&f, sd_open_mode_to_ppm(SD_O_CREAT, mode));
	/* Parameter 4: dev (PT_UINT32) */
	sd_push_u32(&f, key.dev);
	/* Parameter 5: ino (PT_UINT64) */
	sd_push_u64(&f, key.ino);
	/* Parameter 6: creat_flags (PT_FLAGS16): the overlay layer */
	int layer = sd_file_overlay_layer(file);
	sd_push_u16(&f, layer == SD_OVERLAY_UPPER   ? SD_PPM_FD_UPPER_LAYER_CREAT
	                : layer == SD_OVERLAY_LOWER ? SD_PPM_FD_LOWER_LAYER_CREAT
	                                            : 0);
	sd_frame_submit(&f);
}
