/**
 * Streaming input: a capture file or a readable stream, gunzipped on the fly when it starts with
 * the gzip magic (1f 8b) — whatever its name says. Memory stays bounded by a few chunks: the file
 * is never read whole.
 *
 * The file is opened once, here, and every reader reads through this source: {@link
 * ByteSource.readInto} (the decoder and the splitter, straight into their Wasm memory for a plain
 * file), or the chunks of its async iterator (the block walker, the library). A regular file is
 * read with positional reads on its descriptor — synchronous: one read of page cache costs less
 * than a round trip to the thread pool — a FIFO, a device or a stream as a stream.
 */

import { closeSync, createReadStream, fstatSync, openSync, readSync, statSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { ErrorCode, ScapdriftError, isScapdriftError } from '../errors.js';
import { plainBytes } from './byte_cursor.js';

/** Default size of the chunks read from the input, bytes. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;
/** Smallest accepted `chunkBytes`. */
const MIN_CHUNK_BYTES = 64;
/** Largest accepted `chunkBytes`. */
const MAX_CHUNK_BYTES = 256 << 20;
/** Largest gunzip output chunk, bytes. */
const GZIP_OUTPUT_CHUNK_BYTES = 64 * 1024;
/**
 * Compressed bytes handed to zlib at a time. The output of a piece is queued whole (at most two
 * pieces' worth: one delivered while the next inflates), so this bounds that queue: typically
 * ~0.5 MiB, at most 66 MiB per piece for a stream built to expand 1032×, deflate's limit. Smaller
 * pieces cost more per byte (each is a round trip to zlib's thread).
 */
const GZIP_INPUT_PIECE_BYTES = 64 * 1024;
/** First two bytes of every gzip member. */
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
const GZIP_MAGIC_BYTES = 2;
/** RFC 1952: ID1 ID2 CM FLG MTIME(4) XFL OS. */
const GZIP_FIXED_HEADER_BYTES = 10;
/** RFC 1952: CRC32 and ISIZE, little endian. */
const GZIP_TRAILER_BYTES = 8;
/** RFC 1952 §2.3.1: ISIZE, the last 4 bytes of a member: its decompressed size mod 2^32. */
const GZIP_ISIZE_BYTES = 4;
/** CM of deflate, the only method defined. */
const GZIP_CM_DEFLATE = 8;
/** FLG bits. */
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FLG_RESERVED = 0xe0;

/** Options of {@link openByteSource}. */
export interface ByteSourceOptions {
  /**
   * Size of the chunks read from the input, bytes (default 1 MiB, 64 B to 256 MiB). Gunzipped
   * output comes in chunks of at most min(chunkBytes, 64 KiB).
   */
  chunkBytes?: number;
}

/**
 * Decompressed capture bytes, in order, read once: either through {@link readInto} (any number
 * of calls) or through the async iterator (once), not both.
 */
export interface ByteSource {
  /** True when the input is gzip (detected by its first two bytes). */
  readonly compressed: boolean;
  /** Size on disk in bytes for a regular file; undefined for a stream, a pipe, a FIFO or a device. */
  readonly totalBytes: number | undefined;
  /**
   * Decompressed bytes as known before reading: a plain regular file's size; a gzip regular
   * file's ISIZE trailer (the last member's size mod 2^32, RFC 1952 §2.3.1) or its size on disk,
   * whichever is larger; undefined for a stream or a pipe. A heuristic (the default worker count):
   * the read itself reports a bad file.
   */
  readonly expectedBytes: number | undefined;
  /**
   * The path of a regular file (read through this source's one descriptor); undefined for a
   * stream and for any other file (a FIFO, `/dev/stdin` on a pipe, `<(…)`, a device).
   */
  readonly path: string | undefined;
  /** Raw (possibly compressed) bytes read from the input so far, for a progress bar. */
  bytesConsumed(): number;
  /**
   * Reads the next decompressed bytes into `target` (a plain file straight from the descriptor,
   * with no buffer in between): resolves how many were written from `target[0]`, at least 1 and
   * at most `target.length`; 0 at the end. Errors as the iterator's.
   */
  readInto(target: Uint8Array): Promise<number>;
  /**
   * The decompressed bytes, in order. Each chunk is a plain Uint8Array (not a Buffer) view that
   * later chunks never overwrite. Throws E_IO on a read error, E_CORRUPT_GZIP / E_TRUNCATED on a
   * bad gzip layer, naming the compressed byte offset — after yielding every byte zlib inflated
   * before the fault, except, when the compressed data itself is corrupt, what zlib inflated in
   * the call that failed (at most one 64 KiB output chunk). An empty input yields nothing.
   */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array>;
  /** Stops reading and releases the file or stream; safe to call more than once. */
  close(): Promise<void>;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set(['chunkBytes']);

function validateOptions(opts: unknown): number {
  if (opts === undefined) return DEFAULT_CHUNK_BYTES;
  if (typeof opts !== 'object' || opts === null) {
    throw new ScapdriftError(ErrorCode.OPTION, 'options must be an object');
  }
  for (const key of Object.keys(opts)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new ScapdriftError(ErrorCode.OPTION, `unknown option "${key}" (known: chunkBytes)`);
    }
  }
  const { chunkBytes } = opts as ByteSourceOptions;
  if (chunkBytes === undefined) return DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) {
    throw new ScapdriftError(
      ErrorCode.OPTION,
      `options.chunkBytes must be an integer from ${MIN_CHUNK_BYTES} to ${MAX_CHUNK_BYTES}`,
    );
  }
  return chunkBytes;
}

