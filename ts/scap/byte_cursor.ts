/**
 * A bounds-checked little-endian reader over one block body.
 *
 * One `DataView` over `(buffer, byteOffset, byteLength)` of the bytes it was given; reads past
 * `end` throw a {@link ScapdriftError} that names the absolute stream offset and what was being
 * read, never a bare `RangeError`. Byte slices and strings are `subarray` views / decoded copies;
 * the cursor never copies the underlying buffer.
 */

import { ErrorCode, errorAt, type ErrorCodeValue } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Decodes UTF-8; invalid sequences become U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/**
 * A plain Uint8Array view of bytes. Node hands out Buffers, whose `slice()` is a view rather
 * than a copy; callers get standard Uint8Array semantics instead.
 */
export function plainBytes(chunk: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(chunk) === Uint8Array.prototype
    ? chunk
    : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Where a cursor's bytes sit in the stream, and how its errors describe themselves. */
export interface ByteCursorContext {
  /** Absolute stream offset of `bytes[0]`. */
  baseOffset: number;
  /** Names what is being read, for messages: e.g. "block 0x215 (PL_BLOCK_TYPE_V9)". */
  what: string;
  /** Code of the error thrown on overrun; E_BAD_BLOCK by default. */
  code?: ErrorCodeValue;
}

/** Bounds-checked little-endian cursor; `pos` and `end` index into the bytes it was given. */
export class ByteCursor {
  /** Index of the next byte to read. */
  pos = 0;
  /** Index one past the last readable byte; may be narrowed (e.g. to one list entry) and widened back. */
  end: number;
  /** Absolute stream offset of byte 0 of these bytes. */
  readonly baseOffset: number;
  /** The bytes this cursor reads (a view, not a copy). */
  readonly data: Uint8Array;
  /**
   * Appended to overrun messages to say where inside the block the cursor is, e.g.
   * "in process entry 3 (212 bytes from byte 1234)"; set and clear it as you go.
   */
  scope = '';
  private readonly view: DataView;
  private readonly what: string;
  private readonly code: ErrorCodeValue;

  /** Reads `bytes` from index 0 to `bytes.length`; `context` places them in the stream. */
  constructor(bytes: Uint8Array, context: ByteCursorContext) {
    this.data = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.byteLength;
    this.baseOffset = context.baseOffset;
    this.what = context.what;
    this.code = context.code ?? ErrorCode.BAD_BLOCK;
  }

  /** Bytes left before `end`. */
  remaining(): number {
    return this.end - this.pos;
  }

  /** Absolute stream offset of index `pos` (default: the current position). */
  absolute(pos: number = this.pos): number {
    return this.baseOffset + pos;
  }

  /** Throws unless `n` more bytes are readable; `label` names the field for the message. */
  need(n: number, label: string): void {
    if (n < 0 || this.end - this.pos < n) {
      throw errorAt(
        this.code,
        `bad ${this.what}`,
        this.absolute(),
        `expected ${n} bytes for ${label} but only ${Math.max(0, this.end - this.pos)} remain` +
          (this.scope === '' ? '' : ` ${this.scope}`),
      );
    }
  }

  /** Throws the cursor's error at the current position with a custom detail. */
  fail(detail: string, pos: number = this.pos): never {
    const where = this.scope === '' ? '' : ` ${this.scope}`;
    throw errorAt(this.code, `bad ${this.what}`, this.absolute(pos), detail + where);
  }

  /** Reads a u8. */
  u8(label = 'u8'): number {
    this.need(1, label);
    return this.view.getUint8(this.pos++);
  }

  /** Reads a little-endian u16. */
  u16(label = 'u16'): number {
    this.need(2, label);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  /** Reads a little-endian u32. */
  u32(label = 'u32'): number {
    this.need(4, label);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Reads a little-endian u64 as an unsigned bigint. */
  u64(label = 'u64'): bigint {
    this.need(8, label);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Reads a little-endian i64 as a signed bigint. */
  i64(label = 'i64'): bigint {
    this.need(8, label);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Returns a view of the next `n` bytes and advances past them. */
  bytes(n: number, label = 'bytes'): Uint8Array {
    this.need(n, label);
    const v = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Advances `n` bytes. */
  skip(n: number, label = 'skipped bytes'): void {
    this.need(n, label);
    this.pos += n;
  }

  /**
   * Reads a u16 length then that many bytes, and returns them as a view. `maxLen`, when given,
   * rejects longer strings the way libs does ("invalid commlen 5000").
   */
  lenBytes(label = 'string', maxLen?: number): Uint8Array {
    // The labels of the errors are made only for an error: this runs for every string of a
    // process, user or fd list (bench/RESULTS.md, start-up).
    const at = this.pos;
    if (this.end - at < 2) this.need(2, `length of ${label}`);
    const n = this.view.getUint16(at, true);
    this.pos = at + 2;
    if (maxLen !== undefined && n > maxLen) {
      this.fail(`${label} length ${n} exceeds the maximum of ${maxLen}`, at);
    }
    if (this.end - this.pos < n) this.need(n, `${label} (${n} bytes)`);
    const v = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Reads a u16-length-prefixed string (UTF-8; not NUL-terminated on file). */
  lenString(label = 'string', maxLen?: number): string {
    return decodeUtf8(this.lenBytes(label, maxLen));
  }
}
