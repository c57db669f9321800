// Thread-table updates from the process-lifecycle events, following libsinsp's
// rules (libs userspace/libsinsp/parsers.cpp: parse_clone_exit_caller,
// parse_clone_exit_child, parse_execve_exit; thread removal on procexit).
// Parameters are found by role (event_info.ts), so every event version shares
// this code; a role the version lacks reads as empty.

import {
  ROLE_RES, ROLE_EXE, ROLE_ARGS, ROLE_PID, ROLE_PTID, ROLE_CWD, ROLE_COMM, ROLE_CGROUPS,
  ROLE_FLAGS, ROLE_UID, ROLE_GID, ROLE_VTID, ROLE_VPID, ROLE_PIDNS_INIT_START_TS,
  ROLE_EXE_INO, ROLE_EXE_INO_CTIME, ROLE_EXE_INO_MTIME, ROLE_TRUSTED_EXEPATH, ROLE_LOGINUID, ROLE_PATH,
  ROLE_ENV, ROLE_TTY, ROLE_VPGID, ROLE_CAP_INHERITABLE, ROLE_CAP_PERMITTED, ROLE_CAP_EFFECTIVE, ROLE_REAPER_TID, roleIndex, isVforkEvent,
} from "./event_info";
import { paramEmpty, paramI64, paramLen, paramPtr, paramStrLen, paramU64 } from "./params";
import {
  ThreadRecord, HAS_CLONE_TS, HAS_PIDNS_INIT_START_TS, HAS_EXE_INO, HAS_EXE_INO_CTIME,
  HAS_EXE_INO_MTIME, HAS_CTIME_DURATION_PROC_START, HAS_CTIME_DURATION_PIDNS_START, HAS_VPID,
  HAS_EXE_FLAGS, HAS_LOGINUID, HAS_UID, HAS_GID, HAS_EXEPATH, HAS_CONTAINER_START, IN_OWN_PIDNS, IS_REAPER, RECORD_BYTES, STR_LEN_BASE, STR_COUNT, SESSION_BASE, SESSION_BYTES,
  STR_COMM, STR_EXE, STR_EXEPATH, STR_ARGS, STR_CWD, STR_INTERPRETER, STR_ENV, strLen, strPtr,
} from "./thread_record";
import { findThread, insertThread, removeThread, threadCount, threadSlots, threadSlotPtr, setParent, mayHaveChildren, childrenGone } from "./thread_table";
import { mainThread } from "./ancestry";
import { stageString, stageFrom, commitStrings, freeStrings } from "./thread_strings";
import { enterContainer, resetContainerStarts } from "./container_id";
import { setExeOrigin, inheritExeOrigin } from "./drift";
import { isPlausibleNs, plausibleSumNs, signedDeltaNs } from "./epoch_ns";
import { fdOwner, fdTracking, onExecFds, PPM_CL_CLONE_FILES } from "./fd_events";
import { copyFds } from "./fd_table";

// PPM_CL_* clone flags (libs driver/ppm_events_public.h).
const PPM_CL_CLONE_NEWPID: u32 = 1 << 6;
const PPM_CL_CLONE_PARENT: u32 = 1 << 8;
const PPM_CL_CLONE_THREAD: u32 = 1 << 13;
const PPM_CL_CLONE_INVERTED: u32 = 1 << 16;
const PPM_CL_CLONE_VFORK: u32 = 1 << 27;
const PPM_CL_CHILD_IN_PIDNS: u32 = 1 << 29;
/**
 * scapdrift's own execve flag (driver/include/scapdrift_abi.h SD_PPM_EXE_SCRIPT):
 * a `#!` script; `filename` holds the script's resolved path and
 * `trusted_exepath` the interpreter's. libs' PPM_EXE_* use bits 0-3.
 */
export const SD_PPM_EXE_SCRIPT: u32 = 1 << 31;
/**
 * Whether the capture's writer sets SD_PPM_EXE_SCRIPT: scapdrift's loader, which
 * names itself in the section header (ts/pipeline/decoder.ts). No other driver says whether
 * an exec ran a script, so elsewhere proc.is_exe_script is missing, not false.
 */