/** E_IO for a failed open/read of `inputName`, with the usual reasons spelled out; keeps ScapdriftErrors as they are. */
export function ioError(e: unknown, inputName: string, action: string): ScapdriftError {
  if (isScapdriftError(e)) return e;
  const err = e as NodeJS.ErrnoException;
  let why = err?.message ?? String(e);
  if (err?.code === 'ENOENT') why = 'no such file';
  else if (err?.code === 'EACCES') why = 'permission denied';
  else if (err?.code === 'EISDIR') why = 'is a directory';
  return new ScapdriftError(ErrorCode.IO, `cannot ${action} ${inputName}: ${why}`, { cause: e });
}

function asBytes(chunk: unknown, inputName: string): Uint8Array {
  if (chunk instanceof Uint8Array) return plainBytes(chunk);
  throw new ScapdriftError(
    ErrorCode.IO,
    `cannot read ${inputName}: the stream yielded ${typeof chunk} chunks, expected bytes ` +
      '(was setEncoding called?)',
  );
}

/**
 * A readable byte stream as the sources take it: any async iterable of byte chunks — a Node
 * `Readable` without an encoding (its chunks are Buffers), e.g. `process.stdin`. Typed without
 * Node's own types, so the public API needs no `@types/node`.
 */
export type ByteStream = AsyncIterable<Uint8Array | string>;

/** A regular file open for positional reads: its descriptor, size at open, and the offset of the next read. */
interface OpenFile {
  fd: number;
  size: number;
  position: number;
}

/**
 * Opens a capture for streaming: `input` is a file path or a readable byte stream (e.g. the live
 * loader's stdout), which the source then owns and destroys on close. A path is opened once;
 * the first two bytes tell gzip. Throws E_IO when the file cannot be opened or read, E_OPTION
 * for a bad option.
 */
