// The origin of an executable: at execve, the file table (file_table.ts) is
// asked who created/wrote and who chmod'ed the file being run, and the answer
// is copied into the thread record (drift.* fields). Exec events carry the
// inode number but no device, so an inode match is accepted only when it is
// the same file: the same absolute path, or an exe ctime not older than the
// first mark (a file on another filesystem with the same inode number was
// changed before the capture saw it). The exe path also finds a file chmod'ed
// by path before any open was seen, or a memfd (exe path "memfd:NAME"); when
// path and inode give two records, each mark comes from the later of the two.

import {
  ThreadRecord, HAS_EXE_INO, HAS_EXE_INO_CTIME, HAS_EXE_WRITTEN, HAS_EXE_CHMOD, HAS_WRITER_NAME, HAS_CHMOD_NAME,
  STR_EXEPATH,
  ORIGIN_BASE, ORIGIN_BYTES, strLen, strPtr,
} from "./thread_record";
import {
  FileRecord, FILE_WRITTEN, FILE_CHMOD_EXEC, FILE_WRITER_NAMED, FILE_CHMOD_NAMED, COMM_BYTES, findByInode, findByPath,
  pathHash,
} from "./file_table";
import { isMemfdName } from "./file_events";

/**
 * Slack (ns) between an event's timestamp and the ctime it left: inode times
 * come from the kernel's coarse clock (one tick behind at most) and are set
 * before the syscall returns, possibly long before for a large write.
 */
const CTIME_SLACK_NS: u64 = 1_000_000_000;
const SLASH: u8 = 0x2f;

function firstMarkTs(f: FileRecord): u64 {
  const w = (f.marks & FILE_WRITTEN) != 0 ? f.writtenTs : U64.MAX_VALUE;
  const c = (f.marks & FILE_CHMOD_EXEC) != 0 ? f.chmodTs : U64.MAX_VALUE;
  return w < c ? w : c;
}

/**
 * Whether the inode match `f` is the file `t` executes at epoch ns `ts`: the same
 * path, or a ctime between the first mark and the exec (a ctime after the exec
 * is no real file's: a misread one proves nothing).
 */
function sameFile(f: FileRecord, t: ThreadRecord, h: u64, ts: u64): bool {
  if (h != 0 && f.pathHash == h) return true;
  if ((t.presence & HAS_EXE_INO_CTIME) == 0) return false;
  const first = firstMarkTs(f);
  const ctime = t.exeInoCtime;
  // Compared without additions that could wrap: first − slack ≤ ctime ≤ ts + slack.
  const afterFirst = first <= CTIME_SLACK_NS || ctime >= first - CTIME_SLACK_NS;
  return afterFirst && (ctime <= ts || ctime - ts <= CTIME_SLACK_NS);
}

/**
 * The candidates for the file `t` runs: by exe path (a record with no inode yet,
 * or the same one) and by inode (checked by sameFile); either may be null, both
 * may be one record. Left in byPath / byIno.
 */
let byPath: FileRecord | null = null;
let byIno: FileRecord | null = null;

function findCandidates(t: ThreadRecord, ts: u64, useInode: bool, usePath: bool): void {
  const n = usePath ? strLen(t, STR_EXEPATH) : 0;
  const p = strPtr(t, STR_EXEPATH);
  const h = (n > 0 && load<u8>(p) == SLASH) || isMemfdName(p, n) ? pathHash(p, n) : 0;
  const hasIno = useInode && (t.presence & HAS_EXE_INO) != 0;
  byPath = h != 0 ? findByPath(h) : null;
  if (byPath != null && hasIno && byPath!.ino != 0 && byPath!.ino != t.exeIno) byPath = null;
  byIno = null;
  if (hasIno && (byPath == null || byPath!.ino != t.exeIno)) {
    const f = findByInode(t.exeIno, 0);
    if (f != null && sameFile(f, t, h, ts)) byIno = f;
  }
}