let scriptFlagKnown: bool = false;

/** Sets whether this section's writer reports scripts (SD_PPM_EXE_SCRIPT). */
export function setScriptFlagKnown(known: bool): void {
  scriptFlagKnown = known;
}

/** Whether SD_PPM_EXE_SCRIPT is meaningful in this section (see setScriptFlagKnown). */
export function isScriptFlagKnown(): bool {
  return scriptFlagKnown;
}
/** libsinsp settings.h CLONE_STALE_TIME_NS: a child-side clone newer than this keeps the existing entry. */
const CLONE_STALE_TIME_NS: u64 = 2_000_000_000;

// Boot time in epoch ns (machine-info block boot_ts_epoch, or live /proc/stat btime).
let bootTsEpoch: u64 = 0;
let hasBootTs: bool = false;

// Boot-time calibration. libs writes boot_ts_epoch from /proc/stat btime, in whole
// seconds, but stamps events with the precise boot time (CLOCK_REALTIME −
// CLOCK_BOOTTIME) + ns since boot: a namespace start computed as param + btime is
// up to 1 s early. The child-side clone exit of a namespace's init (vtid 1) holds
// both clocks: its timestamp (epoch ns) and its own start (pidns_init_start_ts, ns
// since boot), a few µs apart; ts − start is the precise boot time plus that
// latency. The smallest such value within [btime, btime + 1 s) replaces btime for
// the namespace starts computed from then on. A boot time that is not whole
// seconds (scapdrift's driver writes the precise one) is not calibrated.
const NS_PER_S: u64 = 1_000_000_000;
/** Boot time (epoch ns) for pid-namespace starts: bootTsEpoch, or its calibration. */
let nsBootTsEpoch: u64 = 0;
let bootCalibrated: bool = false;

/** Sets the host boot time (epoch ns) used for pidns_init_start_ts; starts a new calibration. */
export function setBootTs(epochNs: u64, present: bool): void {
  bootTsEpoch = epochNs;
  hasBootTs = present;
  nsBootTsEpoch = epochNs;
  bootCalibrated = false;
}

/** Whether the boot time was calibrated from a namespace init's clone exit (see above). */
export function isBootCalibrated(): bool {
  return bootCalibrated;
}

/** Calibrates nsBootTsEpoch from the child-side clone exit at `ts` of an init started at `startBootNs`. */
function calibrateBoot(ts: u64, startBootNs: u64): void {
  if (!hasBootTs || bootTsEpoch % NS_PER_S != 0 || ts < startBootNs) return;
  const boot = ts - startBootNs;
  if (boot < bootTsEpoch || boot - bootTsEpoch >= NS_PER_S) return;
  if (!bootCalibrated || boot < nsBootTsEpoch) nsBootTsEpoch = boot;
  bootCalibrated = true;
}

// @ts-ignore: decorator
@inline function param(type: u32, role: u32): u32 {
  return roleIndex(type, role);
}

function setPidnsHost(rec: ThreadRecord): void {
  rec.presence &= ~IN_OWN_PIDNS;
  if (hasBootTs && isPlausibleNs(bootTsEpoch)) {
    rec.pidnsInitStartTs = bootTsEpoch;
    rec.presence |= HAS_PIDNS_INIT_START_TS;
  }
}

function stageStringParam(slot: u32, index: u32): void {
  stageString(slot, paramPtr(index), paramStrLen(index));
}

/** Stages comm from the comm parameter, or exe when the version has none (libsinsp's rule). */
function stageComm(type: u32): void {
  const comm = param(type, ROLE_COMM);
  stageStringParam(STR_COMM, paramEmpty(comm) ? param(type, ROLE_EXE) : comm);
}

/** args keep their NULs as separators; the trailing NUL is dropped. */
function stageArgs(type: u32): void {
  stageStringParam(STR_ARGS, param(type, ROLE_ARGS));
}

/**
 * Copies exe identity (exepath excluded) and the process-start delta from `src`
 * (clone inheritance). The pid-namespace delta is not inherited: libsinsp
 * copies only the former, and a child in a new namespace has another start.
 */
