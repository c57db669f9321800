// Fd-table updates from the events that create, copy or destroy fds, following
// libsinsp (libs userspace/libsinsp/parsers.cpp: parse_open_openat_creat_exit,
// parse_socket_exit, parse_connect_exit, parse_accept_exit, parse_pipe_exit,
// parse_socketpair_exit, parse_dup_exit, parse_fcntl_exit, parse_close_exit,
// parse_single_param_fd_exit, parse_memfd_create_exit, parse_bind_exit), and the event's fd for
// the fd.* fields (libsinsp sinsp_parser::reset: m_lastevent_fd and the fdinfo).
// The shell describes each event id once (setFdEvent): what it does to the table,
// where its fd parameter is (libs scap_event.c get_exit_event_fd_location), its
// fd flags (EF_CREATES_FD, EF_USES_FD, EF_DESTROYS_FD) and, for an fd it
// creates, the type.

import { EVENT_CAPACITY, ROLE_PATH, ROLE_FLAGS, ROLE_DEV, ROLE_INO, ROLE_CREAT_FLAGS, roleIndex } from "./event_info";
import { paramEmpty, paramI64, paramLen, paramPtr, paramStrLen, paramU64 } from "./params";
import { ThreadRecord, STR_CWD, strLen, strPtr } from "./thread_record";
import { findThread } from "./thread_table";
import { stageFrom, stageString, commitStrings } from "./thread_strings";
import { ipText, IP_TEXT_BYTES } from "./filter/ip_text";
import {
  FdEntry, addFd, copyFd, findFd, removeFd, setFdName, removeFdsWithFlag, NAME_BYTES,
  SCAP_FD_FILE_V2, SCAP_FD_DIRECTORY, SCAP_FD_FIFO, SCAP_FD_UNIX_SOCK, SCAP_FD_IPV4_SOCK, SCAP_FD_IPV6_SOCK,
  SCAP_FD_MEMFD, SCAP_FD_NETLINK, SCAP_FD_UNKNOWN, SCAP_FD_IPV4_SERVSOCK, SCAP_FD_IPV6_SERVSOCK, ROLE_CLIENT, ROLE_SERVER,
  SCAP_L4_UNKNOWN, SCAP_L4_TCP, SCAP_L4_UDP, SCAP_L4_ICMP, SCAP_L4_RAW,
} from "./fd_table";

// What an event does to the fd table (set per id by the shell, ts/pipeline/wasm.ts FdAction).
export const FD_ACT_NONE: u8 = 0;
/** open, openat, openat2, creat, open_by_handle_at exits: a file or directory. */
export const FD_ACT_OPEN: u8 = 1;
export const FD_ACT_CLOSE: u8 = 2;
/** dup, dup2, dup3 exits: res is a copy of the event's fd. */
export const FD_ACT_DUP: u8 = 3;
/** fcntl exits: F_DUPFD / F_DUPFD_CLOEXEC copy, F_SETFD sets close-on-exec. */
export const FD_ACT_FCNTL: u8 = 4;
/** Exits whose return value is a new fd of the id's type (eventfd, signalfd, timerfd, inotify, epoll, ...). */
export const FD_ACT_NEW: u8 = 5;
export const FD_ACT_MEMFD: u8 = 6;
/** pipe, pipe2 exits: fd1 and fd2, a FIFO with the pipe's inode. */
export const FD_ACT_PIPE: u8 = 7;
export const FD_ACT_SOCKETPAIR: u8 = 8;
export const FD_ACT_SOCKET: u8 = 9;
/** connect exits: the event's socket gets its tuple, client side. */
export const FD_ACT_CONNECT: u8 = 10;
/** accept, accept4 exits: a new socket with the tuple, server side. */
export const FD_ACT_ACCEPT: u8 = 11;
/** chdir exits: the process's cwd (libsinsp update_cwd, kept on the main thread). */
export const FD_ACT_CHDIR: u8 = 12;
/** fchdir exits: the cwd becomes the name of the event's fd. */
export const FD_ACT_FCHDIR: u8 = 13;
/** bind exits: the event's socket is named by its address; with a port, it listens there. */
export const FD_ACT_BIND: u8 = 14;

