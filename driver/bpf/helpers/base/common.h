/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 0 (base): kernel types, libbpf macros, load-time configuration and the
 * constants every other layer uses. Includes nothing from the other layers.
 */
#pragma once

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "scapdrift_abi.h"

/* ---- load-time configuration, set by the loader in .rodata before load ---- */

/* CLOCK_REALTIME - CLOCK_BOOTTIME at loader start, ns: boot ns + this = epoch ns. */
__weak const volatile __u64 sd_boot_ts_epoch_ns = 0;

/* Enforcement compiled in (loader -e): 0 prunes every enforcement path at load. */
__weak const volatile __u32 sd_enforce_enabled = 0;
/* bpf_send_signal() may be called (loader -e enforce); 0 prunes it, for kernels without it. */
__weak const volatile __u32 sd_enforce_can_kill = 0;

/* ---- kernel constants that vmlinux.h (BTF) does not carry ---------------- */
#define SD_NSEC_PER_SEC 1000000000ULL
#define SD_PF_KTHREAD 0x00200000     /* include/linux/sched.h */
#define SD_PF_EXITING 0x00000004
#define SD_TS_COMPAT 0x0002          /* arch/x86/include/asm/thread_info.h */
#define SD_SB_RDONLY 1UL             /* include/linux/fs.h (BIT(0)) */
#define SD_S_IMMUTABLE (1 << 3)      /* inode->i_flags */
#define SD_MAY_WRITE 0x00000002
#define SD_S_IFMT 00170000
#define SD_S_IFREG 0100000
#define SD_S_IFDIR 0040000
#define SD_S_IFLNK 0120000
#define SD_CAP_DAC_OVERRIDE 1
#define SD_CAP_FOWNER 3
#define SD_PPM_CAP_MASK ((1ULL << 41) - 1) /* PPM_CAP_* bit n == kernel CAP n, n <= 40 */
#define SD_OVERLAYFS_SUPER_MAGIC 0x794c7630
#define SD___FMODE_EXEC 0x20             /* include/linux/fs.h: f_flags of a file opened for exec */
#define SD_TMPFS_MAGIC 0x01021994        /* include/uapi/linux/magic.h: shmem, memfds */
#define SD_F_SEAL_WRITE 0x0008           /* include/uapi/linux/fcntl.h */
#define SD_F_SEAL_FUTURE_WRITE 0x0010
#define SD_SIGKILL 9
#define SD_PAGE_SHIFT 12
#define SD_PAGES_TO_KB(p) ((p) << (SD_PAGE_SHIFT - 10))

/* Multigrain timestamps (kernels >= 6.13): bit 31 of i_ctime_nsec says "queried". */
#define SD_I_CTIME_QUERIED (1U << 31)

/* ---- syscall numbers (x86_64), and their ia32 compat twins ---------------- */
#define SD_NR_CLONE 56
#define SD_NR_FORK 57
#define SD_NR_VFORK 58
#define SD_NR_EXECVE 59
#define SD_NR_EXECVEAT 322
#define SD_NR_CLONE3 435
#define SD_NR_WRITE 1
#define SD_NR_OPEN 2
#define SD_NR_PWRITE64 18
#define SD_NR_WRITEV 20
#define SD_NR_DUP 32
#define SD_NR_DUP2 33
#define SD_NR_SENDFILE 40
#define SD_NR_RENAME 82
#define SD_NR_CREAT 85
#define SD_NR_LINK 86
#define SD_NR_CHMOD 90
#define SD_NR_FCHMOD 91
#define SD_NR_OPENAT 257
#define SD_NR_DUP3 292
#define SD_NR_RENAMEAT 264
#define SD_NR_LINKAT 265
#define SD_NR_FCHMODAT 268
#define SD_NR_PWRITEV 296
#define SD_NR_RENAMEAT2 316
#define SD_NR_MEMFD_CREATE 319
#define SD_NR_COPY_FILE_RANGE 326
#define SD_NR_OPENAT2 437
#define SD_NR_FCHMODAT2 452
#define SD_SYSCALL_TABLE_SIZE 512

