// String storage of thread records: one heap blob per record holding comm, exe,
// exepath, args and cwd back to back. Strings change only on clone and execve
// (state-changing frames), so the blob is rebuilt whole there; ordinary frames
// never allocate.

import { ThreadRecord, STR_COUNT, STR_LEN_BASE, strLen, strPtr } from "./thread_record";

/** Longest string kept per slot; longer parameter values are truncated (bytes). */
export const MAX_STRING_BYTES: u32 = 65535;

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
  let total: usize = 0;
  for (let s: u32 = 0; s < STR_COUNT; s++) total += load<u32>(SRC_LEN + (<usize>s << 2));
  const blob = total > 0 ? heap.alloc(total) : 0;
  let p = blob;
  for (let s: u32 = 0; s < STR_COUNT; s++) {
    const n = load<u32>(SRC_LEN + (<usize>s << 2));
    memory.copy(p, load<usize>(SRC_PTR + (<usize>s << 3)), n);
    store<u32>(changetype<usize>(rec) + STR_LEN_BASE + (<usize>s << 2), n);
    p += n;
  }
  if (rec.strBlob != 0) heap.free(rec.strBlob);
  rec.strBlob = blob;
}

/** Frees the strings of `rec`. */
export function freeStrings(rec: ThreadRecord): void {
  if (rec.strBlob != 0) heap.free(rec.strBlob);
  rec.strBlob = 0;
  for (let s: u32 = 0; s < STR_COUNT; s++) {
    store<u32>(changetype<usize>(rec) + STR_LEN_BASE + (<usize>s << 2), 0);
  }
}

export { strPtr };
