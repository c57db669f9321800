// The decoder's view of the event table: per event id, its kind, its declared
// parameter count, whether its parameter lengths are u32 (EF_LARGE_PAYLOAD) and
// the position of each parameter the thread table reads (by name, so every
// version of clone/execve is handled by one code path). The shell fills it at
// start-up from ts/events/event_table.ts (facts from libs driver/event_table.c).

import { MAX_PARAMS } from "./frame";

/** Capacity of the table; ids at or above EVENT_CAPACITY are walked generically. */
export const EVENT_CAPACITY: u32 = 1024;

export const KIND_OTHER: u8 = 0;
export const KIND_CLONE: u8 = 1;
export const KIND_EXECVE: u8 = 2;
export const KIND_PROCEXIT: u8 = 3;
/** User/group/container-json/async events that libsinsp consumes before numbering starts. */
export const KIND_INITIAL_STATE: u8 = 4;
/** open, openat, openat2, creat exits: a file opened (maybe created) for writing (file_events.ts). */
export const KIND_FILE_OPEN: u8 = 5;
/** write, pwrite, writev, pwritev, copy_file_range, sendfile, splice exits: bytes written to an fd. */
export const KIND_FILE_WRITE: u8 = 6;
/** chmod, fchmodat, fchmod exits. */
export const KIND_FILE_CHMOD: u8 = 7;
/** rename, renameat, renameat2, link, linkat exits: a file gets a new name. */
export const KIND_FILE_RENAME: u8 = 8;
/** memfd_create exits: a new memory-backed file, known by its name. */
export const KIND_FILE_MEMFD: u8 = 9;
/** dup, dup2, dup3 exits: the new fd names the file the old one does (a shell's `cmd > file`). */
export const KIND_FILE_DUP: u8 = 10;
/** setsid exits: the thread's session id is the return value (thread_attrs.ts). */
export const KIND_SETSID: u8 = 11;
/** capset exits: the thread's capability sets (thread_attrs.ts). */
export const KIND_CAPSET: u8 = 12;
/** setuid, setreuid, setresuid exits: the thread's (effective) uid (thread_attrs.ts). */
export const KIND_SETUID: u8 = 13;
/** setgid, setregid, setresgid exits: the thread's (effective) gid. */
export const KIND_SETGID: u8 = 14;
/** Exits that only change the fd table (fd_events.ts: close, socket, pipe, ...). */
export const KIND_FD: u8 = 15;
// Kinds from KIND_SETSID to KIND_SETGID are thread attributes (thread_attrs.ts).

// Parameter roles (the libs parameter name in brackets).
export const ROLE_RES: u32 = 0; // res
export const ROLE_EXE: u32 = 1; // exe
export const ROLE_ARGS: u32 = 2; // args
export const ROLE_TID: u32 = 3; // tid
export const ROLE_PID: u32 = 4; // pid
export const ROLE_PTID: u32 = 5; // ptid
export const ROLE_CWD: u32 = 6; // cwd
export const ROLE_COMM: u32 = 7; // comm
export const ROLE_CGROUPS: u32 = 8; // cgroups
export const ROLE_FLAGS: u32 = 9; // flags (clone flags, or execve's exe flags)
export const ROLE_UID: u32 = 10; // uid
export const ROLE_GID: u32 = 11; // gid
export const ROLE_VTID: u32 = 12; // vtid
export const ROLE_VPID: u32 = 13; // vpid
export const ROLE_PIDNS_INIT_START_TS: u32 = 14; // pidns_init_start_ts
export const ROLE_EXE_INO: u32 = 15; // exe_ino
export const ROLE_EXE_INO_CTIME: u32 = 16; // exe_ino_ctime
export const ROLE_EXE_INO_MTIME: u32 = 17; // exe_ino_mtime
export const ROLE_TRUSTED_EXEPATH: u32 = 18; // trusted_exepath
export const ROLE_LOGINUID: u32 = 19; // loginuid
export const ROLE_FD: u32 = 20; // fd, fdout, out_fd, fd_out: the fd written to (or opened)
export const ROLE_PATH: u32 = 21; // name, filename: the file's path
export const ROLE_DEV: u32 = 22; // dev
export const ROLE_INO: u32 = 23; // ino
export const ROLE_MODE: u32 = 24; // mode
export const ROLE_OLDPATH: u32 = 25; // oldpath
export const ROLE_NEWPATH: u32 = 26; // newpath
export const ROLE_ENV: u32 = 27; // env
export const ROLE_TTY: u32 = 28; // tty
export const ROLE_VPGID: u32 = 29; // vpgid
export const ROLE_CAP_INHERITABLE: u32 = 30; // cap_inheritable
export const ROLE_CAP_PERMITTED: u32 = 31; // cap_permitted
export const ROLE_CAP_EFFECTIVE: u32 = 32; // cap_effective
export const ROLE_HOME: u32 = 33; // home
export const ROLE_SHELL: u32 = 34; // shell
export const ROLE_CONTAINER_ID: u32 = 35; // container_id
export const ROLE_EUID: u32 = 36; // euid, egid: the effective id setre*id / setres*id set
export const ROLE_CREAT_FLAGS: u32 = 37; // creat_flags: the overlay layer of a creat's file
export const ROLE_REAPER_TID: u32 = 38; // reaper_tid: who inherits an exiting thread's children (procexit)
export const ROLE_COUNT: u32 = 39;
/** Role slot value meaning "this event version has no such parameter". */
export const ROLE_ABSENT: u8 = 0xff;

