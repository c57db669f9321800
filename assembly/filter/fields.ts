// Field values for the filter VM, read straight from the current frame and its
// thread record (the same definitions as ts/fields/fields.ts). A loader returns false
// when the value is missing; otherwise it leaves the value in `num`/`numSigned`
// (numbers and bools) or `strPtr`/`strLen` (byte strings).

import { FRAME_TS, FRAME_TID } from "../frame";
import {
  ThreadRecord, HAS_CLONE_TS, HAS_PIDNS_INIT_START_TS, HAS_EXE_INO, HAS_EXE_INO_CTIME,
  HAS_EXE_INO_MTIME, HAS_CTIME_DURATION_PROC_START, HAS_CTIME_DURATION_PIDNS_START, HAS_VPID,
  HAS_LOGINUID, HAS_UID, HAS_GID, HAS_EXE_WRITTEN, HAS_EXE_CHMOD, HAS_WRITER_NAME, HAS_CHMOD_NAME, HAS_CONTAINER_START, IN_OWN_PIDNS, STR_COMM, STR_EXE, STR_EXEPATH, STR_ARGS,
  STR_CWD, STR_INTERPRETER, STR_ENV, strLen, strPtr,
} from "../thread_record";
import { mainThread, ancestorProcess, beginParents, nextParent, oldestWithId } from "../ancestry";
import { capsText } from "./caps";
import { credentialString, credPtr, credLen, KIND_USER, KIND_GROUP, CRED_NAME, CRED_HOME, CRED_SHELL } from "../users";
import { SD_PPM_EXE_SCRIPT, isScriptFlagKnown } from "../lifecycle";
import { findThread } from "../thread_table";
import { isPlausibleNs, signedDeltaNs } from "../epoch_ns";
import { paramLen, paramPtr, paramStrLen, paramU64, paramI64, frameNparams } from "../params";
import { MAX_STRING_BYTES } from "../thread_strings";
import { exeSha256Ptr, interpreterSha256Ptr, SHA256_BYTES } from "../exe_hash";
import {
  F_EVT_NUM, F_EVT_RAWTIME, F_EVT_CPU, F_TID, F_PID, F_PPID, F_VPID, F_VTID, F_PID_TS, F_UID,
  F_LOGINUID, F_EXE_INO, F_EXE_INO_CTIME, F_EXE_INO_MTIME, F_CTIME_DURATION_PROC_START,
  F_CTIME_DURATION_PIDNS_START, F_PIDNS_INIT_START_TS, F_CONTAINER_START_TS, F_CONTAINER_DURATION,
  F_IS_EXE_WRITABLE, F_IS_EXE_UPPER_LAYER, F_IS_EXE_LOWER_LAYER, F_IS_EXE_FROM_MEMFD,
  F_PROC_NAME, F_PROC_EXE, F_PROC_EXEPATH, F_PROC_ARGS, F_PROC_CMDLINE, F_PROC_CWD,
  F_CONTAINER_ID, F_PARAM, F_IS_EXE_SCRIPT, F_EXE_INTERPRETER, F_WRITER_PID, F_WRITER_NAME,
  F_WRITTEN_TS, F_WRITTEN_DURATION, F_CHMOD_PID, F_CHMOD_NAME, F_CHMOD_TS, F_CHMOD_DURATION,
  PK_STRING, PK_SIGNED, PK_UNSIGNED, PK_BYTES, PK_TEXT,
  F_PROC_PNAME, F_PROC_PEXE, F_PROC_PEXEPATH, F_PROC_PCMDLINE, F_PROC_ANAME, F_PROC_AEXE, F_PROC_AEXEPATH,
  F_PROC_ACMDLINE, F_PROC_SNAME, F_PROC_VPGID_NAME, F_PROC_VPGID_EXE, F_PROC_ENV, F_CAP_PERMITTED,
  F_CAP_INHERITABLE, F_CAP_EFFECTIVE, F_PROC_APID, F_PROC_SID, F_PROC_VPGID, F_PROC_TTY, F_PROC_CMDNARGS,
  F_PROC_IS_SID_LEADER, F_PROC_IS_VPGID_LEADER, ARG_ANY, F_PROC_SID_EXE, F_PROC_SID_EXEPATH,
  F_PROC_VPGID_EXEPATH, F_PROC_CMDLENARGS, F_PROC_PVPID, F_THREAD_ISMAIN, F_USER_NAME, F_USER_HOMEDIR,
  F_USER_SHELL, F_USER_LOGINNAME, F_GROUP_NAME, F_GROUP_GID, F_EXE_SHA256, F_PEXE_SHA256, F_EXE_INTERPRETER_SHA256,
  F_FD_FIRST, F_FD_END, F_FD_TYPES, F_PROC_DURATION, F_PROC_PPID_DURATION, F_THREAD_NAMETID, F_PROC_EXELINE,
  F_PROC_STDIN_TYPE, F_PROC_STDOUT_TYPE, F_PROC_STDERR_TYPE, F_PROC_STDIN_NAME, F_PROC_STDOUT_NAME, F_PROC_STDERR_NAME,
  F_PROC_PPID_TS, F_PROC_FDOPENCOUNT,
  F_PROC_LOGINSHELLID, F_FS_PATH_FIRST, F_FS_PATH_END, F_EVT_CATEGORY,
} from "./layout";
import { loadCategory, categoryPtr, categoryLen } from "./category";
import { loadFsPath, fsStr, fsStrLen } from "./fspath_fields";
import { beginFdEvent, loadFdNumber, loadFdString, loadProcessFd, fdNum, fdNumSigned, fdStr, fdStrLen } from "./fd_fields";
import { fdOwner, renderParam } from "../fd_events";

