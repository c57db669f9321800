/**
 * Walks the blocks of a scap stream: for non-hot paths (metadata, tools) and tests. The hot path
 * scans blocks in Wasm; this walker defines the same framing checks in plain TypeScript.
 *
 * ```
 * +------------+--------------------+------------------------------+--------------------+
 * | type (u32) | total length (u32) | body (total - 12 bytes)      | total length (u32) |
 * +------------+--------------------+------------------------------+--------------------+
 * ^ offset                                                          must equal the header's
 * ```
 */

import { ErrorCode, errorAt } from '../errors.js';
import {
  BLOCK_HEADER_BYTES,
  BLOCK_TRAILER_BYTES,
  MIN_BLOCK_BYTES,
  SHB_BLOCK_TYPE,
  describeBlock,
  hexId,
} from './block_types.js';
import { plainBytes } from './byte_cursor.js';
import { checkByteOrderMagic } from './section_header.js';

/** Largest block total length accepted, bytes; larger ones are corrupt, never allocated. */
export const MAX_BLOCK_BYTES = 256 * 1024 * 1024;

/** Bytes read before trusting the first block: header plus the section header's magic. */
const FIRST_PEEK_BYTES = BLOCK_HEADER_BYTES + 4;

/** One block of the stream. */
export interface ScapBlock {
  /** Block type id (see block_types.ts). */
  type: number;
  /** Absolute offset of the block start (its type field) in the decompressed stream. */
  offset: number;
  /**
   * The body: between the 8-byte header and the 4-byte trailing length, padding included. A view
   * into a source chunk (or into a buffer of its own when the block spans chunks); never reused.
   */
  body: Uint8Array;
}

/** Pulls bytes from an async chunk iterator, across chunk boundaries. */
class ChunkReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private done = false;
  private readonly it: AsyncIterator<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Makes sure the current chunk has a byte left; false at the end of the input. */
  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.byteLength) {
      if (this.done) return false;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return false;
      }
      this.chunk = plainBytes(r.value);
      this.pos = 0;
    }
    return true;
  }

  /** A view of the next `n` bytes if the current chunk holds them all (advancing), else undefined. */
  view(n: number): Uint8Array | undefined {
    if (this.chunk.byteLength - this.pos < n) return undefined;
    const v = this.chunk.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Copies up to `n` bytes into `dst` at `at`; returns how many there were before the end. */
  async readInto(dst: Uint8Array, at: number, n: number): Promise<number> {
    let got = 0;
    while (got < n && (await this.fill())) {
      const take = Math.min(n - got, this.chunk.byteLength - this.pos);
      dst.set(this.chunk.subarray(this.pos, this.pos + take), at + got);
      this.pos += take;
      got += take;
    }
    return got;
  }

  /** Stops the source (lets it release its file). */
  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.it.return?.();
  }
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function checkLength(type: number, length: number, offset: number): void {
  if (length < MIN_BLOCK_BYTES) {
    throw errorAt(
      ErrorCode.BAD_BLOCK_LENGTH,
      'bad block length',
      offset,
      `${describeBlock(type)} has total length ${length}, less than the ${MIN_BLOCK_BYTES}-byte minimum`,
    );
  }
  if (length > MAX_BLOCK_BYTES) {
    throw errorAt(
      ErrorCode.BAD_BLOCK_LENGTH,
      'bad block length',
      offset,
      `${describeBlock(type)} has total length ${length}, more than the ${MAX_BLOCK_BYTES}-byte limit`,
    );
  }
}

function truncated(offset: number, missing: number, of: string, endsAt: number): never {
  throw errorAt(
    ErrorCode.TRUNCATED,
    'truncated capture',
    offset,
    `expected ${missing} more bytes of ${of}; the input ends at byte ${endsAt}`,
  );
}

/** SHB_BLOCK_TYPE as its 4 bytes appear on disk. */
const SHB_TYPE_BYTES = [0x0a, 0x0d, 0x0d, 0x0a];

