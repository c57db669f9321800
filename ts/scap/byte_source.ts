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
import type { Worker } from 'node:worker_threads';
import { ErrorCode, ScapdriftError, fromErrorData, isScapdriftError, toErrorData } from '../errors.js';
import { thisMachine, type Machine } from '../parallel/worker_count.js';
import { plainBytes } from './byte_cursor.js';
import {
  GZIP_INPUT_PIECE_BYTES,
  GZIP_ISIZE_BYTES,
  GZIP_MAGIC_0,
  GZIP_MAGIC_1,
  GZIP_MAGIC_BYTES,
  GZIP_OUTPUT_CHUNK_BYTES,
  GzipMembers,
  type GunzipAck,
  type GunzipMessage,
  type GunzipWorkerData,
} from './gzip_members.js';

/** Default size of the chunks read from the input, bytes. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;
/** Smallest accepted `chunkBytes`. */
const MIN_CHUNK_BYTES = 64;
/** Largest accepted `chunkBytes`. */
const MAX_CHUNK_BYTES = 256 << 20;
/**
 * A gzip regular file of at least this many bytes (compressed) is gunzipped by a worker thread
 * (gunzip_worker.ts) while the main thread decodes, if a core is free ({@link
 * GZIP_WORKER_MAX_LOAD_PER_CORE}); a smaller one on the main thread. The worker
 * costs ~0.1 s of start-up before its first bytes: measured, it loses 90 ms on a filtered read of
 * a 1.1 or 4.3 MB gzip, 30 ms at 8.9 MB, breaks even at 13.4 MB and wins 80 ms at 20.4 MB
 * (busy.scap.gz) (bench/RESULTS.md, gzip read, session 8).
 */
export const GZIP_WORKER_MIN_BYTES = 16 << 20;
/**
 * The gunzip worker is used only while the 1-minute load average is below this many times the
 * cores: it pays with a core to run on and loses when the threads queue for one (each waits for
 * the other's turn). Filtered read of busy.scap.gz on the 2-vCPU VM, worker vs main thread,
 * medians: at load 1.3–3.0 0.65 vs 0.73 s (session 8); at 4–6.5 even; at 7–8 2.17 vs 1.74 s; at
 * 10–12 7.0 vs 2.9 s (bench/RESULTS.md, gzip read, session 9).
 */
export const GZIP_WORKER_MAX_LOAD_PER_CORE = 2;
/** Decompressed bytes the gunzip worker may have sent ahead of the reader. */
const GZIP_WORKER_AHEAD_BYTES = 8 << 20;
const GUNZIP_WORKER_URL = new URL('./gunzip_worker.js', import.meta.url);

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
   * before the fault. When the compressed data itself is corrupt, a gzip file's member is
   * inflated again up to the byte where zlib finds the fault, so only what zlib would make of
   * that byte is lost; a stream, which cannot be read again, loses what zlib inflated in the call
   * that failed (at most one 64 KiB output chunk). An empty input yields nothing.
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

/**
 * Reads `fd` at file offset `position` into `target` (not moving the file's own position);
 * bytes read, 0 at the end. Throws E_IO naming `inputName` on a read error.
 */
