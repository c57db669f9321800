// The file table: what the capture saw happen to files that may later be
// executed — created or written, and chmod'ed with an execute bit — so that an
// exec of a binary made during the capture can name who made it (drift.*
// fields, see drift.ts). Bounded by construction:
//
//   records     FILE_CAPACITY FileRecords, dense in [0, recordCount); when full,
//               the older half (by rank of the last mark) is evicted and counted.
//   ino index   open addressing: inode number → record number + 1
//   path index  open addressing: FNV-1a hash of the absolute path → record number + 1
//   fd map      open addressing: (pid, fd) → (dev, ino) of files opened for
//               writing, or the name hash of a memfd (no inode in its event),
//               so that write and fchmod events (which carry only an fd) find
//               their file; emptied when half full.
//
// The indexes hold exactly one entry per record with an inode / a path: an
// entry is removed (backward shift, no tombstones) before its record's key
// changes, and both are rebuilt after an eviction moves records. At most
// 2 × FILE_CAPACITY entries in 8 × FILE_CAPACITY slots: probe runs stay short.

/** Most files tracked at once. */
export const FILE_CAPACITY: u32 = 16384;
import { keyedHash, keyedHashPair } from "./hash";

const INDEX_SLOTS: u32 = FILE_CAPACITY * 8;
const FD_SLOTS: u32 = 32768;

/** Mark bits of a FileRecord. */
export const FILE_WRITTEN: u32 = 1;
export const FILE_CHMOD_EXEC: u32 = 2;
/** The writer's / chmod author's name is known (its thread was in the table). */
export const FILE_WRITER_NAMED: u32 = 4;
export const FILE_CHMOD_NAMED: u32 = 8;

/** libs' task comm width (bytes), the longest process name kept per mark. */
export const COMM_BYTES: u32 = 16;

@unmanaged
export class FileRecord {
  marks: u32;
  /** Device as libs encodes it in open exits (0 when unknown: a path-only record). */
  dev: u32;
  /** 0 until an open exit tells it (a chmod by path of a file not opened in the capture). */
  ino: u64;
  /** FNV-1a 64 of the file's latest absolute path (open name, rename/link target). */
  pathHash: u64;
  /** Rank of the latest mark (a counter over all marks): the eviction order. */
  lastMark: u64;
  /** Epoch ns of the last creation or write. */
  writtenTs: u64;
  writerPid: i64;
  /** Epoch ns of the last chmod leaving an execute bit set. */
  chmodTs: u64;
  chmodPid: i64;
  writerCommLen: u32;
  chmodCommLen: u32;
  writerComm0: u64; // COMM_BYTES inline: no per-record allocation
  writerComm1: u64;
  chmodComm0: u64;
  chmodComm1: u64;
}

const RECORD_BYTES: usize = offsetof<FileRecord>();

// fd map entry: pid i64, fd i64, ino u64, dev u32, used u32, path hash u64 (memfd).
const FD_ENTRY: usize = 40;

// The tables, static: zero when the module is instantiated, so the first reset writes none of
// their pages (a short read touches only the few it uses; filling them cost ~10 ms of page faults
// at every start).
const records: usize = memory.data(<i32>(FILE_CAPACITY * <u32>RECORD_BYTES), 8);
const inoIndex: usize = memory.data(<i32>(INDEX_SLOTS << 2), 8);
const pathIndex: usize = memory.data(<i32>(INDEX_SLOTS << 2), 8);
const fdMap: usize = memory.data(<i32>(FD_SLOTS * <u32>FD_ENTRY), 8);
// Which pids may hold an fd in the map: bit (pid mod FD_PIDS_BITS), set by fdPut, cleared with the
// map. Most writes are by processes that hold no file open for writing (pipes, sockets, ttys):
// their lookup stops at this 4 KiB bitmap instead of a cache miss in the 1.3 MiB map.
const FD_PIDS_BITS: u32 = 32768;
const fdPids: usize = memory.data(<i32>(FD_PIDS_BITS >> 3), 8);
/** The tables still hold the zeros of instantiation (nothing written since). */
let pristine = true;
let recordCount: u32 = 0;
let fdCount: u32 = 0;
let evicted: u32 = 0;
let markCount: u64 = 0;