/**
 * Writes the text libsinsp renders for parameter `index` (bytes at `ptr`, `len` long) of an event
 * of id `type` by thread `tid` into `out` (at most `cap` bytes) and returns its length: the shell's
 * renderer (ts/fields/param_format.ts paramText; an fd resolved in thread `tid`'s fd table,
 * "<f>/etc/passwd", so evt.arg compares what it prints). One import for the fd table, the filter
 * VM and the formatter.
 */
@external("env", "renderParam")
export declare function renderParam(type: u32, index: u32, ptr: usize, len: u32, out: usize, cap: u32, tid: i64): u32;

// Event fd flags (libs driver/ppm_events_public.h EF_*), as the shell passes them.
export const EF_CREATES_FD: u8 = 1;
export const EF_DESTROYS_FD: u8 = 2;
export const EF_USES_FD: u8 = 4;

/** No fd parameter (the location table's empty value). */
export const FD_PARAM_NONE: u8 = 0xff;

const ACTION = memory.data(<i32>EVENT_CAPACITY);
const LOCATION = memory.data(<i32>EVENT_CAPACITY);
const FLAGS = memory.data(<i32>EVENT_CAPACITY);
const NEW_TYPE = memory.data(<i32>EVENT_CAPACITY);
/** libsinsp sinsp_evt::extract_typechar: fd.typechar of the event when it has no fd entry. */
const TYPECHAR = memory.data(<i32>EVENT_CAPACITY);

// PPM_* constants (libs driver/ppm_events_public.h).
const PPM_O_DIRECTORY: u32 = 1 << 10;
const PPM_O_CLOEXEC: u32 = 1 << 12;
/** The overlay layer of an opened file, in the open exits' flags (fd.is_upper_layer / is_lower_layer). */
export const PPM_FD_UPPER_LAYER: u32 = 1 << 15;
export const PPM_FD_LOWER_LAYER: u32 = 1 << 16;
const PPM_FD_UPPER_LAYER_CREAT: u32 = 1 << 0;
const PPM_FD_LOWER_LAYER_CREAT: u32 = 1 << 1;
const PPM_AT_FDCWD: i64 = -100;
const PPM_FCNTL_F_DUPFD: u8 = 1;
const PPM_FCNTL_F_SETFD: u8 = 3;
const PPM_FCNTL_F_DUPFD_CLOEXEC: u8 = 26;
/** Linux FD_CLOEXEC (F_SETFD's argument). */
const FD_CLOEXEC: u64 = 1;
const PPM_AF_UNIX: u8 = 1;
const PPM_AF_INET: u8 = 2;
const PPM_AF_INET6: u8 = 10;
const PPM_AF_NETLINK: u8 = 16;
// The IPPROTO_* / SOCK_* numbers add_socket maps (Linux).
const IPPROTO_IP: u32 = 0;
const IPPROTO_ICMP: u32 = 1;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_UDP: u32 = 17;
const IPPROTO_RAW: u32 = 255;
const SOCK_STREAM: u32 = 1;
const SOCK_DGRAM: u32 = 2;
const SOCK_RAW: u32 = 3;

/** Describes what event `id` does to the fd table (called once per id at start-up). */
export function setFdEvent(id: u32, action: u8, location: u8, flags: u8, newType: u8, typechar: u8): void {
  if (id >= EVENT_CAPACITY) return;
  store<u8>(ACTION + id, action);
  store<u8>(LOCATION + id, location);
  store<u8>(FLAGS + id, flags);
  store<u8>(NEW_TYPE + id, newType);
  store<u8>(TYPECHAR + id, typechar);
}

