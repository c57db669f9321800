/**
 * Streaming input: a capture file or a readable stream, gunzipped on the fly when it starts with
 * the gzip magic (1f 8b) — whatever its name says. Memory stays bounded by a few chunks: the file
 * is never read whole.
 */

import { createReadStream, promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip, type Gunzip, type ZlibOptions } from 'node:zlib';
import { ErrorCode, ScapdriftError, isScapdriftError } from '../errors.js';
import { plainBytes } from './byte_cursor.js';

/** Default size of the chunks read from the input, bytes. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;
/** Smallest accepted `chunkBytes`. */
const MIN_CHUNK_BYTES = 64;
/** Largest accepted `chunkBytes`. */
const MAX_CHUNK_BYTES = 256 << 20;
/**
 * Largest gunzip output chunk, bytes. When zlib reports a fault, Node drops the output of the
 * inflate call that failed (one output chunk); keeping chunks small bounds what is lost before the
 * fault and keeps the reported compressed offset close to it.
 */
const GZIP_OUTPUT_CHUNK_BYTES = 64 * 1024;
/** First two bytes of every gzip member. */
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
const GZIP_MAGIC_BYTES = 2;

/** Options of {@link openByteSource}. */
export interface ByteSourceOptions {
  /**
   * Size of the chunks read from the input, bytes (default 1 MiB, 64 B to 256 MiB). Gunzipped
   * output comes in chunks of at most min(chunkBytes, 64 KiB).
   */
  chunkBytes?: number;
}