/** Bytes of rendered parameter text a comparison sees (longer text is cut). */
const PARAM_TEXT_BYTES: u32 = 4096;
const PARAM_TEXT = memory.data(<i32>PARAM_TEXT_BYTES);

// PPM_EXE_* flags (libs driver/ppm_events_public.h).
const PPM_EXE_WRITABLE: u32 = 1;
const PPM_EXE_UPPER_LAYER: u32 = 2;
const PPM_EXE_FROM_MEMFD: u32 = 4;
const PPM_EXE_LOWER_LAYER: u32 = 8;

/** What container.id reads for a process outside any container. */
const HOST = memory.data<u8>([104, 111, 115, 116]); // "host"
const HOST_LEN: u32 = 4;

// proc.args, proc.cmdline, proc.env, the capability names and the ancestor lists are
// built here (NULs → spaces). A list of every ancestor's value (proc.aname without
// an index, in output) stops at SCRATCH_BYTES.
const SCRATCH_BYTES: u32 = 4 * MAX_STRING_BYTES;
const SCRATCH = memory.data(<i32>SCRATCH_BYTES);

// The event being filtered (set by beginEvent).
let frame: usize = 0;
let eventType: u32 = 0;
let eventCpu: u32 = 0;
let eventNum: u64 = 0;
let rec: usize = 0;
let recLooked: bool = false;
/** The field and argument the scratch holds for this event; field 0 for none. */
let scratchField: u32 = 0;
let scratchArg: u32 = 0;
let scratchLen: u32 = 0;

/** The value a loader left. */
export let num: u64 = 0;
export let numSigned: bool = false;
export let strAt: usize = 0;
export let strBytes: u32 = 0;

/** Sets the event that the next loads read. */
export function beginEvent(f: usize, type: u32, cpu: u32, evtNum: u64): void {
  frame = f;
  eventType = type;
  eventCpu = cpu;
  eventNum = evtNum;
  recLooked = false;
  scratchField = 0;
  beginFdEvent(f, type, evtNum);
}

/** The event's id (for type bitmaps). */
export function currentType(): u32 {
  return eventType;
}

function thread(): usize {
  if (!recLooked) {
    rec = changetype<usize>(findThread(load<i64>(frame, FRAME_TID)));
    recLooked = true;
  }
  return rec;
}

// @ts-ignore: decorator
@inline function setU(v: u64): bool { num = v; numSigned = false; return true; }
// @ts-ignore: decorator
@inline function setS(v: i64): bool { num = <u64>v; numSigned = true; return true; }

