// The fd table: what each process's file descriptors name (files, directories,
// sockets, pipes, memfds, eventfds, ...), as libsinsp keeps it (libs
// userspace/libsinsp/fdinfo.h sinsp_fdinfo, threadinfo.h get_fd_table: the threads
// of a process share their main thread's table). Bounded by construction:
//
//   pool     FdEntry records, dense array grown by doubling up to FD_CAPACITY;
//            free entries chained through `next`.
//   process  a doubly linked list of its entries, head and size in the main
//            thread's ThreadRecord (fdHead, fdCount); at most FDS_PER_PROCESS.
//   names    one heap blob per entry: the resolved name, then the raw name
//            (fd.nameraw); at most NAME_BYTES each, NAME_BUDGET_BYTES together.
//
// An fd that does not fit (pool or process full) is not added and counted in
// fdsDropped(); a name past the budget is not kept (fdNamesDropped()). No hash index: a process's list is short, and a lookup
// moves the entry it finds to the front (the fds a process uses are few at a time).

import { ThreadRecord } from "./thread_record";

/** Most fds kept in all (a pool of FdEntry records). */
export const FD_CAPACITY: u32 = 1 << 17;
/** Most fds kept per process (longer lists are dropped from: bounded lookups). */
export const FDS_PER_PROCESS: u32 = 1024;
/** Longest name kept (libs SCAP_MAX_PATH_SIZE): longer ones are cut. */
export const NAME_BYTES: u32 = 4096;
/** All names together (bytes): past it, new fds are dropped. */
const NAME_BUDGET_BYTES: usize = 64 << 20;
const INITIAL_ENTRIES: u32 = 1024;

// scap_fd_type (libs userspace/libscap/scap.h).
export const SCAP_FD_UNKNOWN: u8 = 0;
export const SCAP_FD_FILE: u8 = 1;
export const SCAP_FD_DIRECTORY: u8 = 2;
export const SCAP_FD_IPV4_SOCK: u8 = 3;
export const SCAP_FD_IPV6_SOCK: u8 = 4;
export const SCAP_FD_IPV4_SERVSOCK: u8 = 5;
export const SCAP_FD_IPV6_SERVSOCK: u8 = 6;
export const SCAP_FD_FIFO: u8 = 7;
export const SCAP_FD_UNIX_SOCK: u8 = 8;
export const SCAP_FD_EVENT: u8 = 9;
export const SCAP_FD_UNSUPPORTED: u8 = 10;
export const SCAP_FD_SIGNALFD: u8 = 11;
export const SCAP_FD_EVENTPOLL: u8 = 12;
export const SCAP_FD_INOTIFY: u8 = 13;
export const SCAP_FD_TIMERFD: u8 = 14;
export const SCAP_FD_NETLINK: u8 = 15;
export const SCAP_FD_FILE_V2: u8 = 16;
export const SCAP_FD_BPF: u8 = 17;
export const SCAP_FD_USERFAULTFD: u8 = 18;
export const SCAP_FD_IOURING: u8 = 19;
export const SCAP_FD_MEMFD: u8 = 20;
export const SCAP_FD_PIDFD: u8 = 21;
/** One past the last scap_fd_type. */
export const SCAP_FD_TYPES: u8 = 22;

// SCAP_L4_* layer-4 protocols (libs userspace/libscap/scap.h).
export const SCAP_L4_UNKNOWN: u8 = 0;
export const SCAP_L4_TCP: u8 = 3;
export const SCAP_L4_UDP: u8 = 4;
export const SCAP_L4_ICMP: u8 = 5;
export const SCAP_L4_RAW: u8 = 6;

/** Socket roles (libsinsp sinsp_fdinfo::FLAGS_ROLE_CLIENT / _SERVER). */
export const ROLE_NONE: u8 = 0;
export const ROLE_CLIENT: u8 = 1;
export const ROLE_SERVER: u8 = 2;

@unmanaged
export class FdEntry {
  fd: i64;
  ino: u64;
  /** Heap blob: nameLen bytes of name, then rawLen bytes of raw name; 0 when both are empty. */
  name: usize;
  nameLen: u32;
  rawLen: u32;
  /** PPM_O_* flags of the open (PPM_O_CLOEXEC: purged at execve). */
  openFlags: u32;
  /** Device as libs encodes it (open exits, FDL). */
  dev: u32;
  /** Owner's list: previous and next entry + 1 (0 = none); `next` chains free entries. */
  prev: u32;
  next: u32;
  /** scap_fd_type; 0xff on a free entry. */
  type: u8;
  /** SCAP_L4_* of a socket. */
  l4proto: u8;
  role: u8;
  /** The socket is connected (libsinsp FLAGS_SOCKET_CONNECTED): connect, accept, a TCP socket of the FDL. */
  connected: u8;
  /** Source (client) and destination (server) ports of an inet socket. */
  sport: u16;
  dport: u16;
  /** Source and destination addresses: IPv4 in the first 4 bytes, IPv6 all 16 (network order). */
  sip0: u64;
  sip1: u64;
  dip0: u64;
  dip1: u64;
}

