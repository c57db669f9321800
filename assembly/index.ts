// Wasm entry points of the scapdrift decoder. The shell (ts/pipeline/decoder.ts) drives
// scan() over an input buffer it fills, reads the current frame and thread
// record through the exported pointers and REC_* offsets, and feeds PL entries
// and the description of the event table (description.ts) in at start-up.

import { ThreadRecord, RECORD_BYTES, STR_LEN_BASE } from "./thread_record";
import { findThread, resetThreads } from "./thread_table";
import { resetScanner, restartInitialPhase } from "./scanner";
import { resetLifecycle } from "./lifecycle";
import { resetFiles } from "./file_table";
import { resetCredentials } from "./users";
import { resetExeHashes } from "./exe_hash";
import { resetFds } from "./fd_table";
import { resetFdEvents } from "./fd_events";
import { PARAM_PTR, PARAM_LEN, frameNparams } from "./params";
import { strPtr } from "./thread_record";

export {
  applyDescription, DESC_SET_EVENT_INFO, DESC_SET_VFORK_EVENT, DESC_SET_PARAM_WIDTH, DESC_SET_EVENT_ROLE, DESC_SET_CREDENTIAL_EVENT,
  DESC_SET_FD_EVENT, DESC_SET_DIRFD_PARAM, DESC_SET_FS_PATH_EVENT, DESC_SET_FS_PATH_ROLE, DESC_SET_EVENT_CATEGORY,
  DESC_SET_GENERIC_EXIT_EVENT, DESC_SET_NATIVE_SYSCALL,
} from "./description";
export { setEventInfo, setEventRole, setVforkEvent, setParamWidth } from "./event_info";
// Event kinds and parameter roles, read by the build's description of the event table
// (ts/pipeline/decoder_description.ts) by name: defined here only.
export {
  KIND_OTHER, KIND_CLONE, KIND_EXECVE, KIND_PROCEXIT, KIND_INITIAL_STATE, KIND_FILE_OPEN, KIND_FILE_WRITE, KIND_FILE_CHMOD,
  KIND_FILE_RENAME, KIND_FILE_MEMFD, KIND_FILE_DUP, KIND_SETSID, KIND_CAPSET, KIND_SETUID, KIND_SETGID, KIND_FD,
  ROLE_RES, ROLE_EXE, ROLE_ARGS, ROLE_TID, ROLE_PID, ROLE_PTID, ROLE_CWD, ROLE_COMM, ROLE_CGROUPS, ROLE_FLAGS, ROLE_UID,
  ROLE_GID, ROLE_VTID, ROLE_VPID, ROLE_PIDNS_INIT_START_TS, ROLE_EXE_INO, ROLE_EXE_INO_CTIME, ROLE_EXE_INO_MTIME,
  ROLE_TRUSTED_EXEPATH, ROLE_LOGINUID, ROLE_FD, ROLE_PATH, ROLE_DEV, ROLE_INO, ROLE_MODE, ROLE_OLDPATH, ROLE_NEWPATH,
  ROLE_ENV, ROLE_TTY, ROLE_VPGID, ROLE_CAP_INHERITABLE, ROLE_CAP_PERMITTED, ROLE_CAP_EFFECTIVE, ROLE_HOME, ROLE_SHELL,
  ROLE_CONTAINER_ID, ROLE_EUID, ROLE_CREAT_FLAGS, ROLE_REAPER_TID,
} from "./event_info";
export { setGenericExitEvent, setNativeSyscall, setEmitSyscall, setEmitAllSyscalls } from "./syscall";
export { setBootTs, isBootCalibrated, setScriptFlagKnown } from "./lifecycle";
export { setHashKey } from "./hash";
export { MAX_PLAUSIBLE_EPOCH_NS } from "./epoch_ns";
export {
  scan, setEmit, reserveInput, inputPtr, getCursor, setCursor, neededBytes, currentFrame,
  currentHeaderLen, currentCpu, currentBlockStart, currentEventNum, getFaultCode, getFaultAt,
  getFaultValue, getFaultEvent, getFaultParam, blockTypeAtCursor, blockLengthAtCursor, skipBlock, skipFaultyBlock, setOwned, setStateExecs, splitBlocks, unknownEventCount,
} from "./scanner";
export { reserveScratch, stageProcessString, addProcess, addCredential, addListedFd } from "./process_list";
export {
  setFdEvent, setDirfdParam, setFdTracking, FD_PARAM_NONE, FD_ACT_NONE, FD_ACT_OPEN, FD_ACT_CLOSE, FD_ACT_DUP, FD_ACT_FCNTL, FD_ACT_NEW,
  FD_ACT_MEMFD, FD_ACT_PIPE, FD_ACT_SOCKETPAIR, FD_ACT_SOCKET, FD_ACT_CONNECT, FD_ACT_ACCEPT, FD_ACT_CHDIR, FD_ACT_FCHDIR, FD_ACT_BIND,
} from "./fd_events";
export {
  SCAP_FD_EVENT, SCAP_FD_SIGNALFD, SCAP_FD_TIMERFD, SCAP_FD_INOTIFY, SCAP_FD_EVENTPOLL, SCAP_FD_USERFAULTFD,
  SCAP_FD_IOURING, SCAP_FD_PIDFD,
} from "./fd_table";
export { fdsDropped, fdNamesDropped, fdCount } from "./fd_table";
export { describeFd, fdDescribePtr } from "./filter/fd_fields";
export {
  setFsPathEvent, setFsPathRole, FSP_OK_RES_ZERO, FSP_OK_FD_NOT_MINUS_1, FSP_FD_NAME, FSP_DIR_CWD, FSP_DIR_EVENT_FD,
  FSP_DIR_OPENED, FSP_DIR_UNKNOWN, FSP_DIR_PARAM,
} from "./filter/fspath_fields";
export {
  setEventCategory, CAT_UNKNOWN, CAT_OTHER, CAT_FILE, CAT_NET, CAT_IPC, CAT_MEMORY, CAT_PROCESS, CAT_SLEEP, CAT_SYSTEM, CAT_SIGNAL,
  CAT_USER, CAT_TIME, CAT_PROCESSING, CAT_WAIT, CAT_SCHEDULER, CAT_INTERNAL, CAT_IO,
} from "./filter/category";
export { threadCount, droppedThreads, threadSlots, threadSlotPtr } from "./thread_table";
export { filesEvicted } from "./file_table";
export {
  setCredentialEvent, credentialsDropped, KIND_USER as CREDENTIAL_USER, KIND_GROUP as CREDENTIAL_GROUP, CRED_OP_USER_ADDED, CRED_OP_USER_DELETED, CRED_OP_GROUP_ADDED, CRED_OP_GROUP_DELETED,
} from "./users";
export { SD_EXE_HASH_E, exeHashesStored, exeHashesEvicted } from "./exe_hash";
export { reserveFilter, setFilterCount, filterMatches } from "./filter/vm";
export {
  reserveOutputProgram, installedBlob, installOutput, outputPtr, outputLen, resetOutput, reserveFallback,
  OUT_INSN_BYTES, OUT_LIT, OUT_FIELD, OUT_TYPE, OUT_DIR, OUT_RES, OUT_FALLBACK, OUT_IF_TYPES, OUT_CLOCK,
  OUTF_JSON, OUTF_OPTIONAL, OUTF_SIGNED, OUTF_BOOL, OUTF_STRING, OUTF_LIST,
  OUT_EVENT_IDS, OUT_ERRNOS, OUT_SYSCALLS, OUT_NAMES_AT, OUT_DIRS_AT, OUT_ERRNO_AT, OUT_SYSCALLS_AT, OUT_TABLES_BYTES,
} from "./output";
import { currentFrame, currentCpu, currentEventNum } from "./scanner";
import { beginEvent, loadNumber, loadString, num, numSigned, strAt, strBytes } from "./filter/fields";
import { isStringField } from "./filter/layout";
import { FRAME_TYPE } from "./frame";

