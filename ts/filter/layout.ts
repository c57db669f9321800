/**
 * Constants of the compiled filter blob, mirroring assembly/filter/layout.ts
 * (the box diagrams of the blob and of an instruction are there). Keep both in step.
 */

/** Bytes of one instruction: opcode u8, cmp u8, field u16, aux u32, value u32. */
export const INSN_BYTES = 12;

export const Op = {
  /** acc = field `cmp` value list. */
  CHECK: 1,
  /** acc = event id in the type bitmap (a generic exit: its syscall in the syscall bitmap at aux, when set). */
  TYPES: 2,
  /** Jump to aux when acc is false. */
  JUMP_FALSE: 3,
  /** Jump to aux when acc is true. */
  JUMP_TRUE: 4,
  NOT: 5,
  END: 6,
  /** Applies transformer `cmp` (XF) to the next CHECK's left side (field 0) or right-side field (field 1). */
  XFORM: 7,
  /** The next CHECK compares with field `field` (aux: its table or index) instead of its value list. */
  RHS: 8,
} as const;

/** Transformer codes of Op.XFORM (assembly/filter/layout.ts XF_*). */
export const XF = { tolower: 1, toupper: 2, b64: 3, basename: 4, len: 5 } as const;
/** Most transformers one side of a check may nest. */
export const MAX_TRANSFORMS = 8;

export const Cmp = {
  EQ: 0, NE: 1, LT: 2, LE: 3, GT: 4, GE: 5, CONTAINS: 6, ICONTAINS: 7, STARTSWITH: 8,
  ENDSWITH: 9, GLOB: 10, PMATCH: 11, EXISTS: 12, IGLOB: 13, BITS_ANY: 14, REGEX: 15, IN_ALL: 16,
} as const;