const ENTRY_BYTES: usize = offsetof<FdEntry>();
const FREE: u8 = 0xff;

let pool: usize = 0;
let poolSize: u32 = 0;
let used: u32 = 0;
let freeHead: u32 = 0;
let nameBytes: usize = 0;
let dropped: u32 = 0;
let namesDropped: u32 = 0;

/** Fds not added because the pool or the process's list was full. */
export function fdsDropped(): u32 {
  return dropped;
}

/** Fds kept without their name because the name budget was full. */
export function fdNamesDropped(): u32 {
  return namesDropped;
}

/** Fds held in all. */
export function fdCount(): u32 {
  return used;
}

// @ts-ignore: decorator
@inline export function entryAt(n: u32): FdEntry {
  return changetype<FdEntry>(pool + <usize>(n - 1) * ENTRY_BYTES);
}

/** The number (+ 1) of entry `e`. */
// @ts-ignore: decorator
@inline export function entryNumber(e: FdEntry): u32 {
  return <u32>((changetype<usize>(e) - pool) / ENTRY_BYTES) + 1;
}

/**
 * Forgets every fd (a new capture or section; the thread table is emptied with it);
 * the dropped count is kept unless `counts`.
 */
export function resetFds(counts: bool): void {
  if (pool != 0) {
    for (let n: u32 = 1; n <= poolSize; n++) {
      const e = entryAt(n);
      if (e.type != FREE && e.name != 0) heap.free(e.name);
    }
    heap.free(pool);
  }
  poolSize = INITIAL_ENTRIES;
  pool = heap.alloc(<usize>poolSize * ENTRY_BYTES);
  chainFree(1, poolSize);
  freeHead = 1;
  used = 0;
  nameBytes = 0;
  if (counts) { dropped = 0; namesDropped = 0; }
}

function chainFree(from: u32, to: u32): void {
  for (let n = from; n <= to; n++) {
    const e = entryAt(n);
    e.type = FREE;
    e.name = 0;
    e.next = n < to ? n + 1 : 0;
  }
}

/** A free entry, or 0 when the pool is at FD_CAPACITY. Entry pointers stay valid (numbers do, pointers may move). */
function takeEntry(): u32 {
  if (freeHead == 0) {
    if (poolSize >= FD_CAPACITY) return 0;
    const old = poolSize;
    poolSize = old << 1;
    pool = heap.realloc(pool, <usize>poolSize * ENTRY_BYTES);
    chainFree(old + 1, poolSize);
    freeHead = old + 1;
  }
  const n = freeHead;
  freeHead = entryAt(n).next;
  used++;
  return n;
}

function releaseEntry(n: u32): void {
  const e = entryAt(n);
  if (e.name != 0) {
    heap.free(e.name);
    nameBytes -= <usize>(e.nameLen + e.rawLen);
  }
  e.name = 0;
  e.type = FREE;
  e.next = freeHead;
  freeHead = n;
  used--;
}

/** The entry of `fd` in `owner`'s table (moved to the front of its list), or null. */
export function findFd(owner: ThreadRecord, fd: i64): FdEntry | null {
  let n = owner.fdHead;
  while (n != 0) {
    const e = entryAt(n);
    if (e.fd == fd) {
      if (n != owner.fdHead) { unlink(owner, n); linkFront(owner, n); }
      return e;
    }
    n = e.next;
  }
  return null;
}

function unlink(owner: ThreadRecord, n: u32): void {
  const e = entryAt(n);
  if (e.prev != 0) entryAt(e.prev).next = e.next;
  else owner.fdHead = e.next;
  if (e.next != 0) entryAt(e.next).prev = e.prev;
}

function linkFront(owner: ThreadRecord, n: u32): void {
  const e = entryAt(n);
  e.prev = 0;
  e.next = owner.fdHead;
  if (owner.fdHead != 0) entryAt(owner.fdHead).prev = n;
  owner.fdHead = n;
}

