// File events applied to the file table (file_table.ts): the exits that create,
// write, chmod or rename a file, in libs' formats (driver/event_table.c), from
// scapdrift's driver or from a Falco capture. Only successful calls count.
// Paths are compared by hash, and only absolute ones: scapdrift's driver sends
// the kernel-resolved absolute path; a relative name from another driver cannot
// be matched with an exe path and is ignored. A memfd is known by its name
// ("memfd:NAME", what an exec of it shows as exe path) until a write marks it.

import {
  KIND_FILE_OPEN, KIND_FILE_WRITE, KIND_FILE_CHMOD, KIND_FILE_RENAME, KIND_FILE_MEMFD, KIND_FILE_DUP, ROLE_ABSENT,
  ROLE_FD, ROLE_PATH, ROLE_DEV, ROLE_INO, ROLE_MODE, ROLE_OLDPATH, ROLE_NEWPATH, ROLE_FLAGS, roleIndex,
} from "./event_info";
import { paramEmpty, paramI64, paramPtr, paramStrLen, paramU64 } from "./params";
import { STR_COMM, strLen, strPtr } from "./thread_record";
import { findThread } from "./thread_table";
import {
  FileRecord, pathHash, findByPath, recordForInode, recordForPath, setPath, markWritten, markChmod,
  fdPut, fdFind, fdForget, fdMapEmpty, forgetMarks, PATH_HASH_SEED,
} from "./file_table";

// libs' PPM_O_* open flags (driver/ppm_events_public.h).
const PPM_O_WRONLY: u32 = 1 << 1; // O_RDWR sets it too
const PPM_O_CREAT: u32 = 1 << 2;
const PPM_O_TRUNC: u32 = 1 << 8;
// Set with O_DIRECTORY too (libs' open_flags_to_scap tests the composite O_TMPFILE): an
// O_TMPFILE only with PPM_O_WRONLY, which the kernel requires of one and refuses to a directory.
const PPM_O_TMPFILE: u32 = 1 << 13;
const PPM_O_F_CREATED: u32 = 1 << 14;
// libs' PPM_S_IX* chmod bits: S_IXOTH, S_IXGRP, S_IXUSR.
const PPM_S_IXANY: u32 = 1 | 8 | 64;
const SLASH: u8 = 0x2f;
/** "memfd:", the prefix the kernel gives a memfd's name in exe paths. */
const MEMFD_PREFIX = memory.data<u8>([0x6d, 0x65, 0x6d, 0x66, 0x64, 0x3a]);
const MEMFD_PREFIX_LEN: u32 = 6;

// The process behind the current event: pid and name, for the marks.
let actorPid: i64 = 0;
let actorComm: usize = 0;
let actorCommLen: u32 = 0;

/** The process behind `tid`: its pid and name; the tid and no name when the thread is unknown. */
function setActor(tid: i64): void {
  const t = findThread(tid);
  if (t == null) { actorPid = tid; actorComm = 0; actorCommLen = 0; return; }
  actorPid = t.pid;
  actorComm = strPtr(t, STR_COMM);
  actorCommLen = strLen(t, STR_COMM);
}

/** FNV-1a of string parameter `i` when it is an absolute path, else 0. */
function absolutePathHash(i: u32): u64 {
  const n = paramStrLen(i);
  if (n == 0 || load<u8>(paramPtr(i)) != SLASH) return 0;
  return pathHash(paramPtr(i), n);
}

/** Whether `len` bytes at `p` start with "memfd:". */
export function isMemfdName(p: usize, len: u32): bool {
  return len >= MEMFD_PREFIX_LEN && memory.compare(p, MEMFD_PREFIX, MEMFD_PREFIX_LEN) == 0;
}

/** FNV-1a of "memfd:NAME" for memfd_create's name (scapdrift's driver sends the prefix, libs' does not). */
function memfdNameHash(i: u32): u64 {
  const p = paramPtr(i);
  const n = paramStrLen(i);
  return isMemfdName(p, n) ? pathHash(p, n) : pathHash(p, n, pathHash(MEMFD_PREFIX, MEMFD_PREFIX_LEN, PATH_HASH_SEED));
}

/** Applies a file event of kind `kind` (KIND_FILE_*) at epoch ns `ts` by thread `tid`. */
export function onFileEvent(kind: u8, type: u32, tid: i64, ts: u64): void {
  // Parameter 0 of every exit is its return value (res or fd).
  const res = paramI64(0);
  if (res < 0) return;
  if (kind == KIND_FILE_OPEN) onOpen(type, tid, ts, res);
  else if (kind == KIND_FILE_WRITE) { if (res > 0) onWrite(type, tid, ts); }
  else if (kind == KIND_FILE_CHMOD) onChmod(type, tid, ts);
  else if (kind == KIND_FILE_RENAME) onRename(type);
  else if (kind == KIND_FILE_MEMFD) onMemfd(type, tid, res);
  else if (kind == KIND_FILE_DUP) onDup(type, tid, res);
}

/**
 * A dup, dup2 or dup3: the new fd `fd` names what the old one names (a file held open for
 * writing, or nothing). A shell's `cmd > file` opens the file, dup2s it onto fd 1 and execs
 * cmd: the write through fd 1 is then cmd's write of that file. scapdrift's driver sends a
 * dup only when the new fd names a file opened for writing and not written yet; the oldest
 * dup exit (no oldfd) says nothing of the old fd.
 */
function onDup(type: u32, tid: i64, fd: i64): void {
  const old = roleIndex(type, ROLE_FD);
  if (old == <u32>ROLE_ABSENT || fdMapEmpty()) return;
  setActor(tid);
  const oldFd = paramI64(old);
  if (oldFd == fd) return;
  const e = fdFind(actorPid, oldFd);
  if (e == 0) { fdForget(actorPid, fd); return; }
  fdPut(actorPid, fd, load<u64>(e, 16), load<u32>(e, 24), load<u64>(e, 32));
}