// @ts-ignore: decorator
@inline export function fdAction(id: u32): u8 { return id < EVENT_CAPACITY ? load<u8>(ACTION + id) : FD_ACT_NONE; }
// @ts-ignore: decorator
@inline export function fdFlags(id: u32): u8 { return id < EVENT_CAPACITY ? load<u8>(FLAGS + id) : 0; }
// @ts-ignore: decorator
@inline export function fdLocation(id: u32): u8 { return id < EVENT_CAPACITY ? load<u8>(LOCATION + id) : FD_PARAM_NONE; }
// @ts-ignore: decorator
@inline export function fdTypechar(id: u32): u8 { return id < EVENT_CAPACITY ? load<u8>(TYPECHAR + id) : 0x6f; }

/** PPM_CL_CLONE_FILES (libs driver/ppm_events_public.h). */
export const PPM_CL_CLONE_FILES: u32 = 1;

/**
 * The thread whose fd table `tid` uses (libsinsp get_fd_table): a thread with CLONE_FILES
 * (every thread a clone makes; a process-list thread whose flags say so) uses its main
 * thread's, any other its own; itself when the main thread is unknown.
 */
export function fdOwner(tid: i64): ThreadRecord | null {
  const t = findThread(tid);
  if (t == null || t.tid == t.pid || (t.cloneFlags & PPM_CL_CLONE_FILES) == 0) return t;
  const main = findThread(t.pid);
  return main != null ? main : t;
}

// The fd the last state event set (libsinsp m_lastevent_fd after add_fd), for the fields:
// valid for event number stateFrame only (0: none).
let stateFrame: u64 = 0;
let stateFd: i64 = -1;
let currentFrame: u64 = 0;

/** Whether the state update of event number `num` gave it its fd (else the fd parameter decides). */
export function stateFdOf(num: u64): bool {
  return num == stateFrame;
}
export function stateFdNum(): i64 { return stateFd; }
/** Whether that update gave the fd another name (libsinsp fdinfo_name_changed: a new named fd, a connect). */
export function stateNameChanged(): bool { return nameChanged; }
let nameChanged: bool = false;

// A close is applied after the event is seen (libsinsp shows the closed fd's fields on it).
let pendingCloseTid: i64 = 0;
let pendingCloseFd: i64 = 0;
let hasPendingClose: bool = false;

/** Applies the close the last event asked for, if any. */
export function applyPendingClose(): void {
  if (!hasPendingClose) return;
  hasPendingClose = false;
  const o = fdOwner(pendingCloseTid);
  if (o != null) removeFd(o, pendingCloseFd);
}

/** Forgets a pending close (a new capture or section). */
export function resetFdEvents(): void {
  hasPendingClose = false;
  stateFrame = 0;
}

// Whether fd events are applied at all: off when no field of the plan reads the fd table or the
// cwd (ts/pipeline/state_needs.ts), so a filtered read skips their cost. Set before decoding.
let tracking: bool = true;

/** Sets whether fd events, fd inheritance at clone and close-on-exec are applied (default on). */
export function setFdTracking(on: bool): void { tracking = on; }

/** Whether fd events are applied (setFdTracking). */
// @ts-ignore: decorator
@inline export function fdTracking(): bool { return tracking; }

