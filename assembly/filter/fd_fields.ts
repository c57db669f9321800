// fd.* field values of the current event (libs userspace/libsinsp/sinsp_filtercheck_fd.cpp):
// the event's fd is the one its state update gave it (an open, socket, dup: libsinsp add_fd
// sets m_lastevent_fd) or its fd parameter (fd_events.ts fdLocation), and its fd entry that
// fd in its process's table (fd_table.ts). An event without EF_CREATES_FD, EF_USES_FD or
// EF_DESTROYS_FD has no fd.* value at all; one whose fd is not in the table has only
// fd.num, fd.typechar (of the event type) and the name the event itself carries.

import { FRAME_TID } from "../frame";
import { findThread } from "../thread_table";
import { ThreadRecord } from "../thread_record";
import { paramI64, paramPtr, paramStrLen, paramEmpty, paramLen } from "../params";
import { ROLE_PATH, roleIndex } from "../event_info";
import {
  FdEntry, findFd, entryAt, SCAP_FD_UNSUPPORTED, SCAP_FD_UNKNOWN, SCAP_FD_FILE, SCAP_FD_FILE_V2, SCAP_FD_DIRECTORY, SCAP_FD_IPV4_SOCK, SCAP_FD_IPV6_SOCK,
  SCAP_FD_IPV4_SERVSOCK, SCAP_FD_IPV6_SERVSOCK, SCAP_FD_UNIX_SOCK, SCAP_FD_TYPES, ROLE_NONE, ROLE_CLIENT, ROLE_SERVER,
  SCAP_L4_TCP, SCAP_L4_UDP, SCAP_L4_ICMP, SCAP_L4_RAW,
} from "../fd_table";
import {
  fdFlags, fdLocation, fdTypechar, fdOwner, stateFdOf, stateFdNum, stateNameChanged, dirfdParam, resolvePath, pathPtr, pathLen,
  FD_PARAM_NONE, EF_CREATES_FD, EF_USES_FD, EF_DESTROYS_FD, fdAction, FD_ACT_OPEN, FD_ACT_CONNECT, FD_ACT_ACCEPT, renderParam,
  PPM_FD_UPPER_LAYER, PPM_FD_LOWER_LAYER,
} from "../fd_events";
import { ipText, IP_TEXT_BYTES } from "./ip_text";
import { NAME_BYTES } from "../fd_table";
import {
  F_FD_NUM, F_FD_TYPE, F_FD_TYPECHAR, F_FD_NAME, F_FD_DIRECTORY, F_FD_FILENAME, F_FD_INO, F_FD_DEV, F_FD_SIP,
  F_FD_SPORT, F_FD_CIP, F_FD_CPORT, F_FD_L4PROTO, F_FD_SOCKFAMILY, F_FD_NAMERAW, F_FD_LIP, F_FD_RIP, F_FD_LPORT,
  F_FD_RPORT, F_FD_IS_SERVER, F_FD_CONNECTED, F_FD_NET_SRC, F_FD_NET_DST, F_FD_PORT_SRC, F_FD_PORT_DST,
  F_FD_SNET, F_FD_CNET, F_FD_LNET, F_FD_RNET, F_FD_NAME_CHANGED, FD_IP_V6, F_FD_CPROTO, F_FD_SPROTO, F_FD_LPROTO,
  F_FD_RPROTO, F_FD_UID, F_FD_CONTAINERNAME, F_FD_CONTAINERDIRECTORY, F_FD_TYPES, F_FD_DEV_MAJOR, F_FD_DEV_MINOR,
  F_FD_IS_UPPER_LAYER, F_FD_IS_LOWER_LAYER, ARG_ANY,
} from "./layout";

/** The value a loader left (as fields.ts: numbers unsigned unless numSigned). */
export let fdNum: u64 = 0;
export let fdNumSigned: bool = false;
export let fdStr: usize = 0;
export let fdStrLen: u32 = 0;

// The event (set by beginFdEvent) and what was found for it (once, on the first fd field).
let frame: usize = 0;
let eventType: u32 = 0;
let eventNum: u64 = 0;
let looked: bool = false;
let hasFd: bool = false;
let num: i64 = -1;
let entry: usize = 0;

