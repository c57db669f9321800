/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/*
 * The contract between the eBPF side (driver/bpf) and the loader (driver/loader).
 * Plain #defines and one struct with explicit padding, so that both a BPF
 * translation unit (vmlinux.h types) and a userspace one (<stdint.h>) can include it.
 *
 * Facts (event ids, parameter counts, flag bits) come from falcosecurity/libs
 * driver/ppm_events_public.h and driver/event_table.c.
 *
 * One ring-buffer record:
 *
 *   +--------------------+------------------------------------------------+
 *   | sd_record_hdr (8B) | frame (hdr->len bytes, libs' ppm_evt_hdr v2)   |
 *   +--------------------+------------------------------------------------+
 *
 * Frame (little endian, packed):
 *
 *   0        8        16     20   22       26
 *   +--------+--------+------+----+--------+---------------------+-----------------+
 *   | ts u64 | tid u64| len  |type|nparams | nparams x u16 length| params, packed  |
 *   | epoch ns        | u32  |u16 | u32    |                     | back to back    |
 *   +--------+--------+------+----+--------+---------------------+-----------------+
 *
 * `len` counts the whole frame, header included.
 */
#ifndef SCAPDRIFT_ABI_H
#define SCAPDRIFT_ABI_H

/* ---- frame header ------------------------------------------------------- */
#define SD_FRAME_HDR_SIZE 26
#define SD_FRAME_OFF_TS 0
#define SD_FRAME_OFF_TID 8
#define SD_FRAME_OFF_LEN 16
#define SD_FRAME_OFF_TYPE 20
#define SD_FRAME_OFF_NPARAMS 22

/* ---- event ids (libs' ppm_event_code) and parameter counts ---------------- */
#define SD_PPME_PROCEXIT_1_E 186
#define SD_PPME_SYSCALL_CLONE_20_X 223
#define SD_PPME_SYSCALL_FORK_20_X 225
#define SD_PPME_SYSCALL_VFORK_20_X 227
#define SD_PPME_SYSCALL_EXECVE_19_X 293
#define SD_PPME_SYSCALL_EXECVEAT_X 331
#define SD_PPME_SYSCALL_CLONE3_X 335

#define SD_NPARAMS_PROCEXIT 5
#define SD_NPARAMS_CLONE 21 /* clone, fork, vfork, clone3 */
#define SD_NPARAMS_EXECVE 31
#define SD_NPARAMS_EXECVEAT 30

/* File events: exit side only, successful calls only (driver/bpf/README.md, "File events"). */
#define SD_PPME_SYSCALL_OPEN_X 3
#define SD_PPME_SYSCALL_WRITE_X 9
#define SD_PPME_SYSCALL_CREAT_X 59
#define SD_PPME_SYSCALL_PWRITE_X 115
#define SD_PPME_SYSCALL_WRITEV_X 119
#define SD_PPME_SYSCALL_PWRITEV_X 123
#define SD_PPME_SYSCALL_RENAME_X 175
#define SD_PPME_SYSCALL_RENAMEAT_X 177
#define SD_PPME_SYSCALL_SENDFILE_X 189
#define SD_PPME_SYSCALL_OPENAT_2_X 307
#define SD_PPME_SYSCALL_LINK_2_X 309
#define SD_PPME_SYSCALL_LINKAT_2_X 311
#define SD_PPME_SYSCALL_FCHMODAT_X 313
#define SD_PPME_SYSCALL_CHMOD_X 315
#define SD_PPME_SYSCALL_FCHMOD_X 317
#define SD_PPME_SYSCALL_RENAMEAT2_X 319
#define SD_PPME_SYSCALL_OPENAT2_X 327
#define SD_PPME_SYSCALL_COPY_FILE_RANGE_X 333
#define SD_PPME_SYSCALL_MEMFD_CREATE_X 405
#define SD_PPME_SYSCALL_DUP2_X 363
#define SD_PPME_SYSCALL_DUP3_X 365
#define SD_PPME_SYSCALL_DUP_1_X 367