/** Removes `fd` from `owner`'s table, if there. */
export function removeFd(owner: ThreadRecord, fd: i64): void {
  const e = findFd(owner, fd);
  if (e == null) return;
  const n = entryNumber(e);
  unlink(owner, n);
  owner.fdCount--;
  releaseEntry(n);
}

/**
 * A fresh entry for `fd` of type `type` in `owner`'s table, replacing the one it had
 * (libsinsp add_fd), zeroed, nameless; null when it does not fit (counted).
 */
export function addFd(owner: ThreadRecord, fd: i64, type: u8): FdEntry | null {
  removeFd(owner, fd);
  if (owner.fdCount >= FDS_PER_PROCESS) { dropped++; return null; }
  const n = takeEntry();
  if (n == 0) { dropped++; return null; }
  const e = entryAt(n);
  memory.fill(changetype<usize>(e), 0, ENTRY_BYTES);
  e.fd = fd;
  e.type = type;
  linkFront(owner, n);
  owner.fdCount++;
  return e;
}

/**
 * Sets the name of `e` to name[0, nameLen) and its raw name to raw[0, rawLen) (each cut
 * to NAME_BYTES); past the name budget the entry keeps no name (counted in fdNamesDropped()).
 */
export function setFdName(e: FdEntry, name: usize, nameLen: u32, raw: usize, rawLen: u32): void {
  if (nameLen > NAME_BYTES) nameLen = NAME_BYTES;
  if (rawLen > NAME_BYTES) rawLen = NAME_BYTES;
  if (e.name != 0) { heap.free(e.name); nameBytes -= <usize>(e.nameLen + e.rawLen); e.name = 0; }
  e.nameLen = 0;
  e.rawLen = 0;
  const total = <usize>(nameLen + rawLen);
  if (total == 0) return;
  if (nameBytes + total > NAME_BUDGET_BYTES) { namesDropped++; return; }
  const blob = heap.alloc(total);
  memory.copy(blob, name, nameLen);
  memory.copy(blob + nameLen, raw, rawLen);
  e.name = blob;
  e.nameLen = nameLen;
  e.rawLen = rawLen;
  nameBytes += total;
}

/** Copies `e` (name included) as `fd` of `owner`; null when it does not fit. */
export function copyFd(owner: ThreadRecord, e: FdEntry, fd: i64): FdEntry | null {
  const src = entryNumber(e);
  const c = addFd(owner, fd, e.type);
  if (c == null) return null;
  const s = entryAt(src); // the pool may have moved
  const prev = c.prev;
  const next = c.next;
  memory.copy(changetype<usize>(c), changetype<usize>(s), ENTRY_BYTES);
  c.fd = fd;
  c.prev = prev;
  c.next = next;
  c.name = 0;
  setFdName(c, s.name, s.nameLen, s.name + s.nameLen, s.rawLen);
  return c;
}

/**
 * Gives `child` a copy of every fd of `parent` (a new process: libsinsp
 * parse_clone_exit copies the caller's table whatever CLONE_FILES says).
 */
export function copyFds(child: ThreadRecord, parent: ThreadRecord): void {
  freeFds(child);
  // Oldest first, so that the child's list keeps the parent's order.
  let last = parent.fdHead;
  if (last == 0) return;
  while (entryAt(last).next != 0) last = entryAt(last).next;
  for (let n = last; n != 0; n = entryAt(n).prev) {
    if (copyFd(child, entryAt(n), entryAt(n).fd) == null) return;
  }
}

/** Removes every fd of `owner` whose open flags have `flag` (PPM_O_CLOEXEC at execve). */
export function removeFdsWithFlag(owner: ThreadRecord, flag: u32): void {
  let n = owner.fdHead;
  while (n != 0) {
    const e = entryAt(n);
    const next = e.next;
    if ((e.openFlags & flag) != 0) {
      unlink(owner, n);
      owner.fdCount--;
      releaseEntry(n);
    }
    n = next;
  }
}

/** Frees every fd of `owner` (the process is gone). */
export function freeFds(owner: ThreadRecord): void {
  let n = owner.fdHead;
  while (n != 0) {
    const next = entryAt(n).next;
    releaseEntry(n);
    n = next;
  }
  owner.fdHead = 0;
  owner.fdCount = 0;
}

/** Name bytes of `e`. */
// @ts-ignore: decorator
@inline export function namePtr(e: FdEntry): usize { return e.name; }
/** Raw name bytes of `e` (what the event passed, before resolution). */
// @ts-ignore: decorator
@inline export function rawPtr(e: FdEntry): usize { return e.name + e.nameLen; }