// Field values for the shell, computed by the filter VM's own loaders (filter/fields.ts):
// one definition of each state field, for conditions and for output alike.
const FIELD_ARG = memory.data(8);
let fieldFrame: usize = 0;
let fieldEventNum: u64 = 0;

/** No value: the field is missing for this event. */
export const FIELD_MISSING: u32 = 0;
/** A number: fieldNumber(), signed when fieldNumberSigned(). */
export const FIELD_NUMBER: u32 = 1;
/** A byte string: fieldStringPtr(), fieldStringLen(), valid until the next call. */
export const FIELD_STRING: u32 = 2;

/**
 * Loads VM field `field` (filter/layout.ts F_*; not F_PARAM) with ancestor index
 * `arg` (ARG_ANY for none) for the event scan() stopped on; returns FIELD_*.
 */
export function extractField(field: u32, arg: u32): u32 {
  const f = currentFrame();
  if (f != fieldFrame || currentEventNum() != fieldEventNum) {
    fieldFrame = f;
    fieldEventNum = currentEventNum();
    beginEvent(f, <u32>load<u16>(f, FRAME_TYPE), currentCpu(), fieldEventNum);
  }
  store<u32>(FIELD_ARG, arg);
  if (isStringField(field)) return loadString(field, FIELD_ARG) ? FIELD_STRING : FIELD_MISSING;
  return loadNumber(field, FIELD_ARG) ? FIELD_NUMBER : FIELD_MISSING;
}
export function fieldNumber(): u64 { return num; }
export function fieldNumberSigned(): bool { return numSigned; }
export function fieldStringPtr(): usize { return strAt; }
export function fieldStringLen(): u32 { return strBytes; }

/**
 * A new section of a concatenated capture: empty thread and file tables, as
 * libsinsp restarts its state; the cursor, the numbering and the counts of
 * dropped threads and evicted files go on.
 */
export function resetState(): void {
  fieldFrame = 0;
  resetFds(false);
  resetFdEvents();
  resetThreads(false);
  resetLifecycle();
  resetFiles(false);
  resetCredentials(false);
  resetExeHashes();
  restartInitialPhase();
}