/** Applies the fd-table change of event number `frame` (id `type`, an exit) by thread `tid`. */
export function onFdEvent(frame: u64, type: u32, tid: i64): void {
  const action = fdAction(type);
  const owner = fdOwner(tid);
  if (owner == null) return;
  const res = paramI64(0);
  currentFrame = frame;
  stateFrame = frame;
  stateFd = -1;
  nameChanged = false;
  switch (action) {
    case FD_ACT_OPEN: onOpen(owner, type, res); break;
    case FD_ACT_CLOSE: {
      stateFrame = 0; // the fd parameter decides
      if (res >= 0) { pendingCloseTid = tid; pendingCloseFd = paramI64(fdLocation(type)); hasPendingClose = true; }
      break;
    }
    case FD_ACT_DUP: case FD_ACT_FCNTL: onDup(owner, type, res, action); break;
    case FD_ACT_NEW: if (res >= 0) newFd(owner, res, load<u8>(NEW_TYPE + type), 0); break;
    case FD_ACT_MEMFD: {
      if (res < 0) break;
      const e = newFd(owner, res, SCAP_FD_MEMFD, <u32>paramU64(2));
      if (e != null) setFdName(e, paramPtr(1), paramStrLen(1), 0, 0);
      break;
    }
    case FD_ACT_PIPE: case FD_ACT_SOCKETPAIR: onPipe(owner, type, res, action); break;
    case FD_ACT_SOCKET: if (res >= 0) onSocket(owner, res); break;
    case FD_ACT_CONNECT: onConnect(owner, type, res); break;
    case FD_ACT_ACCEPT: if (res >= 0) onAccept(owner, res); break;
    case FD_ACT_BIND: onBind(owner, type, res); break;
    case FD_ACT_CHDIR: {
      stateFrame = 0;
      if (res >= 0) { resolvePath(owner, 0, false, paramPtr(1), paramStrLen(1)); updateCwd(owner); }
      break;
    }
    case FD_ACT_FCHDIR: {
      stateFrame = 0;
      const d = res >= 0 ? findFd(owner, paramI64(fdLocation(type))) : null;
      if (d != null) { resolvePath(owner, 0, false, d.name, d.nameLen); updateCwd(owner); }
      break;
    }
    default: stateFrame = 0;
  }
}

function newFd(owner: ThreadRecord, fd: i64, type: u8, openFlags: u32): FdEntry | null {
  const e = addFd(owner, fd, type);
  stateFd = fd;
  nameChanged = true; // a new fd: changed when it has a name (fd_fields.ts checks)
  if (e != null) e.openFlags = openFlags;
  return e;
}

// Path resolution (libsinsp parse_dirfd + sinsp_utils::concatenate_paths).
const PATH_BYTES: u32 = NAME_BYTES * 2 + 2;
const PATH = memory.data(<i32>PATH_BYTES);
/** Length of the path built in PATH by resolvePath(). */
export let pathLen: u32 = 0;
const UNKNOWN = memory.data<u8>([60, 85, 78, 75, 78, 79, 87, 78, 62]); // "<UNKNOWN>"

/** The scratch where resolvePath() builds a path. */
export function pathPtr(): usize { return PATH; }

/**
 * Builds in PATH the path `name` names relative to `dirfd` of `owner` (the main thread: its cwd is the process's):
 * absolute as it is, else under the cwd (AT_FDCWD) or the directory fd's name ("<UNKNOWN>"
 * when that fd is unknown), then normalised (".", "..", repeated "/") as libsinsp does.
 */
export function resolvePath(owner: ThreadRecord | null, dirfd: i64, hasDirfd: bool, name: usize, nameLen: u32): void {
  pathLen = 0;
  if (nameLen > NAME_BYTES) nameLen = NAME_BYTES;
  const absolute = nameLen > 0 && load<u8>(name) == 0x2f;
  if (!absolute) {
    if (!hasDirfd || dirfd == PPM_AT_FDCWD) {
      if (owner != null) { append(strPtr(owner, STR_CWD), strLen(owner, STR_CWD)); addSlash(); }
    } else {
      resolveUnder(owner != null ? findFd(owner, dirfd) : null, name, nameLen);
      return;
    }
  }
  append(name, nameLen);
  normalize();
}

/**
 * Builds in PATH the relative path `name` under directory fd `dir` (libsinsp parse_dirfd /
 * format_dirfd): its name and a "/", or "<UNKNOWN>" when it is null (nothing added), then normalised.
 */
export function resolveUnder(dir: FdEntry | null, name: usize, nameLen: u32): void {
  pathLen = 0;
  if (nameLen > NAME_BYTES) nameLen = NAME_BYTES;
  if (dir == null) append(UNKNOWN, 9);
  else { append(dir.name, dir.nameLen); addSlash(); }
  append(name, nameLen);
  normalize();
}

/** A "/" after a non-empty path that does not end in one. */
function addSlash(): void {
  if (pathLen > 0 && load<u8>(PATH + pathLen - 1) != 0x2f) append(memory.data<u8>([0x2f]), 1);
}

