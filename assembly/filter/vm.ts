// The filter VM: runs the programs of the blob (layout.ts) on the current frame.
// One accumulator, short-circuit jumps, no allocation per frame. The scanner
// calls runFilters() for every frame the emit mask selects and skips the frame
// unless some program matched; which ones did is left in the match bitmap.

import {
  INSN_BYTES, OP_CHECK, OP_TYPES, OP_JUMP_FALSE, OP_JUMP_TRUE, OP_NOT, OP_XFORM, OP_RHS,
  CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_CONTAINS, CMP_ICONTAINS, CMP_STARTSWITH,
  CMP_ENDSWITH, CMP_GLOB, CMP_IGLOB, CMP_PMATCH, CMP_EXISTS, CMP_BITS_ANY, CMP_REGEX, F_PARAM, VAL_NUM, VAL_BIG, FILTER_EVENT_IDS,
  FILTER_SYSCALLS, isStringField, isAncestorField, isListField, ARG_ANY, MAX_TRANSFORMS, XF_LEN, PK_BYTES, CMP_IN_ALL,
} from "./layout";
import { loadFdTypes, fdTypesItem, fdStr, fdStrLen } from "./fd_fields";
import { isGenericExit, currentSyscall } from "../syscall";
import {
  beginEvent, currentType, loadNumber, loadString, paramIsNumber, paramKind, num, numSigned, strAt, strBytes,
  beginAnyAncestor, nextAncestorValue, endAnyAncestor,
} from "./fields";
import {
  compareBytes, bytesEqual, startsWith, endsWith, containsBytes, globMatch, pathPrefixMatch,
} from "./bytes";
import { XfBuffer, transformString, valueLength } from "./transform";

/**
 * Whether the text s[0,sn) matches the `regex` pattern p[0,pn) (libsinsp: RE2-POSIX, whole text):
 * the shell's compiled RegExp for that pattern (ts/pipeline/wasm.ts regexMatch, ts/filter/regex.ts).
 */
@external("env", "regexMatch")
declare function regexMatch(p: usize, pn: u32, s: usize, sn: u32): bool;

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