#define SD_NR_IA32_FORK 2
#define SD_NR_IA32_EXECVE 11
#define SD_NR_IA32_CLONE 120
#define SD_NR_IA32_VFORK 190
#define SD_NR_IA32_EXECVEAT 358
#define SD_NR_IA32_CLONE3 435
#define SD_NR_IA32_WRITE 4
#define SD_NR_IA32_OPEN 5
#define SD_NR_IA32_CREAT 8
#define SD_NR_IA32_LINK 9
#define SD_NR_IA32_CHMOD 15
#define SD_NR_IA32_RENAME 38
#define SD_NR_IA32_DUP 41
#define SD_NR_IA32_DUP2 63
#define SD_NR_IA32_FCHMOD 94
#define SD_NR_IA32_WRITEV 146
#define SD_NR_IA32_PWRITE64 181
#define SD_NR_IA32_SENDFILE64 239 /* the 32-bit sendfile (187) has a 32-bit offset: not hooked */
#define SD_NR_IA32_OPENAT 295
#define SD_NR_IA32_RENAMEAT 302
#define SD_NR_IA32_LINKAT 303
#define SD_NR_IA32_FCHMODAT 306
#define SD_NR_IA32_DUP3 330
#define SD_NR_IA32_PWRITEV 334
#define SD_NR_IA32_RENAMEAT2 353
#define SD_NR_IA32_MEMFD_CREATE 356
#define SD_NR_IA32_COPY_FILE_RANGE 377
#define SD_NR_IA32_OPENAT2 437
#define SD_NR_IA32_FCHMODAT2 452

/* open flags (include/uapi/asm-generic/fcntl.h, x86) */
#define SD_O_ACCMODE 00000003
#define SD_O_WRONLY 00000001
#define SD_O_RDWR 00000002
#define SD_O_CREAT 00000100
#define SD_O_EXCL 00000200
#define SD_O_TRUNC 00001000
#define SD_O_APPEND 00002000
#define SD_O_NONBLOCK 00004000
#define SD_O_DSYNC 00010000
#define SD_O_DIRECT 00040000
#define SD_O_LARGEFILE 00100000
#define SD_O_DIRECTORY 00200000
#define SD_O_CLOEXEC 02000000
#define SD_O_SYNC (04000000 | SD_O_DSYNC)          /* __O_SYNC | O_DSYNC */
#define SD_O_TMPFILE (020000000 | SD_O_DIRECTORY)  /* __O_TMPFILE | O_DIRECTORY */
#define SD_AT_FDCWD (-100)
#define SD_AT_SYMLINK_FOLLOW 0x400
#define SD_AT_EMPTY_PATH 0x1000
#define SD_RENAME_EXCHANGE (1 << 1)
#define SD_FMODE_CREATED 0x100000 /* f_mode: the open created the file (include/linux/fs.h) */
#define SD_S_IALLUGO 07777        /* permission bits with setuid, setgid, sticky */

/* openat2 resolve flags (include/uapi/linux/openat2.h) */
#define SD_RESOLVE_NO_XDEV 0x01
#define SD_RESOLVE_NO_MAGICLINKS 0x02
#define SD_RESOLVE_NO_SYMLINKS 0x04
#define SD_RESOLVE_BENEATH 0x08
#define SD_RESOLVE_IN_ROOT 0x10
#define SD_RESOLVE_CACHED 0x20

/* dev_t in the kernel: 12-bit major above a 20-bit minor (include/linux/kdev_t.h) */
#define SD_MINORBITS 20
#define SD_MINORMASK ((1U << SD_MINORBITS) - 1)

/* clone flags (include/uapi/linux/sched.h) */
#define SD_CLONE_VM 0x00000100
#define SD_CLONE_FS 0x00000200
#define SD_CLONE_FILES 0x00000400
#define SD_CLONE_SIGHAND 0x00000800
#define SD_CLONE_PTRACE 0x00002000
#define SD_CLONE_VFORK 0x00004000
#define SD_CLONE_PARENT 0x00008000
#define SD_CLONE_THREAD 0x00010000
#define SD_CLONE_NEWNS 0x00020000
#define SD_CLONE_SYSVSEM 0x00040000
#define SD_CLONE_SETTLS 0x00080000
#define SD_CLONE_PARENT_SETTID 0x00100000
#define SD_CLONE_CHILD_CLEARTID 0x00200000
#define SD_CLONE_UNTRACED 0x00800000
#define SD_CLONE_CHILD_SETTID 0x01000000
#define SD_CLONE_NEWCGROUP 0x02000000
#define SD_CLONE_NEWUTS 0x04000000
#define SD_CLONE_NEWIPC 0x08000000
#define SD_CLONE_NEWUSER 0x10000000
#define SD_CLONE_NEWPID 0x20000000
#define SD_CLONE_NEWNET 0x40000000
#define SD_CLONE_IO 0x80000000

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((void *)(ptr) - __builtin_offsetof(type, member)))
#endif

/* Paths are assembled right to left in a buffer this large: a name of up to
 * SD_MAX_NAME bytes is written at (position & (SD_MAX_PATH - 1)), which the
 * verifier can only bound by SD_MAX_PATH + SD_MAX_NAME. */
#define SD_MAX_NAME 255
#define SD_PATH_BUF (SD_MAX_PATH + SD_MAX_NAME + 1)

/* Keep the compiler from folding a bounds check away before the verifier sees it. */
#define sd_barrier_var(var) asm volatile("" : "+r"(var))