export async function openByteSource(
  input: string | ByteStream,
  opts?: ByteSourceOptions,
): Promise<ByteSource> {
  const chunkBytes = validateOptions(opts);
  let source: StreamByteSource;
  if (typeof input === 'string') {
    let regular = false;
    try {
      const st = statSync(input);
      if (st.isDirectory()) throw new ScapdriftError(ErrorCode.IO, `cannot open ${input}: is a directory`);
      regular = st.isFile();
    } catch (e) {
      throw ioError(e, input, 'open');
    }
    if (regular) {
      let fd: number;
      try {
        fd = openSync(input, 'r');
      } catch (e) {
        throw ioError(e, input, 'open');
      }
      let size: number;
      try {
        size = fstatSync(fd).size;
      } catch (e) {
        closeSync(fd);
        throw ioError(e, input, 'read');
      }
      source = new StreamByteSource(undefined, { fd, position: 0, size }, input, chunkBytes, input);
    } else {
      // A FIFO, a device, /dev/stdin on a pipe: read once, as a stream.
      source = new StreamByteSource(createReadStream(input, { highWaterMark: chunkBytes }), undefined, input, chunkBytes, undefined);
    }
  } else {
    source = new StreamByteSource(input, undefined, 'input stream', chunkBytes, undefined);
  }
  try {
    await source.peek();
  } catch (e) {
    await source.close();
    throw e;
  }
  return source;
}

class StreamByteSource implements ByteSource {
  compressed = false;
  readonly totalBytes: number | undefined;
  expectedBytes: number | undefined;
  private consumed = 0;
  private readonly rawIter: AsyncIterator<unknown> | undefined;
  private readonly prefix: Uint8Array[] = [];
  private rawDone = false;
  /** How the bytes are being read: not yet, by the async iterator, or by readInto. */
  private reading: 'no' | 'iterator' | 'readInto' = 'no';
  private closed = false;
  private gunzip: GzipMembers | undefined;
  /** Decompressed chunks for {@link readInto} (gzip, a stream), and the rest of the last one. */
  private chunks: AsyncIterator<Uint8Array> | undefined;
  private pending: Uint8Array | undefined;

  constructor(
    private readonly raw: AsyncIterable<unknown> | undefined,
    private readonly file: OpenFile | undefined,
    private readonly inputName: string,
    private readonly chunkBytes: number,
    readonly path: string | undefined,
  ) {
    this.rawIter = raw?.[Symbol.asyncIterator]();
    this.totalBytes = file?.size;
    this.expectedBytes = this.totalBytes;
  }

  bytesConsumed(): number {
    return this.consumed;
  }

  /**
   * Sets `compressed` from the first two bytes (of a file read in place, without consuming them;
   * of a stream pulled into the prefix), and `expectedBytes` of a gzip file from its ISIZE.
   */
  async peek(): Promise<void> {
    if (this.file) {
      const head = new Uint8Array(GZIP_MAGIC_BYTES);
      this.compressed = this.pread(head, 0) === GZIP_MAGIC_BYTES && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1;
      const size = this.totalBytes!;
      if (this.compressed && size >= GZIP_ISIZE_BYTES) {
        const tail = new Uint8Array(GZIP_ISIZE_BYTES);
        if (this.pread(tail, size - GZIP_ISIZE_BYTES) === GZIP_ISIZE_BYTES) {
          this.expectedBytes = Math.max(size, new DataView(tail.buffer).getUint32(0, true));
        }
      }
      return;
    }
    let have = 0;
    while (have < GZIP_MAGIC_BYTES) {
      const chunk = await this.nextRaw();
      if (chunk === undefined) break;
      this.prefix.push(chunk);
      have += chunk.byteLength;
    }
    if (have >= GZIP_MAGIC_BYTES) {
      const first = this.prefix[0]!;
      const b0 = first[0];
      const b1 = first.byteLength > 1 ? first[1] : this.prefix[1]![0];
      this.compressed = b0 === GZIP_MAGIC_0 && b1 === GZIP_MAGIC_1;
    }
  }

  /** Reads into `target` at file offset `position` (not moving the file's own position); bytes read. */
  private pread(target: Uint8Array, position: number): number {
    try {
      return readSync(this.file!.fd, target, 0, target.byteLength, position);
    } catch (e) {
      throw ioError(e, this.inputName, 'read');
    }
  }

