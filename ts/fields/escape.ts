/**
 * Safe text from kernel bytes. Strings from a capture (paths, args, comm, cwd,
 * cgroups) may hold anything: they are decoded as UTF-8 and every control
 * character (C0, DEL, C1), every bidi override/isolate and line/paragraph
 * separator (U+202A–E, U+2066–9, U+2028/9) and every byte of an invalid UTF-8
 * sequence is shown as `\xNN` per byte, so nothing raw reaches a terminal and
 * nothing is dropped.
 * A backslash is shown as `\\` so the escaped form is unambiguous.
 */

const HEX = '0123456789abcdef';

function hexByte(b: number): string {
  return '\\x' + HEX[b >> 4]! + HEX[b & 15]!;
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when it is invalid. */
function utf8SequenceLength(bytes: Uint8Array, i: number, end: number): number {
  const b0 = bytes[i]!;
  let n: number;
  let min: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) { n = 2; min = 0x80; }
  else if (b0 >= 0xe0 && b0 <= 0xef) { n = 3; min = 0x800; }
  else if (b0 >= 0xf0 && b0 <= 0xf4) { n = 4; min = 0x10000; }
  else return 0;
  if (i + n > end) return 0;
  let cp = b0 & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) {
    const b = bytes[i + k]!;
    if ((b & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  // C1 controls (U+0080..U+009F) are escaped too, and so are the characters that
  // reorder or break a terminal line without showing: bidi embeddings/overrides/
  // isolates (a name like "evil\u202Efdp.exe" would display reversed) and U+2028/9.
  if (cp <= 0x9f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x2028 || cp === 0x2029) return 0;
  return n;
}

const utf8 = new TextDecoder('utf-8');
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[^\x20-\x7e]|\\/;

/**
 * Texts of at least this many bytes are remembered (with a copy of their bytes): a process's
 * args, environment or cwd are the same bytes on every event it makes, and the library's event
 * objects asked for them on each one (busy.scap's proc.cmdline: 80 µs and ~100 KB of garbage per
 * event, 5× the decoding of the whole event). Shorter texts cost less to escape than to look up.
 */
const MEMO_MIN_BYTES = 256;
/** Bytes the remembered texts' copies may hold together; the least recently used go first. */
const MEMO_MAX_BYTES = 4 << 20;

interface Memo {
  /** The bytes escaped (a copy: the caller's view is into memory that changes). */
  bytes: Buffer;
  sepText: string;
  text: string;
}

/** Remembered texts by a key of their length and a few of their bytes, least recently used first; verified by their whole bytes. */
const memo = new Map<string, Memo>();
let memoBytes = 0;

/** The key of `bytes[start, end)` in {@link memo}: its length and three of its u32 words. */
function memoKey(bytes: Uint8Array, start: number, end: number, separator: number): string {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + start, end - start);
  const n = end - start;
  return `${n}:${separator}:${dv.getUint32(0)}:${dv.getUint32((n >> 1) & ~3)}:${dv.getUint32(n - 4)}`;
}

/**
 * Escaped text of `bytes[start, end)`. `separator` (e.g. 0 for NUL-separated
 * args) is shown as `sepText` instead of being escaped. Texts of MEMO_MIN_BYTES
 * or more are remembered: the same bytes again give the same string, compared in
 * full (native memcmp) before it is reused.
 */
export function escapeBytes(bytes: Uint8Array, start = 0, end = bytes.length, separator = -1, sepText = ' '): string {
  if (end - start < MEMO_MIN_BYTES) return escapeRange(bytes, start, end, separator, sepText);
  const key = memoKey(bytes, start, end, separator);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
  const hit = memo.get(key);
  if (hit && hit.sepText === sepText && hit.bytes.equals(view)) {
    memo.delete(key); // the most recently used again
    memo.set(key, hit);
    return hit.text;
  }
  const text = escapeRange(bytes, start, end, separator, sepText);
  if (hit) { memo.delete(key); memoBytes -= hit.bytes.length; }
  if (view.length <= MEMO_MAX_BYTES) {
    memo.set(key, { bytes: Buffer.from(view), sepText, text });
    memoBytes += view.length;
    for (const [k, m] of memo) {
      if (memoBytes <= MEMO_MAX_BYTES) break;
      memo.delete(k);
      memoBytes -= m.bytes.length;
    }
  }
  return text;
}

/** {@link escapeBytes} without the memo. */
function escapeRange(bytes: Uint8Array, start: number, end: number, separator: number, sepText: string): string {
  // Fast path, native speed: printable ASCII only (the common case for paths and args).
  let text = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
  if (separator >= 0) text = text.replaceAll(String.fromCharCode(separator), sepText);
  if (!NEEDS_ESCAPE.test(text)) return text;
  let out = '';
  let run = start; // start of the pending run of printable ASCII / valid UTF-8
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    if (b >= 0x20 && b < 0x7f && b !== 0x5c) { i++; continue; }
    let n = 0;
    if (b >= 0x80) n = utf8SequenceLength(bytes, i, end);
    if (n > 0) { i += n; continue; }
    if (i > run) out += utf8.decode(bytes.subarray(run, i));
    out += b === separator ? sepText : b === 0x5c ? '\\\\' : hexByte(b);
    i++;
    run = i;
  }
  if (i > run) out += utf8.decode(bytes.subarray(run, i));
  return out;
}

/** Escapes a JS string the same way (control characters, bidi controls, line separators, backslash). */
export function escapeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f-\x9f\\\u202a-\u202e\u2066-\u2069\u2028\u2029]/.test(s) ? escapeBytes(new TextEncoder().encode(s)) : s;
}