function append(p: usize, n: u32): void {
  if (n > PATH_BYTES - pathLen) n = PATH_BYTES - pathLen;
  memory.copy(PATH + pathLen, p, n);
  pathLen += n;
}

/**
 * Removes "." components, resolves ".." against the previous component and folds repeated
 * slashes, in place (an absolute path only: a relative one such as "<UNKNOWN>/x" is kept).
 */
function normalize(): void {
  if (pathLen == 0 || load<u8>(PATH) != 0x2f) return;
  let out: u32 = 0;
  let i: u32 = 0;
  while (i < pathLen) {
    while (i < pathLen && load<u8>(PATH + i) == 0x2f) i++;
    let j = i;
    while (j < pathLen && load<u8>(PATH + j) != 0x2f) j++;
    const n = j - i;
    if (n == 0) break;
    if (n == 1 && load<u8>(PATH + i) == 0x2e) { i = j; continue; }
    if (n == 2 && load<u8>(PATH + i) == 0x2e && load<u8>(PATH + i + 1) == 0x2e) {
      while (out > 0 && load<u8>(PATH + out - 1) != 0x2f) out--;
      if (out > 0) out--;
      i = j;
      continue;
    }
    store<u8>(PATH + out, 0x2f);
    memory.copy(PATH + out + 1, PATH + i, n);
    out += n + 1;
    i = j;
  }
  if (out == 0) { store<u8>(PATH, 0x2f); out = 1; }
  pathLen = out;
}

/** Index of the dirfd parameter of an open-family exit (openat, openat2), or FD_PARAM_NONE. */
const DIRFD = memory.data(<i32>EVENT_CAPACITY);
export function setDirfdParam(id: u32, index: u8): void {
  if (id < EVENT_CAPACITY) store<u8>(DIRFD + id, index);
}
// @ts-ignore: decorator
@inline export function dirfdParam(id: u32): u8 { return id < EVENT_CAPACITY ? load<u8>(DIRFD + id) : FD_PARAM_NONE; }

/** Makes the path in PATH, with a trailing "/", the cwd of `owner` (libsinsp update_cwd). */
function updateCwd(owner: ThreadRecord): void {
  if (pathLen == 0) append(memory.data<u8>([0x2f]), 1);
  addSlash();
  stageFrom(owner);
  stageString(STR_CWD, PATH, pathLen);
  commitStrings(owner);
}

function onOpen(owner: ThreadRecord, type: u32, res: i64): void {
  if (res < 0) return;
  const flagsAt = roleIndex(type, ROLE_FLAGS);
  let flags = paramEmpty(flagsAt) ? 0 : <u32>paramU64(flagsAt);
  // creat has no flags: its file's overlay layer comes as creat_flags (PPM_FD_*_LAYER_CREAT).
  const creatAt = roleIndex(type, ROLE_CREAT_FLAGS);
  if (!paramEmpty(creatAt)) {
    const c = <u32>paramU64(creatAt);
    if ((c & PPM_FD_UPPER_LAYER_CREAT) != 0) flags |= PPM_FD_UPPER_LAYER;
    else if ((c & PPM_FD_LOWER_LAYER_CREAT) != 0) flags |= PPM_FD_LOWER_LAYER;
  }
  const name = roleIndex(type, ROLE_PATH);
  const d = dirfdParam(type);
  resolvePath(owner, d == FD_PARAM_NONE ? 0 : paramI64(d), d != FD_PARAM_NONE && !paramEmpty(d), paramPtr(name), paramStrLen(name));
  const e = newFd(owner, res, (flags & PPM_O_DIRECTORY) != 0 ? SCAP_FD_DIRECTORY : SCAP_FD_FILE_V2, flags);
  if (e == null) return;
  const ino = roleIndex(type, ROLE_INO);
  if (!paramEmpty(ino)) { e.ino = paramU64(ino); e.dev = <u32>paramU64(roleIndex(type, ROLE_DEV)); }
  setFdName(e, PATH, pathLen, paramPtr(name), paramStrLen(name));
}