/** Of the two candidates, the one with the later mark `mark` (FILE_WRITTEN or FILE_CHMOD_EXEC), or null. */
function latest(mark: u32): FileRecord | null {
  const a = byPath != null && (byPath!.marks & mark) != 0 ? byPath : null;
  const b = byIno != null && (byIno!.marks & mark) != 0 ? byIno : null;
  if (a == null) return b;
  if (b == null) return a;
  const at = mark == FILE_WRITTEN ? a.writtenTs : a.chmodTs;
  const bt = mark == FILE_WRITTEN ? b.writtenTs : b.chmodTs;
  return at >= bt ? a : b;
}

/**
 * Sets the exe origin of `t`, whose exe identity execve just set, for an exec
 * at epoch ns `ts`; `useInode` / `usePath` false when the event carried no
 * identity / no exe path (an old event version: what the record holds is the
 * previous program's). `script` (`scriptLen` bytes, 0 for none) is the absolute
 * path given to execve when the capture's driver does not say whether it ran a
 * script (a Falco capture's execve `filename`): when nothing made the executable,
 * a file made during the capture at that path — a script whose interpreter is
 * the executable — gives the origin.
 */
export function setExeOrigin(t: ThreadRecord, ts: u64, useInode: bool, usePath: bool, script: usize, scriptLen: u32): void {
  t.presence &= ~(HAS_EXE_WRITTEN | HAS_EXE_CHMOD | HAS_WRITER_NAME | HAS_CHMOD_NAME);
  memory.fill(changetype<usize>(t) + ORIGIN_BASE, 0, ORIGIN_BYTES);
  findCandidates(t, ts, useInode, usePath);
  if (latest(FILE_WRITTEN) == null && latest(FILE_CHMOD_EXEC) == null && scriptLen > 0 && load<u8>(script) == SLASH) {
    // Nothing made the executable; the path given to execve may name a `#!` script that
    // was made (the interpreter is what the exe fields describe): that file, by path.
    byPath = findByPath(pathHash(script, scriptLen));
    byIno = null;
  }
  const w = latest(FILE_WRITTEN);
  if (w != null) {
    t.writerPid = w.writerPid;
    t.writtenTs = w.writtenTs;
    t.writtenDuration = <i64>(ts - w.writtenTs);
    t.writerCommLen = w.writerCommLen;
    memory.copy(changetype<usize>(t) + offsetof<ThreadRecord>("writerComm0"),
      changetype<usize>(w) + offsetof<FileRecord>("writerComm0"), COMM_BYTES);
    t.presence |= HAS_EXE_WRITTEN | ((w.marks & FILE_WRITER_NAMED) != 0 ? HAS_WRITER_NAME : 0);
  }
  const c = latest(FILE_CHMOD_EXEC);
  if (c != null) {
    t.chmodPid = c.chmodPid;
    t.chmodTs = c.chmodTs;
    t.chmodDuration = <i64>(ts - c.chmodTs);
    t.chmodCommLen = c.chmodCommLen;
    memory.copy(changetype<usize>(t) + offsetof<ThreadRecord>("chmodComm0"),
      changetype<usize>(c) + offsetof<FileRecord>("chmodComm0"), COMM_BYTES);
    t.presence |= HAS_EXE_CHMOD | ((c.marks & FILE_CHMOD_NAMED) != 0 ? HAS_CHMOD_NAME : 0);
  }
}

/** Copies the exe origin of `src` into `dst` (clone: the child runs the same file). */
export function inheritExeOrigin(dst: ThreadRecord, src: ThreadRecord): void {
  memory.copy(changetype<usize>(dst) + ORIGIN_BASE, changetype<usize>(src) + ORIGIN_BASE, ORIGIN_BYTES);
  const bits = HAS_EXE_WRITTEN | HAS_EXE_CHMOD | HAS_WRITER_NAME | HAS_CHMOD_NAME;
  dst.presence = (dst.presence & ~bits) | (src.presence & bits);
}