#define SD_NPARAMS_OPEN 6       /* fd, name, flags, mode, dev, ino */
#define SD_NPARAMS_CREAT 6      /* fd, name, mode, dev, ino, creat_flags */
#define SD_NPARAMS_OPENAT 7     /* fd, dirfd, name, flags, mode, dev, ino */
#define SD_NPARAMS_OPENAT2 8    /* fd, dirfd, name, flags, mode, resolve, dev, ino */
#define SD_NPARAMS_WRITE 4      /* res, data, fd, size (write, writev) */
#define SD_NPARAMS_PWRITE 5     /* res, data, fd, size, pos (pwrite, pwritev) */
#define SD_NPARAMS_SENDFILE 5   /* res, offset, out_fd, in_fd, size */
#define SD_NPARAMS_COPY_FILE_RANGE 6 /* res, fdout, offout, fdin, offin, len */
#define SD_NPARAMS_CHMOD 3      /* res, filename, mode */
#define SD_NPARAMS_FCHMODAT 4   /* res, dirfd, filename, mode */
#define SD_NPARAMS_FCHMOD 3     /* res, fd, mode */
#define SD_NPARAMS_RENAME 3     /* res, oldpath, newpath (rename, link) */
#define SD_NPARAMS_RENAMEAT 5   /* res, olddirfd, oldpath, newdirfd, newpath */
#define SD_NPARAMS_RENAMEAT2 6  /* renameat + flags; linkat has the same shape */
#define SD_NPARAMS_MEMFD_CREATE 3 /* fd, name, flags */
#define SD_NPARAMS_DUP_1 2      /* res, oldfd */
#define SD_NPARAMS_DUP2 3       /* res, oldfd, newfd */
#define SD_NPARAMS_DUP3 4       /* res, oldfd, newfd, flags */

/* ---- flag bits (ppm_events_public.h) ------------------------------------- */
#define SD_PPM_EXE_WRITABLE (1u << 0)
#define SD_PPM_EXE_UPPER_LAYER (1u << 1)
#define SD_PPM_EXE_FROM_MEMFD (1u << 2)
#define SD_PPM_EXE_LOWER_LAYER (1u << 3)
/*
 * scapdrift's own bit, not libs': the exec ran an interpreter (a #! script, or a
 * binfmt_misc file). Params 20 (the other bits), 24-26 (exe_ino, ctime, mtime) and
 * 31 (filename, made absolute) then describe the script file, param 28
 * (trusted_exepath) the interpreter; 24-26 are 0 when the script file is unknown
 * (driver/bpf/README.md, "Signals"). Far from libs' bits 0-3 so that a future
 * PPM_EXE_* cannot collide.
 */
#define SD_PPM_EXE_SCRIPT (1u << 31)
/*
 * scapdrift's own bits of param 20 on a successful exec, set when enforcement is on
 * (loader -e; driver/bpf/README.md, "Enforcement"): a policy matched this exec and
 * SD_PPM_EXE_ENFORCE_KILLED (SIGKILL sent before the program's first instruction) or
 * SD_PPM_EXE_ENFORCE_WOULD_KILL (audit mode, kill switch thrown, rate limit reached,
 * or a process that is never killed: pid 1, the capture's own); bits 24-27 say which
 * policies matched (SD_ENFORCE_* << SD_PPM_EXE_ENFORCE_POLICY_SHIFT).
 */
#define SD_PPM_EXE_ENFORCE_WOULD_KILL (1u << 30)
#define SD_PPM_EXE_ENFORCE_KILLED (1u << 29)
#define SD_PPM_EXE_ENFORCE_POLICY_SHIFT 24

/* ---- enforcement: policies, modes, and the loader's configuration map ---- */
#define SD_ENFORCE_WRITTEN_UNTRUSTED (1u << 0) /* exe opened for writing during the capture by an untrusted writer */
#define SD_ENFORCE_MEMFD (1u << 1)             /* exe is a memfd not named in the allowed set */
#define SD_ENFORCE_DELETED (1u << 2)           /* exe was unlinked before the exec */
#define SD_ENFORCE_UPPER_LAYER (1u << 3)       /* exe in an overlayfs upper layer, opened for writing during the capture */
#define SD_ENFORCE_POLICY_COUNT 4
#define SD_ENFORCE_POLICY_NAMES { "written_untrusted", "memfd", "deleted", "upper_layer" }

#define SD_ENFORCE_OFF 0   /* no decision (the policy is not loaded yet) */
#define SD_ENFORCE_AUDIT 1 /* decide and report, never kill */
#define SD_ENFORCE_KILL 2  /* decide and kill */

/* FNV-1a 64, the hash of a memfd's name ("memfd:<name>") in sd_enforce_memfd_map. */
#define SD_FNV64_OFFSET 0xcbf29ce484222325ULL
#define SD_FNV64_PRIME 0x100000001b3ULL
#define SD_MEMFD_NAME_MAX 256 /* bytes of the name hashed, NUL included */
#define SD_ENFORCE_TRUSTED_MAX 4096 /* entries of sd_enforce_trusted_map */
#define SD_ENFORCE_MEMFD_MAX 256    /* entries of sd_enforce_memfd_map */

/*
 * The identity of an inode as the file events send it: number and encoded dev
 * (stat()'s st_ino and st_dev). Key of sd_written_map's peers in the BPF side and
 * of the trusted writers the loader fills.
 */
