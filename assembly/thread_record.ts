// One thread of the thread table: a fixed-size record in linear memory. Strings
// (comm, exe, exepath, args, cwd) live in one heap blob per record, back to back
// in STR_* order, their lengths in strLen[]. The shell reads records through the
// REC_* offsets exported by index.ts, so sizes are derived here, never restated.
//
// Sources: libs userspace/libsinsp/threadinfo.h (the fields) and parsers.cpp
// (how clone/execve/procexit fill them). Times are epoch ns; the ctime deltas are
// signed ns (libsinsp keeps them unsigned and wraps negative values).

/** Presence bits: a field whose bit is clear is missing (printed `<NA>`). */
export const HAS_CLONE_TS: u32 = 1 << 0;
export const HAS_PIDNS_INIT_START_TS: u32 = 1 << 1;
export const HAS_EXE_INO: u32 = 1 << 2;
export const HAS_EXE_INO_CTIME: u32 = 1 << 3;
export const HAS_EXE_INO_MTIME: u32 = 1 << 4;
export const HAS_CTIME_DURATION_PROC_START: u32 = 1 << 5;
export const HAS_CTIME_DURATION_PIDNS_START: u32 = 1 << 6;
export const HAS_VPID: u32 = 1 << 7;
export const HAS_EXE_FLAGS: u32 = 1 << 8;
export const HAS_LOGINUID: u32 = 1 << 9;
export const HAS_UID: u32 = 1 << 10;
export const HAS_EXEPATH: u32 = 1 << 11;
/** The executable was created or written during the capture (drift.exe_writer.*, drift.exe_written_*). */
export const HAS_EXE_WRITTEN: u32 = 1 << 12;
/** The executable was chmod'ed with an execute bit during the capture (drift.exe_chmod*). */
export const HAS_EXE_CHMOD: u32 = 1 << 13;
/** The writer's / chmod author's name is known (its thread was in the table when it acted). */
export const HAS_WRITER_NAME: u32 = 1 << 14;
export const HAS_CHMOD_NAME: u32 = 1 << 15;
/** containerStartTs is known (container_id.ts: a process seen entering the container). */
export const HAS_CONTAINER_START: u32 = 1 << 16;
/** Not a presence bit: the thread runs in a pid namespace other than the host's (pidnsInitStartTs is that namespace's). */
export const IN_OWN_PIDNS: u32 = 1 << 17;
export const HAS_GID: u32 = 1 << 18;
/**
 * Not a presence bit, set on a main thread: its process reaped another's orphans (libsinsp
 * thread_group_info::is_reaper, set in thread_manager.cpp remove_thread); lifecycle.ts.
 */
export const IS_REAPER: u32 = 1 << 19;

// String slots inside the blob.
export const STR_COMM: u32 = 0;
export const STR_EXE: u32 = 1;
export const STR_EXEPATH: u32 = 2;
export const STR_ARGS: u32 = 3; // NUL-separated, as the args parameter carries them
export const STR_CWD: u32 = 4;
/** Resolved path of the interpreter the kernel ran for a `#!` script (empty otherwise). */
export const STR_INTERPRETER: u32 = 5;
/** Environment, NUL-separated as the env parameter carries it (kept on the main thread; threads read their leader's). */
export const STR_ENV: u32 = 6;
export const STR_COUNT: u32 = 7;

/** Width of container.id: Falco shows the first 12 hex digits of the runtime's id. */
export const CONTAINER_ID_BYTES: u32 = 12;