/** proc.ppid as ts/fields/fields.ts computes it: pid of the main thread of the parent of the main thread. */
function parentPid(r: ThreadRecord): bool {
  let main = findThread(r.pid);
  if (main == null) main = r;
  let parent = findThread(main.ptid);
  if (parent == null) return false;
  let parentMain = findThread(parent.pid);
  if (parentMain == null) parentMain = parent;
  return setS(parentMain.pid);
}

/** container.start_ts as ts/fields/fields.ts computes it: the pid namespace's start, or for a host-pid container its first entry. */
function containerStart(r: ThreadRecord): bool {
  if (r.containerIdLen == 0) return false;
  if ((r.presence & IN_OWN_PIDNS) != 0) {
    if ((r.presence & HAS_PIDNS_INIT_START_TS) == 0) return false;
    num = r.pidnsInitStartTs;
    return true;
  }
  if ((r.presence & HAS_CONTAINER_START) == 0) return false;
  num = r.containerStartTs;
  return true;
}

/** Loads numeric field `field` (bools as 0/1); `table` is the per-type table of F_PARAM, or proc.apid's index. */
export function loadNumber(field: u32, table: usize): bool {
  if (field == F_EVT_NUM) return setU(eventNum);
  if (field == F_EVT_RAWTIME) return setU(load<u64>(frame, FRAME_TS));
  if (field == F_EVT_CPU) return setU(<u64>eventCpu);
  if (field == F_TID) return setS(load<i64>(frame, FRAME_TID));
  if (field == F_PARAM) return loadParamNumber(table);
  if (field >= F_FD_FIRST && field < F_FD_END) {
    if (!loadFdNumber(field)) return false;
    num = fdNum;
    numSigned = fdNumSigned;
    return true;
  }
  const p = thread();
  if (p == 0) return false;
  const r = changetype<ThreadRecord>(p);
  const has = r.presence;
  switch (field) {
    case F_PID: return setS(r.pid);
    case F_PPID: return parentPid(r);
    case F_VPID: return (has & HAS_VPID) != 0 && setS(r.vpid);
    case F_VTID: return setS(r.vtid);
    case F_PID_TS: return (has & HAS_CLONE_TS) != 0 && setU(r.cloneTs);
    case F_UID: return (has & HAS_UID) != 0 && setU(<u64>r.uid);
    case F_LOGINUID: return (has & HAS_LOGINUID) != 0 && setS(<i64><i32>r.loginuid);
    case F_EXE_INO: return (has & HAS_EXE_INO) != 0 && setU(r.exeIno);
    case F_EXE_INO_CTIME: return (has & HAS_EXE_INO_CTIME) != 0 && setU(r.exeInoCtime);
    case F_EXE_INO_MTIME: return (has & HAS_EXE_INO_MTIME) != 0 && setU(r.exeInoMtime);
    case F_CTIME_DURATION_PROC_START: return (has & HAS_CTIME_DURATION_PROC_START) != 0 && setS(r.ctimeDurationProcStart);
    case F_CTIME_DURATION_PIDNS_START: return (has & HAS_CTIME_DURATION_PIDNS_START) != 0 && setS(r.ctimeDurationPidnsStart);
    case F_PIDNS_INIT_START_TS: return (has & HAS_PIDNS_INIT_START_TS) != 0 && setU(r.pidnsInitStartTs);
    case F_CONTAINER_START_TS: return containerStart(r) && setU(num);
    case F_CONTAINER_DURATION: return containerStart(r) && isPlausibleNs(load<u64>(frame, FRAME_TS)) && setS(signedDeltaNs(load<u64>(frame, FRAME_TS), num));
    case F_IS_EXE_WRITABLE: return setU((r.exeFlags & PPM_EXE_WRITABLE) != 0 ? 1 : 0);
    case F_IS_EXE_UPPER_LAYER: return setU((r.exeFlags & PPM_EXE_UPPER_LAYER) != 0 ? 1 : 0);
    case F_IS_EXE_LOWER_LAYER: return setU((r.exeFlags & PPM_EXE_LOWER_LAYER) != 0 ? 1 : 0);
    case F_IS_EXE_FROM_MEMFD: return setU((r.exeFlags & PPM_EXE_FROM_MEMFD) != 0 ? 1 : 0);
    case F_IS_EXE_SCRIPT: return isScriptFlagKnown() && setU((r.exeFlags & SD_PPM_EXE_SCRIPT) != 0 ? 1 : 0);
    case F_WRITER_PID: return (has & HAS_EXE_WRITTEN) != 0 && setS(r.writerPid);
    case F_WRITTEN_TS: return (has & HAS_EXE_WRITTEN) != 0 && setU(r.writtenTs);
    case F_WRITTEN_DURATION: return (has & HAS_EXE_WRITTEN) != 0 && setS(r.writtenDuration);
    case F_CHMOD_PID: return (has & HAS_EXE_CHMOD) != 0 && setS(r.chmodPid);
    case F_CHMOD_TS: return (has & HAS_EXE_CHMOD) != 0 && setU(r.chmodTs);
    case F_CHMOD_DURATION: return (has & HAS_EXE_CHMOD) != 0 && setS(r.chmodDuration);
    case F_PROC_SID: return setS(r.sid);
    case F_PROC_VPGID: return setS(r.vpgid);
    case F_PROC_TTY: return setU(<u64>r.tty);
    case F_PROC_CMDNARGS: return setU(<u64>argCount(r));
    case F_PROC_CMDLENARGS: { const n = argCount(r); return setU(n == 0 ? 0 : <u64>(strLen(r, STR_ARGS) - (n - 1))); }
    case F_THREAD_ISMAIN: return setU(r.tid == r.pid ? 1 : 0);
    case F_GROUP_GID: return (has & HAS_GID) != 0 && setU(<u64>r.gid);
    case F_PROC_PVPID: { const pt = findThread(r.ptid); return pt != null && setS(pt.vpid); }
    // libsinsp TYPE_DURATION / TYPE_PPID_DURATION: event ts − clone ts (missing when unknown: a process-list thread).
    case F_PROC_DURATION: return (has & HAS_CLONE_TS) != 0 && setS(<i64>(load<u64>(frame, FRAME_TS) - r.cloneTs));
    case F_PROC_PPID_DURATION: {
      const a = ancestorProcess(r, 1);
      return a != null && (a.presence & HAS_CLONE_TS) != 0 && setS(<i64>(load<u64>(frame, FRAME_TS) - a.cloneTs));
    }
    // libsinsp TYPE_PPID_CLONE_TS: the parent thread's (by ptid); libsinsp prints 0 when it is unknown.
    case F_PROC_PPID_TS: { const pt = findThread(r.ptid); return pt != null && (pt.presence & HAS_CLONE_TS) != 0 && setU(pt.cloneTs); }
    case F_PROC_FDOPENCOUNT: { const o = fdOwner(r.tid); return o != null && setU(<u64>o.fdCount); }
    case F_PROC_LOGINSHELLID: return loginShell(r);
    case F_PROC_IS_SID_LEADER: return setU(r.sid == r.vpid ? 1 : 0);
    case F_PROC_IS_VPGID_LEADER: return setU(r.vpgid == r.vpid ? 1 : 0);
    case F_PROC_APID: {
      // Without an index, the process itself (libsinsp: get_ancestor_process(tinfo, 0)).
      const n = load<u32>(table);
      const a = ancestorProcess(r, n == ARG_ANY ? 0 : n);
      return a != null && setS(a.pid);
    }
    default: return false;
  }
}

