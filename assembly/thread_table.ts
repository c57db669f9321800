// The thread table: open addressing over inline ThreadRecords keyed by tid,
// linear probing on a keyed hash (hash.ts), backward-shift deletion (no tombstones). It grows by doubling
// at half load — the only allocation, and rare; lookups and updates allocate
// nothing. Record pointers stay valid until the next insert or remove.

import { ThreadRecord, RECORD_BYTES } from "./thread_record";
import { freeStrings } from "./thread_strings";
import { keyedHash } from "./hash";
import { freeFds } from "./fd_table";

// Small to start: the table doubles as threads arrive, and a fresh table costs its zero-fill.
const INITIAL_SLOTS: u32 = 1 << 10;
/**
 * Most threads kept (libsinsp's default max thread table size): past it new
 * threads are not added and counted in droppedThreads(), so hostile input
 * cannot grow memory without bound.
 */
export const MAX_THREADS: u32 = 262144;

let dropped: u32 = 0;

// Which tids may be some thread's parent: bit (tid mod PARENT_BITS), set whenever a record's ptid
// becomes that tid (setParent), cleared once the tid's exit gave its children away. A clear bit
// spares an exit the walk over the table (lifecycle.ts reparentChildren). Linux tids stay below
// 2^22 (PID_MAX_LIMIT), so a bit names one tid. Static and zero at instantiation: only the pages
// of the tids in use are ever touched.
const PARENT_BITS: u32 = 1 << 22;
const parentBits: usize = memory.data(<i32>(PARENT_BITS >> 3), 8);
/** Some bit of parentBits was set since the last clear. */
let parentsDirty = false;

// @ts-ignore: decorator
@inline function parentByte(tid: i64): usize {
  return parentBits + <usize>((<u32>tid & (PARENT_BITS - 1)) >> 3);
}

/** Sets `r`'s parent thread id; `ptid` may have children from then on. */
export function setParent(r: ThreadRecord, ptid: i64): void {
  r.ptid = ptid;
  const b = parentByte(ptid);
  store<u8>(b, <u8>(<u32>load<u8>(b) | (<u32>1 << (<u32>ptid & 7))));
  parentsDirty = true;
}

/** Whether some record may name `tid` as its parent (false: none does). */
export function mayHaveChildren(tid: i64): bool {
  return (<u32>load<u8>(parentByte(tid)) & (<u32>1 << (<u32>tid & 7))) != 0;
}

/** `tid` has no children left in the table (its exit gave them away). */
export function childrenGone(tid: i64): void {
  const b = parentByte(tid);
  store<u8>(b, <u8>(<u32>load<u8>(b) & ~(<u32>1 << (<u32>tid & 7))));
}

/** Threads not added because the table was full. */
export function droppedThreads(): u32 {
  return dropped;
}

// The first table of every capture: static, zero when the module is instantiated, so a fresh
// instance's first reset writes none of its 336 KB (a fill that faulted in every page of it:
// ~2 ms of a tiny read's start-up, bench/RESULTS.md). A table grown past it lives on the heap.
const INITIAL_TABLE: usize = memory.data(<i32>(INITIAL_SLOTS * <u32>RECORD_BYTES), 8);
/** INITIAL_TABLE still holds the zeros of instantiation (no thread written to it since). */
let pristine = true;

let slots: usize = 0;
let slotCount: u32 = 0;
let liveCount: u32 = 0;

// @ts-ignore: decorator
@inline function hashTid(tid: i64): u32 {
  return keyedHash(<u64>tid);
}

// @ts-ignore: decorator
@inline function slotAt(i: u32): ThreadRecord {
  return changetype<ThreadRecord>(slots + <usize>i * RECORD_BYTES);
}

function allocSlots(count: u32): usize {
  const bytes = <usize>count * RECORD_BYTES;
  const p = heap.alloc(bytes);
  memory.fill(p, 0, bytes);
  return p;
}

