// The output formatter: the default line, `-p` formats and JSON lines of every
// emitted event written into an output buffer in linear memory, where the field
// values are (DESIGN.md §8). The shell compiles the format once (ts/output/program.ts)
// into a program of fixed-size instructions and a data blob (literal text, the
// event-name, direction and errno tables) and hands both over with installOutput();
// scan() then formats each emitted event itself and stops (STATUS_OUTPUT) only when
// the buffer holds OUTPUT_FLUSH_BYTES, for the shell to write it out.
//
// Field values come from the filter VM's loaders (filter/fields.ts): one definition
// of each field for conditions and output alike. A field no loader computes is a
// fallback: the shell formats it (the formatField import) and the text is copied in.
//
//  instruction (OUT_INSN_BYTES = 24, six u32)
//  ┌────────┬────────┬────────┬────────┬──────────────┬──────────────┐
//  │ op     │ a      │ b      │ flags  │ prefix off   │ prefix len   │
//  └────────┴────────┴────────┴────────┴──────────────┴──────────────┘
//  OUT_LIT       a = blob offset, b = length                       literal bytes
//  OUT_FIELD     a = VM field id (F_*), b = argument (ARG_ANY)     a loader's value
//  OUT_TYPE                                                        evt.type
//  OUT_CLOCK     a = 1 with the date                               evt.time, evt.datetime
//  OUT_DIR                                                         evt.dir
//  OUT_RES       a = blob offset of the F_PARAM table of the return value    evt.res
//  OUT_FALLBACK  a = fallback slot                                 the shell's text
//  OUT_IF_TYPES  a = blob offset of a type bitmap, b = instructions to skip when
//                the event's id is not in it
//  flags: OUTF_JSON (JSON value: quoted, escaped, null), OUTF_OPTIONAL (a missing
//  value writes nothing, its prefix neither), the value kind (OUTF_SIGNED, OUTF_BOOL,
//  OUTF_STRING; else unsigned; OUTF_LIST with OUTF_STRING: a list field, in JSON an array
//  of its items). The prefix (blob bytes) is written before the value.

import { beginEvent, loadNumber, loadString, num, numSigned, strAt, strBytes } from "./filter/fields";
import { F_PARAM } from "./filter/layout";
import { loadFdTypes, fdTypesItem, fdStr, fdStrLen } from "./filter/fd_fields";
import { isGenericExit, currentSyscall, SYSCALL_CAPACITY } from "./syscall";
import { FRAME_TS } from "./frame";

export const OUT_INSN_BYTES: u32 = 24;
export const OUT_LIT: u32 = 1;
export const OUT_FIELD: u32 = 2;
export const OUT_TYPE: u32 = 3;
export const OUT_DIR: u32 = 4;
export const OUT_RES: u32 = 5;
export const OUT_FALLBACK: u32 = 6;
export const OUT_IF_TYPES: u32 = 7;
export const OUT_CLOCK: u32 = 8;

export const OUTF_JSON: u32 = 1;
export const OUTF_OPTIONAL: u32 = 2;
export const OUTF_SIGNED: u32 = 4;
export const OUTF_BOOL: u32 = 8;
export const OUTF_STRING: u32 = 16;
export const OUTF_LIST: u32 = 32;

/**
 * Blob layout of the tables OUT_TYPE, OUT_DIR and OUT_RES read, at the blob's start:
 * per event id (OUT_EVENT_IDS of them) the name's offset (u32) and length (u32), then
 * per event id the direction character (u8, 0: none), then per errno 0..OUT_ERRNOS-1
 * the name's offset (u32) and length (u32; 0: printed as the number; errno 0: the text
 * of a result ≥ 0), then per ppm_sc code (OUT_SYSCALLS) its name's offset and length
 * (a generic syscall exit's evt.type).
 */
export const OUT_EVENT_IDS: u32 = 1024;
export const OUT_ERRNOS: u32 = 256;
export const OUT_SYSCALLS: u32 = SYSCALL_CAPACITY;
export const OUT_NAMES_AT: u32 = 0;
export const OUT_DIRS_AT: u32 = OUT_NAMES_AT + OUT_EVENT_IDS * 8;
export const OUT_ERRNO_AT: u32 = OUT_DIRS_AT + OUT_EVENT_IDS;
export const OUT_SYSCALLS_AT: u32 = OUT_ERRNO_AT + OUT_ERRNOS * 8;
export const OUT_TABLES_BYTES: u32 = OUT_SYSCALLS_AT + OUT_SYSCALLS * 8;