/** Order of number `a` (signed when `aSigned`) against `b` (signed when `bSigned`): -1, 0, 1. */
function compareNumbers(a: u64, aSigned: bool, b: u64, bSigned: bool): i32 {
  if (aSigned && <i64>a < 0) return bSigned && <i64>b < 0 ? (<i64>a < <i64>b ? -1 : <i64>a > <i64>b ? 1 : 0) : -1;
  if (bSigned && <i64>b < 0) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Order of number `a` against value `v` (i64, or u64 when VAL_BIG): -1, 0, 1. */
// @ts-ignore: decorator
@inline function compareNumber(a: u64, aSigned: bool, v: usize): i32 {
  return compareNumbers(a, aSigned, load<u64>(v, 8), (load<u32>(v) & VAL_BIG) == 0);
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

/** One value p[0,n) against the string s[0,sn). */
function stringMatches(cmp: u32, s: usize, sn: u32, p: usize, n: u32): bool {
  switch (cmp) {
    case CMP_EQ: return bytesEqual(s, sn, p, n);
    case CMP_CONTAINS: return containsBytes(s, sn, p, n, false);
    case CMP_ICONTAINS: return containsBytes(s, sn, p, n, true);
    case CMP_STARTSWITH: return startsWith(s, sn, p, n);
    case CMP_ENDSWITH: return endsWith(s, sn, p, n);
    case CMP_GLOB: return globMatch(s, sn, p, n, false);
    case CMP_IGLOB: return globMatch(s, sn, p, n, true);
    case CMP_PMATCH: return pathPrefixMatch(s, sn, p, n);
    case CMP_REGEX: return regexMatch(p, n, s, sn);
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
    while (!hit && nextAncestorValue(field)) hit = compareLoaded(isNumber, cmp, list, num, numSigned, strAt, strBytes);
    endAnyAncestor();
    return hit;
  }
  if (isListField(field)) return checkList(cmp, table, list);
  const present = isNumber ? loadNumber(field, table) : loadString(field, table);
  return present && compareLoaded(isNumber, cmp, list, num, numSigned, strAt, strBytes);
}

/**
 * A list field (fd.types; its index at `table`), as libsinsp compare_rhs on a list: CMP_IN_ALL
 * (in) when every item is one of the values (an empty list too), CMP_EQ (intersects) when one is.
 */
function checkList(cmp: u32, table: usize, list: usize): bool {
  const n = loadFdTypes(load<u32>(table));
  if (n < 0) return false;
  if (cmp == CMP_EXISTS) return true;
  const all = cmp == CMP_IN_ALL;
  for (let i: u32 = 0; i < <u32>n; i++) {
    fdTypesItem(i);
    const hit = compareLoaded(false, CMP_EQ, list, 0, false, fdStr, fdStrLen);
    if (hit != all) return hit;
  }
  return all;
}

// A check with transformers or a right-side field (OP_XFORM, OP_RHS before its OP_CHECK).
// Transforms are kept innermost first, 4 bits each, per side.
let lhsXf: u32 = 0;
let lhsXfCount: u32 = 0;
let rhsXf: u32 = 0;
let rhsXfCount: u32 = 0;
let rhsField: u32 = 0;
let rhsTable: usize = 0;
const LHS_BUF = new XfBuffer();
const RHS_BUF = new XfBuffer();

/** The value one side of a check left: a number, or a string in (ptr, len). */
let sideNumber: bool = false;
let sideNum: u64 = 0;
let sideSigned: bool = false;
let sidePtr: usize = 0;
let sideLen: u32 = 0;

/** Loads `field` and applies the side's transforms; false when the value is missing. */
function loadSide(field: u32, table: usize, xf: u32, count: u32, buf: XfBuffer): bool {
  sideNumber = field == F_PARAM ? paramIsNumber(table) : !isStringField(field);
  const bytes = field == F_PARAM && paramKind(table) == PK_BYTES;
  if (!(sideNumber ? loadNumber(field, table) : loadString(field, table))) return false;
  sideNum = num;
  sideSigned = numSigned;
  sidePtr = strAt;
  sideLen = strBytes;
  for (let i: u32 = 0; i < count; i++) {
    const code = (xf >> (i << 2)) & 15;
    if (code == XF_LEN) {
      sideNum = valueLength(sidePtr, sideLen, bytes);
      sideSigned = false;
      sideNumber = true;
      continue;
    }
    if (!transformString(code, sidePtr, sideLen, bytes, buf)) return false;
    sidePtr = buf.ptr;
    sideLen = buf.len;
  }
  return true;
}

/** The OP_CHECK of a run with transformers or a right-side field. */
function checkTransformed(field: u32, cmp: u32, table: usize, list: usize): bool {
  if (!loadSide(field, table, lhsXf, lhsXfCount, LHS_BUF)) return false;
  if (rhsField == 0) return compareLoaded(sideNumber, cmp, list, sideNum, sideSigned, sidePtr, sideLen);
  if (cmp == CMP_EXISTS) return true;
  const lNumber = sideNumber;
  const lNum = sideNum;
  const lSigned = sideSigned;
  // The right side may reuse the loaders' scratch: keep the left text in its own buffer.
  if (!lNumber && sidePtr != LHS_BUF.ptr) LHS_BUF.copy(sidePtr, sideLen);
  const lLen = sideLen;
  if (!loadSide(rhsField, rhsTable, rhsXf, rhsXfCount, RHS_BUF)) return false;
  const base = cmp == CMP_NE ? CMP_EQ : cmp;
  const hit = lNumber
    ? orderMatches(base, compareNumbers(lNum, lSigned, sideNum, sideSigned))
    : stringMatches(base, LHS_BUF.ptr, lLen, sidePtr, sideLen);
  return cmp == CMP_NE ? !hit : hit;
}

/** The comparison `cmp` of a loaded value (number n, or string s[0,sn)) against the value list. */
function compareLoaded(isNumber: bool, cmp: u32, list: usize, n: u64, nSigned: bool, s: usize, sn: u32): bool {
  if (cmp == CMP_EXISTS) return true;
  const count = load<u32>(list);
  let v = list + 8;
  for (let i: u32 = 0; i < count; i++) {
    const flags = load<u32>(v);
    const len = load<u32>(v, 4);
    const base = cmp == CMP_NE ? CMP_EQ : cmp;
    // A number never matches a text-only value or a string operator.
    const hit = isNumber
      ? (flags & VAL_NUM) != 0 && (base == CMP_BITS_ANY ? (n & load<u64>(v, 8)) != 0 : base <= CMP_GE && orderMatches(base, compareNumber(n, nSigned, v)))
      : base != CMP_BITS_ANY && stringMatches(base, s, sn, v + 16, len);
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
      if (lhsXfCount == 0 && rhsField == 0) {
        acc = check(w0 >> 16, (w0 >> 8) & 0xff, blob + load<u32>(pc, 4), blob + load<u32>(pc, 8));
      } else {
        acc = checkTransformed(w0 >> 16, (w0 >> 8) & 0xff, blob + load<u32>(pc, 4), blob + load<u32>(pc, 8));
        lhsXfCount = 0; lhsXf = 0; rhsXfCount = 0; rhsXf = 0; rhsField = 0;
      }
    } else if (op == OP_XFORM) {
      // The compiler emits at most MAX_TRANSFORMS per side.
      const code = (w0 >> 8) & 15;
      if ((w0 >> 16) == 0) { if (lhsXfCount < MAX_TRANSFORMS) { lhsXf |= code << (lhsXfCount << 2); lhsXfCount++; } }
      else if (rhsXfCount < MAX_TRANSFORMS) { rhsXf |= code << (rhsXfCount << 2); rhsXfCount++; }
    } else if (op == OP_RHS) {
      rhsField = w0 >> 16;
      rhsTable = blob + load<u32>(pc, 4);
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