function inheritExe(dst: ThreadRecord, src: ThreadRecord): void {
  const keep: u32 = HAS_EXE_INO | HAS_EXE_INO_CTIME | HAS_EXE_INO_MTIME | HAS_CTIME_DURATION_PROC_START |
    HAS_EXE_FLAGS | HAS_LOGINUID | HAS_EXEPATH | HAS_CONTAINER_START;
  dst.exeIno = src.exeIno;
  dst.exeInoCtime = src.exeInoCtime;
  dst.exeInoMtime = src.exeInoMtime;
  dst.ctimeDurationProcStart = src.ctimeDurationProcStart;
  dst.exeFlags = src.exeFlags;
  dst.loginuid = src.loginuid;
  dst.presence = (dst.presence & ~keep) | (src.presence & keep);
  dst.containerIdLen = src.containerIdLen;
  dst.containerId0 = src.containerId0;
  dst.containerId1 = src.containerId1;
  dst.containerStartTs = src.containerStartTs;
  inheritExeOrigin(dst, src);
}

/**
 * Session, process group, terminal and capabilities from `src` (libsinsp copies them
 * from a valid caller or lookup thread, parse_clone_exit_caller/_child); the
 * environment too when `leader` (a thread reads its leader's).
 */
function inheritSession(dst: ThreadRecord, src: ThreadRecord, leader: bool): void {
  memory.copy(changetype<usize>(dst) + SESSION_BASE, changetype<usize>(src) + SESSION_BASE, SESSION_BYTES);
  if (leader) stageString(STR_ENV, strPtr(src, STR_ENV), strLen(src, STR_ENV));
}

/** A new process starts with a copy of its parent's fds (libsinsp parse_clone_exit_caller/_child). */
function inheritFds(child: ThreadRecord, parentTid: i64): void {
  if (!fdTracking()) return;
  const from = fdOwner(parentTid);
  if (from != null && from != child) copyFds(child, from);
}

/** Stages exepath and the interpreter from `src` (a clone runs its parent's file). */
function stageExeStrings(src: ThreadRecord): void {
  stageString(STR_EXEPATH, strPtr(src, STR_EXEPATH), strLen(src, STR_EXEPATH));
  stageString(STR_INTERPRETER, strPtr(src, STR_INTERPRETER), strLen(src, STR_INTERPRETER));
}

/**
 * uid, gid, container and clone ts of a new thread; `known` when `rec` inherited
 * its parent's state (a change of container is then a process entering one).
 */
function setIdentityFromParams(rec: ThreadRecord, type: u32, ts: u64, known: bool): void {
  const uid = param(type, ROLE_UID);
  if (!paramEmpty(uid)) { rec.uid = <u32>paramU64(uid); rec.presence |= HAS_UID; }
  const gid = param(type, ROLE_GID);
  if (!paramEmpty(gid)) { rec.gid = <u32>paramU64(gid); rec.presence |= HAS_GID; }
  const cg = param(type, ROLE_CGROUPS);
  if (!paramEmpty(cg)) enterContainer(rec, paramPtr(cg), paramLen(cg), ts, known);
  rec.cloneTs = ts;
  rec.presence |= HAS_CLONE_TS;
}

/** pid, ptid, vtid and vpid of `rec` (whose tid is the event's) from a clone exit's parameters. */
function setIdsFromParams(rec: ThreadRecord, type: u32): void {
  rec.pid = paramI64(param(type, ROLE_PID));
  setParent(rec, paramI64(param(type, ROLE_PTID)));
  const vpid = param(type, ROLE_VPID);
  if (!paramEmpty(vpid)) {
    rec.vtid = paramI64(param(type, ROLE_VTID));
    rec.vpid = paramI64(vpid);
    rec.presence |= HAS_VPID;
  } else {
    rec.vtid = rec.tid; // no namespace information in this version
  }
}

/** Clone-family exit (clone, fork, vfork, clone3; every version). */
export function onCloneExit(type: u32, tid: i64, ts: u64): void {
  const res = paramI64(param(type, ROLE_RES));
  if (res < 0) return;
  if (res == 0) cloneChildSide(type, tid, ts);
  else cloneCallerSide(type, tid, res, ts);
}