const TEXT = memory.data(<i32>IP_TEXT_BYTES);

/** Starts a new event for the fd fields. */
export function beginFdEvent(f: usize, type: u32, evtNum: u64): void {
  frame = f;
  eventType = type;
  eventNum = evtNum;
  looked = false;
  typesBuilt = false;
}

/** libsinsp extract_fd: whether the event has fd fields; sets num and entry. */
function look(): bool {
  if (looked) return hasFd;
  looked = true;
  hasFd = false;
  entry = 0;
  num = -1;
  const flags = fdFlags(eventType);
  if ((flags & (EF_CREATES_FD | EF_USES_FD | EF_DESTROYS_FD)) == 0) return false;
  const tid = load<i64>(frame, FRAME_TID);
  if (findThread(tid) == null) return false;
  hasFd = true;
  if (stateFdOf(eventNum)) num = stateFdNum();
  else {
    const loc = fdLocation(eventType);
    if (loc != FD_PARAM_NONE && (flags & EF_USES_FD) != 0 && !paramEmpty(loc)) num = paramI64(loc);
  }
  if (num < 0) return true;
  const owner = fdOwner(tid);
  if (owner != null) entry = changetype<usize>(findFd(owner, num));
  return true;
}

/** The event's fd entry (a FdEntry, libsinsp evt->get_fd_info()), 0 when it has none. */
export function eventFdEntry(): usize {
  return look() ? entry : 0;
}

// @ts-ignore: decorator
@inline function setU(v: u64): bool { fdNum = v; fdNumSigned = false; return true; }
// @ts-ignore: decorator
@inline function setS(v: i64): bool { fdNum = <u64>v; fdNumSigned = true; return true; }
// @ts-ignore: decorator
@inline function setStr(p: usize, n: u32): bool { fdStr = p; fdStrLen = n; return true; }

// @ts-ignore: decorator
@inline function isFile(e: FdEntry): bool { return e.type == SCAP_FD_FILE || e.type == SCAP_FD_FILE_V2; }
// @ts-ignore: decorator
@inline function isInetSock(e: FdEntry): bool { return e.type == SCAP_FD_IPV4_SOCK || e.type == SCAP_FD_IPV6_SOCK; }
// @ts-ignore: decorator
@inline function isServSock(e: FdEntry): bool { return e.type == SCAP_FD_IPV4_SERVSOCK || e.type == SCAP_FD_IPV6_SERVSOCK; }
// @ts-ignore: decorator
@inline function isV6(e: FdEntry): bool { return e.type == SCAP_FD_IPV6_SOCK || e.type == SCAP_FD_IPV6_SERVSOCK; }

