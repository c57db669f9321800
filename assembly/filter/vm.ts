// The filter VM: runs the programs of the blob (layout.ts) on the current frame.
// One accumulator, short-circuit jumps, no allocation per frame. The scanner
// calls runFilters() for every frame the emit mask selects and skips the frame
// unless some program matched; which ones did is left in the match bitmap.

import {
  INSN_BYTES, OP_CHECK, OP_TYPES, OP_JUMP_FALSE, OP_JUMP_TRUE, OP_NOT, OP_END,
  CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_CONTAINS, CMP_ICONTAINS, CMP_STARTSWITH,
  CMP_ENDSWITH, CMP_GLOB, CMP_IGLOB, CMP_PMATCH, CMP_EXISTS, CMP_BITS_ANY, F_PARAM, VAL_NUM, VAL_BIG, FILTER_EVENT_IDS,
  FILTER_SYSCALLS, isStringField, isAncestorField, ARG_ANY,
} from "./layout";
import { isGenericExit, currentSyscall } from "../syscall";
import {
  beginEvent, currentType, loadNumber, loadString, paramIsNumber, num, numSigned, strAt, strBytes,
  beginAnyAncestor, nextAncestorValue, endAnyAncestor,
} from "./fields";
import {
  compareBytes, bytesEqual, startsWith, endsWith, containsBytes, globMatch, pathPrefixMatch,
} from "./bytes";

let blob: usize = 0;
let blobCapacity: u32 = 0;
let programCount: u32 = 0;
let matches: usize = 0;
let matchCapacity: u32 = 0;

/** A buffer of at least `bytes` for the shell to write a blob into; returns its pointer. */
export function reserveFilter(bytes: u32): usize {
  if (bytes > blobCapacity) {
    if (blob != 0) heap.free(blob);
    blob = heap.alloc(bytes);
    blobCapacity = bytes;
  }
  return blob;
}

/** Activates the blob written at reserveFilter()'s pointer; count 0 turns filtering off. */
export function setFilterCount(count: u32): void {
  programCount = count;
  const words = (count + 31) >> 5;
  if (words * 4 > matchCapacity) {
    if (matches != 0) heap.free(matches);
    matchCapacity = words * 4;
    matches = heap.alloc(matchCapacity);
  }
}

export function filterCount(): u32 { return programCount; }

/** Bitmap (u32 words) of the programs that matched the current event. */
export function filterMatches(): usize { return matches; }

