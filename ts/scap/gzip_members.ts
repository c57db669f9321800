/**
 * The gzip layer (RFC 1952) of a capture: {@link GzipMembers} reads the container and inflates
 * the deflate data with zlib's raw inflate. Used on the main thread for a small gzip input or a
 * stream, and by the gunzip worker (gunzip_worker.ts) for a large gzip file.
 */

import * as zlib from 'node:zlib';
import { ErrorCode, ScapdriftError, type ScapdriftErrorData } from '../errors.js';
import { plainBytes } from './byte_cursor.js';

/** Largest gunzip output chunk, bytes. */
export const GZIP_OUTPUT_CHUNK_BYTES = 64 * 1024;
/**
 * Largest gunzip output chunk on the gunzip worker, bytes. Each output chunk is a round trip
 * between zlib's thread and the worker's, which wait for each other: 1 MiB makes the worker's
 * gunzip of busy.scap.gz ~10 % cheaper than 64 KiB and the whole filtered read 0.64 s instead of
 * 0.83 s (bench/RESULTS.md, gzip read, session 8). Nothing more is lost at corrupt deflate data:
 * the worker reads the member again (GzipMembers' `recover`).
 */
export const GZIP_WORKER_OUTPUT_CHUNK_BYTES = 1 << 20;
/**
 * Compressed bytes handed to zlib at a time. The output of a piece is queued whole (at most two
 * pieces' worth: one delivered while the next inflates), so this bounds that queue: typically
 * ~0.5 MiB, at most 66 MiB per piece for a stream built to expand 1032×, deflate's limit. Smaller
 * pieces cost more per byte (each is a round trip to zlib's thread).
 */
export const GZIP_INPUT_PIECE_BYTES = 64 * 1024;
/**
 * Reads the compressed input again, for {@link GzipMembers} to inflate a member a second time
 * after zlib failed in it: up to `target.byteLength` bytes from compressed byte `position` into
 * `target`; how many were read (0 at the end). A gzip file's positional read; throws E_IO.
 */
export type GzipReread = (position: number, target: Uint8Array) => number;
/**
 * After a zlib error inside a gzip file's deflate data, the input of the failed zlib call (at
 * most {@link GZIP_INPUT_PIECE_BYTES}) is handed to zlib again in pieces of this many bytes to find
 * the piece where it fails, then that piece one byte per call (GzipMembers' `recover`): at most
 * 2 × 256 calls, each a round trip to zlib's thread (64 Ki one-byte calls took 2–13 s on this
 * 2-vCPU machine, by load).
 */
const RECOVER_PROBE_BYTES = 256;
/** First two bytes of every gzip member. */
export const GZIP_MAGIC_0 = 0x1f;
export const GZIP_MAGIC_1 = 0x8b;
export const GZIP_MAGIC_BYTES = 2;
/** RFC 1952: ID1 ID2 CM FLG MTIME(4) XFL OS. */
const GZIP_FIXED_HEADER_BYTES = 10;
/** RFC 1952: CRC32 and ISIZE, little endian. */
const GZIP_TRAILER_BYTES = 8;
/** RFC 1952 §2.3.1: ISIZE, the last 4 bytes of a member: its decompressed size mod 2^32. */
export const GZIP_ISIZE_BYTES = 4;
/** CM of deflate, the only method defined. */
const GZIP_CM_DEFLATE = 8;
/** FLG bits. */
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FLG_RESERVED = 0xe0;

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
 * out of input, so every byte zlib inflated is delivered before those faults are reported. At
 * a fault inside the deflate data itself, zlib's output of the call that failed is lost (up to
 * one output chunk); given a {@link GzipReread} (a file), the member is then inflated again from
 * its start and the input of that call handed to zlib one byte per call, which delivers every
 * byte inflated before the byte where zlib reports the fault and names that byte (see
 * `recover`). Without one (a stream), the output chunk of the failed call is lost.
 * After a member come another member or zero padding, as zlib's gunzip accepts; anything else
 * is trailing garbage. The optional header CRC (FHCRC) is skipped, not checked: it guards no
 * byte that is decoded.
 */