/** Loads numeric fd field `field`; false when missing. */
export function loadFdNumber(field: u32): bool {
  if (!look()) return false;
  if (field == F_FD_NUM) return setS(num);
  if (entry == 0) return false;
  const e = changetype<FdEntry>(entry);
  switch (field) {
    case F_FD_INO: return setU(e.ino);
    case F_FD_DEV: return setU(<u64>e.dev);
    // sinsp_fdinfo::get_device_major / get_device_minor (the kernel's new_encode_dev).
    case F_FD_DEV_MAJOR: return setU(<u64>((e.dev & 0xfff00) >> 8));
    case F_FD_DEV_MINOR: return setU(<u64>((e.dev & 0xff) | ((e.dev >> 12) & 0xfff00)));
    case F_FD_IS_UPPER_LAYER: return setU((e.openFlags & PPM_FD_UPPER_LAYER) != 0 ? 1 : 0);
    case F_FD_IS_LOWER_LAYER: return setU((e.openFlags & PPM_FD_LOWER_LAYER) != 0 ? 1 : 0);
    case F_FD_SPORT:
      if (isServSock(e)) return setU(<u64>e.dport);
      return isInetSock(e) && e.role != ROLE_NONE && setU(<u64>e.dport);
    case F_FD_CPORT: return isInetSock(e) && e.role != ROLE_NONE && setU(<u64>e.sport);
    case F_FD_LPORT: return isInetSock(e) && e.role != ROLE_NONE && setU(<u64>(e.role == ROLE_CLIENT ? e.sport : e.dport));
    case F_FD_RPORT: return isInetSock(e) && e.role != ROLE_NONE && setU(<u64>(e.role == ROLE_CLIENT ? e.dport : e.sport));
    case F_FD_IS_SERVER: return setU(isServSock(e) || (isInetSock(e) && e.role == ROLE_SERVER) ? 1 : 0);
    case F_FD_CONNECTED: return setU(e.connected != 0 ? 1 : 0);
    case F_FD_NAME_CHANGED: return setU(stateFdOf(eventNum) && stateNameChanged() && e.nameLen > 0 ? 1 : 0);
    case F_FD_NET_SRC: case F_FD_NET_DST: {
      if (isServSock(e)) return setU(ipNumber(e, false));
      return isInetSock(e) && setU(ipNumber(e, field == F_FD_NET_SRC));
    }
    case F_FD_PORT_SRC: case F_FD_PORT_DST: {
      if (isServSock(e)) return setU(<u64>e.dport);
      return isInetSock(e) && setU(<u64>(field == F_FD_PORT_SRC ? e.sport : e.dport));
    }
    case F_FD_SNET: if (isServSock(e)) return setU(ipNumber(e, false)); // falls through
    case F_FD_CNET: return isInetSock(e) && e.role != ROLE_NONE && setU(ipNumber(e, field == F_FD_CNET));
    case F_FD_LNET: case F_FD_RNET:
      // As fd.lip / fd.rip: the local side is the source of a connect, the destination of an accept.
      return isInetSock(e) && e.role != ROLE_NONE && setU(ipNumber(e, (field == F_FD_LNET) == (e.role == ROLE_CLIENT)));
    default: return false;
  }
}

/** The IPv4 address of `e`'s source (or destination) as a host-order number; FD_IP_V6 for an IPv6 socket. */
function ipNumber(e: FdEntry, source: bool): u64 {
  if (isV6(e)) return FD_IP_V6;
  return <u64>bswap<u32>(<u32>(source ? e.sip0 : e.dip0));
}

// Type names and characters by scap_fd_type (sinsp_fdinfo::get_typestring / get_typechar).
const TYPE_NAMES = [
  "", "file", "directory", "ipv4", "ipv6", "ipv4", "ipv6", "pipe", "unix", "event", "", "signalfd", "eventpoll",
  "inotify", "timerfd", "netlink", "file", "bpf", "userfaultfd", "io_uring", "memfd", "pidfd",
];
const TYPE_CHARS = memory.data<u8>([
  0x6f, 0x66, 0x64, 0x34, 0x36, 0x34, 0x36, 0x70, 0x75, 0x65, 0x58, 0x73, 0x6c, 0x69, 0x74, 0x6e, 0x66, 0x62, 0x75, 0x72, 0x6d, 0x50,
]);
const TYPE_TEXT = memory.data(16);
const CHAR = memory.data(1);
const SLASH = memory.data<u8>([0x2f]);
const L4_TCP = memory.data<u8>([0x74, 0x63, 0x70]);
const L4_UDP = memory.data<u8>([0x75, 0x64, 0x70]);
const L4_ICMP = memory.data<u8>([0x69, 0x63, 0x6d, 0x70]);
const L4_RAW = memory.data<u8>([0x72, 0x61, 0x77]);
const FAMILY_IP = memory.data<u8>([0x69, 0x70]);
const FAMILY_UNIX = memory.data<u8>([0x75, 0x6e, 0x69, 0x78]);

const PARAM_TEXT_BYTES: u32 = 512;
const PARAM_TEXT = memory.data(<i32>PARAM_TEXT_BYTES);