function cloneCallerSide(type: u32, callerTid: i64, childTid: i64, ts: u64): void {
  let caller = findThread(callerTid);
  const callerKnown = caller != null;
  if (caller == null) {
    // Unknown caller (not in the process list): build it from this event.
    caller = insertThread(callerTid);
    if (caller == null) return; // table full
    setIdsFromParams(caller, type);
    stageString(STR_EXEPATH, 0, 0);
    stageStringParam(STR_EXE, param(type, ROLE_EXE));
    stageArgs(type);
    stageComm(type);
    stageStringParam(STR_CWD, param(type, ROLE_CWD));
    commitStrings(caller);
  }
  const flags = <u32>paramU64(param(type, ROLE_FLAGS));
  // A child in a pid namespace is built from its own (child-side) event.
  if ((flags & (PPM_CL_CHILD_IN_PIDNS | PPM_CL_CLONE_NEWPID | PPM_CL_CLONE_PARENT)) != 0) return;
  if (caller.tid != caller.vtid) return;
  // vfork: the child may exit before the parent returns; leave it to the child side.
  if ((flags & PPM_CL_CLONE_VFORK) != 0 || isVforkEvent(type)) return;
  // A child that already exited (its procexit came first) is not added back.
  if (recentlyExited(childTid, callerTid, ts)) return;
  const existing = findThread(childTid);
  if (existing != null && (existing.cloneFlags & PPM_CL_CLONE_INVERTED) != 0) return;

  const child = insertThread(childTid);
  if (child == null) return; // table full
  caller = changetype<ThreadRecord>(findThread(callerTid)); // insert may move records
  const leader = (flags & PPM_CL_CLONE_THREAD) == 0;
  // libsinsp gives every thread CLONE_FILES: it shares its main thread's fds.
  child.cloneFlags = leader ? flags : flags | PPM_CL_CLONE_FILES;
  child.pid = leader ? childTid : caller.pid;
  setParent(child, leader ? caller.tid : caller.ptid);
  child.vtid = child.tid;
  child.vpid = child.pid;
  child.presence |= HAS_VPID;
  inheritExe(child, caller);
  inheritSession(child, caller, leader);
  if (leader) inheritFds(child, callerTid);
  stageExeStrings(caller);
  stageString(STR_CWD, strPtr(caller, STR_CWD), strLen(caller, STR_CWD));
  stageStringParam(STR_EXE, param(type, ROLE_EXE));
  stageArgs(type);
  stageComm(type);
  commitStrings(child);
  setIdentityFromParams(child, type, ts, callerKnown);
  setPidnsHost(child);
}


function cloneChildSide(type: u32, tid: i64, ts: u64): void {
  const existing = findThread(tid);
  if (existing != null && (existing.presence & HAS_CLONE_TS) != 0 && ts - existing.cloneTs < CLONE_STALE_TIME_NS) {
    return; // the caller side already built it
  }
  const child = insertThread(tid);
  if (child == null) return; // table full
  setIdsFromParams(child, type);
  const flags = <u32>paramU64(param(type, ROLE_FLAGS)) | PPM_CL_CLONE_INVERTED;
  const leader = (flags & PPM_CL_CLONE_THREAD) == 0;
  child.cloneFlags = leader ? flags : flags | PPM_CL_CLONE_FILES;
  const parent = findThread(leader ? child.ptid : child.pid);
  if (parent != null) {
    inheritExe(child, parent);
    inheritSession(child, parent, leader);
    if (leader) inheritFds(child, parent.tid);
    stageExeStrings(parent);
    stageString(STR_CWD, strPtr(parent, STR_CWD), strLen(parent, STR_CWD));
  } else {
    stageString(STR_EXEPATH, 0, 0);
    stageStringParam(STR_CWD, param(type, ROLE_CWD));
  }
  stageStringParam(STR_EXE, param(type, ROLE_EXE));
  stageArgs(type);
  stageComm(type);
  commitStrings(child);
  setIdentityFromParams(child, type, ts, parent != null);
  if ((flags & (PPM_CL_CHILD_IN_PIDNS | PPM_CL_CLONE_NEWPID)) != 0 || child.tid != child.vtid) {
    child.presence |= IN_OWN_PIDNS;
    const ns = param(type, ROLE_PIDNS_INIT_START_TS);
    if (!paramEmpty(ns) && child.vtid == 1) calibrateBoot(ts, paramU64(ns));
    // The parameter is ns since boot; without a boot time it cannot become epoch ns,
    // and a sum past 2^63 is no plausible time (epoch_ns.ts): missing.
    const start = paramEmpty(ns) || !hasBootTs ? U64.MAX_VALUE : plausibleSumNs(paramU64(ns), nsBootTsEpoch);
    if (isPlausibleNs(start)) {
      child.pidnsInitStartTs = start;
      child.presence |= HAS_PIDNS_INIT_START_TS;
    }
  } else {
    setPidnsHost(child);
  }
}

