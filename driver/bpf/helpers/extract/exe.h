/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 1 (extract): the executable a task runs (mm->exe_file): its inode number,
 * status-change and modification times in epoch ns, and the PPM_EXE_* flags.
 * Reads only.
 */
#pragma once

#include "../base/common.h"
#include "task.h"
#include "../base/maps.h"

/*
 * The inode time fields changed layout three times; each flavor below names one
 * layout, and bpf_core_field_exists() picks the one the running kernel has:
 *   <= 6.5   struct timespec64 i_ctime, i_mtime
 *   6.6      struct timespec64 __i_ctime (i_mtime unchanged)
 *   6.7-6.10 struct timespec64 __i_ctime, __i_mtime
 *   >= 6.11  time64_t i_ctime_sec, i_mtime_sec; u32 i_ctime_nsec, i_mtime_nsec
 *   >= 6.13  bit 31 of i_ctime_nsec is the multigrain "queried" flag, not time
 */
struct inode___sd_pre66 {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

struct inode___sd_v66 {
	struct timespec64 __i_ctime;
	struct timespec64 __i_mtime;
} __attribute__((preserve_access_index));

struct inode___sd_v611 {
	time64_t i_ctime_sec;
	time64_t i_mtime_sec;
	__u32 i_ctime_nsec;
	__u32 i_mtime_nsec;
} __attribute__((preserve_access_index));

/* Overlayfs' in-memory inode (fs/overlayfs/ovl_entry.h): the VFS inode is embedded. */
struct ovl_inode___sd {
	struct inode vfs_inode;
	struct dentry *__upperdentry;
} __attribute__((preserve_access_index));

static __always_inline struct file *sd_task_exe_file(struct task_struct *task) {
	return BPF_CORE_READ(task, mm, exe_file);
}

static __always_inline struct inode *sd_file_inode(struct file *file) {
	return file ? BPF_CORE_READ(file, f_inode) : NULL;
}

/* seconds + nanoseconds -> epoch ns; false when the time cannot be represented. */
static __always_inline bool sd_time_to_epoch_ns(__s64 sec, __u64 nsec, __u64 *out) {
	if(sec < 0 || nsec >= SD_NSEC_PER_SEC) {
		return false;
	}
	*out = (__u64)sec * SD_NSEC_PER_SEC + nsec;
	return true;
}

/* Last status change of `inode`, epoch ns. */
static __always_inline bool sd_inode_ctime_epoch_ns(struct inode *inode, __u64 *out) {
	struct inode___sd_pre66 *pre66 = (void *)inode;
	struct inode___sd_v66 *v66 = (void *)inode;
	struct inode___sd_v611 *v611 = (void *)inode;
	struct timespec64 ts = {};

	if(bpf_core_field_exists(pre66->i_ctime)) {
		BPF_CORE_READ_INTO(&ts, pre66, i_ctime);
		return sd_time_to_epoch_ns(ts.tv_sec, ts.tv_nsec, out);
	}
	if(bpf_core_field_exists(v66->__i_ctime)) {
		BPF_CORE_READ_INTO(&ts, v66, __i_ctime);
		return sd_time_to_epoch_ns(ts.tv_sec, ts.tv_nsec, out);
	}
	if(bpf_core_field_exists(v611->i_ctime_sec)) {
		__s64 sec = BPF_CORE_READ(v611, i_ctime_sec);
		__u32 nsec = BPF_CORE_READ(v611, i_ctime_nsec); /* a u32: read 4 bytes, not 8 */
		return sd_time_to_epoch_ns(sec, nsec & ~SD_I_CTIME_QUERIED, out);
	}
	return false;
}

/* Last content modification of `inode`, epoch ns. */
static __always_inline bool sd_inode_mtime_epoch_ns(struct inode *inode, __u64 *out) {
	struct inode___sd_pre66 *pre66 = (void *)inode;
	struct inode___sd_v66 *v66 = (void *)inode;
	struct inode___sd_v611 *v611 = (void *)inode;
	struct timespec64 ts = {};

	if(bpf_core_field_exists(pre66->i_mtime)) {
		BPF_CORE_READ_INTO(&ts, pre66, i_mtime);
		return sd_time_to_epoch_ns(ts.tv_sec, ts.tv_nsec, out);
	}
	if(bpf_core_field_exists(v66->__i_mtime)) {
		BPF_CORE_READ_INTO(&ts, v66, __i_mtime);
		return sd_time_to_epoch_ns(ts.tv_sec, ts.tv_nsec, out);
	}
	if(bpf_core_field_exists(v611->i_mtime_sec)) {
		__s64 sec = BPF_CORE_READ(v611, i_mtime_sec);
		__u32 nsec = BPF_CORE_READ(v611, i_mtime_nsec);
		return sd_time_to_epoch_ns(sec, nsec, out);
	}
	return false;
}

/* ---- PPM_EXE_FROM_MEMFD ------------------------------------------------------ */

/* A memfd has a pseudo dentry (its own parent) named "memfd:<name>". */
static __always_inline bool sd_file_is_memfd(struct file *file) {
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	if(!dentry || BPF_CORE_READ(dentry, d_parent) != dentry) {
		return false;
	}
	const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
	char prefix[7] = {};
	if(bpf_probe_read_kernel(prefix, 6, name) != 0) {
		return false;
	}
	return prefix[0] == 'm' && prefix[1] == 'e' && prefix[2] == 'm' && prefix[3] == 'f' &&
	       prefix[4] == 'd' && prefix[5] == ':';
}

/*
 * d_unlinked(): the dentry was removed from the dcache hash (its file unlinked)
 * and is not a root of its own (a memfd or another pseudo file is).
 */
static __always_inline bool sd_dentry_unlinked(struct dentry *dentry) {
	return dentry && BPF_CORE_READ(dentry, d_hash.pprev) == NULL &&
	       BPF_CORE_READ(dentry, d_parent) != dentry;
}

/* ---- PPM_EXE_UPPER_LAYER / PPM_EXE_LOWER_LAYER ------------------------------- */

#define SD_NOT_OVERLAY 0
#define SD_OVERLAY_UPPER 1
#define SD_OVERLAY_LOWER 2

/*
 * On overlayfs the file's inode is embedded in a struct ovl_inode whose
 * __upperdentry is set once the file exists in the upper layer (written or copied
 * up in the container); otherwise the file comes from a lower layer (the image).
 */
static __always_inline int sd_inode_overlay_layer(struct inode *inode) {
	if(!inode || BPF_CORE_READ(inode, i_sb, s_magic) != SD_OVERLAYFS_SUPER_MAGIC) {
		return SD_NOT_OVERLAY;
	}
	struct dentry *upper = NULL;
	if(bpf_core_type_exists(struct ovl_inode___sd)) {
		__u32 vfs_off = bpf_core_field_offset(struct ovl_inode___sd, vfs_inode);
		__u32 upper_off = bpf_core_field_offset(struct ovl_inode___sd, __upperdentry);
		bpf_probe_read_kernel(&upper, sizeof(upper), (char *)inode - vfs_off + upper_off);
	} else {
		/* No overlay BTF: __upperdentry directly follows the embedded inode. */
		bpf_probe_read_kernel(&upper, sizeof(upper),
		                      (char *)inode + bpf_core_type_size(struct inode));
	}
	if(upper && BPF_CORE_READ(upper, d_inode) != NULL) {
		return SD_OVERLAY_UPPER;
	}
	return SD_OVERLAY_LOWER;
}

/* The layer of an open file: its dentry's inode (the overlay inode, not the real one). */
static __always_inline int sd_file_overlay_layer(struct file *file) {
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	if(!dentry || BPF_CORE_READ(dentry, d_sb, s_magic) != SD_OVERLAYFS_SUPER_MAGIC) {
		return SD_NOT_OVERLAY;
	}
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	return inode ? sd_inode_overlay_layer(inode) : SD_OVERLAY_LOWER;
}

/* ---- PPM_EXE_WRITABLE ----------------------------------------------------------- */

/* Shmem's in-memory inode (include/linux/shmem_fs.h): the VFS inode is embedded. */
struct shmem_inode_info___sd {
	unsigned int seals;
	struct inode vfs_inode;
} __attribute__((preserve_access_index));

/*
 * A memfd (or another shmem file) sealed against writes: F_SEAL_WRITE or
 * F_SEAL_FUTURE_WRITE (as runc seals its cloned binary). Its content cannot change,
 * whoever owns it. Hugetlbfs memfds (MFD_HUGETLB) keep their seals elsewhere and
 * are not checked.
 */
static __always_inline bool sd_inode_write_sealed(struct inode *inode) {
	if(BPF_CORE_READ(inode, i_sb, s_magic) != SD_TMPFS_MAGIC ||
	   !bpf_core_type_exists(struct shmem_inode_info___sd)) {
		return false;
	}
	__u32 vfs_off = bpf_core_field_offset(struct shmem_inode_info___sd, vfs_inode);
	__u32 seals_off = bpf_core_field_offset(struct shmem_inode_info___sd, seals);
	unsigned int seals = 0;
	bpf_probe_read_kernel(&seals, sizeof(seals), (char *)inode - vfs_off + seals_off);
	return (seals & (SD_F_SEAL_WRITE | SD_F_SEAL_FUTURE_WRITE)) != 0;
}

/*
 * Binary search of the task's supplementary groups (sorted by the kernel). The
 * bounds live in map memory at `lo` and `hi` (see SD_LOOP_VAR).
 */
static __always_inline bool sd_task_in_group(struct task_struct *task, __u32 gid, __u32 *lo_at,
                                             __u32 *hi_at) {
	struct group_info *groups = BPF_CORE_READ(task, cred, group_info);
	if(!groups) {
		return false;
	}
	SD_LOOP_AT(lo_at) = 0;
	SD_LOOP_AT(hi_at) = BPF_CORE_READ(groups, ngroups);
	for(int step = 0; step < 17; step++) { /* log2(NGROUPS_MAX = 65536) + 1 */
		__u32 lo = SD_LOOP_AT(lo_at);
		__u32 hi = SD_LOOP_AT(hi_at);
		if(lo >= hi) {
			break;
		}
		__u32 mid = lo + (hi - lo) / 2;
		__u32 g = BPF_CORE_READ(groups, gid[mid].val);
		if(g == gid) {
			return true;
		}
		if(g < gid) {
			SD_LOOP_AT(lo_at) = mid + 1;
		} else {
			SD_LOOP_AT(hi_at) = mid;
		}
	}
	return false;
}

/* Is `id` mapped by the first extents of a user namespace map (kuid/kgid -> ns id)? */
static __always_inline bool sd_id_mapped(struct uid_gid_map *map, __u32 id) {
	__u32 n = BPF_CORE_READ(map, nr_extents);
	for(__u32 i = 0; i < 5 && i < n; i++) { /* UID_GID_MAP_MAX_BASE_EXTENTS */
		__u32 first = BPF_CORE_READ(map, extent[i].lower_first);
		__u32 count = BPF_CORE_READ(map, extent[i].count);
		if(id >= first && id - first < count) {
			return true;
		}
	}
	return false;
}

/*
 * Could the task write to the executable? The checks of inode_permission() that
 * can be read without calling into the filesystem: read-only mount, immutable
 * inode, write seals (a memfd: no one can write it, seals are never removed),
 * ownership (the owner may chmod), the rwx bits for owner/group/other, then
 * CAP_DAC_OVERRIDE / CAP_FOWNER when the inode's ids are mapped in the task's user
 * namespace. POSIX ACLs and LSMs are not consulted.
 */
static __always_inline bool sd_exe_writable(struct task_struct *task, struct inode *inode,
                                            __u32 *lo_at, __u32 *hi_at) {
	__u32 mode = BPF_CORE_READ(inode, i_mode);
	__u32 ftype = mode & SD_S_IFMT;
	unsigned long sb_flags = BPF_CORE_READ(inode, i_sb, s_flags);
	if((sb_flags & SD_SB_RDONLY) &&
	   (ftype == SD_S_IFREG || ftype == SD_S_IFDIR || ftype == SD_S_IFLNK)) {
		return false;
	}
	if(BPF_CORE_READ(inode, i_flags) & SD_S_IMMUTABLE) {
		return false;
	}
	if(sd_inode_write_sealed(inode)) {
		return false;
	}

	__u32 i_uid = BPF_CORE_READ(inode, i_uid.val);
	__u32 i_gid = BPF_CORE_READ(inode, i_gid.val);
	if(i_uid == (__u32)-1 || i_gid == (__u32)-1) {
		return false; /* unmapped ids */
	}
	__u32 fsuid = BPF_CORE_READ(task, cred, fsuid.val);
	__u32 fsgid = BPF_CORE_READ(task, cred, fsgid.val);
	if(fsuid == i_uid) {
		return true; /* the owner can always make it writable */
	}

	__u32 perm = mode;
	if(i_gid == fsgid || sd_task_in_group(task, i_gid, lo_at, hi_at)) {
		perm >>= 3;
	}
	if((SD_MAY_WRITE & ~perm) == 0) {
		return true;
	}

	struct user_namespace *ns = BPF_CORE_READ(task, cred, user_ns);
	if(!ns) {
		return false;
	}
	bool uid_mapped = sd_id_mapped(&ns->uid_map, i_uid);
	bool gid_mapped = sd_id_mapped(&ns->gid_map, i_gid);
	const struct cred *cred = BPF_CORE_READ(task, cred);
	__u64 caps = sd_caps_to_ppm(&cred->cap_effective);
	if((caps & (1ULL << SD_CAP_DAC_OVERRIDE)) && uid_mapped && gid_mapped) {
		return true;
	}
	if((caps & (1ULL << SD_CAP_FOWNER)) && uid_mapped) {
		return true;
	}
	return false;
}

static __always_inline __u32 sd_layer_exe_flags(int layer) {
	return layer == SD_OVERLAY_UPPER ? SD_PPM_EXE_UPPER_LAYER
	       : layer == SD_OVERLAY_LOWER ? SD_PPM_EXE_LOWER_LAYER
	                                   : 0;
}

/*
 * PPM_EXE_* flags of an executable known only by its inode (a script, see
 * events/exec.h): writable and the overlay layer. `lo_at`/`hi_at` are two u32 of
 * map memory for the group search.
 */
static __always_inline __u32 sd_inode_exe_flags(struct task_struct *task, struct inode *inode,
                                                __u32 *lo_at, __u32 *hi_at) {
	__u32 flags = sd_layer_exe_flags(sd_inode_overlay_layer(inode));
	if(sd_exe_writable(task, inode, lo_at, hi_at)) {
		flags |= SD_PPM_EXE_WRITABLE;
	}
	return flags;
}

/* PPM_EXE_* flags of the task's executable; `s` is the CPU's scratch slot. */
static __always_inline __u32 sd_task_exe_flags(struct task_struct *task, struct sd_scratch *s) {
	struct file *exe = sd_task_exe_file(task);
	struct inode *inode = sd_file_inode(exe);
	if(!exe || !inode) {
		return 0;
	}
	__u32 flags = sd_layer_exe_flags(sd_file_overlay_layer(exe));
	if(sd_exe_writable(task, inode, &s->loop_a, &s->loop_b)) {
		flags |= SD_PPM_EXE_WRITABLE;
	}
	if(sd_file_is_memfd(exe)) {
		flags |= SD_PPM_EXE_FROM_MEMFD;
	}
	return flags;
}