  /** The next bytes of the file into `target`, counted in bytesConsumed; 0 at the end. */
  private readFile(target: Uint8Array): number {
    const file = this.file!;
    if (this.rawDone) return 0;
    const n = this.pread(target, file.position);
    if (n === 0) this.rawDone = true;
    file.position += n;
    this.consumed += n;
    return n;
  }

  /** Next non-empty raw chunk, counted in bytesConsumed; undefined at the end. */
  private async nextRaw(): Promise<Uint8Array | undefined> {
    if (this.file) {
      const left = this.file.size - this.file.position;
      const chunk = new Uint8Array(left > 0 ? Math.min(this.chunkBytes, left) : this.chunkBytes);
      const n = this.readFile(chunk);
      return n === 0 ? undefined : chunk.subarray(0, n);
    }
    while (!this.rawDone) {
      let r: IteratorResult<unknown>;
      try {
        r = await this.rawIter!.next();
      } catch (e) {
        throw ioError(e, this.inputName, 'read');
      }
      if (r.done) {
        this.rawDone = true;
        break;
      }
      const chunk = asBytes(r.value, this.inputName);
      if (chunk.byteLength === 0) continue;
      this.consumed += chunk.byteLength;
      return chunk;
    }
    return undefined;
  }

  /** The peeked chunks, then the rest of the raw input. */
  private async *rawChunks(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const chunk = await this.nextChunk();
      if (chunk === undefined) return;
      yield chunk;
    }
  }

  /** Marks the source as read `how`; throws when it is read already (another way, or iterated once). */
  private startReading(how: 'iterator' | 'readInto'): void {
    if (this.reading === 'readInto' && how === 'readInto') return;
    if (this.reading !== 'no') {
      throw new ScapdriftError(ErrorCode.IO, `${this.inputName} can only be read once`);
    }
    this.reading = how;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.startReading('iterator');
    return this.compressed ? this.gunzipped() : this.plain();
  }

  async readInto(target: Uint8Array): Promise<number> {
    this.startReading('readInto');
    if (target.byteLength === 0) return 0;
    if (this.file && !this.compressed) return this.readFile(target);
    this.chunks ??= this.compressed ? this.gunzipped() : this.plain();
    while (this.pending === undefined || this.pending.byteLength === 0) {
      const next = await this.chunks.next();
      if (next.done) return 0;
      this.pending = next.value;
    }
    const n = Math.min(target.byteLength, this.pending.byteLength);
    target.set(this.pending.subarray(0, n));
    this.pending = this.pending.subarray(n);
    return n;
  }

  private async *plain(): AsyncGenerator<Uint8Array> {
    try {
      yield* this.rawChunks();
    } finally {
      await this.close();
    }
  }

  private async *gunzipped(): AsyncGenerator<Uint8Array> {
    const gunzip = new GzipMembers(this.inputName, Math.min(this.chunkBytes, GZIP_OUTPUT_CHUNK_BYTES));
    this.gunzip = gunzip;
    try {
      for (;;) {
        let chunk: Uint8Array | undefined;
        try {
          chunk = await this.nextChunk();
        } catch (e) {
          // Everything inflated from the bytes before the read error was delivered already.
          throw ioError(e, this.inputName, 'read');
        }
        if (chunk === undefined) break;
        for (let at = 0; at < chunk.byteLength; at += GZIP_INPUT_PIECE_BYTES) {
          yield* gunzip.write(chunk.subarray(at, at + GZIP_INPUT_PIECE_BYTES));
        }
      }
      yield* gunzip.finish();
    } finally {
      await this.close();
    }
  }

  /** The next peeked chunk, else the next raw one; undefined at the end. */
  private async nextChunk(): Promise<Uint8Array | undefined> {
    return this.prefix.length > 0 ? this.prefix.shift() : this.nextRaw();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rawDone = true;
    this.gunzip?.destroy();
    if (this.file) {
      closeSync(this.file.fd);
      return;
    }
    // Destroying the raw stream ends its async iterator too; a file descriptor is released here.
    const stream = this.raw as AsyncIterable<unknown> & { destroy?: () => void };
    if (typeof stream.destroy === 'function') stream.destroy();
  }
}