struct sd_inode_key {
	unsigned long long ino;
	unsigned int dev; /* the superblock's dev_t, encoded as the open event's `dev` */
	unsigned int pad; /* zero */
};

/* The one entry of sd_enforce_cfg_map, written by the loader. */
struct sd_enforce_cfg {
	unsigned int mode;              /* SD_ENFORCE_OFF / AUDIT / KILL */
	unsigned int policies;          /* SD_ENFORCE_* bits */
	unsigned int max_kills_per_sec; /* kills beyond it in one second are reported as would-kill */
	unsigned int spare_tgid[2];     /* never killed: the loader and its parent (scapdrift) */
	unsigned int pad;               /* zero */
	unsigned long long scope_cgroup_id; /* only tasks in this cgroup v2 (kernfs id = inode number of
	                                     * its directory) or below it; 0: every task */
};

/* Who last opened a file for writing (sd_enforce_written_map, keyed by the file's sd_inode_key). */
struct sd_enforce_writer {
	unsigned long long exe_ino; /* the writer's executable: inode number and encoded dev, */
	unsigned int exe_dev;       /*   the key of sd_enforce_trusted_map */
	unsigned int tgid;
};

/* Kills in the current one-second window (sd_enforce_rate_map). */
struct sd_enforce_rate {
	unsigned long long window_start_ns; /* bpf_ktime_get_ns() */
	unsigned int kills;
	unsigned int pad;
};

/* open flags (PPM_O_*), creat flags, and the pseudo dirfd */
#define SD_PPM_O_RDONLY (1u << 0)
#define SD_PPM_O_WRONLY (1u << 1)
#define SD_PPM_O_RDWR (SD_PPM_O_RDONLY | SD_PPM_O_WRONLY)
#define SD_PPM_O_CREAT (1u << 2)
#define SD_PPM_O_APPEND (1u << 3)
#define SD_PPM_O_DSYNC (1u << 4)
#define SD_PPM_O_EXCL (1u << 5)
#define SD_PPM_O_NONBLOCK (1u << 6)
#define SD_PPM_O_SYNC (1u << 7)
#define SD_PPM_O_TRUNC (1u << 8)
#define SD_PPM_O_DIRECT (1u << 9)
#define SD_PPM_O_DIRECTORY (1u << 10)
#define SD_PPM_O_LARGEFILE (1u << 11)
#define SD_PPM_O_CLOEXEC (1u << 12)
#define SD_PPM_O_TMPFILE (1u << 13)
#define SD_PPM_O_F_CREATED (1u << 14)
#define SD_PPM_FD_UPPER_LAYER (1u << 15)
#define SD_PPM_FD_LOWER_LAYER (1u << 16)
#define SD_PPM_FD_UPPER_LAYER_CREAT (1u << 0)
#define SD_PPM_FD_LOWER_LAYER_CREAT (1u << 1)
#define SD_PPM_AT_FDCWD (-100)

/* openat2 resolve flags (PPM_RESOLVE_*) */
#define SD_PPM_RESOLVE_BENEATH (1u << 0)
#define SD_PPM_RESOLVE_IN_ROOT (1u << 1)
#define SD_PPM_RESOLVE_NO_MAGICLINKS (1u << 2)
#define SD_PPM_RESOLVE_NO_SYMLINKS (1u << 3)
#define SD_PPM_RESOLVE_NO_XDEV (1u << 4)
#define SD_PPM_RESOLVE_CACHED (1u << 5)

#define SD_PPM_CL_CLONE_FILES (1u << 0)
#define SD_PPM_CL_CLONE_FS (1u << 1)
#define SD_PPM_CL_CLONE_IO (1u << 2)
#define SD_PPM_CL_CLONE_NEWIPC (1u << 3)
#define SD_PPM_CL_CLONE_NEWNET (1u << 4)
#define SD_PPM_CL_CLONE_NEWNS (1u << 5)
#define SD_PPM_CL_CLONE_NEWPID (1u << 6)
#define SD_PPM_CL_CLONE_NEWUTS (1u << 7)
#define SD_PPM_CL_CLONE_PARENT (1u << 8)
#define SD_PPM_CL_CLONE_PARENT_SETTID (1u << 9)
#define SD_PPM_CL_CLONE_PTRACE (1u << 10)
#define SD_PPM_CL_CLONE_SIGHAND (1u << 11)
#define SD_PPM_CL_CLONE_SYSVSEM (1u << 12)
#define SD_PPM_CL_CLONE_THREAD (1u << 13)
#define SD_PPM_CL_CLONE_UNTRACED (1u << 14)
#define SD_PPM_CL_CLONE_VM (1u << 15)
#define SD_PPM_CL_CLONE_NEWUSER (1u << 20)
#define SD_PPM_CL_CLONE_CHILD_CLEARTID (1u << 23)
#define SD_PPM_CL_CLONE_CHILD_SETTID (1u << 24)
#define SD_PPM_CL_CLONE_SETTLS (1u << 25)
#define SD_PPM_CL_CLONE_VFORK (1u << 27)
#define SD_PPM_CL_CLONE_NEWCGROUP (1u << 28)
#define SD_PPM_CL_CHILD_IN_PIDNS (1u << 29)