/** Whether `a`'s comm ends in "sh". */
function isShell(a: ThreadRecord): bool {
  const n = strLen(a, STR_COMM);
  const p = strPtr(a, STR_COMM);
  return n >= 2 && load<u8>(p + n - 2) == 0x73 && load<u8>(p + n - 1) == 0x68;
}

/** libsinsp TYPE_LOGINSHELLID: the pid of the last shell found from the main thread up its ancestry. */
function loginShell(r: ThreadRecord): bool {
  const m = mainThread(r);
  let found = isShell(m);
  let pid = m.pid;
  beginParents(m);
  for (let p = nextParent(); p != 0; p = nextParent()) {
    const a = changetype<ThreadRecord>(p);
    if (isShell(a)) { found = true; pid = a.pid; }
  }
  return found && setS(pid);
}

/** m_args.size(): the NUL-separated items of the args string. */
function argCount(r: ThreadRecord): u32 {
  const n = strLen(r, STR_ARGS);
  if (n == 0) return 0;
  const p = strPtr(r, STR_ARGS);
  let count: u32 = 1;
  for (let i: u32 = 0; i < n; i++) if (load<u8>(p + i) == 0) count++;
  return count;
}

/** Index and kind of the parameter the table gives for this event id. */
// @ts-ignore: decorator
@inline function tableIndex(table: usize): u32 { return <u32>load<u8>(table + (eventType << 1)); }
// @ts-ignore: decorator
@inline function tableKind(table: usize): u32 { return <u32>load<u8>(table + (eventType << 1) + 1); }