/** Where {@link GzipMembers} is in the gzip stream. */
type GzipPart =
  | 'fixed' // the 10-byte fixed header
  | 'xlen' // FEXTRA's length
  | 'extra' // FEXTRA's bytes
  | 'name' // FNAME, up to its NUL
  | 'comment' // FCOMMENT, up to its NUL
  | 'hcrc' // FHCRC's 2 bytes
  | 'deflate' // the compressed data, through zlib's raw inflate
  | 'trailer' // CRC32 and ISIZE
  | 'between' // after a member: another member, zero padding, or the end
  | 'padding'; // zeros after the last member

/**
 * gzip (RFC 1952) members one after another: the container is read here, the deflate data is
 * inflated by zlib's raw inflate. Not by zlib's gunzip, because Node drops the output of the zlib
 * call that fails: with gunzip a bad CRC, a bad length or trailing garbage cost the member's last
 * output chunk (up to 64 KiB of sound data), and a truncated stream what Node had buffered.
 * Here the deflate data ends before its trailer is checked, and truncation is found by running
 * out of input, so every byte zlib inflated is delivered before those faults are reported. A
 * fault inside the deflate data itself still loses what zlib inflated in the call that failed
 * (at most one output chunk, bytes that precede corrupt compressed data and are suspect anyway).
 * After a member come another member or zero padding, as zlib's gunzip accepts; anything else
 * is trailing garbage. The optional header CRC (FHCRC) is skipped, not checked: it guards no
 * byte that is decoded.
 */
class GzipMembers {
  private part: GzipPart = 'fixed';
  /** Compressed bytes taken so far = offset of the next one. */
  private offset = 0;
  /** Decompressed bytes taken from zlib (all delivered before any error is thrown). */
  private decoded = 0;
  private memberStart = 0;
  /** Header flags not yet read (FEXTRA, FNAME, FCOMMENT, FHCRC). */
  private pendingFlags = 0;
  /** Bytes of a fixed-size field (header, XLEN, trailer) gathered so far. */
  private readonly field = new Uint8Array(GZIP_FIXED_HEADER_BYTES);
  private have = 0;
  private extraLeft = 0;
  private inflater: zlib.InflateRaw | undefined;
  private deflateStart = 0;
  private crc = 0;
  /** The member's decompressed length mod 2^32 (ISIZE). */
  private size = 0;
  private readonly out: Uint8Array[] = [];
  private error: Error | undefined;
  private settle: (() => void) | undefined;

  /** `chunkSize`: largest output chunk, bytes (≥ 64). */
  constructor(
    private readonly inputName: string,
    private readonly chunkSize: number,
  ) {}

  /**
   * Takes the next compressed bytes (`input` may split the stream anywhere; at most
   * {@link GZIP_INPUT_PIECE_BYTES}, which bounds the queued output) and yields the decompressed
   * chunks of the earlier ones: the output of the last piece is yielded by the next call or by
   * {@link finish}. Throws E_CORRUPT_GZIP after yielding every chunk inflated before the fault.
   */
  async *write(input: Uint8Array): AsyncGenerator<Uint8Array> {
    let i = 0;
    while (i < input.byteLength) {
      if (this.part === 'deflate') {
        const inflating = this.inflate(input.subarray(i));
        // zlib works on the thread pool meanwhile: the consumer takes the earlier output.
        yield* this.queued();
        i += await inflating;
        if (this.error !== undefined) {
          yield* this.queued();
          throw this.dataError(this.error);
        }
      } else {
        yield* this.queued(); // a trailer fault is reported after the member's data
        i = this.container(input, i);
      }
    }
  }