export function preadFile(fd: number, target: Uint8Array, position: number, inputName: string): number {
  try {
    return readSync(fd, target, 0, target.byteLength, position);
  } catch (e) {
    throw ioError(e, inputName, 'read');
  }
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

/**
 * A regular file open for positional reads: its descriptor, size at open, the offset of the next
 * read, and whether it is gunzipped by the worker if gzip and read by readInto.
 */
interface OpenFile {
  fd: number;
  size: number;
  position: number;
  gunzipWorker: boolean;
}

/**
 * Opens a capture for streaming: `input` is a file path or a readable byte stream (e.g. the live
 * loader's stdout), which the source then owns and destroys on close. A path is opened once;
 * the first two bytes tell gzip. `machine` (this one, read only for a large file, by default) decides whether a large gzip
 * file gets the gunzip worker ({@link GZIP_WORKER_MAX_LOAD_PER_CORE}). Throws E_IO when the file
 * cannot be opened or read, E_OPTION for a bad option.
 */
export async function openByteSource(
  input: string | ByteStream,
  opts?: ByteSourceOptions,
  machine?: Machine,
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
      // The machine is looked at (os.loadavg) only for a file large enough to need it.
      const m = size >= GZIP_WORKER_MIN_BYTES ? machine ?? thisMachine() : undefined;
      const gunzipWorker = m !== undefined && m.cores >= 2 && m.load < GZIP_WORKER_MAX_LOAD_PER_CORE * m.cores;
      source = new StreamByteSource(undefined, { fd, position: 0, size, gunzipWorker }, input, chunkBytes, input);
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
  private worker: GunzipWorker | undefined;
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
      // Started now, it boots while the reader sets up; stopped unless read by readInto.
      if (this.compressed && this.file.gunzipWorker) {
        this.worker = await GunzipWorker.start({ fd: this.file.fd, size, inputName: this.inputName, chunkBytes: this.chunkBytes, aheadBytes: GZIP_WORKER_AHEAD_BYTES });
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
    return preadFile(this.file!.fd, target, position, this.inputName);
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

  /**
   * Gunzips a large gzip file read by {@link readInto} in the worker thread started at open,
   * anything else here (the worker, if any, is stopped). readInto copies each chunk out, so the
   * worker's buffers are reused; the async iterator's reader keeps its chunks, which a worker would
   * have to allocate and post one by one: slower than inflating here (bench/RESULTS.md, gzip
   * read, session 8).
   */
  private gunzipped(): AsyncGenerator<Uint8Array> {
    const worker = this.worker;
    if (worker !== undefined && this.reading === 'readInto') return this.gunzippedByWorker(worker);
    void worker?.stop(); // close() waits for it
    return this.gunzippedHere();
  }

  /** Gunzips on the main thread, piece by piece as the reader asks. */
  private async *gunzippedHere(): AsyncGenerator<Uint8Array> {
    const reread = this.file ? (position: number, target: Uint8Array) => this.pread(target, position) : undefined;
    const gunzip = new GzipMembers(this.inputName, Math.min(this.chunkBytes, GZIP_OUTPUT_CHUNK_BYTES), reread);
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

  /** The gunzip worker's chunks in order, each acknowledged once readInto copied it out; its error after them. */
  private async *gunzippedByWorker(worker: GunzipWorker): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        const m = await worker.next();
        this.consumed = m.consumed;
        if (m.kind === 'end') return;
        if (m.kind === 'error') throw fromErrorData(m.error);
        yield m.chunk;
        if (this.closed) return;
        worker.taken(m.chunk);
      }
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
    // The worker reads the file's descriptor: it stops before the descriptor is closed.
    await this.worker?.stop();
    if (this.file) {
      closeSync(this.file.fd);
      return;
    }
    // Destroying the raw stream ends its async iterator too; a file descriptor is released here.
    const stream = this.raw as AsyncIterable<unknown> & { destroy?: () => void };
    if (typeof stream.destroy === 'function') stream.destroy();
  }
}

/**
 * The gunzip worker (gunzip_worker.ts) of one file, seen from the main thread: its messages in
 * order, and the acknowledgements that bound what it posts ahead. Holds the process open only
 * while the reader waits for it.
 */
class GunzipWorker {
  private readonly inbox: GunzipMessage[] = [];
  private wake: (() => void) | undefined;
  /** Compressed bytes read, as of the last message. */
  private consumed = 0;
  private stopped: Promise<number> | undefined;

  private constructor(
    private readonly worker: Worker,
    inputName: string,
  ) {
    const failed = (why: string): void =>
      this.deliver({ kind: 'error', error: toErrorData(new ScapdriftError(ErrorCode.IO, `cannot read ${inputName}: ${why}`)), consumed: this.consumed });
    worker.on('message', (m: GunzipMessage) => this.deliver(m));
    worker.on('error', (e) => failed(`the gunzip worker failed: ${e.message}`));
    worker.on('exit', () => failed('the gunzip worker exited early'));
    worker.unref();
  }

  /** Starts the worker on `data` (loading node:worker_threads, never loaded for a plain input). */
  static async start(data: GunzipWorkerData): Promise<GunzipWorker> {
    const { Worker } = await import('node:worker_threads');
    return new GunzipWorker(new Worker(GUNZIP_WORKER_URL, { workerData: data }), data.inputName);
  }

  /** The next message (a chunk, the end, or an error). */
  async next(): Promise<GunzipMessage> {
    if (this.inbox.length === 0) {
      this.worker.ref();
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
      this.worker.unref();
    }
    return this.inbox.shift()!;
  }

  /** `chunk` was copied out: its bytes are no longer in flight, its buffer goes back to be reused. */
  taken(chunk: Uint8Array): void {
    const ack: GunzipAck = { bytes: chunk.byteLength, buffer: chunk.buffer as ArrayBuffer };
    this.worker.postMessage(ack, [ack.buffer]);
  }

  /** Stops the worker; resolves once its thread has stopped. Safe to call more than once. */
  async stop(): Promise<void> {
    this.stopped ??= this.worker.terminate();
    await this.stopped;
  }

  private deliver(m: GunzipMessage): void {
    this.consumed = m.consumed;
    this.inbox.push(m);
    this.wake?.();
  }
}