function onDup(owner: ThreadRecord, type: u32, res: i64, action: u8): void {
  const old = paramI64(fdLocation(type));
  stateFrame = 0; // unless a copy is made, the fd parameter decides
  if (res < 0) return;
  if (action == FD_ACT_FCNTL) {
    const cmd = <u8>paramU64(2);
    if (cmd == PPM_FCNTL_F_SETFD) {
      const e = findFd(owner, old);
      if (e != null) e.openFlags = (paramU64(3) & FD_CLOEXEC) != 0 ? e.openFlags | PPM_O_CLOEXEC : e.openFlags & ~PPM_O_CLOEXEC;
      return;
    }
    if (cmd != PPM_FCNTL_F_DUPFD && cmd != PPM_FCNTL_F_DUPFD_CLOEXEC) return;
  }
  const src = findFd(owner, old);
  if (src == null) return;
  if (res == old) return;
  const c = copyFd(owner, src, res);
  stateFrame = currentFrame;
  stateFd = res;
  if (c == null) return;
  c.openFlags &= ~PPM_O_CLOEXEC;
  const cloexec = action == FD_ACT_FCNTL ? <u8>paramU64(2) == PPM_FCNTL_F_DUPFD_CLOEXEC : paramLen(3) > 0 && (<u32>paramU64(3) & PPM_O_CLOEXEC) != 0;
  if (cloexec) c.openFlags |= PPM_O_CLOEXEC;
}

function onPipe(owner: ThreadRecord, type: u32, res: i64, action: u8): void {
  if (res < 0) return;
  const fd1 = paramI64(1);
  const fd2 = paramI64(2);
  if (action == FD_ACT_SOCKETPAIR) {
    if (fd1 == fd2) return;
    const a = newFd(owner, fd1, SCAP_FD_UNIX_SOCK, 0);
    if (a != null) { a.sip0 = paramU64(3); a.dip0 = paramU64(4); }
    const b = newFd(owner, fd2, SCAP_FD_UNIX_SOCK, 0);
    if (b != null) { b.sip0 = paramU64(3); b.dip0 = paramU64(4); }
    stateFd = fd1;
    return;
  }
  const ino = paramU64(3);
  const flags = paramLen(4) > 0 ? <u32>paramU64(4) : 0;
  const a = newFd(owner, fd1, SCAP_FD_FIFO, flags);
  if (a != null) a.ino = ino;
  const b = newFd(owner, fd2, SCAP_FD_FIFO, flags);
  if (b != null) b.ino = ino;
}

/** libsinsp add_socket: the type and layer-4 protocol from domain, type and protocol. */
function onSocket(owner: ThreadRecord, fd: i64): void {
  const domain = <u8>paramU64(1);
  const stype = <u32>paramU64(2);
  const proto = <u32>paramU64(3);
  let type = SCAP_FD_UNKNOWN;
  let l4 = SCAP_L4_UNKNOWN;
  if (domain == PPM_AF_UNIX) type = SCAP_FD_UNIX_SOCK;
  else if (domain == PPM_AF_INET || domain == PPM_AF_INET6) {
    type = domain == PPM_AF_INET ? SCAP_FD_IPV4_SOCK : SCAP_FD_IPV6_SOCK;
    if (proto == IPPROTO_TCP) l4 = stype == SOCK_RAW ? SCAP_L4_RAW : SCAP_L4_TCP;
    else if (proto == IPPROTO_UDP) l4 = stype == SOCK_RAW ? SCAP_L4_RAW : SCAP_L4_UDP;
    else if (proto == IPPROTO_IP) l4 = (stype & 0xff) == SOCK_STREAM ? SCAP_L4_TCP : (stype & 0xff) == SOCK_DGRAM ? SCAP_L4_UDP : SCAP_L4_UNKNOWN;
    else if (proto == IPPROTO_ICMP) l4 = stype == SOCK_RAW ? SCAP_L4_RAW : SCAP_L4_ICMP;
    else if (proto == IPPROTO_RAW) l4 = SCAP_L4_RAW;
  } else if (domain == PPM_AF_NETLINK) type = SCAP_FD_NETLINK;
  const e = newFd(owner, fd, type, paramLen(4) > 0 ? <u32>paramU64(4) : 0);
  if (e != null) e.l4proto = l4;
}