  /**
   * The input ended: the chunks still queued, then E_TRUNCATED unless the input ended after a
   * complete member.
   */
  *finish(): Generator<Uint8Array> {
    yield* this.queued();
    if (this.part === 'between' || this.part === 'padding') return;
    const where =
      this.part === 'deflate' ? 'compressed data' : this.part === 'trailer' ? 'trailer' : 'header';
    throw new ScapdriftError(
      ErrorCode.TRUNCATED,
      `truncated gzip stream in ${this.inputName} at compressed byte ${this.offset} ` +
        `(after ${this.decoded} decompressed bytes): the input ends in the ${where} of the member ` +
        `at compressed byte ${this.memberStart}`,
      { offset: this.decoded },
    );
  }

  /** Frees zlib's state; safe to call more than once. */
  destroy(): void {
    this.inflater?.destroy();
    this.inflater = undefined;
  }

  /** The output chunks taken from zlib and not yet delivered, in order. */
  private *queued(): Generator<Uint8Array> {
    while (this.out.length > 0) yield this.out.shift()!;
  }

  /** Reads container bytes from `input[i..]` until the deflate data starts or the input ends. */
  private container(input: Uint8Array, i: number): number {
    while (i < input.byteLength && this.part !== 'deflate') {
      const b = input[i++]!;
      const at = this.offset++;
      switch (this.part) {
        case 'fixed':
          this.field[this.have++] = b;
          if (this.have === GZIP_FIXED_HEADER_BYTES) this.fixedHeader();
          break;
        case 'xlen':
          this.field[this.have++] = b;
          if (this.have === 2) {
            this.extraLeft = this.field[0]! | (this.field[1]! << 8);
            if (this.extraLeft === 0) this.nextHeaderPart();
            else this.part = 'extra';
          }
          break;
        case 'extra':
          if (--this.extraLeft === 0) this.nextHeaderPart();
          break;
        case 'name':
        case 'comment':
          if (b === 0) this.nextHeaderPart();
          break;
        case 'hcrc':
          if (++this.have === 2) this.nextHeaderPart();
          break;
        case 'trailer':
          this.field[this.have++] = b;
          if (this.have === GZIP_TRAILER_BYTES) this.trailer(at + 1 - GZIP_TRAILER_BYTES);
          break;
        case 'between':
          if (b === GZIP_MAGIC_0) {
            this.memberStart = at;
            this.part = 'fixed';
            this.field[0] = b;
            this.have = 1;
          } else if (b === 0) {
            this.part = 'padding';
          } else {
            throw this.fault(at, `trailing garbage after the member at compressed byte ${this.memberStart} (byte 0x${b.toString(16)})`);
          }
          break;
        case 'padding':
          if (b !== 0) throw this.fault(at, `trailing garbage after the zero padding (byte 0x${b.toString(16)})`);
          break;
      }
    }
    return i;
  }

  /** Checks the 10 fixed header bytes in `field` and moves on to the optional fields. */
  private fixedHeader(): void {
    const f = this.field;
    if (f[0] !== GZIP_MAGIC_0 || f[1] !== GZIP_MAGIC_1) {
      throw this.fault(this.memberStart, `trailing garbage: bytes 0x${f[0]!.toString(16)} 0x${f[1]!.toString(16)} are not a gzip member`);
    }
    if (f[2] !== GZIP_CM_DEFLATE) throw this.fault(this.memberStart + 2, `unknown compression method ${f[2]}`);
    if ((f[3]! & FLG_RESERVED) !== 0) throw this.fault(this.memberStart + 3, `unknown header flags set (0x${f[3]!.toString(16)})`);
    this.pendingFlags = f[3]! & (FEXTRA | FNAME | FCOMMENT | FHCRC);
    this.nextHeaderPart();
  }

