// The compiled filter: one blob of programs that the shell (ts/filter/blob.ts)
// writes into Wasm memory and vm.ts runs per frame. ts/filter/layout.ts mirrors
// every constant here; keep both in step.
//
// Blob (little endian, offsets in bytes from the blob start):
//
//   +-------------+--------------------------+------------------------+-----------------+
//   | count u32   | start u32 × count        | instructions           | constants       |
//   | programs    | first instruction of each| 3 × u32 each (below)   | 8-byte aligned  |
//   +-------------+--------------------------+------------------------+-----------------+
//
// Instruction (INSN_BYTES):
//
//   0                 1          2                  4          8          12
//   +-----------------+----------+------------------+----------+----------+
//   | opcode u8       | cmp u8   | field u16        | aux u32  | value u32|
//   +-----------------+----------+------------------+----------+----------+
//   aux:   OP_JUMP_*: the target's offset; F_PARAM: offset of its per-type table;
//          OP_TYPES: offset of a syscall bitmap for generic exits (0: none, the event id decides).
//   value: OP_CHECK: offset of a value list; OP_TYPES: offset of a type bitmap.
//
// A check with transformers or a right-side field is a run of instructions ending in its OP_CHECK:
//   OP_XFORM (cmp: XF_*, field: 0 left side / 1 right side) × n, innermost first,
//   OP_RHS (field and aux of the right-side field), OP_CHECK.
// Jumps never land inside such a run.
//
// Value list: count u32, pad u32, then `count` values, each
//   flags u32 (VAL_*), len u32, num u64 (i64, or u64 when VAL_BIG), text[len], pad to 8.
// Type bitmap: TYPE_BITMAP_BYTES, bit `id` set when event id `id` is selected.
// Syscall bitmap: SYSCALL_BITMAP_BYTES, bit `sc` set when a generic exit of ppm_sc code `sc` is.
// Per-type parameter table (F_PARAM): PARAM_TABLE_BYTES, per event id 2 bytes:
//   parameter index (PARAM_NONE: none) and kind (PK_*).

import { SYSCALL_CAPACITY } from "../syscall";

export const INSN_BYTES: u32 = 12;

/** Sets acc to the comparison `cmp` of `field` against the value list. */
export const OP_CHECK: u32 = 1;
/**
 * Sets acc to whether the event id is in the type bitmap (evt.type, evt.dir); for a generic exit
 * with a syscall bitmap at aux (evt.type), whether its syscall is in that bitmap.
 */
export const OP_TYPES: u32 = 2;
/** Jumps to aux when acc is false (and). */
export const OP_JUMP_FALSE: u32 = 3;
/** Jumps to aux when acc is true (or). */
export const OP_JUMP_TRUE: u32 = 4;
export const OP_NOT: u32 = 5;
/** Ends the program; its result is acc. */
export const OP_END: u32 = 6;
/** Applies transformer `cmp` (XF_*) to the next OP_CHECK's left side (field 0) or right-side field (field 1). */
export const OP_XFORM: u32 = 7;
/** The next OP_CHECK compares with field `field` (aux as for OP_CHECK) instead of its value list. */
export const OP_RHS: u32 = 8;

// Transformers (libsinsp sinsp_filter_transformers/): string → string, except XF_LEN → u64.
export const XF_TOLOWER: u32 = 1;
export const XF_TOUPPER: u32 = 2;
/** Base64 decoding (libsinsp Base64::decodeWithoutPadding); an invalid text makes the value missing. */
export const XF_B64: u32 = 3;
export const XF_BASENAME: u32 = 4;
/** Length: bytes up to the first NUL of a string, all bytes of a buffer. */
export const XF_LEN: u32 = 5;
/** Most transformers one side of a check may nest. */
export const MAX_TRANSFORMS: u32 = 8;

// Comparisons. A missing value never matches any of them except CMP_EXISTS (false).
/** Equal to any value of the list (=, ==, in, intersects). */
export const CMP_EQ: u32 = 0;
/** Present and equal to none of the values. */
export const CMP_NE: u32 = 1;
export const CMP_LT: u32 = 2;
export const CMP_LE: u32 = 3;
export const CMP_GT: u32 = 4;
export const CMP_GE: u32 = 5;
export const CMP_CONTAINS: u32 = 6;
/** contains with ASCII case folding. */
export const CMP_ICONTAINS: u32 = 7;
export const CMP_STARTSWITH: u32 = 8;
export const CMP_ENDSWITH: u32 = 9;
/** Shell-style pattern: * ? [set] [!set], backslash escapes. */
export const CMP_GLOB: u32 = 10;
/** Any value is a path prefix, component by component (a component may be a glob). */
export const CMP_PMATCH: u32 = 11;
export const CMP_EXISTS: u32 = 12;
/** glob with ASCII case folding. */
export const CMP_IGLOB: u32 = 13;
/** A number with any bit of the value set (evt.is_open_*: flags and mode bits). */
export const CMP_BITS_ANY: u32 = 14;
/** RE2-POSIX full match of the value as a pattern (ts/filter/regex.ts; matched by the shell's regexMatch). */
export const CMP_REGEX: u32 = 15;
/** A list field (fd.types) whose every item is one of the values (libsinsp `in` on a list; intersects is CMP_EQ: any item). */
export const CMP_IN_ALL: u32 = 16;