/**
 * Reads socket tuple parameter `i` (PT_SOCKTUPLE: family u8, then source address and port,
 * destination address and port; unix: source u64, destination u64, path) into `e`.
 * Returns false when it is not a tuple libsinsp accepts.
 */
function setTuple(e: FdEntry, i: u32): bool {
  const n = paramLen(i);
  if (n < 1) return false;
  const p = paramPtr(i);
  const family = load<u8>(p);
  if (family == PPM_AF_INET && n >= 13) {
    if (e.type != SCAP_FD_IPV4_SOCK) { e.type = SCAP_FD_IPV4_SOCK; }
    e.sip0 = <u64>load<u32>(p + 1); e.sip1 = 0;
    e.sport = load<u16>(p + 5);
    e.dip0 = <u64>load<u32>(p + 7); e.dip1 = 0;
    e.dport = load<u16>(p + 11);
    return true;
  }
  if (family == PPM_AF_INET6 && n >= 37) {
    e.type = SCAP_FD_IPV6_SOCK;
    e.sip0 = load<u64>(p + 1); e.sip1 = load<u64>(p + 9);
    e.sport = load<u16>(p + 17);
    e.dip0 = load<u64>(p + 19); e.dip1 = load<u64>(p + 27);
    e.dport = load<u16>(p + 35);
    return true;
  }
  if (family == PPM_AF_UNIX && n >= 17) {
    e.type = SCAP_FD_UNIX_SOCK;
    e.sip0 = load<u64>(p + 1);
    e.dip0 = load<u64>(p + 9);
    let len = n - 17;
    const path = p + 17;
    let k: u32 = 0;
    while (k < len && load<u8>(path + k) != 0) k++;
    setFdName(e, path, k, 0, 0);
    return true;
  }
  return false;
}

const NAME_TEXT_BYTES: u32 = 2 * IP_TEXT_BYTES + 16;
const NAME_TEXT = memory.data(<i32>NAME_TEXT_BYTES);

function decimalAt(at: u32, v: u32): u32 {
  let digits: u32 = 1;
  for (let x = v; x >= 10; x /= 10) digits++;
  for (let i = digits; i > 0; i--) { store<u8>(NAME_TEXT + at + i - 1, <u8>(0x30 + v % 10)); v /= 10; }
  return at + digits;
}

/**
 * Names an inet socket as libsinsp does (ipv4tuple_to_string / ipv6tuple_to_string:
 * "sip:sport->dip:dport"; a listening socket "ip:port").
 */
export function nameSocket(e: FdEntry): void {
  const v6 = e.type == SCAP_FD_IPV6_SOCK || e.type == SCAP_FD_IPV6_SERVSOCK;
  const base = changetype<usize>(e);
  let at: u32 = 0;
  if (e.type == SCAP_FD_IPV4_SOCK || e.type == SCAP_FD_IPV6_SOCK) {
    at = ipText(NAME_TEXT, base + offsetof<FdEntry>("sip0"), v6);
    store<u8>(NAME_TEXT + at++, 0x3a);
    at = decimalAt(at, <u32>e.sport);
    store<u8>(NAME_TEXT + at++, 0x2d);
    store<u8>(NAME_TEXT + at++, 0x3e);
  } else if (e.type != SCAP_FD_IPV4_SERVSOCK && e.type != SCAP_FD_IPV6_SERVSOCK) return;
  at += ipText(NAME_TEXT + at, base + offsetof<FdEntry>("dip0"), v6);
  store<u8>(NAME_TEXT + at++, 0x3a);
  at = decimalAt(at, <u32>e.dport);
  setFdName(e, NAME_TEXT, at, 0, 0);
}

