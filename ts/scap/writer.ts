/**
 * The scap writer: produces the block layout libs' dumper writes
 * (userspace/libscap/scap_savefile.c: scap_setup_dump, scap_write_machine_info,
 * scap_write_proclist_entry_bufs, scap_dump), so that Falco's tools open what it writes and
 * scapdrift's own readers parse it back. Test fixtures, synthetic generators and the live
 * loader's replay files are written with it.
 *
 * Every block is
 *
 * ```
 * +------------+--------------------+----------------------------+-------------+--------------------+
 * | type u32   | total_length u32   | body                       | zero pad    | total_length u32   |
 * +------------+--------------------+----------------------------+-------------+--------------------+
 *                                    total_length = 8 + body + pad + 4, pad brings body to 4 bytes
 * ```
 *
 * An event block body is a u16 cpu id (plus a u32 of flags in EVF blocks) and one frame:
 *
 * ```
 *   0        8        16     20     22          26
 *   +--------+--------+------+------+-----------+--------------------+------------+
 *   | ts u64 | tid u64| len  | type | nparams   | lens[nparams]      | params ... |
 *   | epoch ns        | u32  | u16  | u32       | u16 each (u32 each |            |
 *   +--------+--------+------+------+-----------+ for EF_LARGE_      +------------+
 *                                                 PAYLOAD events)
 * ```
 *
 * `len` counts the whole frame. As libs does, an event whose table entry has EF_LARGE_PAYLOAD goes
 * into an EV_BLOCK_TYPE_V2_LARGE block (0x221), every other event into EV_BLOCK_TYPE_V2 (0x216);
 * readers take the width of the length array from the event table, not from the block type.
 *
 * Output goes to memory ({@link ScapWriter.finish} returns it) or, with the `write` option, to a
 * callback in chunks of about `chunkBytes`, so a generator of millions of events never holds
 * them all.
 */

import { eventInfo, isLargePayload, INT_PARAM_TYPES } from '../events/event_table.js';
import { PT } from '../events/ppm_constants.js';
import {
  EVF_BLOCK_TYPE_V2,
  EVF_BLOCK_TYPE_V2_LARGE,
  EV_BLOCK_TYPE_V2,
  EV_BLOCK_TYPE_V2_LARGE,
  MI_BLOCK_TYPE,
  PL_BLOCK_TYPE_V9,
  SHB_BLOCK_TYPE,
  SHB_CURRENT_MAJOR_VERSION,
  SHB_CURRENT_MINOR_VERSION,
  SHB_MAGIC,
  BLOCK_HEADER_BYTES,
  BLOCK_TRAILER_BYTES,
} from './block_types.js';
import { MACHINE_INFO_BYTES } from './machine_info.js';
import { MAX_ARGS_BYTES, MAX_PATH_BYTES, type ProcessEntry } from './process_list.js';
import { SHB_OPT_USERAPPL, type SectionHeader } from './section_header.js';

/** Bytes of a v2 frame header: ts, tid, len, type, nparams. */
export const FRAME_HEADER_BYTES = 26;
/** Bytes of the cpu id that starts an event block body. */
const CPU_ID_BYTES = 2;
/** Bytes of the flags word of an EVF block. */
const EVF_FLAGS_BYTES = 4;
/** Blocks are padded to a multiple of this many bytes (scap_normalize_block_len). */
const BLOCK_ALIGN_BYTES = 4;
/** Bytes of the section header body: magic, major, minor, section_length. */
const SECTION_HEADER_BODY_BYTES = 16;
/** Bytes of the machine-info hostname field. */
const HOSTNAME_BYTES = 128;
/** Largest parameter with a u16 length. */
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;
/** loginuid value libs uses for "unset" (UINT32_MAX). */
const LOGINUID_UNSET = MAX_U32;
/** Default output chunk size of the streaming mode, bytes. */
export const DEFAULT_WRITER_CHUNK_BYTES = 1 << 20;
/** Initial buffer of the in-memory mode, bytes. */
const INITIAL_MEMORY_BYTES = 64 * 1024;

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

const utf8 = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Parameter encoders: the bytes of one event parameter, little endian.
// ---------------------------------------------------------------------------------------------

