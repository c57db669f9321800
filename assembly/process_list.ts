// Threads from a process-list (PL) block, parsed by the shell (ts/scap/process_list.ts),
// and users and groups from a user-list (UL) block (ts/scap/user_list.ts), handed over
// one entry at a time: the shell writes the entry's strings into
// the scratch buffer, stages them with stageProcessString(), then calls
// addProcess() with the numeric fields.

import {
  ThreadRecord, HAS_CLONE_TS, HAS_PIDNS_INIT_START_TS, HAS_EXE_INO, HAS_EXE_INO_CTIME,
  HAS_EXE_INO_MTIME, HAS_VPID, HAS_EXE_FLAGS, HAS_LOGINUID, HAS_UID, HAS_GID, HAS_EXEPATH, IN_OWN_PIDNS, STR_EXEPATH,
} from "./thread_record";
import { insertThread, setParent } from "./thread_table";
import { stageString, commitStrings } from "./thread_strings";
import { setContainerId } from "./container_id";
import { isPlausibleNs } from "./epoch_ns";
import { putCredential } from "./users";
import { addFd, setFdName, SCAP_FD_IPV4_SOCK, SCAP_FD_IPV6_SOCK, ROLE_NONE, ROLE_CLIENT, ROLE_SERVER, SCAP_L4_TCP } from "./fd_table";
import { fdOwner, fdTracking, nameSocket, PPM_CL_CLONE_FILES } from "./fd_events";

let scratch: usize = 0;
let scratchCapacity: u32 = 0;

/** A buffer of at least `bytes` for the shell to write one entry's strings into. */
export function reserveScratch(bytes: u32): usize {
  if (bytes > scratchCapacity) {
    if (scratch != 0) heap.free(scratch);
    scratchCapacity = bytes < 65536 ? 65536 : bytes;
    scratch = heap.alloc(scratchCapacity);
  }
  return scratch;
}

/** Stages string slot `slot` (STR_*) from scratch[offset, offset+len). */
export function stageProcessString(slot: u32, offset: u32, len: u32): void {
  stageString(slot, scratch + offset, len);
}

/**
 * Adds (or replaces) the thread `tid` from a PL entry. Times are epoch ns; a
 * `has*` false leaves the field missing, and so does a pid-namespace start past
 * 2^63 (epoch_ns.ts). Cgroups are scratch[cgOffset, +cgLen). sid and vpgid are -1,
 * tty and the capability sets 0, when the block's version lacks them (libsinsp's defaults);
 * `flags` the entry's PPM_CL_* flags.
 */
export function addProcess(
  tid: i64, pid: i64, ptid: i64, vtid: i64, vpid: i64, hasVpid: bool,
  uid: u32, gid: u32, hasUid: bool, loginuid: u32, hasLoginuid: bool,
  exeIno: u64, exeCtime: u64, exeMtime: u64, exeFlags: u32, hasExeFlags: bool,
  pidnsInitStartTs: u64, hasPidns: bool, ownPidns: bool, cloneTs: u64, hasCloneTs: bool, hasExepath: bool,
  cgOffset: u32, cgLen: u32,
  sid: i64, vpgid: i64, tty: u32, capInheritable: u64, capPermitted: u64, capEffective: u64, flags: u32,
): void {
  const found = insertThread(tid);
  if (found == null) return; // table full
  const r: ThreadRecord = found;
  r.pid = pid;
  setParent(r, ptid);
  // Of the entry's PPM_CL_* flags, whether a thread shares its main thread's fds.
  r.cloneFlags = flags & PPM_CL_CLONE_FILES;
  r.vtid = hasVpid ? vtid : tid;
  r.vpid = vpid;
  let p: u32 = 0;
  if (hasVpid) p |= HAS_VPID;
  r.uid = uid;
  r.gid = gid;
  if (hasUid) p |= HAS_UID | HAS_GID; // the process list has both
  r.loginuid = loginuid;
  if (hasLoginuid) p |= HAS_LOGINUID;
  // libs writes 0 for an inode or time it could not read.
  r.exeIno = exeIno;
  if (exeIno != 0) p |= HAS_EXE_INO;
  r.exeInoCtime = exeCtime;
  if (exeCtime != 0) p |= HAS_EXE_INO_CTIME;
  r.exeInoMtime = exeMtime;
  if (exeMtime != 0) p |= HAS_EXE_INO_MTIME;
  r.exeFlags = exeFlags;
  if (hasExeFlags) p |= HAS_EXE_FLAGS;
  r.pidnsInitStartTs = pidnsInitStartTs;
  if (hasPidns && isPlausibleNs(pidnsInitStartTs)) p |= HAS_PIDNS_INIT_START_TS;
  if (ownPidns) p |= IN_OWN_PIDNS;
  r.cloneTs = cloneTs;
  if (hasCloneTs) p |= HAS_CLONE_TS;
  if (hasExepath) p |= HAS_EXEPATH;
  r.presence = p;
  r.sid = sid;
  r.vpgid = vpgid;
  r.tty = tty;
  r.capInheritable = capInheritable;
  r.capPermitted = capPermitted;
  r.capEffective = capEffective;
  if (cgLen > 0) setContainerId(r, scratch + cgOffset, cgLen);
  commitStrings(r);
}

/**
 * Adds user or group `id` (users.ts KIND_*) from a UL block entry, its strings at
 * scratch offsets (the shell writes them there, ts/pipeline/decoder.ts).
 */
export function addCredential(kind: u32, id: u32, nameOff: u32, nameLen: u32, homeOff: u32, homeLen: u32, shellOff: u32, shellLen: u32): void {
  putCredential(kind, id, scratch + nameOff, nameLen, scratch + homeOff, homeLen, scratch + shellOff, shellLen);
}

export { STR_EXEPATH };

/**
 * Adds fd `fd` of thread `tid`'s process from an FDL block entry (libs scap_savefile.c
 * scap_fd_read_from_disk): its scap_fd_type, inode, open flags and device (files),
 * layer-4 protocol, ports and the source then destination address (16 bytes each,
 * IPv4 in the first 4) at scratch[addrOff, +32) for sockets, and its name at
 * scratch[nameOff, +nameLen). Ignored when the thread is unknown (libsinsp: the PL
 * entry comes first) or when fds are not tracked (setFdTracking).
 */
export function addListedFd(
  tid: i64, fd: i64, ino: u64, type: u8, openFlags: u32, dev: u32,
  l4proto: u8, sport: u16, dport: u16, server: bool, addrOff: u32, nameOff: u32, nameLen: u32,
): void {
  if (!fdTracking()) return;
  const owner = fdOwner(tid);
  if (owner == null) return;
  const e = addFd(owner, fd, type);
  if (e == null) return;
  e.ino = ino;
  e.openFlags = openFlags;
  e.dev = dev;
  e.l4proto = l4proto;
  e.sport = sport;
  e.dport = dport;
  e.role = server ? ROLE_SERVER : ROLE_NONE;
  e.sip0 = load<u64>(scratch + addrOff);
  e.sip1 = load<u64>(scratch + addrOff, 8);
  e.dip0 = load<u64>(scratch + addrOff, 16);
  e.dip1 = load<u64>(scratch + addrOff, 24);
  setFdName(e, scratch + nameOff, nameLen, 0, 0);
  // Inet sockets are named by their addresses (libsinsp add_fd_from_scap); a TCP one is connected.
  if (type == SCAP_FD_IPV4_SOCK || type == SCAP_FD_IPV6_SOCK) {
    e.role = ROLE_CLIENT;
    e.connected = l4proto == SCAP_L4_TCP ? 1 : 0;
  }
  nameSocket(e);
}