/** Successful execve/execveat exit: replaces the exe identity and computes the deltas once. */
export function onExecveExit(type: u32, tid: i64, ts: u64): void {
  if (paramI64(param(type, ROLE_RES)) < 0) return;
  let rec = findThread(tid);
  if (rec == null) rec = resurrectLeader(tid, ts);
  const known = rec != null;
  if (rec == null) {
    rec = insertThread(tid);
    if (rec == null) return; // table full
    setParent(rec, paramI64(param(type, ROLE_PTID)));
    rec.vtid = tid;
    stageString(STR_EXEPATH, 0, 0);
    stageString(STR_CWD, 0, 0);
    stageString(STR_COMM, 0, 0);
    stageString(STR_EXE, 0, 0);
    stageString(STR_ARGS, 0, 0);
  } else {
    stageFrom(rec);
  }
  const pid = param(type, ROLE_PID);
  if (!paramEmpty(pid)) rec.pid = paramI64(pid);
  if ((rec.presence & HAS_VPID) == 0 && (rec.cloneFlags & PPM_CL_CHILD_IN_PIDNS) == 0) {
    rec.vtid = rec.tid;
    rec.vpid = rec.pid;
    rec.presence |= HAS_VPID;
  }
  stageStringParam(STR_EXE, param(type, ROLE_EXE));
  stageArgs(type);
  stageComm(type);
  const flags = param(type, ROLE_FLAGS);
  const script = !paramEmpty(flags) && (<u32>paramU64(flags) & SD_PPM_EXE_SCRIPT) != 0;
  const trusted = param(type, ROLE_TRUSTED_EXEPATH);
  // A script: exepath is the script (what exe_ino describes), the interpreter apart.
  const exepath = script ? param(type, ROLE_PATH) : trusted;
  stageString(STR_INTERPRETER, 0, 0);
  if (script) stageStringParam(STR_INTERPRETER, trusted);
  if (!paramEmpty(exepath)) {
    stageStringParam(STR_EXEPATH, exepath);
    rec.presence |= HAS_EXEPATH;
  }
  // The cwd at exec time, when the version carries it (libsinsp keeps the tracked
  // cwd; for a thread first seen here this is the only source).
  const cwd = param(type, ROLE_CWD);
  if (paramStrLen(cwd) > 0) stageStringParam(STR_CWD, cwd);
  const env = param(type, ROLE_ENV);
  if (!paramEmpty(env)) stageStringParam(STR_ENV, env);
  commitStrings(rec);
  setSessionFromExecve(rec, type);
  if (fdTracking()) onExecFds(tid);

  const cg = param(type, ROLE_CGROUPS);
  if (!paramEmpty(cg)) enterContainer(rec, paramPtr(cg), paramLen(cg), ts, known);
  const loginuid = param(type, ROLE_LOGINUID);
  if (!paramEmpty(loginuid)) { rec.loginuid = <u32>paramU64(loginuid); rec.presence |= HAS_LOGINUID; }
  if (!paramEmpty(flags)) { rec.exeFlags = <u32>paramU64(flags); rec.presence |= HAS_EXE_FLAGS; }
  const uid = param(type, ROLE_UID);
  if (!paramEmpty(uid)) { rec.uid = <u32>paramU64(uid); rec.presence |= HAS_UID; }
  const gid = param(type, ROLE_GID);
  if (!paramEmpty(gid)) { rec.gid = <u32>paramU64(gid); rec.presence |= HAS_GID; }

  const mtime = param(type, ROLE_EXE_INO_MTIME);
  if (!paramEmpty(mtime)) setExeIdentity(rec, type);
  // A driver that flags scripts names them in exepath already; for another, the path given to execve.
  const given = param(type, ROLE_PATH);
  const scriptLen = scriptFlagKnown || script ? 0 : paramStrLen(given);
  setExeOrigin(rec, ts, !paramEmpty(mtime), !paramEmpty(exepath), scriptLen > 0 ? paramPtr(given) : 0, scriptLen);
  // libsinsp keeps only these flags across execve (plus the inverted mark).
  rec.cloneFlags &= PPM_CL_CLONE_INVERTED;
}