// Fields the VM reads (ts/filter/field_map.ts names them).
export const F_EVT_NUM: u32 = 1;
export const F_EVT_RAWTIME: u32 = 2;
export const F_EVT_CPU: u32 = 3;
export const F_TID: u32 = 4;
export const F_PID: u32 = 5;
export const F_PPID: u32 = 6;
export const F_VPID: u32 = 7;
export const F_VTID: u32 = 8;
export const F_PID_TS: u32 = 9;
export const F_UID: u32 = 10;
export const F_LOGINUID: u32 = 11;
export const F_EXE_INO: u32 = 12;
export const F_EXE_INO_CTIME: u32 = 13;
export const F_EXE_INO_MTIME: u32 = 14;
export const F_CTIME_DURATION_PROC_START: u32 = 15;
export const F_CTIME_DURATION_PIDNS_START: u32 = 16;
export const F_PIDNS_INIT_START_TS: u32 = 17;
export const F_CONTAINER_START_TS: u32 = 18;
export const F_CONTAINER_DURATION: u32 = 19;
export const F_IS_EXE_WRITABLE: u32 = 20;
export const F_IS_EXE_UPPER_LAYER: u32 = 21;
export const F_IS_EXE_LOWER_LAYER: u32 = 22;
export const F_IS_EXE_FROM_MEMFD: u32 = 23;
export const F_PROC_NAME: u32 = 24;
export const F_PROC_EXE: u32 = 25;
export const F_PROC_EXEPATH: u32 = 26;
export const F_PROC_ARGS: u32 = 27;
export const F_PROC_CMDLINE: u32 = 28;
export const F_PROC_CWD: u32 = 29;
export const F_CONTAINER_ID: u32 = 30;
/** A parameter of the event, found per event id through the table at aux. */
export const F_PARAM: u32 = 31;
export const F_IS_EXE_SCRIPT: u32 = 32;
export const F_EXE_INTERPRETER: u32 = 33;
export const F_WRITER_PID: u32 = 34;
export const F_WRITER_NAME: u32 = 35;
export const F_WRITTEN_TS: u32 = 36;
export const F_WRITTEN_DURATION: u32 = 37;
export const F_CHMOD_PID: u32 = 38;
export const F_CHMOD_NAME: u32 = 39;
export const F_CHMOD_TS: u32 = 40;
export const F_CHMOD_DURATION: u32 = 41;
/** SHA-256 hex of the executable, of the parent's, of a script's interpreter (../exe_hash.ts). */
export const F_EXE_SHA256: u32 = 42;
export const F_PEXE_SHA256: u32 = 43;
export const F_EXE_INTERPRETER_SHA256: u32 = 44;

/** A field whose data no capture carries (the container plugin's runtime metadata): never loaded, always missing. */
export const F_NONE: u32 = 63;