/** Empties the table (frees every string blob); the dropped count is kept unless `counts`. */
export function resetThreads(counts: bool): void {
  if (slots != 0) {
    for (let i: u32 = 0; i < slotCount; i++) {
      const r = slotAt(i);
      if (r.used) freeStrings(r);
    }
    if (slots != INITIAL_TABLE) heap.free(slots);
  }
  slotCount = INITIAL_SLOTS;
  slots = INITIAL_TABLE;
  if (!pristine) memory.fill(INITIAL_TABLE, 0, <usize>INITIAL_SLOTS * RECORD_BYTES);
  pristine = false;
  liveCount = 0;
  if (counts) dropped = 0;
  if (parentsDirty) memory.fill(parentBits, 0, <usize>(PARENT_BITS >> 3));
  parentsDirty = false;
}

/** Slots of the table, used or not: walking 0..threadSlots()-1 with threadSlotPtr visits every thread. */
export function threadSlots(): u32 {
  return slotCount;
}

/** Pointer to the record in slot `i`, or 0 when the slot is empty or beyond the table. Valid until the next insert or remove. */
export function threadSlotPtr(i: u32): usize {
  if (i >= slotCount) return 0;
  const r = slotAt(i);
  return r.used ? changetype<usize>(r) : 0;
}

/** Number of threads in the table. */
export function threadCount(): u32 {
  return liveCount;
}

/** The record of `tid`, or null. */
export function findThread(tid: i64): ThreadRecord | null {
  const mask = slotCount - 1;
  let i = hashTid(tid) & mask;
  while (true) {
    const r = slotAt(i);
    if (!r.used) return null;
    if (r.tid == tid) return r;
    i = (i + 1) & mask;
  }
}

function grow(): void {
  const oldSlots = slots;
  const oldCount = slotCount;
  slotCount = oldCount << 1;
  slots = allocSlots(slotCount);
  const mask = slotCount - 1;
  for (let j: u32 = 0; j < oldCount; j++) {
    const src = oldSlots + <usize>j * RECORD_BYTES;
    if (!load<u32>(src)) continue;
    let i = hashTid(load<i64>(src, offsetof<ThreadRecord>("tid"))) & mask;
    while (slotAt(i).used) i = (i + 1) & mask;
    memory.copy(changetype<usize>(slotAt(i)), src, RECORD_BYTES);
  }
  if (oldSlots != INITIAL_TABLE) heap.free(oldSlots);
}

/**
 * A fresh record for `tid` (zeroed, sid and vpgid -1), or null when the table holds MAX_THREADS.
 * An existing record of the same tid is removed first (libsinsp replaces a
 * stale thread on a tid collision).
 */
export function insertThread(tid: i64): ThreadRecord | null {
  removeThread(tid);
  if (liveCount >= MAX_THREADS) {
    dropped++;
    return null;
  }
  if ((liveCount + 1) << 1 > slotCount) grow();
  const mask = slotCount - 1;
  let i = hashTid(tid) & mask;
  while (slotAt(i).used) i = (i + 1) & mask;
  const r = slotAt(i);
  memory.fill(changetype<usize>(r), 0, RECORD_BYTES);
  r.used = 1;
  r.tid = tid;
  // libsinsp's defaults (threadinfo.cpp init): no session, no process group.
  r.sid = -1;
  r.vpgid = -1;
  liveCount++;
  return r;
}

/** Removes `tid` if present, freeing its strings. */
export function removeThread(tid: i64): void {
  const mask = slotCount - 1;
  let i = hashTid(tid) & mask;
  while (true) {
    const r = slotAt(i);
    if (!r.used) return;
    if (r.tid == tid) break;
    i = (i + 1) & mask;
  }
  freeStrings(slotAt(i));
  freeFds(slotAt(i));
  liveCount--;
  // Backward-shift: move later members of the probe run into the hole.
  let hole = i;
  let j = (i + 1) & mask;
  while (true) {
    const r = slotAt(j);
    if (!r.used) break;
    const home = hashTid(r.tid) & mask;
    // r may move to the hole if its home is not cyclically within (hole, j].
    const dist = (j - home) & mask;
    const holeDist = (j - hole) & mask;
    if (dist >= holeDist) {
      memory.copy(changetype<usize>(slotAt(hole)), changetype<usize>(r), RECORD_BYTES);
      hole = j;
    }
    j = (j + 1) & mask;
  }
  memory.fill(changetype<usize>(slotAt(hole)), 0, RECORD_BYTES);
}