/** Order of the loaded number against value `v`: -1, 0, 1. */
function compareNumber(v: usize): i32 {
  const flags = load<u32>(v);
  const lit = load<u64>(v, 8);
  if (numSigned) {
    const a = <i64>num;
    if ((flags & VAL_BIG) != 0) return -1;
    const b = <i64>lit;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if ((flags & VAL_BIG) == 0 && <i64>lit < 0) return 1;
  return num < lit ? -1 : num > lit ? 1 : 0;
}

// @ts-ignore: decorator
@inline function orderMatches(cmp: u32, order: i32): bool {
  switch (cmp) {
    case CMP_EQ: return order == 0;
    case CMP_LT: return order < 0;
    case CMP_LE: return order <= 0;
    case CMP_GT: return order > 0;
    default: return order >= 0; // CMP_GE
  }
}

/** One value against the loaded string. */
function stringMatches(cmp: u32, p: usize, n: u32): bool {
  const s = strAt;
  const sn = strBytes;
  switch (cmp) {
    case CMP_EQ: return bytesEqual(s, sn, p, n);
    case CMP_CONTAINS: return containsBytes(s, sn, p, n, false);
    case CMP_ICONTAINS: return containsBytes(s, sn, p, n, true);
    case CMP_STARTSWITH: return startsWith(s, sn, p, n);
    case CMP_ENDSWITH: return endsWith(s, sn, p, n);
    case CMP_GLOB: return globMatch(s, sn, p, n, false);
    case CMP_IGLOB: return globMatch(s, sn, p, n, true);
    case CMP_PMATCH: return pathPrefixMatch(s, sn, p, n);
    default: return orderMatches(cmp, compareBytes(s, sn, p, n));
  }
}

// @ts-ignore: decorator
@inline function valueBytes(len: u32): u32 {
  return 16 + ((len + 7) & ~7);
}

/**
 * The comparison of one OP_CHECK. A missing value matches nothing (CMP_EXISTS
 * is false for it); CMP_NE needs the value to differ from every entry, the
 * others need one entry to match (so CMP_EQ over a list is `in`).
 */
function check(field: u32, cmp: u32, table: usize, list: usize): bool {
  // A parameter is what its table says.
  const isNumber = field == F_PARAM ? paramIsNumber(table) : !isStringField(field);
  if (isAncestorField(field) && load<u32>(table) == ARG_ANY) {
    // proc.aname (no index) and its siblings: true when some ancestor's value matches.
    if (!beginAnyAncestor()) return false;
    let hit = false;
    while (!hit && nextAncestorValue(field)) hit = compareLoaded(isNumber, cmp, list);
    endAnyAncestor();
    return hit;
  }
  const present = isNumber ? loadNumber(field, table) : loadString(field, table);
  return present && compareLoaded(isNumber, cmp, list);
}

/** The comparison `cmp` of the value a loader left against the value list. */
function compareLoaded(isNumber: bool, cmp: u32, list: usize): bool {
  if (cmp == CMP_EXISTS) return true;
  const count = load<u32>(list);
  let v = list + 8;
  for (let i: u32 = 0; i < count; i++) {
    const flags = load<u32>(v);
    const len = load<u32>(v, 4);
    const base = cmp == CMP_NE ? CMP_EQ : cmp;
    // A number never matches a text-only value or a string operator.
    const hit = isNumber
      ? (flags & VAL_NUM) != 0 && (base == CMP_BITS_ANY ? (num & load<u64>(v, 8)) != 0 : base <= CMP_GE && orderMatches(base, compareNumber(v)))
      : base != CMP_BITS_ANY && stringMatches(base, v + 16, len);
    if (cmp == CMP_NE) {
      if (hit) return false;
    } else if (hit) {
      return true;
    }
    v += valueBytes(len);
  }
  return cmp == CMP_NE;
}

function runProgram(pc: usize): bool {
  let acc = false;
  while (true) {
    const w0 = load<u32>(pc);
    const op = w0 & 0xff;
    if (op == OP_CHECK) {
      acc = check(w0 >> 16, (w0 >> 8) & 0xff, blob + load<u32>(pc, 4), blob + load<u32>(pc, 8));
    } else if (op == OP_TYPES) {
      const t = currentType();
      const syscalls = load<u32>(pc, 4);
      if (syscalls != 0 && isGenericExit(t)) {
        const sc = currentSyscall();
        acc = sc < FILTER_SYSCALLS && (load<u8>(blob + syscalls + (sc >> 3)) & (1 << (sc & 7))) != 0;
      } else {
        acc = t < FILTER_EVENT_IDS && (load<u8>(blob + load<u32>(pc, 8) + (t >> 3)) & (1 << (t & 7))) != 0;
      }
    } else if (op == OP_JUMP_FALSE) {
      if (!acc) { pc = blob + load<u32>(pc, 4); continue; }
    } else if (op == OP_JUMP_TRUE) {
      if (acc) { pc = blob + load<u32>(pc, 4); continue; }
    } else if (op == OP_NOT) {
      acc = !acc;
    } else {
      return acc; // OP_END
    }
    pc += INSN_BYTES;
  }
}

/**
 * Runs every program on the frame at `f`; returns whether any matched and
 * leaves the bitmap of those that did at filterMatches().
 */
export function runFilters(f: usize, type: u32, cpu: u32, evtNum: u64): bool {
  beginEvent(f, type, cpu, evtNum);
  memory.fill(matches, 0, ((programCount + 31) >> 5) << 2);
  let any = false;
  for (let i: u32 = 0; i < programCount; i++) {
    if (runProgram(blob + load<u32>(blob + 4 + (i << 2)))) {
      store<u32>(matches + ((i >> 5) << 2), load<u32>(matches + ((i >> 5) << 2)) | (1 << (i & 31)));
      any = true;
    }
  }
  return any;
}
