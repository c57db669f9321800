// Field transformers of Falco 0.40+ (libsinsp sinsp_filter_transformers/*.cpp): tolower,
// toupper, b64, basename on strings, len to a number. A string transformer first drops
// trailing NULs (libsinsp string_transformer). No allocation per frame: each side of a
// check owns one buffer that grows to the longest value seen.

import { XF_TOLOWER, XF_TOUPPER, XF_B64, XF_BASENAME } from "./layout";

/** Initial bytes of a transform buffer. */
const XF_BUFFER_BYTES: u32 = 4096;

/** A growable byte buffer; `ptr`/`len` are the last result written into it. */
@final export class XfBuffer {
  ptr: usize = heap.alloc(XF_BUFFER_BYTES);
  cap: u32 = XF_BUFFER_BYTES;
  len: u32 = 0;

  /** Makes room for `n` bytes (the content is kept). */
  reserve(n: u32): void {
    if (n <= this.cap) return;
    let cap = this.cap;
    while (cap < n) cap <<= 1;
    this.ptr = heap.realloc(this.ptr, cap);
    this.cap = cap;
  }

  /** Copies p[0,n) in. */
  copy(p: usize, n: u32): void {
    this.reserve(n);
    memory.copy(this.ptr, p, n);
    this.len = n;
  }
}

/** `n` without the trailing NULs of p[0,n). */
function trimNuls(p: usize, n: u32): u32 {
  while (n > 0 && load<u8>(p + n - 1) == 0) n--;
  return n;
}

/** libsinsp's Base64 reverse table: 0-63, or 64 for a byte outside the alphabet (base64.h). */
function b64Value(c: u32): u32 {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  if (c == 43) return 62;
  if (c == 47) return 63;
  return 64;
}

/**
 * libsinsp Base64::decodeWithoutPadding of p[0,n) into `out`: up to two '=' at the end,
 * no other byte outside the alphabet, no stray bits in the last character. False when invalid.
 * (libsinsp reads out of bounds for a text of only '='; here it is invalid.)
 */
function decodeB64(p: usize, n: u32, out: XfBuffer): bool {
  if (n == 0) { out.len = 0; return true; }
  if (load<u8>(p + n - 1) == 61) { n--; if (n > 0 && load<u8>(p + n - 1) == 61) n--; }
  if (n == 0 || (n & 3) == 1) return false;
  out.reserve(n); // never moves p's bytes when they are out's: they fit already
  const d = out.ptr;
  let w: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const c = b64Value(<u32>load<u8>(p + i));
    if (c == 64) return false;
    switch (i & 3) {
      case 0: store<u8>(d + w, <u8>(c << 2)); break;
      case 1: store<u8>(d + w, load<u8>(d + w) | <u8>(c >> 4)); w++; if (i < n - 1) store<u8>(d + w, <u8>(c << 4)); else if ((c & 15) != 0) return false; break;
      case 2: store<u8>(d + w, load<u8>(d + w) | <u8>(c >> 2)); w++; if (i < n - 1) store<u8>(d + w, <u8>(c << 6)); else if ((c & 3) != 0) return false; break;
      default: store<u8>(d + w, load<u8>(d + w) | <u8>c); w++;
    }
  }
  out.len = w;
  return true;
}

/**
 * Applies string transformer `code` (XF_*, not XF_LEN) to p[0,n) (a buffer when `bytes`),
 * leaving the result in `out` (p may be out's own bytes). False when the result is missing
 * (b64 of an invalid text).
 */
export function transformString(code: u32, p: usize, n: u32, bytes: bool, out: XfBuffer): bool {
  n = trimNuls(p, n);
  // In place (p == out.ptr) is safe: byte i of the output is written after input byte i is read.
  if (code == XF_B64) return decodeB64(p, n, out);
  if (code == XF_BASENAME) {
    let start = n;
    while (start > 0 && load<u8>(p + start - 1) != 47) start--;
    if (p != out.ptr || start != 0) { out.reserve(n - start); memory.copy(out.ptr, p + start, n - start); }
    out.len = n - start;
    return true;
  }
  // tolower / toupper: C's, ASCII letters only.
  out.reserve(n);
  for (let i: u32 = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    const folded = code == XF_TOLOWER ? (c - 65 < 26 ? c | 32 : c) : code == XF_TOUPPER ? (c - 97 < 26 ? c & ~32 : c) : c;
    store<u8>(out.ptr + i, <u8>folded);
  }
  out.len = n;
  return true;
}

/** len(): bytes up to the first NUL of a string; every byte of a buffer (`bytes`). */
export function valueLength(p: usize, n: u32, bytes: bool): u64 {
  if (bytes) return n;
  for (let i: u32 = 0; i < n; i++) if (load<u8>(p + i) == 0) return i;
  return n;
}
