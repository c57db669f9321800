/**
 * A window onto the event the Wasm decoder just stopped on: its header, its
 * parameters and its thread's record, read straight from Wasm linear memory.
 * Valid only until the decoder scans again — copy what you keep (the public
 * API hands out plain objects; see ts/api/capture.ts).
 */
import { escapeBytes } from './escape.js';
import { FieldResult, type DecoderModule, type RecordLayout } from '../pipeline/wasm.js';
import { eventInfo, type EventInfo } from '../events/event_table.js';
import type { BaselineVerdict } from '../baseline/verdict.js';

const FRAME_TS = 0;
const FRAME_TID = 8;
const FRAME_TYPE = 20;

const utf8 = new TextDecoder('utf-8', { fatal: false });

export class EventView {
  /** evt.num: 1-based position of the event in the capture, as libsinsp counts. */
  num = 0;
  /** evt.rawtime: epoch ns. */
  ts = 0n;
  tid = 0n;
  /** PPME_* event id. */
  type = 0;
  cpu = 0;
  /** Parameter count of this frame (may exceed or fall short of the table's). */
  nparams = 0;
  /** Absolute byte offset of the event's block in the (decompressed) stream. */
  blockOffset = 0;
  info: EventInfo | undefined;
  private threadRec = -1;
  private memBuffer: ArrayBuffer | undefined;
  private dv!: DataView;
  private bytes!: Uint8Array;
  private readonly ex: DecoderModule['exports'];
  readonly layout: RecordLayout;
  /** Latest plausible epoch-ns time (assembly/epoch_ns.ts); later times give no duration. */
  readonly maxPlausibleEpochNs: bigint;
  private paramPtrs = 0;
  private paramLens = 0;
  /** Boot time of the capture (epoch ns), when the machine-info block had one. */
  bootTsEpochNs: bigint | undefined;
  /** Host name of the capture's machine-info block (evt.hostname). */
  hostname: string | undefined;
  /** The learned baseline's verdict on this exec while its alert renders (ts/baseline/detect.ts); drift.baseline.* read it. */
  baselineVerdict: BaselineVerdict | undefined;
  /** The section was written by scapdrift's loader, whose driver flags scripts (proc.is_exe_script). */
  scriptFlagKnown = false;

  constructor(module: DecoderModule) {
    this.ex = module.exports;
    this.layout = module.layout;
    this.maxPlausibleEpochNs = module.maxPlausibleEpochNs;
  }

  /** Loads the event the decoder stopped on; `base` is the stream offset of input[0]. */
  load(base: number): void {
    this.refresh();
    const ex = this.ex;
    const f = ex.currentFrame();
    this.ts = this.dv.getBigUint64(f + FRAME_TS, true);
    this.tid = this.dv.getBigInt64(f + FRAME_TID, true);
    this.type = this.dv.getUint16(f + FRAME_TYPE, true);
    this.num = Number(ex.currentEventNum());
    this.cpu = ex.currentCpu();
    this.nparams = ex.currentNparams();
    this.blockOffset = base + ex.currentBlockStart();
    this.info = eventInfo(this.type);
    this.threadRec = -1;
    this.paramPtrs = ex.paramPtrTable();
    this.paramLens = ex.paramLenTable();
  }

  private refresh(): void {
    const buf = this.ex.memory.buffer;
    if (buf !== this.memBuffer) {
      this.memBuffer = buf;
      this.dv = new DataView(buf);
      this.bytes = new Uint8Array(buf);
    }
  }

  /** Bytes of parameter `i` (a view into Wasm memory), or undefined when the frame lacks it. */
  param(i: number): Uint8Array | undefined {
    if (i < 0 || i >= this.nparams) return undefined;
    const p = this.dv.getUint32(this.paramPtrs + i * 4, true);
    const n = this.dv.getUint32(this.paramLens + i * 4, true);
    return this.bytes.subarray(p, p + n);
  }