/** The name libsinsp takes from the event when the fd has no entry (extract_fdname_from_event); false when none. */
function eventName(raw: bool): bool {
  const act = fdAction(eventType);
  if (act == FD_ACT_CONNECT || act == FD_ACT_ACCEPT) {
    return setStr(PARAM_TEXT, paramLen(1) == 0 ? 0 : renderParam(eventType, 1, paramPtr(1), paramLen(1), PARAM_TEXT, PARAM_TEXT_BYTES, load<i64>(frame, FRAME_TID)));
  }
  if (act != FD_ACT_OPEN) return setStr(TEXT, 0);
  const name = roleIndex(eventType, ROLE_PATH);
  const d = dirfdParam(eventType);
  const tid = load<i64>(frame, FRAME_TID);
  if (d == FD_PARAM_NONE) {
    // open, creat: the name as resolved against the cwd.
    resolvePath(fdOwner(tid), 0, false, paramPtr(name), paramStrLen(name));
    return setStr(pathPtr(), pathLen);
  }
  if (paramEmpty(name)) return false;
  if (raw) return setStr(paramPtr(name), paramStrLen(name));
  if (paramEmpty(d)) return false;
  resolvePath(fdOwner(tid), paramI64(d), true, paramPtr(name), paramStrLen(name));
  return setStr(pathPtr(), pathLen);
}

/** fd.directory of a name at fdStr: up to its last "/" (the name itself when it ends in "/"), or "/". */
function directoryOf(): bool {
  let pos: i32 = -1;
  for (let i: i32 = <i32>fdStrLen - 1; i >= 0; i--) if (load<u8>(fdStr + i) == 0x2f) { pos = i; break; }
  if (pos <= 0) return setStr(SLASH, 1);
  if (<u32>pos < fdStrLen - 1) fdStrLen = <u32>pos;
  return true;
}

/** Writes `v` in decimal at out + at; returns the end. */
function decimalAt(out: usize, at: u32, v: i64): u32 {
  if (v < 0) store<u8>(out + at++, 0x2d);
  let u: u64 = v < 0 ? <u64>0 - <u64>v : <u64>v;
  let digits: u32 = 1;
  for (let x = u; x >= 10; x /= 10) digits++;
  for (let i = digits; i > 0; i--) { store<u8>(out + at + i - 1, <u8>(0x30 + <u32>(u % 10))); u /= 10; }
  return at + digits;
}

// fd.containername / fd.containerdirectory / fd.uid are composed here.
const COMPOSE_BYTES: u32 = NAME_BYTES + 64;
const COMPOSE = memory.data(<i32>COMPOSE_BYTES);

/**
 * libsinsp TYPE_CONTAINERNAME / TYPE_CONTAINERDIRECTORY: the container id of the event's thread
 * (empty for the host, as libsinsp's thread table holds it), ':', then the value at fdStr.
 */
function withContainer(): bool {
  const t = findThread(load<i64>(frame, FRAME_TID));
  let at: u32 = 0;
  if (t != null && t.containerIdLen > 0) {
    memory.copy(COMPOSE, changetype<usize>(t) + offsetof<ThreadRecord>("containerId0"), t.containerIdLen);
    at = t.containerIdLen;
  }
  store<u8>(COMPOSE + at++, 0x3a);
  const n = fdStrLen < COMPOSE_BYTES - at ? fdStrLen : COMPOSE_BYTES - at;
  memory.copy(COMPOSE + at, fdStr, n);
  return setStr(COMPOSE, at + n);
}

/** A port as libsinsp's port_to_string writes it without name resolution: its decimal number. */
function portText(port: u16): bool {
  return setStr(TEXT, decimalAt(TEXT, 0, <i64>port));
}

// fd.types: the distinct type names of the process's fds (sinsp_fdinfo::get_typestring, "<NA>"
// for an unknown type), each once, ordered by the lowest fd number having it; libsinsp lists
// them in its hash table's order. Built once per event in TYPE_KEYS.
const TYPE_KEYS = memory.data(<i32>SCAP_FD_TYPES);
const TYPE_MIN_FD = memory.data(<i32>SCAP_FD_TYPES * 8);
let typeCount: u32 = 0;
let typesArg: u32 = 0;
let typesBuilt: bool = false;
const NA_TEXT = memory.data<u8>([0x3c, 0x4e, 0x41, 0x3e]); // "<NA>"