/** Output at which scan() stops with STATUS_OUTPUT for the shell to write it (bytes). */
export const OUTPUT_FLUSH_BYTES: u32 = 512 * 1024;

/**
 * The shell's text of fallback field `slot` (ts/output/program.ts) for the event scan() is on,
 * JSON when `json`: written to the fallback area (reserveFallback) and its length returned,
 * or -1 when the value is missing.
 */
@external("env", "formatField")
declare function formatField(slot: u32, json: u32): i32;

/**
 * Local time of epoch second `sec` as the shell prints it (ts/fields/fields.ts clockText, dateText
 * when `withDate`): "HH:MM:SS" or "YYYY-MM-DD HH:MM:SS", written to the fallback area; its
 * length. Asked once per second of event time (CLOCK_CACHE).
 */
@external("env", "clockText")
declare function clockText(sec: u64, withDate: u32): i32;

/** Per form (time, date and time): the second last asked for and its text. */
const CLOCK_TEXT_BYTES: u32 = 64;
const CLOCK_CACHE = memory.data(<i32>(2 * CLOCK_TEXT_BYTES));
const clockSec = memory.data(16);
const clockLen = memory.data(8);
let clockValid: u32 = 0;

let program: usize = 0;
let programCount: u32 = 0;
let blob: usize = 0;
let out: usize = 0;
let outCap: u32 = 0;
let outLen: u32 = 0;
let fallback: usize = 0;
let fallbackCap: u32 = 0;
const ARG = memory.data(8);

/** Whether scan() formats emitted events here (a program is installed). */
export let formatting: bool = false;

/**
 * Makes room for a program of `insns` instructions and a blob of `blobBytes` bytes; returns the
 * program's address (the blob follows at installedBlob()). The shell fills both, then calls
 * installOutput(). A count of 0 turns formatting off (scan() stops on each event).
 */
export function reserveOutputProgram(insns: u32, blobBytes: u32): usize {
  if (program != 0) heap.free(program);
  program = heap.alloc(<usize>insns * OUT_INSN_BYTES + blobBytes + 8);
  blob = (program + <usize>insns * OUT_INSN_BYTES + 7) & ~7;
  programCount = 0;
  formatting = false;
  return program;
}
export function installedBlob(): usize { return blob; }
export function installOutput(insns: u32): void {
  programCount = insns;
  formatting = insns > 0;
  outLen = 0;
}

/** The output buffer and its length: bytes the shell writes out, then resetOutput(). */
export function outputPtr(): usize { return out; }
export function outputLen(): u32 { return outLen; }
export function resetOutput(): void { outLen = 0; }

/** A fallback area of at least `n` bytes for the formatField import to write to. */
export function reserveFallback(n: u32): usize {
  if (n > fallbackCap) {
    let cap: u32 = fallbackCap == 0 ? 4096 : fallbackCap;
    while (cap < n) cap <<= 1;
    fallback = fallback == 0 ? heap.alloc(cap) : heap.realloc(fallback, cap);
    fallbackCap = cap;
  }
  return fallback;
}

/** Room for `n` more output bytes (the buffer grows to fit the longest line; the shell empties it). */
// @ts-ignore: decorator
@inline function room(n: u32): usize {
  if (outLen + n > outCap) grow(outLen + n);
  return out + outLen;
}
function grow(need: u32): void {
  let cap: u32 = outCap == 0 ? OUTPUT_FLUSH_BYTES * 2 : outCap;
  while (cap < need) cap <<= 1;
  out = out == 0 ? heap.alloc(cap) : heap.realloc(out, cap);
  outCap = cap;
}

/** Longest copy done by words here: V8's memory.copy calls out of Wasm, which costs more for keys and numbers. */
const SHORT_COPY_BYTES: u32 = 32;

