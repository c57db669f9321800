/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 2 (store): absolute paths, built in a struct sd_path_buf (base/maps.h).
 *
 * - sd_path_build(): the path of a dentry on a mount, walked up to the root of the
 *   mount namespace (trusted_exepath, the names of opened files). Exact: the
 *   kernel's own dentries.
 * - sd_path_resolve(): a path string as a caller passed it (chmod, rename, link,
 *   the file an exec was asked to run), made absolute against the directory the
 *   kernel resolved it from (dirfd, cwd or root, itself built by sd_path_build),
 *   with "", "." and ".." components applied. Symbolic links named inside the
 *   string are not followed: the kernel resolved them without leaving a trace
 *   that tracepoints can see.
 * - sd_path_hash(): FNV-1a 64 of a built path, the key of sd_path_inode_map.
 *
 * For a file reached without symbolic links, all give the same bytes.
 */
#pragma once

#include "../base/counters.h"
#include "../extract/file.h"

#define SD_PATH_MASK (SD_MAX_PATH - 1)
#define SD_SLASH_MASK (SD_SLASH_SLOTS - 1)


/*
 * Path of `dentry` on `vfsmnt` up to the root of its mount namespace, crossing
 * mount points (like d_path() without the caller's chroot). A pseudo file (memfd,
 * pipe), whose dentry is its own root without being a mount root, has no path: its
 * dentry name is kept instead, as libs does. A path deeper than
 * SD_MAX_PATH_COMPONENTS or longer than SD_MAX_PATH keeps its last components and
 * is counted as truncated. The result is the NUL-terminated string at
 * &pb->buf[pb->pos]; false when nothing could be read.
 */
static __always_inline bool sd_path_build(struct sd_path_buf *pb, struct vfsmount *vfsmnt,
                                          struct dentry *dentry) {
	if(!dentry || !vfsmnt) {
		return false;
	}
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
	struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	/* buf[SD_MAX_PATH - 1] is the terminating NUL; names are written to its left */
	pb->buf[SD_MAX_PATH - 1] = 0;
	SD_LOOP_VAR(pb, pos) = SD_MAX_PATH - 1;
	SD_LOOP_VAR(pb, depth) = 0;

	for(int i = 0; i < SD_MAX_PATH_COMPONENTS; i++) {
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
		if(dentry == mnt_root || dentry == parent) {
			if(dentry != mnt_root) {
				break; /* a root that is no mount root: pseudo filesystem */
			}
			if(mnt == mnt_parent) {
				break; /* the namespace root */
			}
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
			mnt_root = BPF_CORE_READ(mnt, mnt.mnt_root);
			continue;
		}
		struct qstr name = {};
		BPF_CORE_READ_INTO(&name, dentry, d_name);
		__u32 len = name.len;
		__u32 pos = SD_LOOP_VAR(pb, pos);
		if(len == 0 || len > SD_MAX_NAME || pos > SD_MAX_PATH - 1 || pos < len + 1) {
			sd_count(SD_CNT_TRUNCATED);
			break;
		}
		pos -= len;
		if(bpf_probe_read_kernel(&pb->buf[pos & SD_PATH_MASK], len & SD_MAX_NAME, name.name) != 0) {
			sd_count(SD_CNT_READ_FAULT);
			return false;
		}
		pos -= 1;
		pb->buf[pos & SD_PATH_MASK] = '/';
		__u32 depth = SD_LOOP_VAR(pb, depth);
		pb->slash[depth & SD_SLASH_MASK] = pos;
		SD_LOOP_VAR(pb, depth) = depth + 1;
		SD_LOOP_VAR(pb, pos) = pos;
		dentry = parent;
	}

	__u32 end = SD_LOOP_VAR(pb, pos);
	if(end < SD_MAX_PATH - 1) {
		pb->len = SD_MAX_PATH - 1 - end;
		return true;
	}
	/* Nothing written: the root itself ("/"), or a pseudo file: keep the dentry's name. */
	struct qstr name = {};
	BPF_CORE_READ_INTO(&name, dentry, d_name);
	__u32 len = name.len;
	if(len == 0 || len > SD_MAX_NAME) {
		return false;
	}
	__u32 pos = SD_MAX_PATH - 1 - len;
	if(bpf_probe_read_kernel(&pb->buf[pos & SD_PATH_MASK], len & SD_MAX_NAME, name.name) != 0) {
		sd_count(SD_CNT_READ_FAULT);
		return false;
	}
	SD_LOOP_VAR(pb, pos) = pos;
	pb->len = len;
	return true;
}

static __always_inline bool sd_path_build_from(struct sd_path_buf *pb, const struct path *path) {
	return sd_path_build(pb, BPF_CORE_READ(path, mnt), BPF_CORE_READ(path, dentry));
}

/* State of one sd_path_resolve() for the bpf_loop() callback. */
struct sd_resolve_ctx {
	struct sd_path_buf *out;
	struct sd_path_buf *name;
	bool failed;
};

/*
 * One byte of the name: a component is handled when its end ('/' or NUL) is
 * reached. Returns 1 to stop. A callback of bpf_loop(), so that the verifier sees
 * the body once instead of once per byte of a 4096-byte string.
 */