  /** The next optional header field the flags announce, in RFC 1952 order, else the deflate data. */
  private nextHeaderPart(): void {
    this.have = 0;
    for (const [flag, part] of [[FEXTRA, 'xlen'], [FNAME, 'name'], [FCOMMENT, 'comment'], [FHCRC, 'hcrc']] as const) {
      if ((this.pendingFlags & flag) !== 0) {
        this.pendingFlags &= ~flag;
        this.part = part;
        return;
      }
    }
    this.part = 'deflate';
    this.deflateStart = this.offset;
    this.crc = 0;
    this.size = 0;
    const inflater = zlib.createInflateRaw({ chunkSize: this.chunkSize });
    // Flowing mode: each output chunk is taken as zlib produces it, so none waits in the stream's
    // buffer, which Node discards when zlib reports an error.
    inflater.on('data', (chunk: Buffer) => {
      const bytes = plainBytes(chunk);
      this.crc = crc32(bytes, this.crc);
      this.size = (this.size + bytes.byteLength) >>> 0;
      this.decoded += bytes.byteLength;
      this.out.push(bytes);
    });
    inflater.on('error', (e: Error) => {
      this.error = e;
      this.settle?.();
    });
    this.inflater = inflater;
  }

  /**
   * Writes deflate bytes to zlib and waits until it has inflated them (output in `out`, or
   * `error` set). Returns how many it took: fewer than given when the member's deflate data ends.
   */
  private async inflate(bytes: Uint8Array): Promise<number> {
    const inflater = this.inflater!;
    const before = inflater.bytesWritten;
    await new Promise<void>((resolve) => {
      this.settle = resolve;
      inflater.write(bytes, () => resolve());
    });
    this.settle = undefined;
    const used = inflater.bytesWritten - before;
    this.offset += used;
    // zlib leaves input unread only at the end of the deflate data (or on an error).
    if (this.error === undefined && used < bytes.byteLength) {
      this.destroy();
      this.part = 'trailer';
      this.have = 0;
    }
    return used;
  }

  /** Checks the member trailer in `field` (at compressed byte `at`) against the data inflated. */
  private trailer(at: number): void {
    const dv = new DataView(this.field.buffer);
    const crc = dv.getUint32(0, true);
    const isize = dv.getUint32(4, true);
    if (crc !== this.crc) {
      throw this.fault(at, `incorrect data check: the trailer's CRC-32 is 0x${crc.toString(16)}, the data's 0x${this.crc.toString(16)}`);
    }
    if (isize !== this.size) {
      throw this.fault(at + 4, `incorrect length check: the trailer says ${isize} bytes (mod 2^32), the data has ${this.size}`);
    }
    this.part = 'between';
    this.have = 0;
  }

  /** E_CORRUPT_GZIP at compressed byte `at`. */
  private fault(at: number, why: string): ScapdriftError {
    return new ScapdriftError(
      ErrorCode.CORRUPT_GZIP,
      `corrupt gzip stream in ${this.inputName} at compressed byte ${at} (after ${this.decoded} decompressed bytes): ${why}`,
      { offset: this.decoded },
    );
  }

  /** A zlib error inside the deflate data: zlib does not say where, only after which input. */
  private dataError(e: Error): ScapdriftError {
    const near = this.deflateStart + (this.inflater?.bytesWritten ?? 0);
    return new ScapdriftError(
      ErrorCode.CORRUPT_GZIP,
      `corrupt gzip stream in ${this.inputName} near compressed byte ${near} (after ${this.decoded} decompressed bytes): ${e.message}`,
      { cause: e, offset: this.decoded },
    );
  }
}

/** CRC-32 of gzip (zlib.crc32 from Node 20.15; a table-driven one before). */
const crc32: (data: Uint8Array, value: number) => number =
  (zlib as { crc32?: (data: Uint8Array, value: number) => number }).crc32 ?? tableCrc32;

let crcTable: Uint32Array | undefined;

function tableCrc32(data: Uint8Array, value: number): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~value;
  for (let i = 0; i < data.byteLength; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