/** The type whose name type `t` prints (file for both file types, ipv4 for a listening socket, ...). */
function typeKey(t: u8): u8 {
  if (t == SCAP_FD_FILE_V2) return SCAP_FD_FILE;
  if (t == SCAP_FD_IPV4_SERVSOCK) return SCAP_FD_IPV4_SOCK;
  if (t == SCAP_FD_IPV6_SERVSOCK) return SCAP_FD_IPV6_SOCK;
  if (t >= SCAP_FD_TYPES || t == SCAP_FD_UNSUPPORTED) return SCAP_FD_UNKNOWN;
  return t;
}

/**
 * libsinsp TYPE_FDTYPES: with `arg` ARG_ANY, the types of every fd of the event's process (false
 * without a thread); else of fd `arg` alone (false when it has none). Sets typeCount and TYPE_KEYS.
 */
function buildTypes(arg: u32): bool {
  if (typesBuilt && typesArg == arg) return true;
  typeCount = 0;
  const owner = fdOwner(load<i64>(frame, FRAME_TID));
  if (owner == null) return false;
  if (arg != ARG_ANY) {
    const e = findFd(owner, <i64>arg);
    if (e == null) return false;
    store<u8>(TYPE_KEYS, typeKey(e.type));
    typeCount = 1;
  } else {
    for (let k: u32 = 0; k < SCAP_FD_TYPES; k++) store<i64>(TYPE_MIN_FD + (k << 3), -1);
    for (let n = owner.fdHead; n != 0; n = entryAt(n).next) {
      const e = entryAt(n);
      const at = TYPE_MIN_FD + (<usize>typeKey(e.type) << 3);
      const m = load<i64>(at);
      if (m < 0 || e.fd < m) store<i64>(at, e.fd);
    }
    // Selection by lowest fd (at most SCAP_FD_TYPES keys).
    while (true) {
      let best: i32 = -1;
      let bestFd: i64 = 0;
      for (let k: i32 = 0; k < <i32>SCAP_FD_TYPES; k++) {
        const m = load<i64>(TYPE_MIN_FD + (<usize>k << 3));
        if (m >= 0 && (best < 0 || m < bestFd)) { best = k; bestFd = m; }
      }
      if (best < 0) break;
      store<u8>(TYPE_KEYS + typeCount++, <u8>best);
      store<i64>(TYPE_MIN_FD + (<usize>best << 3), -1);
    }
  }
  typesBuilt = true;
  typesArg = arg;
  return true;
}

/** Writes the name of type key `k` at out + at; returns the end. */
function typeNameAt(out: usize, at: u32, k: u8): u32 {
  const s = TYPE_NAMES[k];
  if (s.length == 0) { memory.copy(out + at, NA_TEXT, 4); return at + 4; }
  return at + <u32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, out + at, false);
}

/** fd.types (index `arg`, ARG_ANY for none) as a list: the item count, or -1 when missing. Items by fdTypesItem(). */
export function loadFdTypes(arg: u32): i32 {
  if (!look() || !buildTypes(arg)) return -1;
  return <i32>typeCount;
}

/** Item `i` of the list loadFdTypes() made, into fdStr/fdStrLen. */
export function fdTypesItem(i: u32): void {
  setStr(TEXT, typeNameAt(TEXT, 0, load<u8>(TYPE_KEYS + i)));
}

/** The list as libsinsp prints it: "(a,b)". */
function typesText(): bool {
  let at: u32 = 0;
  store<u8>(COMPOSE + at++, 0x28);
  for (let i: u32 = 0; i < typeCount; i++) {
    if (i > 0) store<u8>(COMPOSE + at++, 0x2c);
    at = typeNameAt(COMPOSE, at, load<u8>(TYPE_KEYS + i));
  }
  store<u8>(COMPOSE + at++, 0x29);
  return setStr(COMPOSE, at);
}

/**
 * Type (`name` false: sinsp_fdinfo::get_typestring) or name of fd `fd` of the process of thread
 * `tid`, into fdStr/fdStrLen (proc.stdin.type & co.); false when the fd is not in its table.
 */