static long sd_resolve_step(__u32 i, void *arg) {
	struct sd_resolve_ctx *c = arg;
	struct sd_path_buf *out = c->out;
	struct sd_path_buf *name = c->name;
	__u8 ch = name->buf[i & SD_PATH_MASK];
	if(ch != '/' && ch != 0) {
		return 0;
	}
	__u32 start = out->start;
	out->start = i + 1;
	__u32 clen = i - start;
	if(clen > SD_MAX_NAME) {
		sd_count(SD_CNT_TRUNCATED);
		c->failed = true;
		return 1;
	}
	bool dot = clen >= 1 && name->buf[start & SD_PATH_MASK] == '.';
	bool dotdot = clen == 2 && dot && name->buf[(start + 1) & SD_PATH_MASK] == '.';
	__u32 d = out->depth;
	if(dotdot) {
		if(d > 0) { /* never above the root */
			out->depth = d - 1;
			out->len = out->slash[(d - 1) & SD_SLASH_MASK];
		}
	} else if(clen > 1 || (clen == 1 && !dot)) {
		__u32 at = out->len;
		if(d >= SD_MAX_PATH_COMPONENTS || at + 1 + clen >= SD_MAX_PATH) {
			sd_count(SD_CNT_TRUNCATED);
			c->failed = true;
			return 1;
		}
		out->slash[d & SD_SLASH_MASK] = at;
		out->buf[at & SD_PATH_MASK] = '/';
		sd_barrier_var(clen); /* keep the mask: the verifier needs it */
		bpf_probe_read_kernel(&out->buf[(at + 1) & SD_PATH_MASK], clen & SD_MAX_NAME,
		                      &name->buf[start & SD_PATH_MASK]);
		out->depth = d + 1;
		out->len = at + 1 + clen;
	}
	return ch == 0;
}

/*
 * `name` (the NUL-terminated string at name->buf) made absolute against `base`
 * (built by sd_path_build) in `out` (pos = 0): base's components, then each of
 * name's, where "" and "." are skipped and ".." drops the last one (never above
 * the root). An absolute name is resolved against the caller's root as base. False
 * (counted) when the result would exceed SD_MAX_PATH_COMPONENTS or SD_MAX_PATH.
 * Needs bpf_loop() (kernel >= 5.17).
 */
static __always_inline bool sd_path_resolve(struct sd_path_buf *out, struct sd_path_buf *base,
                                            struct sd_path_buf *name) {
	/* Start from base: copy its string and its components' '/' positions, in order. */
	__u32 depth = base->depth;
	__u32 bpos = base->pos;
	if(depth > SD_MAX_PATH_COMPONENTS || bpos >= SD_MAX_PATH - 1) {
		return false;
	}
	__u32 len = 0;
	if(depth > 0) {
		len = SD_MAX_PATH - 1 - bpos;
		sd_barrier_var(len);
		if(len > SD_MAX_PATH - 1) {
			return false;
		}
		bpf_probe_read_kernel(out->buf, len, &base->buf[bpos & SD_PATH_MASK]);
		for(__u32 k = 0; k < SD_MAX_PATH_COMPONENTS && k < depth; k++) {
			out->slash[k & SD_SLASH_MASK] = base->slash[(depth - 1 - k) & SD_SLASH_MASK] - bpos;
		}
	}
	out->depth = depth;
	out->len = len;
	out->start = 0;

	struct sd_resolve_ctx c = {.out = out, .name = name, .failed = false};
	bpf_loop(SD_MAX_PATH, sd_resolve_step, &c, 0);
	if(c.failed) {
		return false;
	}
	len = out->len;
	if(len == 0) {
		out->buf[0] = '/'; /* the root */
		len = 1;
	}
	out->buf[len & SD_PATH_MASK] = 0;
	out->pos = 0;
	out->len = len;
	return true;
}

/*
 * FNV-1a 64 over the path's bytes (&pb->buf[pb->pos], pb->len of them), eight at
 * a time: a byte loop over 4096 bytes is more than the verifier follows.
 */
static __always_inline __u64 sd_path_hash(struct sd_path_buf *pb) {
	__u64 h = 0xcbf29ce484222325ULL;
	__u32 pos = pb->pos;
	__u32 len = pb->len;
	for(__u32 k = 0; k < SD_MAX_PATH / 8; k++) {
		__u32 at = k * 8;
		if(at >= len) {
			break;
		}
		__u64 w = *(__u64 *)&pb->buf[(pos + at) & SD_PATH_MASK];
		__u32 rem = len - at;
		if(rem < 8) {
			w &= (1ULL << (rem * 8)) - 1; /* bytes past the end */
		}
		h = (h ^ w) * 0x100000001b3ULL;
	}
	return h;
}

/*
 * The directory a path argument is resolved from: the caller's root for an
 * absolute name, else the directory open at `dirfd`, or the cwd for AT_FDCWD.
 */
static __always_inline const struct path *sd_path_base(struct task_struct *task, long dirfd,
                                                       bool absolute) {
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	if(absolute) {
		return fs ? &fs->root : NULL;
	}
	if((__s32)dirfd == SD_AT_FDCWD) {
		return fs ? &fs->pwd : NULL;
	}
	struct file *file = sd_task_fd_file(task, (__s32)dirfd);
	return file ? &file->f_path : NULL;
}

/*
 * A path argument `str` (user memory, or kernel memory when !user) of `task`,
 * relative to `dirfd`, made absolute in `out`. Uses s->name and s->path.
 */
static __always_inline bool sd_path_resolve_arg(struct sd_scratch *s, struct sd_path_buf *out,
                                                struct task_struct *task, long dirfd,
                                                const void *str, bool user) {
	long n = user ? bpf_probe_read_user_str(s->name.buf, SD_MAX_PATH, str)
	              : bpf_probe_read_kernel_str(s->name.buf, SD_MAX_PATH, str);
	if(n <= 0) {
		sd_count(SD_CNT_READ_FAULT);
		return false;
	}
	const struct path *base = sd_path_base(task, dirfd, s->name.buf[0] == '/');
	return base && sd_path_build_from(&s->path, base) && sd_path_resolve(out, &s->path, &s->name);
}