/** Starts a new capture: empty thread table, event numbering from 1. */
export function reset(): void {
  fieldFrame = 0;
  resetFds(true);
  resetFdEvents();
  resetThreads(true);
  resetScanner();
  resetLifecycle();
  resetFiles(true);
  resetCredentials(true);
  resetExeHashes();
}

/** Pointer to the record of `tid`, or 0. Valid until the next scan() or addProcess(). */
export function threadPtr(tid: i64): usize {
  return changetype<usize>(findThread(tid));
}

/** Pointer to string slot `slot` of the record at `rec`. */
export function threadStringPtr(rec: usize, slot: u32): usize {
  return strPtr(changetype<ThreadRecord>(rec), slot);
}

export function paramPtrTable(): usize { return PARAM_PTR; }
export function paramLenTable(): usize { return PARAM_LEN; }
export function currentNparams(): u32 { return frameNparams; }

// Record layout for the shell (byte offsets inside a ThreadRecord).
export const REC_BYTES: u32 = <u32>RECORD_BYTES;
export const REC_CLONE_FLAGS: u32 = <u32>offsetof<ThreadRecord>("cloneFlags");
export const REC_TID: u32 = <u32>offsetof<ThreadRecord>("tid");
export const REC_PID: u32 = <u32>offsetof<ThreadRecord>("pid");
export const REC_PTID: u32 = <u32>offsetof<ThreadRecord>("ptid");
export const REC_VTID: u32 = <u32>offsetof<ThreadRecord>("vtid");
export const REC_VPID: u32 = <u32>offsetof<ThreadRecord>("vpid");
export const REC_CLONE_TS: u32 = <u32>offsetof<ThreadRecord>("cloneTs");
export const REC_PIDNS_INIT_START_TS: u32 = <u32>offsetof<ThreadRecord>("pidnsInitStartTs");
export const REC_EXE_INO: u32 = <u32>offsetof<ThreadRecord>("exeIno");
export const REC_EXE_INO_CTIME: u32 = <u32>offsetof<ThreadRecord>("exeInoCtime");
export const REC_EXE_INO_MTIME: u32 = <u32>offsetof<ThreadRecord>("exeInoMtime");
export const REC_CTIME_DURATION_PROC_START: u32 = <u32>offsetof<ThreadRecord>("ctimeDurationProcStart");
export const REC_CTIME_DURATION_PIDNS_START: u32 = <u32>offsetof<ThreadRecord>("ctimeDurationPidnsStart");
export const REC_PRESENCE: u32 = <u32>offsetof<ThreadRecord>("presence");
export const REC_EXE_FLAGS: u32 = <u32>offsetof<ThreadRecord>("exeFlags");
export const REC_UID: u32 = <u32>offsetof<ThreadRecord>("uid");
export const REC_GID: u32 = <u32>offsetof<ThreadRecord>("gid");
export const REC_LOGINUID: u32 = <u32>offsetof<ThreadRecord>("loginuid");
export const REC_CONTAINER_ID_LEN: u32 = <u32>offsetof<ThreadRecord>("containerIdLen");
export const REC_CONTAINER_ID: u32 = <u32>offsetof<ThreadRecord>("containerId0");
export const REC_CONTAINER_START_TS: u32 = <u32>offsetof<ThreadRecord>("containerStartTs");
export const REC_WRITER_PID: u32 = <u32>offsetof<ThreadRecord>("writerPid");
export const REC_WRITTEN_TS: u32 = <u32>offsetof<ThreadRecord>("writtenTs");
export const REC_WRITTEN_DURATION: u32 = <u32>offsetof<ThreadRecord>("writtenDuration");
export const REC_CHMOD_PID: u32 = <u32>offsetof<ThreadRecord>("chmodPid");
export const REC_CHMOD_TS: u32 = <u32>offsetof<ThreadRecord>("chmodTs");
export const REC_CHMOD_DURATION: u32 = <u32>offsetof<ThreadRecord>("chmodDuration");
export const REC_WRITER_COMM_LEN: u32 = <u32>offsetof<ThreadRecord>("writerCommLen");
export const REC_WRITER_COMM: u32 = <u32>offsetof<ThreadRecord>("writerComm0");
export const REC_CHMOD_COMM_LEN: u32 = <u32>offsetof<ThreadRecord>("chmodCommLen");
export const REC_CHMOD_COMM: u32 = <u32>offsetof<ThreadRecord>("chmodComm0");
export const REC_STR_LEN: u32 = <u32>STR_LEN_BASE;
export const REC_SID: u32 = <u32>offsetof<ThreadRecord>("sid");
export const REC_VPGID: u32 = <u32>offsetof<ThreadRecord>("vpgid");
export const REC_TTY: u32 = <u32>offsetof<ThreadRecord>("tty");
export const REC_CAP_INHERITABLE: u32 = <u32>offsetof<ThreadRecord>("capInheritable");
export const REC_CAP_PERMITTED: u32 = <u32>offsetof<ThreadRecord>("capPermitted");
export const REC_CAP_EFFECTIVE: u32 = <u32>offsetof<ThreadRecord>("capEffective");