// Process state (ancestry, session, environment, capabilities; ../ancestry.ts):
// strings from 64, numbers from 96. The A* fields take an ancestor index: their
// instruction's aux points at a u32 constant, ARG_ANY when the field has none.
export const F_PROC_PNAME: u32 = 64;
export const F_PROC_PEXE: u32 = 65;
export const F_PROC_PEXEPATH: u32 = 66;
export const F_PROC_PCMDLINE: u32 = 67;
export const F_PROC_ANAME: u32 = 68;
export const F_PROC_AEXE: u32 = 69;
export const F_PROC_AEXEPATH: u32 = 70;
export const F_PROC_ACMDLINE: u32 = 71;
export const F_PROC_SNAME: u32 = 72;
export const F_PROC_VPGID_NAME: u32 = 73;
export const F_PROC_VPGID_EXE: u32 = 74;
export const F_PROC_ENV: u32 = 75;
export const F_CAP_PERMITTED: u32 = 76;
export const F_CAP_INHERITABLE: u32 = 77;
export const F_CAP_EFFECTIVE: u32 = 78;
export const F_PROC_SID_EXE: u32 = 79;
export const F_PROC_SID_EXEPATH: u32 = 80;
export const F_PROC_VPGID_EXEPATH: u32 = 81;
export const F_USER_NAME: u32 = 82;
export const F_USER_HOMEDIR: u32 = 83;
export const F_USER_SHELL: u32 = 84;
export const F_USER_LOGINNAME: u32 = 85;
export const F_GROUP_NAME: u32 = 86;
/** comm followed by the event's tid (libsinsp TYPE_NAMETID). */
export const F_THREAD_NAMETID: u32 = 88;
/** proc.exe, a space, then the arguments space-separated (libsinsp TYPE_EXELINE). */
export const F_PROC_EXELINE: u32 = 89;
/** Type and name of fd 0, 1, 2 of the thread's process (libsinsp TYPE_FD_STD*). */
export const F_PROC_STDIN_TYPE: u32 = 90;
export const F_PROC_STDOUT_TYPE: u32 = 91;
export const F_PROC_STDERR_TYPE: u32 = 92;
export const F_PROC_STDIN_NAME: u32 = 93;
export const F_PROC_STDOUT_NAME: u32 = 94;
export const F_PROC_STDERR_NAME: u32 = 95;
export const F_PROC_APID: u32 = 96;
export const F_PROC_SID: u32 = 97;
export const F_PROC_VPGID: u32 = 98;
export const F_PROC_TTY: u32 = 99;
export const F_PROC_CMDNARGS: u32 = 100;
export const F_PROC_IS_SID_LEADER: u32 = 101;
export const F_PROC_IS_VPGID_LEADER: u32 = 102;
export const F_PROC_CMDLENARGS: u32 = 103;
export const F_PROC_PVPID: u32 = 104;
export const F_THREAD_ISMAIN: u32 = 105;
export const F_GROUP_GID: u32 = 106;
export const F_PROC_DURATION: u32 = 107;
export const F_PROC_PPID_DURATION: u32 = 108;
/** Clone ts of the parent thread (by ptid). */
export const F_PROC_PPID_TS: u32 = 109;
/** Fds in the process's table (libsinsp get_fd_opencount). */
export const F_PROC_FDOPENCOUNT: u32 = 110;
/** Pid of the eldest process of the ancestry (itself included) whose comm ends in "sh" (libsinsp TYPE_LOGINSHELLID). */
export const F_PROC_LOGINSHELLID: u32 = 111;
// The event's fd (../fd_table.ts, fd_fields.ts): strings from 128, numbers from 160.
export const F_FD_TYPE: u32 = 128;
export const F_FD_TYPECHAR: u32 = 129;
export const F_FD_NAME: u32 = 130;
export const F_FD_DIRECTORY: u32 = 131;
export const F_FD_FILENAME: u32 = 132;
export const F_FD_SIP: u32 = 133;
export const F_FD_CIP: u32 = 134;
export const F_FD_L4PROTO: u32 = 135;
export const F_FD_SOCKFAMILY: u32 = 136;
export const F_FD_NAMERAW: u32 = 137;
export const F_FD_LIP: u32 = 138;
export const F_FD_RIP: u32 = 139;
/** Port of a side as text (libsinsp port_to_string, names not resolved): client, server, local, remote. */
export const F_FD_CPROTO: u32 = 140;
export const F_FD_SPROTO: u32 = 141;
export const F_FD_LPROTO: u32 = 142;
export const F_FD_RPROTO: u32 = 143;
export const F_FD_UID: u32 = 144;
export const F_FD_CONTAINERNAME: u32 = 145;
export const F_FD_CONTAINERDIRECTORY: u32 = 146;
/** A list field: the types of the process's fds, or with an index (aux, as proc.aname[N]) of fd N; "(a,b)" as text. */
export const F_FD_TYPES: u32 = 147;
export const F_FD_NUM: u32 = 160;
export const F_FD_INO: u32 = 161;
export const F_FD_DEV: u32 = 162;
export const F_FD_SPORT: u32 = 163;
export const F_FD_CPORT: u32 = 164;
export const F_FD_LPORT: u32 = 165;
export const F_FD_RPORT: u32 = 166;
export const F_FD_IS_SERVER: u32 = 167;
export const F_FD_CONNECTED: u32 = 168;
/**
 * IPv4 address numbers (host order) of the sides of an inet socket, for fd.ip, fd.net and the
 * *net fields: source and destination as the fd holds them (a listening socket: its address
 * for both), then server, client, local, remote as fd.sip & co. An IPv6 socket reads
 * FD_IP_V6 (no IPv4 address equals it, no IPv4 network holds it).
 */