/** Records evicted because the table was full (oldest first). */
export function filesEvicted(): u32 {
  return evicted;
}

/**
 * Forgets every file (a new capture, or a new section of one). The eviction
 * count is kept unless `counts`.
 */
export function resetFiles(counts: bool): void {
  recordCount = 0;
  markCount = 0;
  if (counts) evicted = 0;
  if (pristine) {
    pristine = false; // from here on the tables may hold anything
    fdCount = 0;
    return;
  }
  clearIndexes();
  clearFds();
}

// @ts-ignore: decorator
@inline function recordAt(n: u32): FileRecord {
  return changetype<FileRecord>(records + <usize>n * RECORD_BYTES);
}


/** FNV-1a 64's starting value. */
export const PATH_HASH_SEED: u64 = 0xcbf29ce484222325;

/** FNV-1a 64 of `len` bytes at `p` (a path), continuing from `h`. */
export function pathHash(p: usize, len: u32, h: u64 = PATH_HASH_SEED): u64 {
  for (let i: u32 = 0; i < len; i++) h = (h ^ <u64>load<u8>(p + i)) * 0x100000001b3;
  return h;
}

function clearIndexes(): void {
  memory.fill(inoIndex, 0, <usize>INDEX_SLOTS << 2);
  memory.fill(pathIndex, 0, <usize>INDEX_SLOTS << 2);
}

function indexPut(index: usize, key: u64, n: u32): void {
  const mask = INDEX_SLOTS - 1;
  let i = keyedHash(key) & mask;
  while (load<u32>(index + (<usize>i << 2)) != 0) i = (i + 1) & mask;
  store<u32>(index + (<usize>i << 2), n + 1);
}

// @ts-ignore: decorator
@inline function keyOf(index: usize, n: u32): u64 {
  return index == inoIndex ? recordAt(n).ino : recordAt(n).pathHash;
}

/** Removes record `n`'s entry under `key` (its current key in `index`). */
function indexDelete(index: usize, key: u64, n: u32): void {
  const mask = INDEX_SLOTS - 1;
  let i = keyedHash(key) & mask;
  while (true) {
    const v = load<u32>(index + (<usize>i << 2));
    if (v == 0) return;
    if (v == n + 1) break;
    i = (i + 1) & mask;
  }
  // Backward shift: later members of the probe run move into the hole when their home allows.
  let hole = i;
  let j = (i + 1) & mask;
  while (true) {
    const v = load<u32>(index + (<usize>j << 2));
    if (v == 0) break;
    const home = keyedHash(keyOf(index, v - 1)) & mask;
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      store<u32>(index + (<usize>hole << 2), v);
      hole = j;
    }
    j = (j + 1) & mask;
  }
  store<u32>(index + (<usize>hole << 2), 0);
}

// @ts-ignore: decorator
@inline function numberOf(r: FileRecord): u32 {
  return <u32>((changetype<usize>(r) - records) / RECORD_BYTES);
}

function rebuildIndexes(): void {
  clearIndexes();
  for (let n: u32 = 0; n < recordCount; n++) {
    const r = recordAt(n);
    if (r.ino != 0) indexPut(inoIndex, r.ino, n);
    if (r.pathHash != 0) indexPut(pathIndex, r.pathHash, n);
  }
}


/**
 * The record of inode `ino`: on device `dev`, or on any device when `dev` is 0
 * (exec events carry no device), or null.
 */
export function findByInode(ino: u64, dev: u32): FileRecord | null {
  if (ino == 0) return null;
  const mask = INDEX_SLOTS - 1;
  let i = keyedHash(ino) & mask;
  while (true) {
    const v = load<u32>(inoIndex + (<usize>i << 2));
    if (v == 0) return null;
    const r = recordAt(v - 1);
    if (r.ino == ino && (dev == 0 || r.dev == dev)) return r;
    i = (i + 1) & mask;
  }
}