/** A new memfd: a fresh file under its name, held open for writing as `fd`. */
function onMemfd(type: u32, tid: i64, fd: i64): void {
  const h = memfdNameHash(roleIndex(type, ROLE_PATH));
  setActor(tid);
  forgetMarks(recordForPath(h)); // an older memfd of the same name is another file
  fdPut(actorPid, fd, 0, 0, h);
}

/**
 * Whether the open created its file: O_F_CREATED (the kernel's FMODE_CREATED, libs'
 * extract_file_mode in driver/ppm_fillers.c and modern_bpf) or an O_TMPFILE.
 * creat carries no such flag (its creat_flags are the overlay layer): not known.
 */
function created(flags: u32): bool {
  return (flags & PPM_O_F_CREATED) != 0 || (flags & (PPM_O_TMPFILE | PPM_O_WRONLY)) == (PPM_O_TMPFILE | PPM_O_WRONLY);
}

/**
 * An open for writing: remembered in the fd map; a creation or truncation
 * (O_CREAT, O_TRUNC, O_F_CREATED; creat has no flags and always is one) marks
 * the file written. A file the open created is a new file, also when its inode
 * number (or its path) was an older file's that was deleted: what the table knew
 * of that one is forgotten first. Any other open reuses the fd number for another file.
 */
function onOpen(type: u32, tid: i64, ts: u64, fd: i64): void {
  const fl = roleIndex(type, ROLE_FLAGS);
  const flags = <u32>paramU64(fl);
  const ino = paramU64(roleIndex(type, ROLE_INO));
  // Not for writing, or an older event version without dev/ino. Most opens are: the
  // thread lookup is skipped while no fd is held for writing.
  if ((!paramEmpty(fl) && (flags & (PPM_O_WRONLY | PPM_O_CREAT | PPM_O_TRUNC)) == 0) || ino == 0) {
    if (!fdMapEmpty()) { setActor(tid); fdForget(actorPid, fd); }
    return;
  }
  setActor(tid);
  const dev = <u32>paramU64(roleIndex(type, ROLE_DEV));
  const h = absolutePathHash(roleIndex(type, ROLE_PATH));
  const r = recordForInode(ino, dev, h);
  if (!paramEmpty(fl) && created(flags)) forgetMarks(r);
  setPath(r, h);
  fdPut(actorPid, fd, ino, dev, 0);
  if (paramEmpty(fl) || (flags & (PPM_O_CREAT | PPM_O_TRUNC | PPM_O_F_CREATED)) != 0) {
    markWritten(r, ts, actorPid, actorComm, actorCommLen);
  }
}

/**
 * Ancestors whose fds a process may be writing through: a child inherits its parent's fds at
 * fork, and a shell's `cmd > file` opens the file and dup2s it onto fd 1 in the shell (or in a
 * subshell) before it forks cmd.
 */
const INHERITED_FD_LEVELS = 3;

/**
 * The fd map entry of `fd` of process `pid`, else of the same fd of its parent, grandparent, …
 * (up to {@link INHERITED_FD_LEVELS}), or 0.
 */
function fdEntryOrInherited(pid: i64, fd: i64): usize {
  let e = fdFind(pid, fd);
  for (let up = 0; e == 0 && up < INHERITED_FD_LEVELS; up++) {
    const t = findThread(pid);
    if (t == null) return 0;
    const parent = findThread(t.ptid);
    if (parent == null || parent.pid == pid) return 0;
    pid = parent.pid;
    e = fdFind(pid, fd);
  }
  return e;
}

/** The record of the file that `fd` of the current process (or an fd it inherited) names, when it was opened for writing. */
function recordOfFd(type: u32): FileRecord | null {
  const e = fdEntryOrInherited(actorPid, paramI64(roleIndex(type, ROLE_FD)));
  if (e == 0) return null;
  const ino = load<u64>(e, 16);
  const h = load<u64>(e, 32);
  if (ino == 0 && h == 0) return null; // forgotten: the fd was reused
  return ino != 0 ? recordForInode(ino, load<u32>(e, 24), 0) : recordForPath(h);
}

function onWrite(type: u32, tid: i64, ts: u64): void {
  // Most writes of a Falco capture (sockets, pipes, ttys) come while no fd is held for writing:
  // no thread lookups for them.
  if (fdMapEmpty()) return;
  setActor(tid);
  const r = recordOfFd(type);
  if (r != null) markWritten(r, ts, actorPid, actorComm, actorCommLen);
}

/** A chmod leaving an execute bit set; by fd (fchmod) or by absolute path. */
function onChmod(type: u32, tid: i64, ts: u64): void {
  if ((<u32>paramU64(roleIndex(type, ROLE_MODE)) & PPM_S_IXANY) == 0) return;
  setActor(tid);
  const path = roleIndex(type, ROLE_PATH);
  let r: FileRecord | null;
  if (paramEmpty(path)) {
    r = recordOfFd(type);
  } else {
    const h = absolutePathHash(path);
    r = h == 0 ? null : recordForPath(h);
  }
  if (r != null) markChmod(r, ts, actorPid, actorComm, actorCommLen);
}

/** The file known by oldpath is now known by newpath (rename; link: the newest name). */
function onRename(type: u32): void {
  const from = absolutePathHash(roleIndex(type, ROLE_OLDPATH));
  const to = absolutePathHash(roleIndex(type, ROLE_NEWPATH));
  if (from == 0 || to == 0) return;
  const r = findByPath(from);
  if (r != null) setPath(r, to); // a file the rename replaced loses the name
}