export const F_FD_NET_SRC: u32 = 169;
export const F_FD_NET_DST: u32 = 170;
/** Source and destination ports as the fd holds them (a listening socket: its port for both): fd.port. */
export const F_FD_PORT_SRC: u32 = 171;
export const F_FD_PORT_DST: u32 = 172;
export const F_FD_SNET: u32 = 173;
export const F_FD_CNET: u32 = 174;
export const F_FD_LNET: u32 = 175;
export const F_FD_RNET: u32 = 176;
export const F_FD_NAME_CHANGED: u32 = 177;
export const F_FD_DEV_MAJOR: u32 = 178;
export const F_FD_DEV_MINOR: u32 = 179;
export const F_FD_IS_UPPER_LAYER: u32 = 180;
export const F_FD_IS_LOWER_LAYER: u32 = 181;
/** What F_FD_*NET read for an IPv6 address: above every IPv4 number. */
export const FD_IP_V6: u64 = 1 << 40;
/** Field ids of the fd fields: [F_FD_FIRST, F_FD_END). */
export const F_FD_FIRST: u32 = 128;
export const F_FD_END: u32 = 192;
// fs.path.* (fspath_fields.ts): name, nameraw, source, sourceraw, target, targetraw; strings.
export const F_FS_PATH_NAME: u32 = 192;
export const F_FS_PATH_NAMERAW: u32 = 193;
export const F_FS_PATH_SOURCE: u32 = 194;
export const F_FS_PATH_SOURCERAW: u32 = 195;
export const F_FS_PATH_TARGET: u32 = 196;
export const F_FS_PATH_TARGETRAW: u32 = 197;
/** evt.category (category.ts): the event table's category, of I/O events by their fd. */
export const F_EVT_CATEGORY: u32 = 198;
/** Field ids of the fs.path fields: [F_FS_PATH_FIRST, F_FS_PATH_END). */
export const F_FS_PATH_FIRST: u32 = 192;
export const F_FS_PATH_END: u32 = 198;
/** The ancestor index of an A* field without one: any ancestor in a condition, all of them in output. */
export const ARG_ANY: u32 = 0xffffffff;

/** Whether field `f` holds a byte string (the rest are numbers; F_PARAM is per event id). */
export function isStringField(f: u32): bool {
  return (f >= F_PROC_NAME && f <= F_CONTAINER_ID) || f == F_EXE_INTERPRETER || f == F_WRITER_NAME || f == F_CHMOD_NAME ||
    (f >= F_EXE_SHA256 && f <= F_EXE_INTERPRETER_SHA256) || (f >= F_PROC_PNAME && f < F_PROC_APID) || (f >= F_FD_FIRST && f < F_FD_NUM) ||
    (f >= F_FS_PATH_FIRST && f < F_FS_PATH_END) || f == F_EVT_CATEGORY;
}

/** Whether field `f` takes an ancestor index (proc.aname[N], proc.apid[N], ...). */
export function isAncestorField(f: u32): bool {
  return (f >= F_PROC_ANAME && f <= F_PROC_ACMDLINE) || f == F_PROC_APID;
}

/** Whether field `f` is a list (its items compared one by one, CMP_IN_ALL / CMP_EQ / CMP_EXISTS only). */
export function isListField(f: u32): bool {
  return f == F_FD_TYPES;
}

/** Value flags. */
export const VAL_NUM: u32 = 1;
/** The number is above i64's range: read `num` as u64. */
export const VAL_BIG: u32 = 2;

/** Parameter kinds of the per-type table. */
export const PK_NONE: u32 = 0;
export const PK_STRING: u32 = 1;
export const PK_SIGNED: u32 = 2;
export const PK_UNSIGNED: u32 = 3;
/** A byte buffer compared as it is (no trailing NUL dropped): evt.buffer. */
export const PK_BYTES: u32 = 4;
/** A parameter compared as the text libsinsp renders for it (evt.arg), rendered by the shell. */
export const PK_TEXT: u32 = 5;
export const PARAM_NONE: u32 = 0xff;

/** Event ids a bitmap or table covers (EVENT_CAPACITY of event_info.ts). */
export const FILTER_EVENT_IDS: u32 = 1024;
export const TYPE_BITMAP_BYTES: u32 = FILTER_EVENT_IDS / 8;
/** ppm_sc codes a syscall bitmap covers. */
export const FILTER_SYSCALLS: u32 = SYSCALL_CAPACITY;
export const SYSCALL_BITMAP_BYTES: u32 = FILTER_SYSCALLS / 8;
export const PARAM_TABLE_BYTES: u32 = FILTER_EVENT_IDS * 2;