/** tty, vpgid and capabilities of an execve exit, when the version carries them (parse_execve_exit). */
function setSessionFromExecve(rec: ThreadRecord, type: u32): void {
  const tty = param(type, ROLE_TTY);
  if (!paramEmpty(tty)) rec.tty = <u32>paramU64(tty);
  const vpgid = param(type, ROLE_VPGID);
  if (!paramEmpty(vpgid)) rec.vpgid = paramI64(vpgid);
  const eff = param(type, ROLE_CAP_EFFECTIVE);
  if (!paramEmpty(eff)) {
    rec.capInheritable = paramU64(param(type, ROLE_CAP_INHERITABLE));
    rec.capPermitted = paramU64(param(type, ROLE_CAP_PERMITTED));
    rec.capEffective = paramU64(eff);
  }
}

// libs encodes "unknown" as 0 for inode, ctime and mtime: a 0 stays missing.
function setExeIdentity(rec: ThreadRecord, type: u32): void {
  const ino = paramU64(param(type, ROLE_EXE_INO));
  const ctime = paramU64(param(type, ROLE_EXE_INO_CTIME));
  const mtime = paramU64(param(type, ROLE_EXE_INO_MTIME));
  rec.presence &= ~(HAS_EXE_INO | HAS_EXE_INO_CTIME | HAS_EXE_INO_MTIME |
    HAS_CTIME_DURATION_PROC_START | HAS_CTIME_DURATION_PIDNS_START);
  rec.exeIno = ino;
  rec.exeInoCtime = ctime;
  rec.exeInoMtime = mtime;
  if (ino != 0) rec.presence |= HAS_EXE_INO;
  if (mtime != 0) rec.presence |= HAS_EXE_INO_MTIME;
  if (ctime == 0) return;
  rec.presence |= HAS_EXE_INO_CTIME;
  // The ctime is kept as the event holds it; no duration is derived from an implausible one.
  if (!isPlausibleNs(ctime)) return;
  if ((rec.presence & HAS_CLONE_TS) != 0 && isPlausibleNs(rec.cloneTs)) {
    // Signed: negative when the executable changed after the process started.
    rec.ctimeDurationProcStart = signedDeltaNs(rec.cloneTs, ctime);
    rec.presence |= HAS_CTIME_DURATION_PROC_START;
  }
  // pidnsInitStartTs is plausible whenever present (set only so).
  if ((rec.presence & HAS_PIDNS_INIT_START_TS) != 0 && ctime > rec.pidnsInitStartTs) {
    rec.ctimeDurationPidnsStart = signedDeltaNs(ctime, rec.pidnsInitStartTs);
    rec.presence |= HAS_CTIME_DURATION_PIDNS_START;
  }
}