const KIND = memory.data(<i32>EVENT_CAPACITY);
const NPARAMS = memory.data(<i32>EVENT_CAPACITY);
const LARGE = memory.data(<i32>EVENT_CAPACITY);
const KNOWN = memory.data(<i32>EVENT_CAPACITY);
const ROLES = memory.data(<i32>(EVENT_CAPACITY * ROLE_COUNT));
const VFORK = memory.data(<i32>EVENT_CAPACITY);
/** Per event id and declared parameter: the bytes a non-empty value must have, 0 = variable length. */
const WIDTH = memory.data(<i32>(EVENT_CAPACITY * MAX_PARAMS));

/** Number of ids the shell has described (PPM_EVENT_MAX of the table it loaded). */
let knownCount: u32 = 0;

/** Describes one event id. Called once per id at start-up, before any scan. */
export function setEventInfo(id: u32, kind: u8, nparams: u8, largePayload: bool): void {
  if (id >= EVENT_CAPACITY) return;
  store<u8>(KIND + id, kind);
  store<u8>(NPARAMS + id, nparams);
  store<u8>(LARGE + id, largePayload ? 1 : 0);
  store<u8>(KNOWN + id, 1);
  memory.fill(ROLES + id * ROLE_COUNT, ROLE_ABSENT, ROLE_COUNT);
  if (id >= knownCount) knownCount = id + 1;
}

/** Marks `id` as a vfork exit: libsinsp leaves the child to its own clone exit, whatever the flags. */
export function setVforkEvent(id: u32): void {
  if (id < EVENT_CAPACITY) store<u8>(VFORK + id, 1);
}

// @ts-ignore: decorator
@inline export function isVforkEvent(id: u32): bool {
  return id < EVENT_CAPACITY && load<u8>(VFORK + id) != 0;
}

/** Records that parameter `index` of event `id`, when not empty, must be `bytes` long (a fixed-width type). */
export function setParamWidth(id: u32, index: u32, bytes: u8): void {
  if (id < EVENT_CAPACITY && index < MAX_PARAMS) store<u8>(WIDTH + id * MAX_PARAMS + index, bytes);
}

// @ts-ignore: decorator
@inline export function paramWidth(id: u32, index: u32): u32 {
  return id < EVENT_CAPACITY && index < MAX_PARAMS ? <u32>load<u8>(WIDTH + id * MAX_PARAMS + index) : 0;
}

/** Records that parameter `index` of event `id` plays `role`. */
export function setEventRole(id: u32, role: u32, index: u8): void {
  if (id >= EVENT_CAPACITY || role >= ROLE_COUNT) return;
  store<u8>(ROLES + id * ROLE_COUNT + role, index);
}

// @ts-ignore: decorator
@inline export function isKnownEvent(id: u32): bool {
  return id < EVENT_CAPACITY && load<u8>(KNOWN + id) != 0;
}
// @ts-ignore: decorator
@inline export function eventKind(id: u32): u8 {
  return id < EVENT_CAPACITY ? load<u8>(KIND + id) : KIND_OTHER;
}
// @ts-ignore: decorator
@inline export function eventNparams(id: u32): u32 {
  return id < EVENT_CAPACITY ? <u32>load<u8>(NPARAMS + id) : 0;
}
// @ts-ignore: decorator
@inline export function isLargePayload(id: u32): bool {
  return id < EVENT_CAPACITY && load<u8>(LARGE + id) != 0;
}
// @ts-ignore: decorator
@inline export function roleIndex(id: u32, role: u32): u32 {
  return <u32>load<u8>(ROLES + id * ROLE_COUNT + role);
}