/** The record whose latest path hashes to `h`, or null. */
export function findByPath(h: u64): FileRecord | null {
  const mask = INDEX_SLOTS - 1;
  let i = keyedHash(h) & mask;
  while (true) {
    const v = load<u32>(pathIndex + (<usize>i << 2));
    if (v == 0) return null;
    if (recordAt(v - 1).pathHash == h) return recordAt(v - 1);
    i = (i + 1) & mask;
  }
}

/**
 * Evicts the older half of the records and reindexes the rest. Marks are
 * ranked by a counter, so at most FILE_CAPACITY / 2 records hold one of the
 * last FILE_CAPACITY / 2 ranks: those are kept, whatever the timestamps say.
 */
function evictOlderHalf(): void {
  const half = <u64>(FILE_CAPACITY >> 1);
  const cutoff = markCount > half ? markCount - half : 0;
  let kept: u32 = 0;
  for (let n: u32 = 0; n < recordCount; n++) {
    const r = recordAt(n);
    if (r.lastMark > cutoff) {
      if (kept != n) memory.copy(changetype<usize>(recordAt(kept)), changetype<usize>(r), RECORD_BYTES);
      kept++;
    }
  }
  evicted += recordCount - kept;
  recordCount = kept;
  rebuildIndexes();
}

/** A fresh zeroed record (evicting when full). Record pointers from before are invalid after it. */
function newRecord(): FileRecord {
  if (recordCount == FILE_CAPACITY) evictOlderHalf();
  const r = recordAt(recordCount++);
  memory.fill(changetype<usize>(r), 0, RECORD_BYTES);
  return r;
}

/**
 * The record of (dev, ino), created when missing; a path-only record with
 * path hash `h` (a chmod seen before any open) adopts the inode.
 */
export function recordForInode(ino: u64, dev: u32, h: u64): FileRecord {
  const found = findByInode(ino, dev);
  if (found != null) return found;
  let r = h != 0 ? findByPath(h) : null;
  if (r == null || r.ino != 0) r = newRecord();
  r.ino = ino;
  r.dev = dev;
  indexPut(inoIndex, ino, numberOf(r));
  return r;
}

/** The record for path hash `h`, created path-only when missing. */
export function recordForPath(h: u64): FileRecord {
  const found = findByPath(h);
  if (found != null) return found;
  const r = newRecord();
  setPath(r, h);
  return r;
}

/** Gives `r` its latest path (open name, rename or link target); a file that held it loses it. */
export function setPath(r: FileRecord, h: u64): void {
  if (r.pathHash == h || h == 0) return;
  const holder = findByPath(h);
  if (holder != null) {
    indexDelete(pathIndex, h, numberOf(holder));
    holder.pathHash = 0;
  }
  if (r.pathHash != 0) indexDelete(pathIndex, r.pathHash, numberOf(r));
  r.pathHash = h;
  indexPut(pathIndex, h, numberOf(r));
}

/**
 * Forgets what the table knew of `r`'s file (writer, chmod, marks): its (dev, ino) or
 * path now names a new file. The keys and the eviction rank stay.
 */
export function forgetMarks(r: FileRecord): void {
  r.marks = 0;
  const from = offsetof<FileRecord>("writtenTs");
  memory.fill(changetype<usize>(r) + from, 0, RECORD_BYTES - from);
}

/** Copies a process name (at most COMM_BYTES) into the record at `dst`; returns its length. */
function copyComm(dst: usize, src: usize, len: u32): u32 {
  const n = len < COMM_BYTES ? len : COMM_BYTES;
  memory.fill(dst, 0, COMM_BYTES);
  memory.copy(dst, src, n);
  return n;
}

/**
 * Records a creation or write of `r` at `ts` by process `pid` named
 * comm[0, commLen) — comm 0 when the process is unknown (its name is missing).
 */