function putBytes(p: usize, n: u32): void {
  const d = room(n);
  if (n <= SHORT_COPY_BYTES) {
    // Source (the blob, the digits, a record's string) and output never overlap.
    let i: u32 = 0;
    for (; i + 8 <= n; i += 8) store<u64>(d + i, load<u64>(p + i));
    for (; i < n; i++) store<u8>(d + i, load<u8>(p + i));
  } else memory.copy(d, p, n);
  outLen += n;
}
// @ts-ignore: decorator
@inline function putByte(c: u32): void {
  store<u8>(room(1), <u8>c);
  outLen++;
}

const DIGITS = memory.data(24);
function putU64(v: u64): void {
  let i = 24;
  // Above 32 bits, nine digits at a time from one 64-bit division; the rest in 32-bit arithmetic.
  while (v > <u64>U32.MAX_VALUE) {
    const q = v / 1_000_000_000;
    let r = <u32>(v - q * 1_000_000_000);
    for (let k = 0; k < 9; k++) {
      i--;
      store<u8>(DIGITS + i, <u8>(48 + r % 10));
      r /= 10;
    }
    v = q;
  }
  let w = <u32>v;
  do {
    i--;
    store<u8>(DIGITS + i, <u8>(48 + w % 10));
    w /= 10;
  } while (w != 0);
  putBytes(DIGITS + i, 24 - i);
}
function putI64(v: i64): void {
  if (v < 0) {
    putByte(45); // '-'
    putU64(<u64>0 - <u64>v);
  } else putU64(<u64>v);
}