// Threads removed by procexit in the last CLONE_STALE_TIME_NS, kept as copies of
// their records (with their strings) in a ring of RECENT_EXITS:
// - so that a parent's late clone return does not add an exited child back
//   (libsinsp thread_manager has_recently_exited, keyed by parent and child tid);
// - so that an execve by a thread other than the leader finds the leader's start:
//   the kernel (de_thread) ends the leader, reports its exit, gives its tid to the
//   exec-ing thread and copies the leader's start time into it, so the execve
//   comes on the leader's tid just after the leader's procexit. libsinsp keeps a
//   dead leader while its group has threads and resurrects it at that execve.
const RECENT_EXITS: u32 = 64;
const EXITED = memory.data(<i32>(RECENT_EXITS * <u32>RECORD_BYTES), 8);
const EXIT_TS = memory.data(<i32>(RECENT_EXITS * 8), 8);
let exitNext: u32 = 0;
let exitCount: u32 = 0;

// @ts-ignore: decorator
@inline function exitedAt(i: u32): ThreadRecord {
  return changetype<ThreadRecord>(EXITED + <usize>i * RECORD_BYTES);
}

/** A procexit's reaper_tid when the event has none (an older version) or leaves it empty. */
export const REAPER_UNKNOWN: i64 = -1;

/**
 * The reaper_tid of the current procexit event `type`: the tid that inherits the exiting
 * thread's children as the kernel saw it, 0 when it had none, -1 (REAPER_UNKNOWN) when the
 * driver could not tell or the version has no such parameter (libs parsers.cpp parse_thread_exit).
 */
export function exitReaper(type: u32): i64 {
  const i = param(type, ROLE_REAPER_TID);
  return paramEmpty(i) ? REAPER_UNKNOWN : paramI64(i);
}

/**
 * libsinsp find_new_reaper (thread_manager.cpp, after the kernel's): `sibling` (another thread
 * of `r`'s group, or null); else the main thread of the nearest ancestor process that is a
 * reaper — a pid namespace's init (pid or vpid 1) or a process that reaped before (IS_REAPER) —
 * without crossing into another pid namespace; else null.
 */
function findNewReaper(r: ThreadRecord, sibling: ThreadRecord | null): ThreadRecord | null {
  if (sibling != null) return sibling;
  const ns = r.presence & IN_OWN_PIDNS;
  // Each ancestor is checked before a loop could end the walk (libsinsp checks a thread, then
  // looks for it in its set of visited tids): a loop revisits checked threads only, so at most
  // threadCount() steps see every distinct one.
  let p = findThread(r.ptid);
  for (let steps: u32 = 0; p != null && p.tid != r.tid && steps < threadCount(); steps++) {
    if ((p.presence & IN_OWN_PIDNS) != ns) break;
    const m = mainThread(p);
    if (m.pid == 1 || ((m.presence & HAS_VPID) != 0 && m.vpid == 1) || (m.presence & IS_REAPER) != 0) return m;
    p = findThread(p.ptid);
  }
  return null;
}

/**
 * Gives the children of exiting thread `r` (the records whose ptid is its tid) to their new
 * parent, as libsinsp remove_thread does (thread_manager.cpp; assign_children_to_reaper in
 * threadinfo.cpp): the thread `reaper` names (the procexit's reaper_tid) when the table has it,
 * else findNewReaper; with none, ptid 0 (no parent). A reaper of another process is marked
 * IS_REAPER. Nothing is walked when a reaper_tid of 0 says the kernel saw no children, or when
 * no record ever named `r` as parent (mayHaveChildren); else one pass over the table's slots
 * gives the children their parent; when the reaper is not known yet, a first pass finds whether
 * there are children at all and another thread of the group.
 */
function reparentChildren(r: ThreadRecord, reaper: i64): void {
  const tid = r.tid;
  if (reaper == 0 || !mayHaveChildren(tid)) return;
  childrenGone(tid);
  let to = reaper > 0 && reaper != tid ? findThread(reaper) : null;
  if (to == null) {
    let orphans = false;
    let sibling: ThreadRecord | null = null;
    if (tid != r.pid) sibling = findThread(r.pid);
    for (let i: u32 = 0; i < threadSlots(); i++) {
      const p = threadSlotPtr(i);
      if (p == 0 || changetype<ThreadRecord>(p).tid == tid) continue;
      if (changetype<ThreadRecord>(p).ptid == tid) orphans = true;
      if (sibling == null && changetype<ThreadRecord>(p).pid == r.pid) sibling = changetype<ThreadRecord>(p);
    }
    if (!orphans) return;
    to = findNewReaper(r, sibling);
  }
  const toTid = to == null ? 0 : to.tid;
  if (to != null && to.pid != r.pid) mainThread(to).presence |= IS_REAPER;
  for (let i: u32 = 0; i < threadSlots(); i++) {
    const p = threadSlotPtr(i);
    if (p != 0 && changetype<ThreadRecord>(p).ptid == tid && changetype<ThreadRecord>(p).tid != tid) setParent(changetype<ThreadRecord>(p), toTid);
  }
}