/* ---- size limits (bytes), the same as libs' driver and libscap ------------ */
#define SD_MAX_PATH 4096     /* exe, trusted_exepath, filename */
#define SD_MAX_ARGS_ENV 4096 /* args and env byte buffers */
#define SD_MAX_ARGV 64       /* argv/envp entries walked on a failed execve */
#define SD_MAX_COMM 16
#define SD_MAX_CGROUPS 4096     /* the whole cgroups parameter (libscap's SCAP_MAX_CGROUPS_SIZE) */
#define SD_MAX_CGROUP_DEPTH 32  /* cgroup path components below the hierarchy root */

/*
 * Scratch space: the frame is built in a per-CPU slot and copied to the ring
 * buffer. Every write lands at (offset & (SD_FRAME_HALF - 1)) and is at most
 * SD_FRAME_HALF bytes long, so the verifier can prove it stays inside the slot;
 * the largest frame (exe, args, env, cgroups, trusted_exepath, filename: 6 x 4096,
 * plus the fixed params) stays below SD_FRAME_HALF, and a frame that would not is
 * dropped and counted (SD_CNT_DROP_TOO_LARGE).
 */
#define SD_FRAME_HALF (32 * 1024)
#define SD_FRAME_MAX (SD_FRAME_HALF - 1)

/*
 * Slot of the exec-exit stage that resolves a script's path in the program array
 * `sd_exec_stages`: filled by the loader, because that program needs bpf_loop()
 * (kernel >= 5.17) and is not loaded without it.
 */
#define SD_EXEC_STAGE_SCRIPT_SLOT 2

/* Ring buffer shared by all CPUs (see driver/bpf/README.md), in bytes. */
#define SD_RINGBUF_BYTES (16 * 1024 * 1024)

/* ---- counters: per-CPU array map `sd_counters`, one u64 slot per cause ---- */
#define SD_CNT_EVENTS 0          /* frames submitted */
#define SD_CNT_DROP_RINGBUF 1    /* ring buffer full: frame lost */
#define SD_CNT_DROP_SCRATCH 2    /* no scratch slot for this CPU: frame lost */
#define SD_CNT_DROP_TOO_LARGE 3  /* frame would exceed SD_FRAME_MAX: frame lost */
#define SD_CNT_READ_FAULT 4      /* a kernel/user read failed: that parameter sent empty */
#define SD_CNT_TRUNCATED 5       /* a string, buffer or cgroup path was cut at its limit */
#define SD_CNT_ENFORCE_KILLED 6  /* execs killed (enforce) */
#define SD_CNT_ENFORCE_WOULD_KILL 7 /* execs a policy matched and that were not killed (audit, kill switch) */
#define SD_CNT_ENFORCE_RATE_LIMITED 8 /* of those: not killed because of the rate limit */
#define SD_CNT_ENFORCE_SPARED 9  /* of those: pid 1 or the capture's own processes */
#define SD_CNT_MAX 10

#define SD_CNT_NAMES                                                                       \
	{ "events", "drop_ringbuf_full", "drop_no_scratch", "drop_too_large", "read_fault", \
	  "truncated", "enforce_killed", "enforce_would_kill", "enforce_rate_limited",      \
	  "enforce_spared" }

/* Header the BPF side puts before each frame in the ring buffer. */
struct sd_record_hdr {
	unsigned short cpu;      /* CPU that produced the frame (EV block cpuid) */
	unsigned short reserved; /* zero */
	unsigned int reserved2;  /* zero; keeps the frame 8-byte aligned */
};
#define SD_RECORD_HDR_SIZE 8

/*
 * One record of the pid-namespace iterator (programs/pidns_iter.bpf.c), read by
 * the loader before it writes the process table: the inode number of a pid
 * namespace other than the initial one and the start of its init task (child
 * reaper), ns since boot, as the clone exits carry it.
 */
struct sd_pidns_start {
	unsigned long long ns_ino;
	unsigned long long start_boot_ns;
};

#endif /* SCAPDRIFT_ABI_H */