const NA = memory.data<u8>([60, 78, 65, 62]); // "<NA>"
const NULL = memory.data<u8>([110, 117, 108, 108]); // "null"
const TRUE = memory.data<u8>([116, 114, 117, 101]);
const FALSE = memory.data<u8>([102, 97, 108, 115, 101]);
const HEX = memory.data<u8>([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);

/**
 * Length of the valid UTF-8 sequence at `p` (of `n` bytes left) that prints as it is, else 0:
 * ts/fields/escape.ts's rules (no overlong forms or surrogates; C1 controls, bidi controls and
 * U+2028/9 escaped).
 */
function utf8Printable(p: usize, n: u32): u32 {
  const b0 = <u32>load<u8>(p);
  let len: u32;
  let min: u32;
  if (b0 >= 0xc2 && b0 <= 0xdf) { len = 2; min = 0x80; }
  else if (b0 >= 0xe0 && b0 <= 0xef) { len = 3; min = 0x800; }
  else if (b0 >= 0xf0 && b0 <= 0xf4) { len = 4; min = 0x10000; }
  else return 0;
  if (len > n) return 0;
  let cp = b0 & (<u32>0xff >> (len + 1));
  for (let k: u32 = 1; k < len; k++) {
    const b = <u32>load<u8>(p + k);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  if (cp <= 0x9f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029) return 0;
  return len;
}

// Bytes of a u64 tested at once (Hacker's Delight / "bit twiddling hacks" haszero and hasless).
const SWAR_ONES: u64 = 0x0101010101010101;
const SWAR_HIGHS: u64 = 0x8080808080808080;
/** Nonzero when some byte of `w` is 0. */
// @ts-ignore: decorator
@inline function hasZeroByte(w: u64): u64 { return (w - SWAR_ONES) & ~w & SWAR_HIGHS; }
/** Nonzero when some byte of `w` (all below 0x80) is below `n` (at most 0x80). */
// @ts-ignore: decorator
@inline function hasByteBelow(w: u64, n: u64): u64 { return (w - SWAR_ONES * n) & ~w & SWAR_HIGHS; }

/** Most output bytes one input byte escapes to: `\\xNN` inside a JSON string. */
const ESCAPED_BYTES_MAX: u32 = 6;

/**
 * Kernel bytes as ts/fields/escape.ts escapeBytes shows them (`\xNN` for every control, bidi control
 * and invalid byte, `\\` for a backslash); inside a JSON string when `json`, so a backslash
 * doubles again and `"` becomes `\"` (what JSON.stringify makes of the escaped text).
 * Room for the worst case is made once; the bytes are then stored without checks.
 */
function putEscaped(p: usize, n: u32, json: bool): void {
  let o = room(n * ESCAPED_BYTES_MAX);
  const start = o;
  const quote: u64 = json ? SWAR_ONES * 0x22 : SWAR_ONES * 0x5c; // without JSON, '"' is plain text
  let i: u32 = 0;
  while (i < n) {
    // Eight plain bytes (printable ASCII, no backslash, no quote in JSON) are copied at once.
    if (i + 8 <= n) {
      const w = load<u64>(p + i);
      if (((w & SWAR_HIGHS) | hasByteBelow(w, 0x20) | hasZeroByte(w ^ (SWAR_ONES * 0x5c)) | hasZeroByte(w ^ (SWAR_ONES * 0x7f)) | hasZeroByte(w ^ quote)) == 0) {
        store<u64>(o, w);
        o += 8;
        i += 8;
        continue;
      }
    }
    const b = <u32>load<u8>(p + i);
    if (b >= 0x20 && b < 0x7f && b != 0x5c && !(json && b == 0x22)) { store<u8>(o++, <u8>b); i++; continue; }
    if (b >= 0x80) {
      const k = utf8Printable(p + i, n - i);
      if (k > 0) { memory.copy(o, p + i, k); o += k; i += k; continue; }
    }
    if (b == 0x22) { store<u8>(o, 0x5c); store<u8>(o, 0x22, 1); o += 2; }
    else if (b == 0x5c) {
      store<u8>(o++, 0x5c); store<u8>(o++, 0x5c);
      if (json) { store<u8>(o++, 0x5c); store<u8>(o++, 0x5c); }
    } else {
      store<u8>(o++, 0x5c);
      if (json) store<u8>(o++, 0x5c);
      store<u8>(o++, 0x78); // 'x'
      store<u8>(o++, load<u8>(HEX + (b >> 4)));
      store<u8>(o++, load<u8>(HEX + (b & 15)));
    }
    i++;
  }
  outLen += <u32>(o - start);
}

function putMissing(json: bool): void {
  if (json) putBytes(NULL, 4);
  else putBytes(NA, 4);
}

// The event being formatted.
let eventType: u32 = 0;
let frame: usize = 0;

/** Writes the value of instruction `insn` (not OUT_LIT / OUT_IF_TYPES), its prefix first; a missing optional value writes neither. */
function putValue(insn: usize, op: u32, flags: u32): void {
  const json = (flags & OUTF_JSON) != 0;
  const a = load<u32>(insn, 4);
  const prefixLen = load<u32>(insn, 20);
  const mark = outLen;
  if (prefixLen > 0) putBytes(blob + load<u32>(insn, 16), prefixLen);
  let found = true;
  if (op == OUT_FIELD) {
    store<u32>(ARG, load<u32>(insn, 8));
    if ((flags & OUTF_LIST) != 0 && json) {
      // The one list field, fd.types: a JSON array of its items (libsinsp tojson).
      const n = loadFdTypes(load<u32>(ARG));
      found = n >= 0;
      if (found) {
        putByte(0x5b);
        for (let i: u32 = 0; i < <u32>n; i++) {
          if (i > 0) putByte(0x2c);
          fdTypesItem(i);
          putByte(0x22);
          putEscaped(fdStr, fdStrLen, true);
          putByte(0x22);
        }
        putByte(0x5d);
      }
    } else if ((flags & OUTF_STRING) != 0) {
      found = loadString(a, ARG);
      if (found) {
        if (json) putByte(0x22);
        putEscaped(strAt, strBytes, json);
        if (json) putByte(0x22);
      }
    } else {
      found = loadNumber(a, ARG);
      if (found) {
        if ((flags & OUTF_BOOL) != 0) { if (num != 0) putBytes(TRUE, 4); else putBytes(FALSE, 5); }
        else if (numSigned) putI64(<i64>num);
        else putU64(num);
      }
    }
  } else if (op == OUT_TYPE) {
    let at = blob + OUT_NAMES_AT + (<usize>eventType << 3);
    if (isGenericExit(eventType)) {
      // Named by its syscall (ts/fields/fields.ts eventType); a code without a name prints empty.
      const sc = currentSyscall();
      at = sc < OUT_SYSCALLS ? blob + OUT_SYSCALLS_AT + (<usize>sc << 3) : 0;
    }
    if (json) putByte(0x22);
    if (at != 0) putBytes(blob + load<u32>(at), load<u32>(at, 4));
    if (json) putByte(0x22);
  } else if (op == OUT_CLOCK) {
    putClock(a, json);
  } else if (op == OUT_DIR) {
    const d = eventType < OUT_EVENT_IDS ? <u32>load<u8>(blob + OUT_DIRS_AT + eventType) : 0;
    found = d != 0;
    if (found) {
      if (json) putByte(0x22);
      putByte(d);
      if (json) putByte(0x22);
    }
  } else if (op == OUT_RES) {
    found = loadNumber(F_PARAM, blob + a);
    if (found) {
      const res = <i64>num;
      if (json) putByte(0x22);
      if (res >= 0) putSuccess();
      else if (res > -(<i64>OUT_ERRNOS) && load<u32>(blob + OUT_ERRNO_AT + (<usize>(-res) << 3), 4) != 0) {
        const at = blob + OUT_ERRNO_AT + (<usize>(-res) << 3);
        putBytes(blob + load<u32>(at), load<u32>(at, 4));
      } else putI64(res);
      if (json) putByte(0x22);
    }
  } else {
    found = putFallback(a, json);
  }
  if (found) return;
  if ((flags & OUTF_OPTIONAL) != 0) { outLen = mark; return; }
  putMissing(json);
}

/** errno 0 of the table is the text of a result ≥ 0 ("SUCCESS"). */
function putSuccess(): void {
  putBytes(blob + load<u32>(blob + OUT_ERRNO_AT), load<u32>(blob + OUT_ERRNO_AT, 4));
}

/** evt.time (`withDate` 0) or evt.datetime (1): the local second's text, "." and 9 digits of ns. */
function putClock(withDate: u32, json: bool): void {
  const ts = load<u64>(frame, FRAME_TS);
  const sec = ts / 1_000_000_000;
  const bit: u32 = 1 << withDate;
  const cache = CLOCK_CACHE + withDate * CLOCK_TEXT_BYTES;
  if ((clockValid & bit) == 0 || load<u64>(clockSec + (withDate << 3)) != sec) {
    const n = <u32>clockText(sec, withDate);
    memory.copy(cache, fallback, n < CLOCK_TEXT_BYTES ? n : CLOCK_TEXT_BYTES);
    store<u64>(clockSec + (withDate << 3), sec);
    store<u32>(clockLen + (withDate << 2), n < CLOCK_TEXT_BYTES ? n : CLOCK_TEXT_BYTES);
    clockValid |= bit;
  }
  if (json) putByte(0x22);
  putBytes(cache, load<u32>(clockLen + (withDate << 2)));
  putByte(46); // '.'
  let ns = <u32>(ts % 1_000_000_000);
  const o = room(9);
  for (let i = 8; i >= 0; i--) { store<u8>(o + i, <u8>(48 + ns % 10)); ns /= 10; }
  outLen += 9;
  if (json) putByte(0x22);
}

function putFallback(slot: u32, json: bool): bool {
  const n = formatField(slot, json ? 1 : 0);
  if (n < 0) return false;
  putBytes(fallback, <u32>n);
  return true;
}

/**
 * Formats the event at frame `f` (id `type`, on `cpu`, number `evtNum`) into the output
 * buffer, one line ending in "\n"; true when the buffer should now be written out.
 */
export function formatEvent(f: usize, type: u32, cpu: u32, evtNum: u64): bool {
  beginEvent(f, type, cpu, evtNum);
  eventType = type;
  frame = f;
  let i: u32 = 0;
  while (i < programCount) {
    const insn = program + <usize>i * OUT_INSN_BYTES;
    const op = load<u32>(insn);
    const flags = load<u32>(insn, 12);
    i++;
    if (op == OUT_LIT) { putBytes(blob + load<u32>(insn, 4), load<u32>(insn, 8)); continue; }
    if (op == OUT_IF_TYPES) {
      const inSet = type < OUT_EVENT_IDS && (load<u8>(blob + load<u32>(insn, 4) + (type >> 3)) & (<u8>1 << <u8>(type & 7))) != 0;
      if (!inSet) i += load<u32>(insn, 8);
      continue;
    }
    putValue(insn, op, flags);
  }
  putByte(10); // '\n'
  return outLen >= OUTPUT_FLUSH_BYTES;
}