export function loadProcessFd(tid: i64, fd: i64, name: bool): bool {
  const owner = fdOwner(tid);
  const e = owner != null ? findFd(owner, fd) : null;
  if (e == null) return false;
  if (name) return setStr(e.name, e.nameLen);
  return setStr(TEXT, typeNameAt(TEXT, 0, typeKey(e.type)));
}

/** Loads string fd field `field` (`arg`: fd.types' index, ARG_ANY for none); false when missing. */
export function loadFdString(field: u32, arg: u32): bool {
  if (!look()) return false;
  const e = entry != 0 ? changetype<FdEntry>(entry) : null;
  switch (field) {
    case F_FD_UID: {
      // libsinsp TYPE_UID: the thread id and fd.num written one after the other.
      const at = decimalAt(COMPOSE, 0, load<i64>(frame, FRAME_TID));
      return setStr(COMPOSE, decimalAt(COMPOSE, at, num));
    }
    case F_FD_TYPES: return buildTypes(arg) && typesText();
    case F_FD_CONTAINERNAME: return loadFdString(F_FD_NAME, arg) && withContainer();
    case F_FD_CONTAINERDIRECTORY: return loadFdString(F_FD_DIRECTORY, arg) && withContainer();
    case F_FD_TYPECHAR:
      store<u8>(CHAR, e == null ? fdTypechar(eventType) : e.type < SCAP_FD_TYPES ? load<u8>(TYPE_CHARS + e.type) : 0x3f);
      return setStr(CHAR, 1);
    case F_FD_NAME: return e == null ? eventName(false) : setStr(e.name, e.nameLen);
    case F_FD_NAMERAW: return e == null ? eventName(true) : setStr(e.name + e.nameLen, e.rawLen);
    case F_FD_DIRECTORY:
      if (e == null) return eventName(false) && directoryOf();
      if (!isFile(e) && e.type != SCAP_FD_DIRECTORY) return false;
      setStr(e.name, e.nameLen);
      return isFile(e) ? directoryOf() : true;
    default: break;
  }
  if (e == null) return false;
  switch (field) {
    case F_FD_TYPE: {
      if (e.type >= SCAP_FD_TYPES) return false;
      const s = TYPE_NAMES[e.type];
      if (s.length == 0) return false;
      const n = String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, TYPE_TEXT, false);
      return setStr(TYPE_TEXT, <u32>n);
    }
    case F_FD_FILENAME: {
      if (!isFile(e)) return false;
      setStr(e.name, e.nameLen);
      let pos: i32 = -1;
      for (let i: i32 = <i32>fdStrLen - 1; i >= 0; i--) if (load<u8>(fdStr + i) == 0x2f) { pos = i; break; }
      if (pos < 0) return setStr(SLASH, 1);
      if (<u32>pos < fdStrLen - 1) return setStr(fdStr + pos + 1, fdStrLen - <u32>pos - 1);
      return true;
    }
    // libsinsp TYPE_CLIENTPROTO / SERVERPROTO / LPROTO / RPROTO: a port as text; a listening socket's
    // fd.sproto and a non-inet socket's fd.cproto are empty (present).
    case F_FD_CPROTO:
      if (e.role == ROLE_NONE) return false;
      return isInetSock(e) ? portText(e.sport) : setStr(TEXT, 0);
    case F_FD_SPROTO:
      if (isServSock(e)) return setStr(TEXT, 0);
      return isInetSock(e) && e.role != ROLE_NONE && portText(e.dport);
    case F_FD_LPROTO: case F_FD_RPROTO:
      // As fd.lport / fd.rport: the local side is the source of a connect, the destination of an accept.
      if (!isInetSock(e) || e.role == ROLE_NONE) return false;
      return portText((field == F_FD_LPROTO) == (e.role == ROLE_CLIENT) ? e.sport : e.dport);
    case F_FD_L4PROTO: {
      // sinsp_fdinfo::get_l4proto: a socket with no role yet (not connected) has none, unless raw.
      if (!isInetSock(e) && !isServSock(e)) return false;
      const l4 = e.l4proto;
      if (isInetSock(e) && e.role == ROLE_NONE && l4 != SCAP_L4_RAW) return false;
      if (l4 == SCAP_L4_TCP) return setStr(L4_TCP, 3);
      if (l4 == SCAP_L4_UDP) return setStr(L4_UDP, 3);
      if (l4 == SCAP_L4_ICMP) return setStr(L4_ICMP, 4);
      if (l4 == SCAP_L4_RAW) return setStr(L4_RAW, 3);
      return false;
    }
    case F_FD_SOCKFAMILY:
      if (isInetSock(e) || isServSock(e)) return setStr(FAMILY_IP, 2);
      return e.type == SCAP_FD_UNIX_SOCK && setStr(FAMILY_UNIX, 4);
    case F_FD_SIP:
      if (isServSock(e)) return setStr(TEXT, ipText(TEXT, changetype<usize>(e) + offsetof<FdEntry>("dip0"), isV6(e)));
      return isInetSock(e) && e.role != ROLE_NONE && setStr(TEXT, ipText(TEXT, changetype<usize>(e) + offsetof<FdEntry>("dip0"), isV6(e)));
    case F_FD_CIP:
      return isInetSock(e) && e.role != ROLE_NONE && setStr(TEXT, ipText(TEXT, changetype<usize>(e) + offsetof<FdEntry>("sip0"), isV6(e)));
    case F_FD_LIP: case F_FD_RIP: {
      if (!isInetSock(e) || e.role == ROLE_NONE) return false;
      // The local side: the source of a connect (client), the destination of an accept (server).
      const source = (field == F_FD_LIP) == (e.role == ROLE_CLIENT);
      const at = changetype<usize>(e) + (source ? offsetof<FdEntry>("sip0") : offsetof<FdEntry>("dip0"));
      return setStr(TEXT, ipText(TEXT, at, isV6(e)));
    }
    default: return false;
  }
}