function intIn(v: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${what}: ${v} is not an integer in ${min}..${max}`);
  }
  return v;
}

function bigIn(v: number | bigint, min: bigint, max: bigint, what: string): bigint {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) {
    throw new RangeError(`${what}: ${v} is not a safe integer (pass a bigint)`);
  }
  const b = BigInt(v);
  if (b < min || b > max) throw new RangeError(`${what}: ${b} is outside ${min}..${max}`);
  return b;
}

/** One unsigned byte (PT_UINT8, PT_FLAGS8, PT_SIGTYPE, ...). */
export function u8(v: number): Uint8Array {
  return Uint8Array.of(intIn(v, 0, 0xff, 'u8'));
}

/** A signed byte (PT_INT8). */
export function i8(v: number): Uint8Array {
  return Uint8Array.of(intIn(v, -0x80, 0x7f, 'i8') & 0xff);
}

/** A little-endian u16 (PT_UINT16, PT_FLAGS16, PT_SYSCALLID, PT_PORT). */
export function u16(v: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, intIn(v, 0, MAX_U16, 'u16'), true);
  return b;
}

/** A little-endian i16 (PT_INT16). */
export function i16(v: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setInt16(0, intIn(v, -0x8000, 0x7fff, 'i16'), true);
  return b;
}

/** A little-endian u32 (PT_UINT32, PT_FLAGS32, PT_UID, PT_GID, PT_MODE, ...). */
export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, intIn(v, 0, MAX_U32, 'u32'), true);
  return b;
}

/** A little-endian i32 (PT_INT32, PT_FD32, PT_PID32). */
export function i32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, intIn(v, -0x80000000, 0x7fffffff, 'i32'), true);
  return b;
}

/** A little-endian u64 (PT_UINT64, PT_ABSTIME, PT_RELTIME). */
export function u64(v: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, bigIn(v, 0n, U64_MAX, 'u64'), true);
  return b;
}

/** A little-endian i64 (PT_INT64, PT_ERRNO, PT_PID, PT_FD). */
export function i64(v: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, bigIn(v, I64_MIN, I64_MAX, 'i64'), true);
  return b;
}

/** A string as the drivers write PT_CHARBUF / PT_FSPATH: UTF-8 with a terminating NUL. */
export function str(s: string): Uint8Array {
  const body = utf8.encode(s);
  const b = new Uint8Array(body.length + 1);
  b.set(body);
  return b;
}

/**
 * A list as the drivers write `args`, `env` and `cgroups` (PT_BYTEBUF / PT_CHARBUFARRAY): each
 * item UTF-8 followed by a NUL ("a\0b\0"); an empty list is zero bytes.
 */
export function strArray(list: readonly string[]): Uint8Array {
  const parts = list.map((s) => utf8.encode(s));
  const b = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
  let at = 0;
  for (const p of parts) {
    b.set(p, at);
    at += p.length + 1;
  }
  return b;
}

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

/** One event as the drivers produce it; a null parameter is written empty (length 0). */
export interface EventFrame {
  /** Event time, epoch ns. */
  ts: bigint;
  /** Thread id (host pid namespace). */
  tid: bigint;
  /** PPME_* event id. Any u16: ids the table does not know are written with u16 lengths. */
  type: number;
  /** Parameters in wire order; their count is the frame's nparams (may differ from the table's). */
  params: readonly (Uint8Array | null)[];
}

/** A frame built by {@link frameByName}: its parameter list may be extended. */
export interface BuiltFrame extends EventFrame {
  params: (Uint8Array | null)[];
}

/** A value for {@link frameByName}: raw bytes, or a value encoded from the parameter's PT_* type. */
export type ParamInput = Uint8Array | null | undefined | number | bigint | string | readonly string[];

/** Types whose string value is NUL-terminated text. */
const TEXT_TYPES: ReadonlySet<number> = new Set([PT.PT_CHARBUF, PT.PT_FSPATH, PT.PT_FSRELPATH]);

function encodeInt(v: number | bigint, bytes: 1 | 2 | 4 | 8, signed: boolean, what: string): Uint8Array {
  try {
    if (bytes === 8) return signed ? i64(v) : u64(v);
    if (typeof v === 'bigint') v = Number(v);
    if (bytes === 1) return signed ? i8(v) : u8(v);
    if (bytes === 2) return signed ? i16(v) : u16(v);
    return signed ? i32(v) : u32(v);
  } catch (e) {
    throw new RangeError(`${what}: ${(e as Error).message}`);
  }
}

function encodeParam(type: number, v: ParamInput, what: string): Uint8Array | null {
  if (v === undefined || v === null) return null;
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'number' || typeof v === 'bigint') {
    const t = INT_PARAM_TYPES.get(type);
    if (!t) throw new TypeError(`${what}: its type ${type} is not an integer type; pass encoded bytes`);
    return encodeInt(v, t.bytes, t.signed, what);
  }
  if (typeof v === 'string') return TEXT_TYPES.has(type) ? str(v) : utf8.encode(v);
  return strArray(v);
}

/**
 * Builds a frame of event `type` from parameter values keyed by their libs NAME (event table):
 * numbers and bigints are encoded with the parameter's width and sign, strings as NUL-terminated
 * text (raw UTF-8 for byte buffers), string lists as {@link strArray}, bytes as given. A name the
 * event does not declare throws; a declared name left out is written empty. The frame has exactly
 * the table's nparams; append to `params` for extra trailing ones.
 */
export function frameByName(
  type: number,
  ts: bigint,
  tid: bigint,
  values: Readonly<Record<string, ParamInput>> = {},
): BuiltFrame {
  const info = eventInfo(type);
  if (!info) throw new RangeError(`frameByName: event id ${type} is not in the event table`);
  for (const name of Object.keys(values)) {
    if (!info.params.some((p) => p.name === name)) {
      throw new RangeError(
        `frameByName: ${info.enumName} has no parameter "${name}" (has: ${info.params.map((p) => p.name).join(', ')})`,
      );
    }
  }
  const params = info.params.map((p) => encodeParam(p.type, values[p.name], `${info.enumName}.${p.name}`));
  return { ts, tid, type, params };
}

// ---------------------------------------------------------------------------------------------
// Blocks
// ---------------------------------------------------------------------------------------------

/** The fields of the machine-info block; {@link MachineInfo} (what the parser returns) fits. */
export interface MachineInfoInput {
  numCpus: number;
  /** Physical memory, bytes. */
  memorySizeBytes: bigint;
  /** kernel.pid_max; 0 when absent. */
  maxPid?: bigint;
  /** Host name, at most 128 UTF-8 bytes (NUL-padded on disk). */
  hostname: string;
  /** Host boot time, epoch ns; 0 (absent) is what old captures hold. */
  bootTsEpochNs?: bigint;
  /** MI_FLAG_* bits; 0 when absent. */
  flags?: bigint;
  /** Reserved words, written as given (0 when absent). */
  reserved3?: bigint;
  reserved4?: bigint;
}

/** Options of {@link ScapWriter.sectionHeader}; the defaults are what libs writes. */
export interface SectionHeaderInput {
  majorVersion?: number;
  minorVersion?: number;
  /** Bytes in the section; -1 (the default) means unspecified. */
  sectionLength?: bigint;
  /** The pcapng `userappl` option (code 4), e.g. scapdrift's loader naming itself; none when absent. */
  userappl?: string;
}

/** Options of {@link ScapWriter}. */
export interface ScapWriterOptions {
  /**
   * Streaming mode: receives the output in order, in chunks of about `chunkBytes` (one block
   * larger than that comes whole). The writer never touches a chunk again after handing it over.
   * Without it, the output accumulates in memory until {@link ScapWriter.finish}.
   */
  write?: (chunk: Uint8Array) => void;
  /** Chunk size of the streaming mode, bytes (default 1 MiB). */
  chunkBytes?: number;
}

/** Total length of a block whose body (before padding) is `bodyBytes` (scap_normalize_block_len). */
export function blockLength(bodyBytes: number): number {
  const raw = BLOCK_HEADER_BYTES + bodyBytes + BLOCK_TRAILER_BYTES;
  return Math.ceil(raw / BLOCK_ALIGN_BYTES) * BLOCK_ALIGN_BYTES;
}

/** Writes a scap stream, block by block, in the order the methods are called. */
export class ScapWriter {
  private buf: Uint8Array;
  private dv: DataView;
  private pos = 0;
  private flushed = 0;
  private finished = false;
  private readonly sink: ((chunk: Uint8Array) => void) | undefined;
  private readonly chunkBytes: number;

  constructor(options: ScapWriterOptions = {}) {
    const chunkBytes = options.chunkBytes ?? DEFAULT_WRITER_CHUNK_BYTES;
    if (!Number.isInteger(chunkBytes) || chunkBytes < 64) {
      throw new RangeError('options.chunkBytes must be an integer of at least 64');
    }
    this.sink = options.write;
    this.chunkBytes = chunkBytes;
    this.buf = new Uint8Array(this.sink ? chunkBytes : INITIAL_MEMORY_BYTES);
    this.dv = new DataView(this.buf.buffer);
  }

  /** Bytes written so far: the stream offset the next block starts at. */
  get offset(): number {
    return this.flushed + this.pos;
  }

  /**
   * The section header block (SHB, format 1.2, byte-order magic, section length -1). A parsed
   * {@link SectionHeader} fits; of its pcapng options only `userappl` is written (libs writes none).
   */
  sectionHeader(opts: SectionHeaderInput = {}): this {
    // Option: code u16 | length u16 | value padded to 4 bytes; then opt_endofopt (0, 0).
    const appl = opts.userappl === undefined ? undefined : utf8.encode(opts.userappl);
    if (appl && appl.length > MAX_U16) throw new RangeError(`userappl is ${appl.length} UTF-8 bytes, at most ${MAX_U16} fit`);
    const body = SECTION_HEADER_BODY_BYTES + (appl ? 4 + ((appl.length + 3) & ~3) + 4 : 0);
    const at = this.begin(SHB_BLOCK_TYPE, body);
    const dv = this.dv;
    dv.setUint32(at, SHB_MAGIC, true);
    dv.setUint16(at + 4, intIn(opts.majorVersion ?? SHB_CURRENT_MAJOR_VERSION, 0, MAX_U16, 'majorVersion'), true);
    dv.setUint16(at + 6, intIn(opts.minorVersion ?? SHB_CURRENT_MINOR_VERSION, 0, MAX_U16, 'minorVersion'), true);
    dv.setBigInt64(at + 8, bigIn(opts.sectionLength ?? -1n, I64_MIN, I64_MAX, 'sectionLength'), true);
    if (appl) {
      const opt = at + SECTION_HEADER_BODY_BYTES;
      this.buf.fill(0, opt, at + body);
      dv.setUint16(opt, SHB_OPT_USERAPPL, true);
      dv.setUint16(opt + 2, appl.length, true);
      this.buf.set(appl, opt + 4);
    }
    return this.end(body);
  }

  /** The machine-info block: the 180-byte packed `scap_machine_info` struct. */
  machineInfo(info: MachineInfoInput): this {
    const host = utf8.encode(info.hostname);
    if (host.length > HOSTNAME_BYTES) {
      throw new RangeError(`machineInfo.hostname is ${host.length} UTF-8 bytes, at most ${HOSTNAME_BYTES} fit`);
    }
    const at = this.begin(MI_BLOCK_TYPE, MACHINE_INFO_BYTES);
    const dv = this.dv;
    dv.setUint32(at, intIn(info.numCpus, 0, MAX_U32, 'machineInfo.numCpus'), true);
    dv.setBigUint64(at + 4, bigIn(info.memorySizeBytes, 0n, U64_MAX, 'machineInfo.memorySizeBytes'), true);
    dv.setBigUint64(at + 12, bigIn(info.maxPid ?? 0n, 0n, U64_MAX, 'machineInfo.maxPid'), true);
    this.buf.fill(0, at + 20, at + 20 + HOSTNAME_BYTES);
    this.buf.set(host, at + 20);
    const tail = at + 20 + HOSTNAME_BYTES;
    dv.setBigUint64(tail, bigIn(info.bootTsEpochNs ?? 0n, 0n, U64_MAX, 'machineInfo.bootTsEpochNs'), true);
    dv.setBigUint64(tail + 8, bigIn(info.flags ?? 0n, 0n, U64_MAX, 'machineInfo.flags'), true);
    dv.setBigUint64(tail + 16, bigIn(info.reserved3 ?? 0n, 0n, U64_MAX, 'machineInfo.reserved3'), true);
    dv.setBigUint64(tail + 24, bigIn(info.reserved4 ?? 0n, 0n, U64_MAX, 'machineInfo.reserved4'), true);
    return this.end(MACHINE_INFO_BYTES);
  }

  /**
   * A process-list block, PL_BLOCK_TYPE_V9, one entry per thread in the given order, every
   * entry complete (all fields through pgid, with its length prefix), as
   * scap_write_proclist_entry_bufs writes it. Fields an entry leaves undefined are written as
   * libs would for an unknown value: 0 or empty, except vtid/vpid (= tid/pid: the host
   * namespace) and loginuid (UINT32_MAX: unset). Lists (args, env, cgroups) are written
   * NUL-terminated item by item.
   */
  processList(entries: readonly ProcessEntry[]): this {
    const encoded = entries.map((e, i) => encodeProcessEntry(e, i));
    const body = encoded.reduce((n, e) => n + e.length, 0);
    const at = this.begin(PL_BLOCK_TYPE_V9, body);
    let p = at;
    for (const e of encoded) {
      this.buf.set(e, p);
      p += e.length;
    }
    return this.end(body);
  }

  /**
   * One event block: EV_BLOCK_TYPE_V2 (EV_BLOCK_TYPE_V2_LARGE for EF_LARGE_PAYLOAD events), or
   * the EVF variants when `flags` is non-zero (libs scap_dump). `cpu` is the u16 cpu id.
   */
  event(cpu: number, frame: EventFrame, flags = 0): this {
    intIn(cpu, 0, MAX_U16, 'event cpu');
    intIn(flags, 0, MAX_U32, 'event flags');
    const type = intIn(frame.type, 0, MAX_U16, 'event type');
    const large = isLargePayload(type);
    const lenBytes = large ? 4 : 2;
    const params = frame.params;
    const n = params.length;
    let frameLen = FRAME_HEADER_BYTES + n * lenBytes;
    for (let i = 0; i < n; i++) {
      const len = params[i]?.length ?? 0;
      if (!large && len > MAX_U16) {
        throw new RangeError(`event ${type}: parameter ${i} is ${len} bytes, more than a u16 length holds`);
      }
      frameLen += len;
    }
    if (frameLen > MAX_U32) throw new RangeError(`event ${type}: frame of ${frameLen} bytes exceeds a u32 length`);
    const pre = flags !== 0 ? CPU_ID_BYTES + EVF_FLAGS_BYTES : CPU_ID_BYTES;
    const blockType = flags !== 0
      ? (large ? EVF_BLOCK_TYPE_V2_LARGE : EVF_BLOCK_TYPE_V2)
      : (large ? EV_BLOCK_TYPE_V2_LARGE : EV_BLOCK_TYPE_V2);
    const body = pre + frameLen;
    const at = this.begin(blockType, body);
    const dv = this.dv;
    dv.setUint16(at, cpu, true);
    if (flags !== 0) dv.setUint32(at + CPU_ID_BYTES, flags, true);
    const f = at + pre;
    dv.setBigUint64(f, bigIn(frame.ts, 0n, U64_MAX, 'event ts'), true);
    dv.setBigInt64(f + 8, bigIn(frame.tid, I64_MIN, I64_MAX, 'event tid'), true);
    dv.setUint32(f + 16, frameLen, true);
    dv.setUint16(f + 20, type, true);
    dv.setUint32(f + 22, n, true);
    let lens = f + FRAME_HEADER_BYTES;
    let data = lens + n * lenBytes;
    for (let i = 0; i < n; i++) {
      const prm = params[i];
      const len = prm?.length ?? 0;
      if (large) dv.setUint32(lens, len, true);
      else dv.setUint16(lens, len, true);
      lens += lenBytes;
      if (prm) this.buf.set(prm, data);
      data += len;
    }
    return this.end(body);
  }

  /** A block of any type with the given body, padded and framed (for blocks without a writer). */
  rawBlock(type: number, body: Uint8Array): this {
    const at = this.begin(intIn(type, 0, MAX_U32, 'block type'), body.length);
    this.buf.set(body, at);
    return this.end(body.length);
  }

  /**
   * Ends the stream. In memory mode returns every byte written (a view of the writer's buffer);
   * in streaming mode hands the last chunk to `write` and returns an empty array.
   */
  finish(): Uint8Array {
    this.finished = true;
    if (this.sink) {
      this.flush();
      return new Uint8Array(0);
    }
    return this.buf.subarray(0, this.pos);
  }

  // -- internals --------------------------------------------------------------------------------

  /** Reserves a whole block of `bodyBytes`, writes its header; returns where the body starts. */
  private begin(type: number, bodyBytes: number): number {
    if (this.finished) throw new Error('ScapWriter: finish() was already called');
    const total = blockLength(bodyBytes);
    this.reserve(total);
    this.dv.setUint32(this.pos, type, true);
    this.dv.setUint32(this.pos + 4, total, true);
    return this.pos + BLOCK_HEADER_BYTES;
  }

  /** Pads the body of the block being written, writes the trailer and advances past the block. */
  private end(bodyBytes: number): this {
    const total = blockLength(bodyBytes);
    const padAt = this.pos + BLOCK_HEADER_BYTES + bodyBytes;
    const trailerAt = this.pos + total - BLOCK_TRAILER_BYTES;
    this.buf.fill(0, padAt, trailerAt);
    this.dv.setUint32(trailerAt, total, true);
    this.pos += total;
    if (this.sink && this.pos >= this.chunkBytes) this.flush();
    return this;
  }

  /** Makes room for `n` more bytes at `pos`. */
  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.sink) {
      this.flush();
      if (n > this.buf.length) this.replace(new Uint8Array(n));
      return;
    }
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.replace(next);
  }

  /** Hands the buffered bytes to the sink and starts a fresh buffer (the sink may keep the old). */
  private flush(): void {
    if (!this.sink || this.pos === 0) return;
    const chunk = this.buf.subarray(0, this.pos);
    this.flushed += this.pos;
    this.pos = 0;
    this.replace(new Uint8Array(this.chunkBytes));
    this.sink(chunk);
  }

  private replace(buf: Uint8Array): void {
    this.buf = buf;
    this.dv = new DataView(buf.buffer);
  }
}

// ---------------------------------------------------------------------------------------------
// Process-list entries
// ---------------------------------------------------------------------------------------------

/** Builds one v9 entry (length prefix included) in the order of scap_write_proclist_entry_bufs. */
function encodeProcessEntry(e: ProcessEntry, index: number): Uint8Array {
  const what = (field: string): string => `processList entry ${index} (tid ${e.tid}) ${field}`;
  const text = (s: string | undefined, field: string): Uint8Array => {
    const b = utf8.encode(s ?? '');
    if (b.length > MAX_PATH_BYTES) throw new RangeError(`${what(field)} is ${b.length} bytes, at most ${MAX_PATH_BYTES}`);
    return b;
  };
  const list = (l: readonly string[] | undefined, field: string): Uint8Array => {
    const b = strArray(l ?? []);
    if (b.length > MAX_ARGS_BYTES) throw new RangeError(`${what(field)} is ${b.length} bytes, at most ${MAX_ARGS_BYTES}`);
    return b;
  };
  const comm = text(e.comm, 'comm');
  const exe = text(e.exe, 'exe');
  const exepath = text(e.exepath, 'exepath');
  const args = list(e.args, 'args');
  const cwd = text(e.cwd, 'cwd');
  const env = list(e.env, 'env');
  const cgroups = list(e.cgroups, 'cgroups');
  const root = text(e.root, 'root');

  const w = new FieldWriter(
    4 + 8 * 5 +
      2 + comm.length + 2 + exe.length + 2 + exepath.length + 2 + args.length + 2 + cwd.length +
      8 + 4 * 3 + 4 * 3 + 8 * 2 +
      2 + env.length + 8 * 2 + 2 + cgroups.length + 2 + root.length +
      8 + 4 + 4 + 1 + 8 * 3 + 1 + 8 * 3 + 1 + 1 + 8,
    what,
  );
  w.u32(w.size, 'length');
  w.i64(e.tid, 'tid');
  w.i64(e.pid, 'pid');
  w.i64(e.ptid, 'ptid');
  w.i64(e.sid ?? 0n, 'sid');
  w.i64(e.vpgid ?? 0n, 'vpgid');
  w.lenBytes(comm);
  w.lenBytes(exe);
  w.lenBytes(exepath);
  w.lenBytes(args);
  w.lenBytes(cwd);
  w.i64(e.fdlimit, 'fdlimit');
  w.u32(e.flags, 'flags');
  w.u32(e.uid, 'uid');
  w.u32(e.gid, 'gid');
  w.u32(e.vmsizeKb ?? 0, 'vmsizeKb');
  w.u32(e.vmrssKb ?? 0, 'vmrssKb');
  w.u32(e.vmswapKb ?? 0, 'vmswapKb');
  w.u64(e.pfmajor ?? 0n, 'pfmajor');
  w.u64(e.pfminor ?? 0n, 'pfminor');
  w.lenBytes(env);
  w.i64(e.vtid ?? e.tid, 'vtid');
  w.i64(e.vpid ?? e.pid, 'vpid');
  w.lenBytes(cgroups);
  w.lenBytes(root);
  w.u64(e.pidnsInitStartTsEpochNs ?? 0n, 'pidnsInitStartTsEpochNs');
  w.u32(e.tty ?? 0, 'tty');
  w.u32(e.loginuid ?? LOGINUID_UNSET, 'loginuid');
  w.u8(e.exeWritable ? 1 : 0);
  w.u64(e.capInheritable ?? 0n, 'capInheritable');
  w.u64(e.capPermitted ?? 0n, 'capPermitted');
  w.u64(e.capEffective ?? 0n, 'capEffective');
  w.u8(e.exeUpperLayer ? 1 : 0);
  w.u64(e.exeIno ?? 0n, 'exeIno');
  w.u64(e.exeInoCtimeEpochNs ?? 0n, 'exeInoCtimeEpochNs');
  w.u64(e.exeInoMtimeEpochNs ?? 0n, 'exeInoMtimeEpochNs');
  w.u8(e.exeFromMemfd ? 1 : 0);
  w.u8(e.exeLowerLayer ? 1 : 0);
  w.i64(e.pgid ?? 0n, 'pgid');
  return w.done();
}

/** Little-endian writer over a buffer of a size computed in advance; checks it was filled exactly. */
class FieldWriter {
  private readonly b: Uint8Array;
  private readonly dv: DataView;
  private p = 0;

  constructor(readonly size: number, private readonly what: (field: string) => string) {
    this.b = new Uint8Array(size);
    this.dv = new DataView(this.b.buffer);
  }
  u8(v: number): void {
    this.dv.setUint8(this.p, v);
    this.p += 1;
  }
  u32(v: number, field: string): void {
    this.dv.setUint32(this.p, intIn(v, 0, MAX_U32, this.what(field)), true);
    this.p += 4;
  }
  u64(v: bigint, field: string): void {
    this.dv.setBigUint64(this.p, bigIn(v, 0n, U64_MAX, this.what(field)), true);
    this.p += 8;
  }
  i64(v: bigint, field: string): void {
    this.dv.setBigInt64(this.p, bigIn(v, I64_MIN, I64_MAX, this.what(field)), true);
    this.p += 8;
  }
  /** A u16 length, then the bytes. */
  lenBytes(bytes: Uint8Array): void {
    this.dv.setUint16(this.p, bytes.length, true);
    this.b.set(bytes, this.p + 2);
    this.p += 2 + bytes.length;
  }
  done(): Uint8Array {
    if (this.p !== this.size) throw new Error(`internal: process entry is ${this.p} bytes, computed ${this.size}`);
    return this.b;
  }
}