export class GzipMembers {
  private part: GzipPart = 'fixed';
  /** Compressed bytes taken so far = offset of the next one. */
  private offset = 0;
  /** Decompressed bytes taken from zlib (all delivered before any error is thrown). */
  private decoded = 0;
  /** Of those, the bytes of the current member's deflate data. */
  private memberDecoded = 0;
  private memberStart = 0;
  /** Header flags not yet read (FEXTRA, FNAME, FCOMMENT, FHCRC). */
  private pendingFlags = 0;
  /** Bytes of a fixed-size field (header, XLEN, trailer) gathered so far. */
  private readonly field = new Uint8Array(GZIP_FIXED_HEADER_BYTES);
  private have = 0;
  private extraLeft = 0;
  private inflater: Inflater | undefined;
  private deflateStart = 0;
  private crc = 0;
  /** The member's decompressed length mod 2^32 (ISIZE). */
  private size = 0;
  private readonly out: Uint8Array[] = [];

  /**
   * `chunkSize`: largest output chunk, bytes (≥ 64); `reread`: the compressed input read again
   * from any offset, for a file (none for a stream).
   */
  constructor(
    private readonly inputName: string,
    private readonly chunkSize: number,
    private readonly reread?: GzipReread,
  ) {}

  /**
   * Takes the next compressed bytes (`input` may split the stream anywhere; at most
   * {@link GZIP_INPUT_PIECE_BYTES}, which bounds the queued output) and yields the decompressed
   * chunks of the earlier ones: the output of the last piece is yielded by the next call or by
   * {@link finish}. Throws E_CORRUPT_GZIP after yielding every chunk inflated before the fault
   * (all of them but the failed zlib call's without a {@link GzipReread}).
   */
  async *write(input: Uint8Array): AsyncGenerator<Uint8Array> {
    let i = 0;
    while (i < input.byteLength) {
      if (this.part === 'deflate') {
        const writeEnd = this.offset + input.byteLength - i;
        const inflater = this.inflater!;
        const inflating = this.inflate(input.subarray(i));
        // zlib works on the thread pool meanwhile: the consumer takes the earlier output.
        yield* this.queued();
        i += await inflating;
        if (inflater.error !== undefined) {
          yield* this.queued();
          if (this.reread === undefined) throw this.dataError(inflater.error);
          // this.offset: where the input of the zlib call that failed starts.
          yield* this.recover(this.reread, inflater.error, this.offset, writeEnd);
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
    this.memberDecoded = 0;
    this.inflater = new Inflater(this.chunkSize, (bytes) => this.deliver(bytes));
  }

  /** Queues `bytes` of the member's data, inflated, to be delivered. */
  private deliver(bytes: Uint8Array): void {
    this.crc = crc32(bytes, this.crc);
    this.size = (this.size + bytes.byteLength) >>> 0;
    this.decoded += bytes.byteLength;
    this.memberDecoded += bytes.byteLength;
    this.out.push(bytes);
  }

  /**
   * Writes deflate bytes to zlib and waits until it has inflated them (output in `out`, or the
   * inflater's `error` set). Returns how many it took: fewer than given when the member's
   * deflate data ends.
   */
  private async inflate(bytes: Uint8Array): Promise<number> {
    const inflater = this.inflater!;
    const used = await inflater.write(bytes);
    this.offset += used;
    // zlib leaves input unread only at the end of the deflate data (or on an error).
    if (inflater.error === undefined && used < bytes.byteLength) {
      this.destroy();
      this.part = 'trailer';
      this.have = 0;
    }
    return used;
  }

  /**
   * After zlib failed (`first`) inside the current member's deflate data, in the call whose input
   * starts at compressed byte `callStart` (every output chunk of the earlier calls delivered), in
   * a write that ends at `writeEnd`: inflates the member again from its start, read again with
   * `reread`, and hands zlib the failed call's input in pieces of {@link RECOVER_PROBE_BYTES}, then
   * (inflating the member once more) the piece where it fails one byte per call. Yields the output
   * beyond what was delivered, and throws the error at the byte whose call fails: only that
   * call's output is lost, never more than the first inflate loses (its calls' output boundaries,
   * input pieces and 64 KiB output multiples, are boundaries here too). If an inflate again does
   * not reproduce the delivered bytes (their CRC-32: the file changed) or does not fail by
   * `writeEnd`, throws `first` as it is. Costs up to two more inflates of the member up to the
   * fault and up to 2 × 256 zlib calls of a few bytes, only at a fault.
   */
  private async *recover(reread: GzipReread, first: Error, callStart: number, writeEnd: number): AsyncGenerator<Uint8Array> {
    const near = this.deflateStart + this.inflater!.bytesWritten;
    let from = callStart;
    let to = writeEnd;
    if (to - from > RECOVER_PROBE_BYTES) {
      const failed = yield* this.inflateAgain(reread, from, to, RECOVER_PROBE_BYTES);
      if (failed === undefined) throw this.dataError(first, near);
      from = failed.at;
      to = Math.min(to, from + RECOVER_PROBE_BYTES);
    }
    const failed = yield* this.inflateAgain(reread, from, to, 1);
    if (failed === undefined) throw this.dataError(first, near);
    throw this.fault(failed.at, failed.error.message, failed.error);
  }

  /**
   * For {@link recover}: inflates the current member again with a fresh zlib stream (output chunks
   * of at most 64 KiB), its deflate data up to compressed byte `from` in the usual pieces, then
   * up to `to` in pieces of `step` bytes. Skips the output delivered already (checking its
   * CRC-32), queues the rest as delivered. Returns where the piece whose zlib call failed starts
   * and zlib's error; undefined when the inflate does not reproduce the first (the delivered
   * bytes differ, the input ends, no error by `to`).
   */
  private async *inflateAgain(
    reread: GzipReread,
    from: number,
    to: number,
    step: number,
  ): AsyncGenerator<Uint8Array, { at: number; error: Error } | undefined> {
    const delivered = this.memberDecoded;
    const deliveredCrc = this.crc;
    let seen = 0;
    let seenCrc = 0;
    this.destroy();
    const inflater = new Inflater(Math.min(this.chunkSize, GZIP_OUTPUT_CHUNK_BYTES), (bytes) => {
      if (seen < delivered) {
        const skip = Math.min(delivered - seen, bytes.byteLength);
        seenCrc = crc32(bytes.subarray(0, skip), seenCrc);
        seen += skip;
        bytes = bytes.subarray(skip);
      }
      if (bytes.byteLength === 0 || seenCrc !== deliveredCrc) return;
      seen += bytes.byteLength;
      this.deliver(bytes);
    });
    this.inflater = inflater;
    const piece = new Uint8Array(GZIP_INPUT_PIECE_BYTES);
    for (let at = this.deflateStart; at < to; ) {
      const size = at < from ? Math.min(piece.byteLength, from - at) : Math.min(step, to - at);
      const n = reread(at, piece.subarray(0, size));
      if (n === 0) return undefined;
      const took = await inflater.write(piece.subarray(0, n));
      // A mismatch shows once the delivered bytes are all inflated again.
      if (seen >= delivered && seenCrc !== deliveredCrc) return undefined;
      yield* this.queued();
      const error = inflater.error;
      if (error !== undefined) return at < from ? undefined : { at, error };
      if (took < n) return undefined; // the deflate data ended: not the first inflate
      at += n;
    }
    return undefined;
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
  private fault(at: number, why: string, cause?: Error): ScapdriftError {
    return new ScapdriftError(
      ErrorCode.CORRUPT_GZIP,
      `corrupt gzip stream in ${this.inputName} at compressed byte ${at} (after ${this.decoded} decompressed bytes): ${why}`,
      { cause, offset: this.decoded },
    );
  }

  /**
   * A zlib error inside the deflate data: zlib does not say where, only after which input (`near`:
   * the end of the input of its last call that succeeded).
   */
  private dataError(e: Error, near = this.deflateStart + (this.inflater?.bytesWritten ?? 0)): ScapdriftError {
    return new ScapdriftError(
      ErrorCode.CORRUPT_GZIP,
      `corrupt gzip stream in ${this.inputName} near compressed byte ${near} (after ${this.decoded} decompressed bytes): ${e.message}`,
      { cause: e, offset: this.decoded },
    );
  }
}

/**
 * zlib's raw inflate as GzipMembers drives it: `onData` gets each output chunk (at most
 * `chunkSize` bytes) as zlib produces it — flowing mode, so none waits in the stream's buffer,
 * which Node discards when zlib reports an error — and {@link write} waits for zlib to take the
 * input.
 */
class Inflater {
  /** zlib's error (Z_DATA_ERROR …), once it reported one; the stream is unusable then. */
  error: Error | undefined;
  private settle: (() => void) | undefined;
  private readonly stream: zlib.InflateRaw;

  constructor(chunkSize: number, onData: (bytes: Uint8Array) => void) {
    this.stream = zlib.createInflateRaw({ chunkSize });
    this.stream.on('data', (chunk: Buffer) => onData(plainBytes(chunk)));
    this.stream.on('error', (e: Error) => {
      this.error = e;
      this.settle?.();
    });
  }

  /** Compressed bytes zlib took so far. */
  get bytesWritten(): number {
    return this.stream.bytesWritten;
  }

  /**
   * Writes `bytes` and waits until zlib has inflated them or failed (`error`); resolves how many
   * it took: fewer at the end of the deflate data or at an error.
   */
  async write(bytes: Uint8Array): Promise<number> {
    const before = this.stream.bytesWritten;
    await new Promise<void>((resolve) => {
      this.settle = resolve;
      this.stream.write(bytes, () => resolve());
    });
    this.settle = undefined;
    return this.stream.bytesWritten - before;
  }

  destroy(): void {
    this.stream.destroy();
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

/**
 * What the gunzip worker (gunzip_worker.ts) is given: a regular gzip file open on the main
 * thread (`fd`, shared by the process; read with positional reads from offset 0, `size` bytes at
 * open), its name for messages, `chunkBytes` (raw reads and the largest chunk it posts; zlib's
 * own output chunks are at most min(chunkBytes, 1 MiB)), and `aheadBytes`, the decompressed bytes it may have
 * posted and not yet had acknowledged.
 */
export interface GunzipWorkerData {
  fd: number;
  size: number;
  inputName: string;
  chunkBytes: number;
  aheadBytes: number;
}

/**
 * The gunzip worker's messages, in stream order: decompressed `chunk`s (their buffers
 * transferred), then either `end` or an `error` (E_IO, E_CORRUPT_GZIP, E_TRUNCATED as data),
 * each with `consumed`, the compressed bytes read so far. The main thread answers each chunk with
 * a {@link GunzipAck} once it is taken.
 */
export type GunzipMessage =
  | { kind: 'chunk'; chunk: Uint8Array; consumed: number }
  | { kind: 'end'; consumed: number }
  | { kind: 'error'; error: ScapdriftErrorData; consumed: number };

/**
 * The main thread's answer to a chunk once its reader copied it out: its `bytes` (what bounds the
 * bytes in flight) and its `buffer`, transferred back to be reused.
 */
export interface GunzipAck {
  bytes: number;
  buffer: ArrayBuffer;
}