/**
 * Yields every block of a decompressed scap stream in order, checking the framing: the first
 * block must be a little-endian section header (E_EMPTY for no bytes at all, E_NOT_SCAP,
 * E_BIG_ENDIAN, E_BAD_MAGIC), every total length must be 12..256 MiB (E_BAD_BLOCK_LENGTH, before
 * allocating anything) and match its trailing copy (E_BAD_BLOCK_LENGTH). A stream that ends inside
 * a block throws E_TRUNCATED naming that block's offset, after every complete block was yielded.
 * Stopping early (`break`) closes the source.
 */
export async function* walkBlocks(
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<ScapBlock, void, undefined> {
  const r = new ChunkReader(source);
  const head = new Uint8Array(FIRST_PEEK_BYTES);
  try {
    // First block: the section header. Its magic decides the byte order, so look at it before
    // trusting the length (a big-endian file's length reads byte-swapped).
    const n = await r.readInto(head, 0, FIRST_PEEK_BYTES);
    if (n === 0) {
      throw errorAt(ErrorCode.EMPTY, 'empty capture', 0, 'the input holds no bytes');
    }
    for (let i = 0; i < Math.min(n, SHB_TYPE_BYTES.length); i++) {
      if (head[i] !== SHB_TYPE_BYTES[i]) {
        const seen = n >= 4 ? `block type ${hexId(u32le(head, 0))}` : `${n} bytes`;
        throw errorAt(
          ErrorCode.NOT_SCAP,
          'not a scap capture',
          0,
          `it starts with ${seen}, not a section header block (${hexId(SHB_BLOCK_TYPE)})`,
        );
      }
    }
    if (n < FIRST_PEEK_BYTES) truncated(0, FIRST_PEEK_BYTES - n, describeBlock(SHB_BLOCK_TYPE), n);
    checkByteOrderMagic(u32le(head, BLOCK_HEADER_BYTES), BLOCK_HEADER_BYTES);
    const firstLength = u32le(head, 4);
    checkLength(SHB_BLOCK_TYPE, firstLength, 0);
    const first = new Uint8Array(firstLength - BLOCK_HEADER_BYTES);
    first.set(head.subarray(BLOCK_HEADER_BYTES, FIRST_PEEK_BYTES));
    const already = FIRST_PEEK_BYTES - BLOCK_HEADER_BYTES;
    const got = already + (await r.readInto(first, already, first.byteLength - already));
    yield finish(SHB_BLOCK_TYPE, firstLength, 0, first, got);

    let offset = firstLength;
    for (;;) {
      let hdr = r.view(BLOCK_HEADER_BYTES);
      if (hdr === undefined) {
        const h = await r.readInto(head, 0, BLOCK_HEADER_BYTES);
        if (h === 0) return;
        if (h < BLOCK_HEADER_BYTES) {
          truncated(offset, BLOCK_HEADER_BYTES - h, 'a block header', offset + h);
        }
        hdr = head;
      }
      const type = u32le(hdr, 0);
      const length = u32le(hdr, 4);
      checkLength(type, length, offset);
      const restBytes = length - BLOCK_HEADER_BYTES;
      let rest = r.view(restBytes);
      let have = restBytes;
      if (rest === undefined) {
        rest = new Uint8Array(restBytes);
        have = await r.readInto(rest, 0, restBytes);
      }
      yield finish(type, length, offset, rest, have);
      offset += length;
    }
  } finally {
    await r.close();
  }
}

/**
 * Checks a block whose bytes after the header are `rest` (`have` of them present) and returns it.
 */
function finish(type: number, length: number, offset: number, rest: Uint8Array, have: number): ScapBlock {
  if (have < rest.byteLength) {
    truncated(offset, rest.byteLength - have, describeBlock(type), offset + BLOCK_HEADER_BYTES + have);
  }
  const bodyBytes = rest.byteLength - BLOCK_TRAILER_BYTES;
  const trailer = u32le(rest, bodyBytes);
  if (trailer !== length) {
    throw errorAt(
      ErrorCode.BAD_BLOCK_LENGTH,
      'bad block length',
      offset,
      `${describeBlock(type)} says ${length} bytes in its header but ${trailer} in its trailer`,
    );
  }
  return { type, offset, body: rest.subarray(0, bodyBytes) };
}