function loadParamNumber(table: usize): bool {
  const kind = tableKind(table);
  if (kind != PK_SIGNED && kind != PK_UNSIGNED) return false;
  const i = tableIndex(table);
  const n = paramLen(i);
  if (n != 1 && n != 2 && n != 4 && n != 8) return false;
  return kind == PK_SIGNED ? setS(paramI64(i)) : setU(paramU64(i));
}

/** The kind (PK_*) of the parameter F_PARAM reads for this event id. */
export function paramKind(table: usize): u32 {
  return tableKind(table);
}

/** Whether F_PARAM reads a number (else a string, or nothing) for this event id. */
export function paramIsNumber(table: usize): bool {
  const kind = tableKind(table);
  return kind == PK_SIGNED || kind == PK_UNSIGNED;
}

// @ts-ignore: decorator
@inline function setStr(p: usize, n: u32): bool { strAt = p; strBytes = n; return true; }

function setScratch(field: u32, arg: u32, len: u32): bool {
  scratchField = field;
  scratchArg = arg;
  scratchLen = len;
  return setStr(SCRATCH, len);
}

/** Copies `n` bytes to the scratch at `at`, NULs turned into spaces, up to its end; returns the end. */
function copySpaced(at: u32, src: usize, n: u32): u32 {
  if (at >= SCRATCH_BYTES) return at;
  if (n > SCRATCH_BYTES - at) n = SCRATCH_BYTES - at;
  const dst = SCRATCH + at;
  let i: u32 = 0;
  // Eight bytes at a time: z has 0x80 in exactly the zero bytes of w (no borrow crosses a
  // byte), and 0x80 >> 2 is a space in the same byte.
  for (; i + 8 <= n; i += 8) {
    const w = load<u64>(src + i);
    const z = ~(((w & 0x7f7f7f7f7f7f7f7f) + 0x7f7f7f7f7f7f7f7f) | w) & 0x8080808080808080;
    store<u64>(dst + i, w | (z >> 2));
  }
  for (; i < n; i++) {
    const c = load<u8>(src + i);
    store<u8>(dst + i, c == 0 ? 32 : c);
  }
  return at + n;
}

/** Writes `v` in decimal into the scratch at `at`, up to its end; returns the end. */
function decimalAt(at: u32, v: i64): u32 {
  const neg = v < 0;
  let u: u64 = neg ? <u64>0 - <u64>v : <u64>v;
  let digits: u32 = neg ? 2 : 1;
  for (let x = u; x >= 10; x /= 10) digits++;
  if (at + digits > SCRATCH_BYTES) return at;
  if (neg) store<u8>(SCRATCH + at, 0x2d);
  for (let i = at + digits; i > at + (neg ? 1 : 0); i--) { store<u8>(SCRATCH + i - 1, <u8>(0x30 + <u32>(u % 10))); u /= 10; }
  return at + digits;
}

/** A space at `at` when `at` > 0 (a list separator); returns the end. */
function separate(at: u32): u32 {
  if (at == 0 || at >= SCRATCH_BYTES) return at;
  store<u8>(SCRATCH + at, 32);
  return at + 1;
}

