// The origin of an executable: at execve, the file table (file_table.ts) is
// asked who created/wrote and who chmod'ed the file being run, and the answer
// is copied into the thread record (drift.* fields). Exec events carry the
// inode number but no device, so an inode match is accepted only when it is
// the same file: the same absolute path, or an exe ctime not older than the
// first mark (a file on another filesystem with the same inode number was
// changed before the capture saw it). Without an inode match, the exe path
// alone finds a file chmod'ed by path before any open was seen, or a memfd
// (exe path "memfd:NAME").

import {
  ThreadRecord, HAS_EXE_INO, HAS_EXE_INO_CTIME, HAS_EXE_WRITTEN, HAS_EXE_CHMOD, STR_EXEPATH,
  ORIGIN_BASE, ORIGIN_BYTES, strLen, strPtr,
} from "./thread_record";
import { FileRecord, FILE_WRITTEN, FILE_CHMOD_EXEC, COMM_BYTES, findByInode, findByPath, pathHash } from "./file_table";
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

function fileOf(t: ThreadRecord, ts: u64): FileRecord | null {
  const n = strLen(t, STR_EXEPATH);
  const p = strPtr(t, STR_EXEPATH);
  const h = (n > 0 && load<u8>(p) == SLASH) || isMemfdName(p, n) ? pathHash(p, n) : 0;
  const hasIno = (t.presence & HAS_EXE_INO) != 0;
  if (hasIno) {
    const f = findByInode(t.exeIno, 0);
    if (f != null && sameFile(f, t, h, ts)) return f;
  }
  if (h == 0) return null;
  const f = findByPath(h);
  if (f == null || (hasIno && f.ino != 0 && f.ino != t.exeIno)) return null;
  return f;
}

/** Sets the exe origin of `t`, whose exe identity execve just set, for an exec at epoch ns `ts`. */
export function setExeOrigin(t: ThreadRecord, ts: u64): void {
  t.presence &= ~(HAS_EXE_WRITTEN | HAS_EXE_CHMOD);
  memory.fill(changetype<usize>(t) + ORIGIN_BASE, 0, ORIGIN_BYTES);
  const f = fileOf(t, ts);
  if (f == null) return;
  if ((f.marks & FILE_WRITTEN) != 0) {
    t.writerPid = f.writerPid;
    t.writtenTs = f.writtenTs;
    t.writtenDuration = <i64>(ts - f.writtenTs);
    t.writerCommLen = f.writerCommLen;
    memory.copy(changetype<usize>(t) + offsetof<ThreadRecord>("writerComm0"),
      changetype<usize>(f) + offsetof<FileRecord>("writerComm0"), COMM_BYTES);
    t.presence |= HAS_EXE_WRITTEN;
  }
  if ((f.marks & FILE_CHMOD_EXEC) != 0) {
    t.chmodPid = f.chmodPid;
    t.chmodTs = f.chmodTs;
    t.chmodDuration = <i64>(ts - f.chmodTs);
    t.chmodCommLen = f.chmodCommLen;
    memory.copy(changetype<usize>(t) + offsetof<ThreadRecord>("chmodComm0"),
      changetype<usize>(f) + offsetof<FileRecord>("chmodComm0"), COMM_BYTES);
    t.presence |= HAS_EXE_CHMOD;
  }
}

/** Copies the exe origin of `src` into `dst` (clone: the child runs the same file). */
export function inheritExeOrigin(dst: ThreadRecord, src: ThreadRecord): void {
  memory.copy(changetype<usize>(dst) + ORIGIN_BASE, changetype<usize>(src) + ORIGIN_BASE, ORIGIN_BYTES);
  dst.presence = (dst.presence & ~(HAS_EXE_WRITTEN | HAS_EXE_CHMOD)) | (src.presence & (HAS_EXE_WRITTEN | HAS_EXE_CHMOD));
}