function onConnect(owner: ThreadRecord, type: u32, res: i64): void {
  const fd = paramI64(fdLocation(type));
  stateFrame = 0;
  if (res < 0 && res != -115) return; // EINPROGRESS still connects (libsinsp without status tracking)
  const e = findFd(owner, fd);
  if (e == null) return;
  if (setTuple(e, 1)) {
    e.role = ROLE_CLIENT;
    e.connected = 1;
    const before = e.nameLen;
    const h = pathHashOf(e);
    nameSocket(e);
    stateFrame = currentFrame;
    stateFd = fd;
    nameChanged = e.nameLen != before || pathHashOf(e) != h;
  }
}

/** A hash of `e`'s name, to tell whether it changed. */
function pathHashOf(e: FdEntry): u64 {
  let h: u64 = 0xcbf29ce484222325;
  for (let i: u32 = 0; i < e.nameLen; i++) h = (h ^ <u64>load<u8>(e.name + i)) * 0x100000001b3;
  return h;
}

function onAccept(owner: ThreadRecord, fd: i64): void {
  const e = newFd(owner, fd, SCAP_FD_UNKNOWN, 0);
  if (e == null) return;
  if (!setTuple(e, 1)) return;
  e.role = ROLE_SERVER;
  e.connected = 1;
  // An accepted inet socket is a stream one (libsinsp parse_accept_exit).
  if (e.type == SCAP_FD_IPV4_SOCK || e.type == SCAP_FD_IPV6_SOCK) e.l4proto = SCAP_L4_TCP;
  nameSocket(e);
}

/**
 * libsinsp parse_bind_exit: a socket bound to an inet address with a port becomes a listening
 * socket (server role) on that address; any valid address names the socket as it is rendered
 * ("0.0.0.0:8080", "::1:53", a unix path).
 */
function onBind(owner: ThreadRecord, type: u32, res: i64): void {
  stateFrame = 0;
  const at = fdLocation(type);
  if (res < 0 || at == FD_PARAM_NONE || paramEmpty(at)) return;
  const fd = paramI64(at);
  const e = findFd(owner, fd);
  const n = paramLen(1);
  if (e == null || n < 1) return;
  const p = paramPtr(1);
  const family = load<u8>(p);
  // sinsp_utils::is_sockaddr_valid.
  if ((family == PPM_AF_INET && n < 7) || (family == PPM_AF_INET6 && n < 19) || (family == PPM_AF_UNIX && (n < 2 || load<u8>(p + n - 1) != 0))) return;
  if (family == PPM_AF_INET && load<u16>(p + 5) > 0) {
    e.type = SCAP_FD_IPV4_SERVSOCK;
    e.dip0 = <u64>load<u32>(p + 1); e.dip1 = 0;
    e.dport = load<u16>(p + 5);
    e.role = ROLE_SERVER;
  } else if (family == PPM_AF_INET6 && load<u16>(p + 17) > 0) {
    // An IPv4-mapped address (::ffff:a.b.c.d) listens as IPv4.
    const mapped = load<u64>(p + 1) == 0 && load<u32>(p + 9) == 0xffff0000;
    e.type = mapped ? SCAP_FD_IPV4_SERVSOCK : SCAP_FD_IPV6_SERVSOCK;
    e.dip0 = mapped ? <u64>load<u32>(p + 13) : load<u64>(p + 1);
    e.dip1 = mapped ? 0 : load<u64>(p + 9);
    e.dport = load<u16>(p + 17);
    e.role = ROLE_SERVER;
  }
  const before = e.nameLen;
  const h = pathHashOf(e);
  const len = renderParam(type, 1, p, n, NAME_TEXT, NAME_TEXT_BYTES, 0); // a socket address: no fd to resolve
  setFdName(e, NAME_TEXT, len, 0, 0);
  stateFrame = currentFrame;
  stateFd = fd;
  nameChanged = e.nameLen != before || pathHashOf(e) != h;
}

/** Purges the close-on-exec fds of `tid`'s process (a successful execve). */
export function onExecFds(tid: i64): void {
  const o = fdOwner(tid);
  if (o != null) removeFdsWithFlag(o, PPM_O_CLOEXEC);
}