/** libsinsp populate_cmdline of `r` written at `at`: comm, then each argument after a space. */
function writeCmdline(at: u32, r: ThreadRecord): u32 {
  let end = copySpaced(at, strPtr(r, STR_COMM), strLen(r, STR_COMM));
  const an = strLen(r, STR_ARGS);
  if (an > 0) end = copySpaced(separate(end), strPtr(r, STR_ARGS), an);
  return end;
}

/** The value of A* field `field` for the one process `a` (comm, exe, exepath or cmdline). */
function ancestorValue(field: u32, a: ThreadRecord, arg: u32): bool {
  if (field == F_PROC_ANAME || field == F_PROC_PNAME) return setStr(strPtr(a, STR_COMM), strLen(a, STR_COMM));
  if (field == F_PROC_AEXE || field == F_PROC_PEXE) return setStr(strPtr(a, STR_EXE), strLen(a, STR_EXE));
  if (field == F_PROC_AEXEPATH || field == F_PROC_PEXEPATH) return setStr(strPtr(a, STR_EXEPATH), strLen(a, STR_EXEPATH));
  return setScratch(field, arg, writeCmdline(0, a));
}

/**
 * An A* field without an index, in output: the values of every ancestor, nearest
 * first, space-separated (libsinsp traverse_parent_state from the main thread);
 * missing when there is none.
 */
function allAncestors(field: u32, r: ThreadRecord): bool {
  beginParents(mainThread(r));
  let end: u32 = 0;
  let any = false;
  for (let p = nextParent(); p != 0; p = nextParent()) {
    const a = changetype<ThreadRecord>(p);
    end = separate(end);
    if (field == F_PROC_ACMDLINE) end = writeCmdline(end, a);
    else {
      const slot = field == F_PROC_ANAME ? STR_COMM : field == F_PROC_AEXE ? STR_EXE : STR_EXEPATH;
      end = copySpaced(end, strPtr(a, slot), strLen(a, slot));
    }
    any = true;
  }
  return any && end > 0 && setScratch(field, ARG_ANY, end);
}

/** libsinsp get_ancestor_field_as_string: comm or exe of the oldest thread sharing sid/vpgid; "" when none. */
function leaderValue(r: ThreadRecord, bySid: bool, slot: u32): bool {
  const p = oldestWithId(r, bySid ? r.sid : r.vpgid, bySid);
  if (p == 0) return setStr(SCRATCH, 0);
  const l = changetype<ThreadRecord>(p);
  return setStr(strPtr(l, slot), strLen(l, slot));
}

/** The environment, space-separated: a thread reads its main thread's (libsinsp get_env). */
function envValue(field: u32, r: ThreadRecord): bool {
  const m = mainThread(r);
  return setScratch(field, 0, copySpaced(0, strPtr(m, STR_ENV), strLen(m, STR_ENV)));
}

// An A* field without an index in a condition matches when any ancestor's value does
// (libsinsp compare_full_aname and its siblings): the VM walks them with these.

/** Starts the walk over the ancestors of the event's thread; false when it has no record. */
export function beginAnyAncestor(): bool {
  const p = thread();
  if (p == 0) return false;
  beginParents(mainThread(changetype<ThreadRecord>(p)));
  return true;
}

/** Ends the walk: the scratch held one ancestor's value, not this event's field. */
export function endAnyAncestor(): void {
  scratchField = 0;
}

/** Loads A* field `field` of the next ancestor; false at the end of the walk. */
export function nextAncestorValue(field: u32): bool {
  const q = nextParent();
  if (q == 0) return false;
  const a = changetype<ThreadRecord>(q);
  return field == F_PROC_APID ? setS(a.pid) : ancestorValue(field, a, ARG_ANY);
}

/** What libsinsp names id 0 when the capture has no entry for it (sinsp_filtercheck_user/_group.cpp). */
const ROOT = memory.data<u8>([114, 111, 111, 116]); // "root"
const ROOT_LEN: u32 = 4;
const ROOT_HOME = memory.data<u8>([47, 114, 111, 111, 116]); // "/root"
const ROOT_HOME_LEN: u32 = 5;

/**
 * String `slot` of user or group `id` from the capture's users and groups; for id 0
 * without an entry, `root0` (none when its length is 0); else missing.
 */