/** Field ids the VM reads (assembly/filter/layout.ts F_*). */
export const F = {
  EVT_NUM: 1, EVT_RAWTIME: 2, EVT_CPU: 3, TID: 4, PID: 5, PPID: 6, VPID: 7, VTID: 8, PID_TS: 9,
  UID: 10, LOGINUID: 11, EXE_INO: 12, EXE_INO_CTIME: 13, EXE_INO_MTIME: 14,
  CTIME_DURATION_PROC_START: 15, CTIME_DURATION_PIDNS_START: 16, PIDNS_INIT_START_TS: 17,
  CONTAINER_START_TS: 18, CONTAINER_DURATION: 19, IS_EXE_WRITABLE: 20, IS_EXE_UPPER_LAYER: 21,
  IS_EXE_LOWER_LAYER: 22, IS_EXE_FROM_MEMFD: 23, PROC_NAME: 24, PROC_EXE: 25, PROC_EXEPATH: 26,
  PROC_ARGS: 27, PROC_CMDLINE: 28, PROC_CWD: 29, CONTAINER_ID: 30, PARAM: 31,
  IS_EXE_SCRIPT: 32, EXE_INTERPRETER: 33, WRITER_PID: 34, WRITER_NAME: 35, WRITTEN_TS: 36,
  WRITTEN_DURATION: 37, CHMOD_PID: 38, CHMOD_NAME: 39, CHMOD_TS: 40, CHMOD_DURATION: 41,
  EXE_SHA256: 42, PEXE_SHA256: 43, EXE_INTERPRETER_SHA256: 44,
  NONE: 63, PROC_PNAME: 64, PROC_PEXE: 65, PROC_PEXEPATH: 66, PROC_PCMDLINE: 67, PROC_ANAME: 68, PROC_AEXE: 69,
  PROC_AEXEPATH: 70, PROC_ACMDLINE: 71, PROC_SNAME: 72, PROC_VPGID_NAME: 73, PROC_VPGID_EXE: 74, PROC_ENV: 75,
  CAP_PERMITTED: 76, CAP_INHERITABLE: 77, CAP_EFFECTIVE: 78, PROC_APID: 96, PROC_SID: 97, PROC_VPGID: 98,
  PROC_SID_EXE: 79, PROC_SID_EXEPATH: 80, PROC_VPGID_EXEPATH: 81, USER_NAME: 82, USER_HOMEDIR: 83, USER_SHELL: 84,
  USER_LOGINNAME: 85, GROUP_NAME: 86, THREAD_NAMETID: 88, PROC_EXELINE: 89, PROC_STDIN_TYPE: 90, PROC_STDOUT_TYPE: 91,
  PROC_STDERR_TYPE: 92, PROC_STDIN_NAME: 93, PROC_STDOUT_NAME: 94, PROC_STDERR_NAME: 95,
  PROC_TTY: 99, PROC_CMDNARGS: 100, PROC_IS_SID_LEADER: 101, PROC_IS_VPGID_LEADER: 102, PROC_CMDLENARGS: 103,
  PROC_PVPID: 104, THREAD_ISMAIN: 105, GROUP_GID: 106, PROC_DURATION: 107, PROC_PPID_DURATION: 108,
  PROC_PPID_TS: 109, PROC_FDOPENCOUNT: 110, PROC_LOGINSHELLID: 111,
  FD_TYPE: 128, FD_TYPECHAR: 129, FD_NAME: 130, FD_DIRECTORY: 131, FD_FILENAME: 132, FD_SIP: 133, FD_CIP: 134,
  FD_L4PROTO: 135, FD_SOCKFAMILY: 136, FD_NAMERAW: 137, FD_LIP: 138, FD_RIP: 139,
  FD_CPROTO: 140, FD_SPROTO: 141, FD_LPROTO: 142, FD_RPROTO: 143, FD_UID: 144, FD_CONTAINERNAME: 145,
  FD_CONTAINERDIRECTORY: 146, FD_TYPES: 147,
  FD_NUM: 160, FD_INO: 161, FD_DEV: 162, FD_SPORT: 163, FD_CPORT: 164, FD_LPORT: 165, FD_RPORT: 166,
  FD_IS_SERVER: 167, FD_CONNECTED: 168, FD_NET_SRC: 169, FD_NET_DST: 170, FD_PORT_SRC: 171, FD_PORT_DST: 172,
  FD_SNET: 173, FD_CNET: 174, FD_LNET: 175, FD_RNET: 176, FD_NAME_CHANGED: 177,
  FD_DEV_MAJOR: 178, FD_DEV_MINOR: 179, FD_IS_UPPER_LAYER: 180, FD_IS_LOWER_LAYER: 181, FD_FIRST: 128, FD_END: 192,
  FS_PATH_NAME: 192, FS_PATH_NAMERAW: 193, FS_PATH_SOURCE: 194, FS_PATH_SOURCERAW: 195, FS_PATH_TARGET: 196, FS_PATH_TARGETRAW: 197,
  FS_PATH_FIRST: 192, FS_PATH_END: 198, EVT_CATEGORY: 198,
} as const;

/** What the F.FD_*NET fields read for an IPv6 address (assembly/filter/layout.ts FD_IP_V6). */
export const FD_IP_V6 = 1n << 40n;

/** The ancestor index of proc.aname & co. without one (assembly/filter/layout.ts ARG_ANY). */
export const ARG_ANY = 0xffff_ffff;

/** Value flags: the value has a number; the number is above i64 (read as u64). */
export const VAL_NUM = 1;
export const VAL_BIG = 2;

/** Parameter kinds of a per-type table. */
export const PK = { NONE: 0, STRING: 1, SIGNED: 2, UNSIGNED: 3, BYTES: 4, TEXT: 5 } as const;
export const PARAM_NONE = 0xff;

/** Event ids a type bitmap or parameter table covers. */
export const FILTER_EVENT_IDS = 1024;
export const TYPE_BITMAP_BYTES = FILTER_EVENT_IDS / 8;
/** ppm_sc codes a syscall bitmap covers (assembly/syscall.ts SYSCALL_CAPACITY). */
export const FILTER_SYSCALLS = 1024;
export const SYSCALL_BITMAP_BYTES = FILTER_SYSCALLS / 8;
export const PARAM_TABLE_BYTES = FILTER_EVENT_IDS * 2;