// The text libsinsp renders after an fd parameter's number (sinsp_evt::render_fd): "<tc>" or
// "<tcp>" (type character, then t/u/i/r for a socket's protocol) and the fd's name.
const DESCRIBE_BYTES: u32 = NAME_BYTES + 8;
const DESCRIBE = memory.data(<i32>DESCRIBE_BYTES);
const PROTO_CHARS = memory.data<u8>([0, 0, 0, 0x74, 0x75, 0x69, 0x72]); // by SCAP_L4_*: t u i r

/**
 * Writes "<tc>name" for fd `fd` of thread `tid` into the describe buffer (fdDescribePtr) and returns
 * its length, or -1 when the thread or the fd is not in the tables.
 */
export function describeFd(tid: i64, fd: i64): i32 {
  if (fd < 0) return -1;
  const owner = fdOwner(tid);
  if (owner == null) return -1;
  const e = findFd(owner, fd);
  if (e == null) return -1;
  let at: u32 = 0;
  store<u8>(DESCRIBE + at++, 0x3c);
  store<u8>(DESCRIBE + at++, e.type < SCAP_FD_TYPES ? load<u8>(TYPE_CHARS + e.type) : 0x3f);
  if (isInetSock(e) || isServSock(e)) {
    // sinsp_fdinfo::get_l4proto: none for an inet socket without a role (not raw).
    const l4: u8 = isInetSock(e) && e.role == ROLE_NONE && e.l4proto != SCAP_L4_RAW ? 0 : e.l4proto;
    if (l4 <= SCAP_L4_RAW && load<u8>(PROTO_CHARS + l4) != 0) store<u8>(DESCRIBE + at++, load<u8>(PROTO_CHARS + l4));
  }
  store<u8>(DESCRIBE + at++, 0x3e);
  const n = e.nameLen < DESCRIBE_BYTES - at ? e.nameLen : DESCRIBE_BYTES - at;
  memory.copy(DESCRIBE + at, e.name, n);
  return <i32>(at + n);
}

/** The buffer describeFd() writes to. */
export function fdDescribePtr(): usize { return DESCRIBE; }