@unmanaged
export class ThreadRecord {
  /** Non-zero when the slot holds a thread (tid 0 is a real thread: the idle task). */
  used: u32;
  /** PPM_CL_* clone flags, plus libsinsp's PPM_CL_CLONE_INVERTED. */
  cloneFlags: u32;
  tid: i64;
  pid: i64;
  ptid: i64;
  vtid: i64;
  vpid: i64;
  /** Epoch ns of the clone exit that created the thread. */
  cloneTs: u64;
  /** Epoch ns of the pid namespace's init task start. */
  pidnsInitStartTs: u64;
  exeIno: u64;
  /** Epoch ns. */
  exeInoCtime: u64;
  /** Epoch ns. */
  exeInoMtime: u64;
  /** cloneTs − exeInoCtime, signed ns, computed at execve. */
  ctimeDurationProcStart: i64;
  /** exeInoCtime − pidnsInitStartTs, ns, only when ctime is later. */
  ctimeDurationPidnsStart: i64;
  presence: u32;
  /** PPM_EXE_* flags of the execve exit (writable, upper layer, memfd, lower layer). */
  exeFlags: u32;
  uid: u32;
  gid: u32;
  loginuid: u32;
  /** 0 = host; else the number of valid bytes in containerId. */
  containerIdLen: u32;
  containerId0: u64; // 12 ASCII bytes over two words (no per-record allocation)
  containerId1: u32;
  /**
   * Epoch ns of the first process seen entering this container (container_id.ts),
   * the start of a container that shares the host's pid namespace.
   */
  containerStartTs: u64;
  /** Session id (libsinsp m_sid; -1 when unknown): PL, inherited on clone, setsid's return. */
  sid: i64;
  /** Process group id in the thread's pid namespace (m_vpgid; -1 when unknown): PL, inherited, execve. */
  vpgid: i64;
  /** Capability bit sets (kernel CAP_* bit numbers; 0 when the capture has none): PL, inherited, execve, capset. */
  capInheritable: u64;
  capPermitted: u64;
  capEffective: u64;
  /** Controlling terminal (m_tty: the tty's device number as the driver sends it; 0 = none). */
  tty: u32;
  // From sid to here: the session block (SESSION_BASE).
  // Origin of the executable (drift.ts), copied from the file table at execve and
  // inherited on clone like the exe identity. From writerPid to chmodComm1: one block.
  writerPid: i64;
  /** Epoch ns of the last creation or write of the executable. */
  writtenTs: u64;
  /** Execve ts − writtenTs, signed ns. */
  writtenDuration: i64;
  chmodPid: i64;
  /** Epoch ns of the last chmod that left an execute bit set. */
  chmodTs: u64;
  /** Execve ts − chmodTs, signed ns. */
  chmodDuration: i64;
  writerCommLen: u32;
  chmodCommLen: u32;
  writerComm0: u64; // 16 bytes of process name each, inline
  writerComm1: u64;
  chmodComm0: u64;
  chmodComm1: u64;
  strBlob: usize;
  strLen0: u32;
  strLen1: u32;
  strLen2: u32;
  strLen3: u32;
  strLen4: u32;
  strLen5: u32;
  strLen6: u32;
  /** The process's fd table (fd_table.ts), kept on its main thread: first entry + 1 (0 = none), and its size. */
  fdHead: u32;
  fdCount: u32;
}

export const RECORD_BYTES: usize = offsetof<ThreadRecord>();
export const STR_LEN_BASE: usize = offsetof<ThreadRecord>("strLen0");
/** The session block (sid … tty), copied whole on clone inheritance (lifecycle.ts). */
export const SESSION_BASE: usize = offsetof<ThreadRecord>("sid");
export const SESSION_BYTES: usize = offsetof<ThreadRecord>("writerPid") - SESSION_BASE;
/** The exe-origin block (writerPid … chmodComm1), copied whole on inheritance. */
export const ORIGIN_BASE: usize = offsetof<ThreadRecord>("writerPid");
export const ORIGIN_BYTES: usize = offsetof<ThreadRecord>("strBlob") - ORIGIN_BASE;

// @ts-ignore: decorator
@inline export function strLen(rec: ThreadRecord, slot: u32): u32 {
  return load<u32>(changetype<usize>(rec) + STR_LEN_BASE + (<usize>slot << 2));
}

/** Pointer to the first byte of string `slot` in the record's blob. */
export function strPtr(rec: ThreadRecord, slot: u32): usize {
  let p = rec.strBlob;
  for (let i: u32 = 0; i < slot; i++) p += strLen(rec, i);
  return p;
}