  /** Index of the parameter named `name` in this event's table entry, or -1. */
  paramIndex(name: string): number {
    const params = this.info?.params;
    if (!params) return -1;
    for (let i = 0; i < params.length; i++) if (params[i]!.name === name) return i;
    return -1;
  }

  /** Pointer to the thread record of this event's tid, or 0 when the table has none. */
  thread(): number {
    if (this.threadRec < 0) this.threadRec = this.ex.threadPtr(this.tid);
    return this.threadRec;
  }

  /** Pointer to the record of any `tid`, or 0. */
  lookup(tid: bigint): number {
    return this.ex.threadPtr(tid);
  }
  /** Reads an i64 at `offset` of the record at `rec`. */
  i64At(rec: number, offset: number): bigint {
    return this.dv.getBigInt64(rec + offset, true);
  }
  /** Reads a u32 at `offset` of the thread record. */
  recU32(offset: number): number {
    return this.dv.getUint32(this.thread() + offset, true);
  }
  /** Reads a u64 at `offset` of the thread record. */
  recU64(offset: number): bigint {
    return this.dv.getBigUint64(this.thread() + offset, true);
  }
  /** Reads an i64 at `offset` of the thread record. */
  recI64(offset: number): bigint {
    return this.dv.getBigInt64(this.thread() + offset, true);
  }
  /** Raw bytes of string slot `slot` (StrSlot) of the thread record. */
  recStringBytes(slot: number): Uint8Array {
    const rec = this.thread();
    const len = this.dv.getUint32(rec + this.layout.strLen + slot * 4, true);
    const p = this.ex.threadStringPtr(rec, slot);
    return this.bytes.subarray(p, p + len);
  }
  /** Inline bytes of the thread record: `len` at `lenOffset` (u32), the bytes at `offset`. */
  recInlineBytes(offset: number, lenOffset: number): Uint8Array {
    const rec = this.thread();
    return this.bytes.subarray(rec + offset, rec + offset + this.dv.getUint32(rec + lenOffset, true));
  }
  /** String slot `slot` decoded as UTF-8 (invalid bytes become U+FFFD). */
  recString(slot: number): string {
    return utf8.decode(this.recStringBytes(slot));
  }
  /**
   * VM field `field` (ts/filter/layout.ts F) of this event, computed by the Wasm loaders
   * that conditions use: a bigint (signed or not as the loader says), or null when missing.
   */
  wasmNumber(field: number, arg: number): bigint | null {
    const ex = this.ex;
    if (ex.extractField(field, arg) !== FieldResult.NUMBER) return null;
    const n = ex.fieldNumber();
    return ex.fieldNumberSigned() ? BigInt.asIntN(64, n) : BigInt.asUintN(64, n);
  }
  /** String VM field `field` of this event as bytes (a view into Wasm memory), or null when missing. */
  wasmBytes(field: number, arg: number): Uint8Array | null {
    const ex = this.ex;
    if (ex.extractField(field, arg) !== FieldResult.STRING) return null;
    this.refresh();
    const p = ex.fieldStringPtr();
    return this.bytes.subarray(p, p + ex.fieldStringLen());
  }
  /**
   * What libsinsp renders after fd `fd` of this event's thread in evt.args/evt.info
   * ("<f>/etc/passwd", "<4t>1.2.3.4:5->6.7.8.9:80"), or undefined when the fd is not in its table.
   */
  fdText(fd: bigint): string | undefined {
    const n = this.ex.describeFd(this.tid, fd);
    if (n < 0) return undefined;
    this.refresh();
    const p = this.ex.fdDescribePtr();
    return escapeBytes(this.bytes.subarray(p, p + n));
  }
  /** container.id bytes as text ("" for the host). */
  containerId(): string {
    const rec = this.thread();
    const n = this.dv.getUint32(rec + this.layout.containerIdLen, true);
    return n === 0 ? '' : utf8.decode(this.bytes.subarray(rec + this.layout.containerId, rec + this.layout.containerId + n));
  }
}
