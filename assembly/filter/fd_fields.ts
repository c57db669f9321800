// fd.* field values of the current event (libs userspace/libsinsp/sinsp_filtercheck_fd.cpp):
// the event's fd is the one its state update gave it (an open, socket, dup: libsinsp add_fd
// sets m_lastevent_fd) or its fd parameter (fd_events.ts fdLocation), and its fd entry that
// fd in its process's table (fd_table.ts). An event without EF_CREATES_FD, EF_USES_FD or
// EF_DESTROYS_FD has no fd.* value at all; one whose fd is not in the table has only
// fd.num, fd.typechar (of the event type) and the name the event itself carries.

import { FRAME_TID } from "../frame";
import { findThread } from "../thread_table";
import { paramI64, paramPtr, paramStrLen, paramEmpty, paramLen } from "../params";
import { ROLE_PATH, roleIndex } from "../event_info";
import {
  FdEntry, findFd, SCAP_FD_FILE, SCAP_FD_FILE_V2, SCAP_FD_DIRECTORY, SCAP_FD_IPV4_SOCK, SCAP_FD_IPV6_SOCK,
  SCAP_FD_IPV4_SERVSOCK, SCAP_FD_IPV6_SERVSOCK, SCAP_FD_UNIX_SOCK, SCAP_FD_TYPES, ROLE_NONE, ROLE_CLIENT, ROLE_SERVER,
  SCAP_L4_TCP, SCAP_L4_UDP, SCAP_L4_ICMP, SCAP_L4_RAW,
} from "../fd_table";
import {
  fdFlags, fdLocation, fdTypechar, fdOwner, stateFdOf, stateFdNum, stateNameChanged, dirfdParam, resolvePath, pathPtr, pathLen,
  FD_PARAM_NONE, EF_CREATES_FD, EF_USES_FD, EF_DESTROYS_FD, fdAction, FD_ACT_OPEN, FD_ACT_CONNECT, FD_ACT_ACCEPT,
} from "../fd_events";
import { ipText, IP_TEXT_BYTES } from "./ip_text";
import { NAME_BYTES } from "../fd_table";
import {
  F_FD_NUM, F_FD_TYPE, F_FD_TYPECHAR, F_FD_NAME, F_FD_DIRECTORY, F_FD_FILENAME, F_FD_INO, F_FD_DEV, F_FD_SIP,
  F_FD_SPORT, F_FD_CIP, F_FD_CPORT, F_FD_L4PROTO, F_FD_SOCKFAMILY, F_FD_NAMERAW, F_FD_LIP, F_FD_RIP, F_FD_LPORT,
  F_FD_RPORT, F_FD_IS_SERVER, F_FD_CONNECTED, F_FD_NET_SRC, F_FD_NET_DST, F_FD_PORT_SRC, F_FD_PORT_DST,
  F_FD_SNET, F_FD_CNET, F_FD_LNET, F_FD_RNET, F_FD_NAME_CHANGED, FD_IP_V6,
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

/** The shell's renderer of a parameter's text (filter/fields.ts renderParam). */
@external("env", "renderParam")
declare function renderParam(type: u32, index: u32, ptr: usize, len: u32, out: usize, cap: u32): u32;
const PARAM_TEXT_BYTES: u32 = 512;
const PARAM_TEXT = memory.data(<i32>PARAM_TEXT_BYTES);

/** The name libsinsp takes from the event when the fd has no entry (extract_fdname_from_event); false when none. */
function eventName(raw: bool): bool {
  const act = fdAction(eventType);
  if (act == FD_ACT_CONNECT || act == FD_ACT_ACCEPT) {
    return setStr(PARAM_TEXT, paramLen(1) == 0 ? 0 : renderParam(eventType, 1, paramPtr(1), paramLen(1), PARAM_TEXT, PARAM_TEXT_BYTES));
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

/** Loads string fd field `field`; false when missing. */
export function loadFdString(field: u32): bool {
  if (!look()) return false;
  const e = entry != 0 ? changetype<FdEntry>(entry) : null;
  switch (field) {
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