function credential(kind: u32, id: u32, slot: u32, root0: usize, root0Len: u32): bool {
  if (credentialString(kind, id, slot)) return setStr(credPtr, credLen);
  return id == 0 && root0Len > 0 && setStr(root0, root0Len);
}

/** Whether `table` of field `field` points at its argument (an ancestor index). */
// @ts-ignore: decorator
@inline function isArgField(field: u32): bool {
  return field >= F_PROC_ANAME && field <= F_PROC_ACMDLINE;
}

/** A SHA-256 as the hex text the exe-hash table holds at `hex` (0: none, missing). */
function hexDigest(hex: usize): bool {
  return hex != 0 && setStr(hex, SHA256_BYTES << 1);
}

/**
 * Loads string field `field`; `table` is the per-type table of F_PARAM, or for an
 * A* field a pointer to its ancestor index (ARG_ANY: every ancestor, space-separated).
 */
export function loadString(field: u32, table: usize): bool {
  if (field == F_PARAM) {
    const kind = tableKind(table);
    if (kind != PK_STRING && kind != PK_BYTES && kind != PK_TEXT) return false;
    const i = tableIndex(table);
    // An empty buffer is a value (libsinsp: evt.buffer exists on a read of 0 bytes); an empty string is not.
    if (i >= frameNparams || (paramLen(i) == 0 && kind != PK_BYTES)) return false;
    if (kind == PK_TEXT) {
      const n = renderParam(eventType, i, paramPtr(i), paramLen(i), PARAM_TEXT, PARAM_TEXT_BYTES, load<i64>(frame, FRAME_TID));
      return setStr(PARAM_TEXT, n);
    }
    return setStr(paramPtr(i), kind == PK_BYTES ? paramLen(i) : paramStrLen(i));
  }
  if (field >= F_FD_FIRST && field < F_FD_END) return loadFdString(field, field == F_FD_TYPES ? load<u32>(table) : ARG_ANY) && setStr(fdStr, fdStrLen);
  if (field >= F_FS_PATH_FIRST && field < F_FS_PATH_END) return loadFsPath(field, frame, eventType) && setStr(fsStr, fsStrLen);
  if (field == F_EVT_CATEGORY) return loadCategory(eventType) && setStr(categoryPtr, categoryLen);
  const p = thread();
  if (p == 0) return false;
  const arg = isArgField(field) ? load<u32>(table) : 0;
  if (field == scratchField && arg == scratchArg) return setStr(SCRATCH, scratchLen); // built by an earlier check of this event
  const r = changetype<ThreadRecord>(p);
  switch (field) {
    case F_PROC_NAME: return setStr(strPtr(r, STR_COMM), strLen(r, STR_COMM));
    case F_PROC_EXE: return setStr(strPtr(r, STR_EXE), strLen(r, STR_EXE));
    case F_PROC_EXEPATH: return setStr(strPtr(r, STR_EXEPATH), strLen(r, STR_EXEPATH));
    case F_PROC_CWD: return setStr(strPtr(r, STR_CWD), strLen(r, STR_CWD));
    case F_EXE_INTERPRETER:
      return strLen(r, STR_INTERPRETER) > 0 && setStr(strPtr(r, STR_INTERPRETER), strLen(r, STR_INTERPRETER));
    case F_EXE_SHA256: return hexDigest(exeSha256Ptr(p));
    case F_EXE_INTERPRETER_SHA256: return hexDigest(interpreterSha256Ptr(p));
    case F_PEXE_SHA256: {
      const a = ancestorProcess(r, 1);
      return a != null && hexDigest(exeSha256Ptr(changetype<usize>(a)));
    }
    case F_WRITER_NAME:
      return (r.presence & HAS_WRITER_NAME) != 0 && setStr(p + offsetof<ThreadRecord>("writerComm0"), r.writerCommLen);
    case F_CHMOD_NAME:
      return (r.presence & HAS_CHMOD_NAME) != 0 && setStr(p + offsetof<ThreadRecord>("chmodComm0"), r.chmodCommLen);
    case F_PROC_ARGS: return setScratch(field, 0, copySpaced(0, strPtr(r, STR_ARGS), strLen(r, STR_ARGS)));
    case F_PROC_CMDLINE: return setScratch(field, 0, writeCmdline(0, r));
    case F_PROC_PNAME: case F_PROC_PEXE: case F_PROC_PEXEPATH: case F_PROC_PCMDLINE: {
      const a = ancestorProcess(r, 1);
      return a != null && ancestorValue(field, a, 0);
    }
    case F_PROC_ANAME: case F_PROC_AEXE: case F_PROC_AEXEPATH: case F_PROC_ACMDLINE: {
      if (arg == ARG_ANY) return allAncestors(field, r);
      const a = ancestorProcess(r, arg);
      return a != null && ancestorValue(field, a, arg);
    }
    case F_PROC_SNAME: return leaderValue(r, true, STR_COMM);
    case F_PROC_VPGID_NAME: return leaderValue(r, false, STR_COMM);
    case F_PROC_VPGID_EXE: return leaderValue(r, false, STR_EXE);
    case F_PROC_VPGID_EXEPATH: return leaderValue(r, false, STR_EXEPATH);
    case F_PROC_SID_EXE: return leaderValue(r, true, STR_EXE);
    case F_PROC_SID_EXEPATH: return leaderValue(r, true, STR_EXEPATH);
    case F_PROC_ENV: return envValue(field, r);
    case F_THREAD_NAMETID: {
      const end = copySpaced(0, strPtr(r, STR_COMM), strLen(r, STR_COMM));
      return setScratch(field, 0, decimalAt(end, load<i64>(frame, FRAME_TID)));
    }
    case F_PROC_EXELINE: {
      // The exe and a space (always), then the arguments space-separated.
      let end = copySpaced(0, strPtr(r, STR_EXE), strLen(r, STR_EXE));
      if (end < SCRATCH_BYTES) store<u8>(SCRATCH + end++, 32);
      return setScratch(field, 0, copySpaced(end, strPtr(r, STR_ARGS), strLen(r, STR_ARGS)));
    }
    case F_PROC_STDIN_TYPE: case F_PROC_STDOUT_TYPE: case F_PROC_STDERR_TYPE:
      return loadProcessFd(r.tid, <i64>(field - F_PROC_STDIN_TYPE), false) && setStr(fdStr, fdStrLen);
    case F_PROC_STDIN_NAME: case F_PROC_STDOUT_NAME: case F_PROC_STDERR_NAME:
      return loadProcessFd(r.tid, <i64>(field - F_PROC_STDIN_NAME), true) && setStr(fdStr, fdStrLen);
    case F_USER_NAME: return (r.presence & HAS_UID) != 0 && credential(KIND_USER, r.uid, CRED_NAME, ROOT, ROOT_LEN);
    case F_USER_HOMEDIR: return (r.presence & HAS_UID) != 0 && credential(KIND_USER, r.uid, CRED_HOME, ROOT_HOME, ROOT_HOME_LEN);
    case F_USER_SHELL: return (r.presence & HAS_UID) != 0 && credential(KIND_USER, r.uid, CRED_SHELL, 0, 0);
    case F_USER_LOGINNAME: return (r.presence & HAS_LOGINUID) != 0 && credential(KIND_USER, r.loginuid, CRED_NAME, ROOT, ROOT_LEN);
    case F_GROUP_NAME: return (r.presence & HAS_GID) != 0 && credential(KIND_GROUP, r.gid, CRED_NAME, ROOT, ROOT_LEN);
    case F_CAP_PERMITTED: return setScratch(field, 0, capsText(r.capPermitted, SCRATCH, SCRATCH_BYTES));
    case F_CAP_INHERITABLE: return setScratch(field, 0, capsText(r.capInheritable, SCRATCH, SCRATCH_BYTES));
    case F_CAP_EFFECTIVE: return setScratch(field, 0, capsText(r.capEffective, SCRATCH, SCRATCH_BYTES));
    case F_CONTAINER_ID:
      return r.containerIdLen == 0
        ? setStr(HOST, HOST_LEN)
        : setStr(p + offsetof<ThreadRecord>("containerId0"), r.containerIdLen);
    default: return false;
  }
}
