// String storage of thread records: one heap blob per record holding comm, exe,
// exepath, args and cwd back to back. Strings change only on clone and execve
// (state-changing frames), so the blob is rebuilt whole there; ordinary frames
// never allocate.

import { ThreadRecord, STR_COUNT, STR_LEN_BASE, strLen, strPtr } from "./thread_record";

/** Longest string kept per slot (PATH_MAX); longer parameter values are truncated (bytes). */
export const MAX_STRING_BYTES: u32 = 4096;
/**
 * Budget for all thread strings together (bytes). Past it, each new string is
 * cut to TIGHT_STRING_BYTES, so hostile input cannot grow memory without bound.
 */
const STRING_BUDGET_BYTES: usize = 256 << 20;
const TIGHT_STRING_BYTES: u32 = 64;
let stringBytes: usize = 0;

// Sources for the next setStrings(): a pointer and a length per slot.
const SRC_PTR = memory.data(<i32>(STR_COUNT * 8));
const SRC_LEN = memory.data(<i32>(STR_COUNT * 4));

/** Sets the source of slot `slot` for the next commitStrings(). */
// @ts-ignore: decorator
@inline export function stageString(slot: u32, ptr: usize, len: u32): void {
  store<usize>(SRC_PTR + (<usize>slot << 3), ptr);
  store<u32>(SRC_LEN + (<usize>slot << 2), len > MAX_STRING_BYTES ? MAX_STRING_BYTES : len);
}

/** Stages every slot from the current strings of `rec` (to change only some). */
export function stageFrom(rec: ThreadRecord): void {
  let p = rec.strBlob;
  for (let s: u32 = 0; s < STR_COUNT; s++) {
    const n = strLen(rec, s);
    stageString(s, p, n);
    p += n;
  }
}

/**
 * Replaces the strings of `rec` with the staged ones. Sources may point into
 * the record's own blob or another record's: the new blob is filled before the
 * old one is freed.
 */
export function commitStrings(rec: ThreadRecord): void {
  const oldBlob = rec.strBlob;
  const oldTotal = blobBytes(rec);
  let total: usize = 0;
  for (let s: u32 = 0; s < STR_COUNT; s++) total += load<u32>(SRC_LEN + (<usize>s << 2));
  if (stringBytes + total > STRING_BUDGET_BYTES) {
    total = 0;
    for (let s: u32 = 0; s < STR_COUNT; s++) {
      const at = SRC_LEN + (<usize>s << 2);
      if (load<u32>(at) > TIGHT_STRING_BYTES) store<u32>(at, TIGHT_STRING_BYTES);
      total += load<u32>(at);
    }
  }
  const blob = total > 0 ? heap.alloc(total) : 0;
  let p = blob;
  for (let s: u32 = 0; s < STR_COUNT; s++) {
    const n = load<u32>(SRC_LEN + (<usize>s << 2));
    memory.copy(p, load<usize>(SRC_PTR + (<usize>s << 3)), n);
    store<u32>(changetype<usize>(rec) + STR_LEN_BASE + (<usize>s << 2), n);
    p += n;
  }
  if (oldBlob != 0) heap.free(oldBlob);
  rec.strBlob = blob;
  stringBytes += total - oldTotal;
  // A slot the next caller does not stage is empty, never a stale pointer.
  memory.fill(SRC_LEN, 0, STR_COUNT * 4);
}

/** Bytes held by the strings of `rec`. */
function blobBytes(rec: ThreadRecord): usize {
  let n: usize = 0;
  if (rec.strBlob != 0) for (let s: u32 = 0; s < STR_COUNT; s++) n += strLen(rec, s);
  return n;
}

/** Frees the strings of `rec`. */
export function freeStrings(rec: ThreadRecord): void {
  stringBytes -= blobBytes(rec);
  if (rec.strBlob != 0) heap.free(rec.strBlob);
  rec.strBlob = 0;
  for (let s: u32 = 0; s < STR_COUNT; s++) {
    store<u32>(changetype<usize>(rec) + STR_LEN_BASE + (<usize>s << 2), 0);
  }
}

export { strPtr };