/** Decompressed capture bytes, delivered as chunks in order; iterate it once. */
export interface ByteSource {
  /** True when the input is gzip (detected by its first two bytes). */
  readonly compressed: boolean;
  /** Size on disk in bytes for a file input; undefined for a stream. */
  readonly totalBytes: number | undefined;
  /** Raw (possibly compressed) bytes read from the input so far, for a progress bar. */
  bytesConsumed(): number;
  /**
   * The decompressed bytes, in order. Each chunk is a plain Uint8Array (not a Buffer) view that
   * later chunks never overwrite. Throws E_IO on a read error, E_CORRUPT_GZIP / E_TRUNCATED on a
   * bad gzip layer — after yielding the chunks decoded before the fault (all but the at most
   * 64 KiB that zlib was producing when it failed). An empty input yields nothing.
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

/** Turns an fs / stream error into E_IO naming the input; keeps ScapdriftErrors as they are. */
function ioError(e: unknown, inputName: string, action: string): ScapdriftError {
  if (isScapdriftError(e)) return e;
  const err = e as NodeJS.ErrnoException;
  let why = err?.message ?? String(e);
  if (err?.code === 'ENOENT') why = 'no such file';
  else if (err?.code === 'EACCES') why = 'permission denied';
  else if (err?.code === 'EISDIR') why = 'is a directory';
  return new ScapdriftError(ErrorCode.IO, `cannot ${action} ${inputName}: ${why}`, { cause: e });
}

/** zlib error → E_CORRUPT_GZIP or (input ended mid-member) E_TRUNCATED, naming compressed offsets. */
function gzipError(
  e: unknown,
  inputName: string,
  compressedOffset: number,
  decodedBytes: number,
): ScapdriftError {
  const err = e as NodeJS.ErrnoException;
  const where = `near compressed byte ${compressedOffset} (after ${decodedBytes} decompressed bytes)`;
  if (err?.code === 'Z_BUF_ERROR') {
    return new ScapdriftError(
      ErrorCode.TRUNCATED,
      `truncated gzip stream in ${inputName} ${where}: ${err.message}`,
      { cause: e, offset: decodedBytes },
    );
  }
  return new ScapdriftError(
    ErrorCode.CORRUPT_GZIP,
    `corrupt gzip stream in ${inputName} ${where}: ${err?.message ?? String(e)}`,
    { cause: e, offset: decodedBytes },
  );
}

function isZlibError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('Z_');
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
 * Opens a capture for streaming: `input` is a file path or a readable byte stream (e.g. the live
 * loader's stdout), which the source then owns and destroys on close. Peeks the first two bytes
 * to detect gzip. Throws E_IO when the file cannot be opened or read, E_OPTION for a bad option.
 */
export async function openByteSource(
  input: string | NodeJS.ReadableStream,
  opts?: ByteSourceOptions,
): Promise<ByteSource> {
  const chunkBytes = validateOptions(opts);
  let raw: NodeJS.ReadableStream;
  let totalBytes: number | undefined;
  let inputName: string;
  if (typeof input === 'string') {
    inputName = input;
    let st;
    try {
      st = await fsp.stat(input);
    } catch (e) {
      throw ioError(e, inputName, 'open');
    }
    if (st.isDirectory()) {
      throw new ScapdriftError(ErrorCode.IO, `cannot open ${inputName}: is a directory`);
    }
    totalBytes = st.size;
    raw = createReadStream(input, { highWaterMark: chunkBytes });
  } else {
    inputName = 'input stream';
    raw = input;
  }
  const source = new StreamByteSource(raw, inputName, totalBytes, chunkBytes);
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
  private consumed = 0;
  private readonly rawIter: AsyncIterator<unknown>;
  private readonly prefix: Uint8Array[] = [];
  private rawDone = false;
  private iterated = false;
  private closed = false;
  private gunzip: Gunzip | undefined;
  private feeder: Readable | undefined;

  constructor(
    private readonly raw: NodeJS.ReadableStream,
    private readonly inputName: string,
    readonly totalBytes: number | undefined,
    private readonly chunkBytes: number,
  ) {
    this.rawIter = (raw as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  }

  bytesConsumed(): number {
    return this.consumed;
  }

  /** Pulls raw chunks until two bytes are known (or the input ends) and sets `compressed`. */
  async peek(): Promise<void> {
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

  /** Next non-empty raw chunk, counted in bytesConsumed; undefined at the end. */
  private async nextRaw(): Promise<Uint8Array | undefined> {
    while (!this.rawDone) {
      let r: IteratorResult<unknown>;
      try {
        r = await this.rawIter.next();
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
    while (this.prefix.length > 0) yield this.prefix.shift()!;
    for (;;) {
      const chunk = await this.nextRaw();
      if (chunk === undefined) return;
      yield chunk;
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.iterated) {
      throw new ScapdriftError(ErrorCode.IO, `${this.inputName} can only be read once`);
    }
    this.iterated = true;
    return this.compressed ? this.gunzipped() : this.plain();
  }

  private async *plain(): AsyncGenerator<Uint8Array> {
    try {
      yield* this.rawChunks();
    } finally {
      await this.close();
    }
  }

  private async *gunzipped(): AsyncGenerator<Uint8Array> {
    // zlib streams pass stream options (highWaterMark) on to their Transform; the typings omit it.
    const zopts: ZlibOptions & { highWaterMark: number } = {
      chunkSize: Math.min(this.chunkBytes, GZIP_OUTPUT_CHUNK_BYTES),
      highWaterMark: this.chunkBytes,
    };
    const gunzip = createGunzip(zopts);
    const feeder = Readable.from(this.rawChunks(), { objectMode: false, highWaterMark: this.chunkBytes });
    this.gunzip = gunzip;
    this.feeder = feeder;
    // Plain pipe, not pipeline: a read error must not destroy gunzip, which would drop what it
    // has decoded but not yet delivered. Remember the error, let gunzip finish, report it last.
    let readError: unknown;
    feeder.on('error', (e) => {
      readError = e;
      gunzip.end();
    });
    feeder.pipe(gunzip);
    let decoded = 0;
    try {
      for await (const chunk of gunzip) {
        const bytes = plainBytes(chunk as Uint8Array);
        decoded += bytes.byteLength;
        yield bytes;
      }
    } catch (e) {
      if (readError !== undefined) throw ioError(readError, this.inputName, 'read');
      if (isZlibError(e)) throw gzipError(e, this.inputName, gunzip.bytesWritten, decoded);
      throw ioError(e, this.inputName, 'read');
    } finally {
      await this.close();
    }
    if (readError !== undefined) throw ioError(readError, this.inputName, 'read');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rawDone = true;
    this.feeder?.destroy(); // first, so that nothing writes into a destroyed gunzip
    this.gunzip?.destroy();
    // Destroying the raw stream ends its async iterator too; a file descriptor is released here.
    const stream = this.raw as NodeJS.ReadableStream & { destroy?: () => void };
    if (typeof stream.destroy === 'function') stream.destroy();
  }
}