/**
 * Applies a procexit: gives the children of `tid` to their new parent (`reaper`: the event's
 * reaper_tid, see reparentChildren), removes `tid` and remembers it for CLONE_STALE_TIME_NS.
 */
export function onProcexitApplied(tid: i64, ts: u64, reaper: i64): void {
  const r = findThread(tid);
  if (r == null) return;
  reparentChildren(r, reaper);
  const kept = exitedAt(exitNext);
  if (exitCount == RECENT_EXITS) freeStrings(kept); // the oldest exit is forgotten
  memory.copy(changetype<usize>(kept), changetype<usize>(r), RECORD_BYTES);
  // The copy owns the strings now: the table's record is emptied before removal.
  r.strBlob = 0;
  memory.fill(changetype<usize>(r) + STR_LEN_BASE, 0, STR_COUNT * 4);
  // The fds stay with the table's record, freed by its removal: the copy has none.
  kept.fdHead = 0;
  kept.fdCount = 0;
  store<u64>(EXIT_TS + (<usize>exitNext << 3), ts);
  exitNext = (exitNext + 1) % RECENT_EXITS;
  if (exitCount < RECENT_EXITS) exitCount++;
  removeThread(tid);
}

/** The ring slot of the newest exit of `tid` less than CLONE_STALE_TIME_NS before `ts`, or -1. */
function recentExit(tid: i64, ts: u64): i32 {
  for (let k: u32 = 1; k <= exitCount; k++) {
    const i = (exitNext + RECENT_EXITS - k) % RECENT_EXITS;
    if (exitedAt(i).tid == tid && ts - load<u64>(EXIT_TS + (<usize>i << 3)) < CLONE_STALE_TIME_NS) return <i32>i;
  }
  return -1;
}

function recentlyExited(tid: i64, ptid: i64, ts: u64): bool {
  for (let i: u32 = 0; i < exitCount; i++) {
    const r = exitedAt(i);
    if (r.tid == tid && r.ptid == ptid && ts - load<u64>(EXIT_TS + (<usize>i << 3)) < CLONE_STALE_TIME_NS) return true;
  }
  return false;
}

/**
 * The record of a leader (tid = pid) that exited less than CLONE_STALE_TIME_NS
 * before `ts`, put back into the table with its strings, or null: the execve of
 * another thread of its group, which took over its tid (see above).
 */
function resurrectLeader(tid: i64, ts: u64): ThreadRecord | null {
  const i = recentExit(tid, ts);
  if (i < 0 || exitedAt(<u32>i).pid != tid) return null;
  const rec = insertThread(tid);
  if (rec == null) return null; // table full
  const kept = exitedAt(<u32>i);
  memory.copy(changetype<usize>(rec), changetype<usize>(kept), RECORD_BYTES);
  // The strings go back with the record; the ring entry keeps its ids (recentlyExited) only.
  kept.strBlob = 0;
  memory.fill(changetype<usize>(kept) + STR_LEN_BASE, 0, STR_COUNT * 4);
  return rec;
}

/** Forgets recent exits (freeing their strings) and the boot calibration (a new capture or section). */
export function resetLifecycle(): void {
  for (let i: u32 = 0; i < exitCount; i++) freeStrings(exitedAt(i));
  exitNext = 0;
  exitCount = 0;
  resetContainerStarts();
  nsBootTsEpoch = bootTsEpoch;
  bootCalibrated = false;
}