export function markWritten(r: FileRecord, ts: u64, pid: i64, comm: usize, commLen: u32): void {
  r.marks = (r.marks & ~FILE_WRITER_NAMED) | FILE_WRITTEN | (comm != 0 ? FILE_WRITER_NAMED : 0);
  r.writtenTs = ts;
  r.writerPid = pid;
  r.writerCommLen = copyComm(changetype<usize>(r) + offsetof<FileRecord>("writerComm0"), comm, commLen);
  r.lastMark = ++markCount;
}

/** Records a chmod of `r` that left an execute bit set (comm as for markWritten). */
export function markChmod(r: FileRecord, ts: u64, pid: i64, comm: usize, commLen: u32): void {
  r.marks = (r.marks & ~FILE_CHMOD_NAMED) | FILE_CHMOD_EXEC | (comm != 0 ? FILE_CHMOD_NAMED : 0);
  r.chmodTs = ts;
  r.chmodPid = pid;
  r.chmodCommLen = copyComm(changetype<usize>(r) + offsetof<FileRecord>("chmodComm0"), comm, commLen);
  r.lastMark = ++markCount;
}

function clearFds(): void {
  memory.fill(fdMap, 0, <usize>FD_SLOTS * FD_ENTRY);
  memory.fill(fdPids, 0, <usize>(FD_PIDS_BITS >> 3));
  fdCount = 0;
}

// @ts-ignore: decorator
@inline function fdPidBit(pid: i64): usize {
  return fdPids + <usize>((<u32>pid & (FD_PIDS_BITS - 1)) >> 3);
}

// @ts-ignore: decorator
@inline function fdSlot(pid: i64, fd: i64): u32 {
  return keyedHashPair(<u64>pid, <u64>fd) & (FD_SLOTS - 1);
}

/**
 * Remembers that process `pid` holds file (dev, ino) open for writing as `fd`;
 * a memfd has ino 0 and its name hash `h`.
 */
export function fdPut(pid: i64, fd: i64, ino: u64, dev: u32, h: u64): void {
  if (fdCount + 1 > FD_SLOTS >> 1) clearFds(); // old fds are most likely closed by now
  let i = fdSlot(pid, fd);
  while (true) {
    const e = fdMap + <usize>i * FD_ENTRY;
    if (load<u32>(e, 28) == 0) { store<u32>(e, 1, 28); fdCount++; break; }
    if (load<i64>(e) == pid && load<i64>(e, 8) == fd) break;
    i = (i + 1) & (FD_SLOTS - 1);
  }
  const e = fdMap + <usize>i * FD_ENTRY;
  const bit = fdPidBit(pid);
  store<u8>(bit, <u8>(<u32>load<u8>(bit) | (<u32>1 << (<u32>pid & 7))));
  store<i64>(e, pid);
  store<i64>(e, fd, 8);
  store<u64>(e, ino, 16);
  store<u32>(e, dev, 24);
  store<u64>(e, h, 32);
}

/** Whether no fd is held for writing (then there is nothing to forget). */
export function fdMapEmpty(): bool {
  return fdCount == 0;
}

/** Forgets what `fd` of `pid` names, if the map holds it (the fd now names another file). */
export function fdForget(pid: i64, fd: i64): void {
  const e = fdFind(pid, fd);
  if (e != 0) { store<u64>(e, 0, 16); store<u64>(e, 0, 32); }
}

/** The fd map entry of (pid, fd), or 0 (an entry with ino 0 and hash 0 names nothing): ino at +16 (u64), dev at +24 (u32), memfd name hash at +32 (u64). */
export function fdFind(pid: i64, fd: i64): usize {
  if ((load<u8>(fdPidBit(pid)) & (1 << (<u32>pid & 7))) == 0) return 0;
  let i = fdSlot(pid, fd);
  while (true) {
    const e = fdMap + <usize>i * FD_ENTRY;
    if (load<u32>(e, 28) == 0) return 0;
    if (load<i64>(e) == pid && load<i64>(e, 8) == fd) return e;
    i = (i + 1) & (FD_SLOTS - 1);
  }
}
