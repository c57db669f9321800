/**
 * Capture-on-alert (Falco 0.42's `capture` setting, plus a pre-roll): a `.scap` file of the
 * stream around each alert, which any scap reader — `scapdrift read`, libsinsp — opens on its own.
 *
 * File: `PREFIX_<ts>_<evt.num>.scap` (both zero-padded to 20 digits: Falco's
 * generate_scap_file_path), uncompressed, closed like a `--write` recording
 * (ts/scap/recording.ts). Its blocks:
 *
 * ```
 * SHB, MI, UL…   the stream's own (copied as they came)
 * PL             the thread table at the first event kept: the stream's own PL for the start of
 *                the stream, else the decoder's table at that point (ts/pipeline/thread_snapshot.ts), as
 *                libs' dumper writes the inspector's table when it opens mid-stream
 * EV/EVF…        the stream's event blocks, unchanged, from at least `beforeMs` before the alert
 *                (as far as the pre-roll buffer holds) to the first event after the deadline
 * ```
 *
 * Deadline: alert ts + the rule's `capture_duration` (ms) or `defaultDurationMs`; an alert during
 * a capture extends it (the longest deadline wins), as Falco. Mode `rules` captures for the rules
 * with `capture: true`, `all_rules` for every alert (Falco `capture.mode`). `maxFileBytes` ends a
 * file early (Falco `max_file_size_mb`), said on stderr.
 *
 * How it keeps state right: the decoder hands over every piece of the decompressed stream before
 * decoding it (DecodeHandlers.onBytes), and after each chunk it is at a block boundary
 * (Decoder.blockBoundary) where its state is exactly that of the blocks before. There, every
 * `beforeMs` of stream time, the thread table is written out as a PL block: a segment start. The
 * bytes from the oldest segment still needed are held (at most `bufferBytes`: past it the oldest
 * segments go and the pre-roll is shorter, counted). A file starts at the newest segment at least
 * `beforeMs` older than its alert. Memory: the held bytes plus one PL per segment (two or three).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Decoder } from '../pipeline/decoder.js';
import { ScapWriter } from '../scap/writer.js';
import { threadTableEntries } from '../pipeline/thread_snapshot.js';
import { closeRecording } from '../scap/recording.js';
import {
  BLOCK_HEADER_BYTES, MIN_BLOCK_BYTES, SHB_BLOCK_TYPE, eventFrameOffset, isProcessListBlock,
  FDL_BLOCK_TYPE, FDL_BLOCK_TYPE_INT, FDL_BLOCK_TYPE_V2,
} from '../scap/block_types.js';
import { ScapdriftError, ErrorCode } from '../errors.js';

/** Falco's `capture.mode`. */
export type AlertCaptureMode = 'rules' | 'all_rules';

/** What a rule says about captures (Falco rule keys `capture`, `capture_duration`). */
export interface CaptureRule {
  name: string;
  capture?: boolean;
  /** ms; absent or 0: the default duration. */
  captureDurationMs?: number;
}

export interface AlertCaptureOptions {
  /** Path prefix of the files (Falco `capture.path_prefix`). */
  prefix: string;
  /** Default `rules` (Falco's default). */
  mode: AlertCaptureMode;
  /** ms of stream kept after the alert when its rule has no capture_duration (Falco `capture.default_duration`, 5000). */
  defaultDurationMs: number;
  /** ms of stream kept before the alert (scapdrift's pre-roll; Falco starts at the alert). */
  beforeMs: number;
  /** Bytes at which a file ends early (Falco `capture.max_file_size_mb`); 0: no limit. */
  maxFileBytes: number;
  /** Most bytes of stream held for the pre-roll. */
  bufferBytes: number;
  /** Where lines about written files go (stderr). */
  note: (line: string) => void;
}

/** Defaults (Falco falco.yaml `capture`, and the pre-roll's). */
export const ALERT_CAPTURE_DEFAULTS = {
  mode: 'rules' as AlertCaptureMode,
  defaultDurationMs: 5000,
  beforeMs: 5000,
  maxFileBytes: 100 * 1024 * 1024,
  bufferBytes: 64 * 1024 * 1024,
};

/** Block types whose content is state at the start of a stream: replaced by a segment's PL. */
const FDL_TYPES = new Set([FDL_BLOCK_TYPE, FDL_BLOCK_TYPE_INT, FDL_BLOCK_TYPE_V2]);
/** Longest block framed: larger lengths mean a corrupt stream (the decoder says where). */
const MAX_FRAMED_BLOCK_BYTES = 0x7fffffff;
const NS_PER_MS = 1_000_000n;

interface Chunk { start: number; bytes: Uint8Array }
interface Segment {
  /** Stream offset of its first block. */
  offset: number;
  /** ts of the last event before it (epoch ns): the time of its state. */
  ts: bigint;
  /** Blocks that give the state at `offset` (PL, FDL). */
  state: Uint8Array[];
}
interface OpenCapture {
  path: string;
  file: WriteStream;
  /** Stream offset of the next block to write. */
  writeAt: number;
  /** Epoch ns: the first event after it ends the file. */
  deadline: bigint;
  bytes: number;
  events: number;
  rules: Set<string>;
  failed?: Error;
}

/** The command-line options (`--alert-capture PREFIX` and its settings), as given. */
export interface AlertCaptureCliOptions {
  alertCapture?: string;
  alertCaptureMode?: string;
  alertCaptureDuration?: string | number;
  alertCaptureBefore?: string | number;
  alertCaptureMaxMb?: string | number;
}

function nonNegativeInt(v: string | number | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = typeof v === 'number' ? v : /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new ScapdriftError(ErrorCode.OPTION, `${name} must be a non-negative integer, got ${String(v)}`);
  return n;
}

/**
 * The settings of the options, or undefined without `--alert-capture`; `rules` are the loaded
 * rules (mode `rules` with none that has `capture: true` captures nothing: said through `warn`).
 * Throws E_OPTION for a bad value, or a setting without `--alert-capture`.
 */
export function alertCaptureSettings(o: AlertCaptureCliOptions, rules: readonly CaptureRule[] | undefined, note: (line: string) => void, warn: (line: string) => void): AlertCaptureOptions | undefined {
  if (o.alertCapture === undefined) {
    const stray = ([['alertCaptureMode', 'mode'], ['alertCaptureDuration', 'duration'], ['alertCaptureBefore', 'before'], ['alertCaptureMaxMb', 'max-mb']] as const)
      .find(([k]) => o[k] !== undefined);
    if (stray) throw new ScapdriftError(ErrorCode.OPTION, `--alert-capture-${stray[1]} needs --alert-capture PREFIX`);
    return undefined;
  }
  if (o.alertCapture === '') throw new ScapdriftError(ErrorCode.OPTION, '--alert-capture needs a path prefix, e.g. /var/lib/scapdrift/alert');
  if (!rules) throw new ScapdriftError(ErrorCode.OPTION, '--alert-capture needs rules (-r FILE or --default-rules): files are written around alerts');
  const mode = o.alertCaptureMode ?? ALERT_CAPTURE_DEFAULTS.mode;
  if (mode !== 'rules' && mode !== 'all_rules') throw new ScapdriftError(ErrorCode.OPTION, `--alert-capture-mode must be rules or all_rules, got ${mode}`);
  if (mode === 'rules' && !rules.some((r) => r.capture)) {
    warn(`--alert-capture: no loaded rule has 'capture: true', so mode 'rules' writes no file; add it to the rules or use --alert-capture-mode all_rules`);
  }
  return {
    prefix: o.alertCapture,
    mode,
    defaultDurationMs: nonNegativeInt(o.alertCaptureDuration, '--alert-capture-duration', ALERT_CAPTURE_DEFAULTS.defaultDurationMs),
    beforeMs: nonNegativeInt(o.alertCaptureBefore, '--alert-capture-before', ALERT_CAPTURE_DEFAULTS.beforeMs),
    maxFileBytes: nonNegativeInt(o.alertCaptureMaxMb, '--alert-capture-max-mb', ALERT_CAPTURE_DEFAULTS.maxFileBytes / MIB) * MIB,
    bufferBytes: ALERT_CAPTURE_DEFAULTS.bufferBytes,
    note,
  };
}

const MIB = 1024 * 1024;

interface Trigger { rule: string; ts: bigint; num: number; deadline: bigint }

/** Totals, for the exit line. */
export interface AlertCaptureTotals {
  files: string[];
  /** Files whose pre-roll the buffer cut short. */
  shortPreRoll: number;
  /** Files ended by maxFileBytes. */
  sizeLimited: number;
}

export class AlertCapture {
  private chunks: Chunk[] = [];
  private end = 0;
  /** Offset of the next block header to frame. */
  private next = 0;
  private lastTs = 0n;
  private broken = false;
  /** SHB, MI, UL… of the current section; complete once its first event block is seen. */
  private head: Uint8Array[] = [];
  private headState: Uint8Array[] = [];
  private headDone = false;
  private segments: Segment[] = [];
  /** Offset of a later section's SHB: files and segments never cross it. */
  private sectionEnd: number | undefined;
  private open: OpenCapture | undefined;
  private held = 0;
  private readonly totals: AlertCaptureTotals = { files: [], shortPreRoll: 0, sizeLimited: 0 };
  private preRollCut = false;
  private readonly pending: Promise<void>[] = [];
  /** Alerts not yet met by the writer, in event order. */
  private triggers: Trigger[] = [];

  constructor(private readonly o: AlertCaptureOptions) {}

  /** DecodeHandlers.onBytes: holds a copy of the piece and frames its blocks. */
  onBytes(piece: Uint8Array): void {
    if (this.broken) return;
    this.chunks.push({ start: this.end, bytes: piece.slice() });
    this.end += piece.length;
    this.held += piece.length;
    this.frame();
  }

  /**
   * An alert of `rule` on the event at epoch ns `ts`, numbered `num`, in event order. When the mode
   * captures for this rule it starts a file, or extends the open one's deadline, as the file is
   * written up to that event (afterChunk).
   */
  alert(rule: CaptureRule, ts: bigint, num: number): void {
    if (this.broken || (this.o.mode === 'rules' && rule.capture !== true)) return;
    const ms = rule.captureDurationMs && rule.captureDurationMs > 0 ? rule.captureDurationMs : this.o.defaultDurationMs;
    this.triggers.push({ rule: rule.name, ts, num, deadline: ts + BigInt(ms) * NS_PER_MS });
  }

  /**
   * DecodeHandlers.afterChunk: writes the open file up to what the decoder has decoded, starts a
   * segment when `beforeMs` of stream passed since the last, lets go of bytes no file needs.
   * Waits while the open file's disk is slower than the stream (the pre-roll stays bounded).
   */
  async afterChunk(decoder: Decoder): Promise<void> {
    const boundary = decoder.blockBoundary();
    if (boundary === undefined || this.broken) return;
    this.writeUpTo(boundary);
    if (this.headDone && (this.sectionEnd === undefined || boundary < this.sectionEnd)) {
      const last = this.segments[this.segments.length - 1];
      // Every beforeMs of stream; and when the held bytes pass the buffer, every half buffer (the
      // oldest segment then goes: a shorter pre-roll).
      const due = last === undefined || this.lastTs - last.ts >= BigInt(this.o.beforeMs) * NS_PER_MS ||
        (this.held > this.o.bufferBytes && boundary - last.offset > this.o.bufferBytes / 2);
      if (due && (last === undefined || boundary > last.offset)) this.segments.push(this.snapshot(decoder, boundary));
    }
    this.prune();
    const file = this.open?.file;
    if (file && file.writableNeedDrain) {
      await new Promise<void>((resolve) => {
        const done = (): void => { file.off('drain', done); file.off('error', done); resolve(); };
        file.on('drain', done);
        file.on('error', done);
      });
    }
  }

  /** At the end of the stream: writes the rest of an open file and closes every file. */
  async close(decoder: Decoder | undefined): Promise<AlertCaptureTotals> {
    this.writeUpTo(decoder?.blockBoundary() ?? this.end);
    if (this.open) this.finishFile();
    await Promise.all(this.pending);
    return this.totals;
  }

  // -- stream framing ---------------------------------------------------------------------------

  private frame(): void {
    while (this.next + BLOCK_HEADER_BYTES <= this.end) {
      const type = this.u32(this.next);
      const len = this.u32(this.next + 4);
      if (len < MIN_BLOCK_BYTES || len > MAX_FRAMED_BLOCK_BYTES) {
        this.broken = true; // the decoder names the offset and stops; nothing more is cut
        return;
      }
      const frameAt = eventFrameOffset(type);
      if (frameAt !== undefined) {
        const tsAt = this.next + BLOCK_HEADER_BYTES + frameAt;
        if (tsAt + 8 > this.end) return;
        this.lastTs = this.u64(tsAt);
        if (!this.headDone) {
          this.headDone = true;
          this.segments = [{ offset: this.next, ts: this.lastTs, state: this.headState }];
        }
      } else if (type === SHB_BLOCK_TYPE && this.headDone) {
        // A concatenated capture: the decoder starts its state over here.
        this.sectionEnd = this.next;
        this.broken = this.open === undefined;
        return;
      } else if (!this.headDone) {
        if (this.next + len > this.end) return; // whole head blocks only
        const block = this.bytesAt(this.next, this.next + len);
        if (isProcessListBlock(type) || FDL_TYPES.has(type >>> 0)) this.headState.push(block);
        else this.head.push(block);
      }
      this.next += len;
    }
  }

  private snapshot(decoder: Decoder, offset: number): Segment {
    const entries = threadTableEntries(decoder.module);
    const pl = entries.length ? new ScapWriter().processList(entries).finish().slice() : undefined;
    return { offset, ts: this.lastTs, state: pl ? [pl] : [] };
  }

  /** The newest segment at least beforeMs older than `ts`, else the oldest held. */
  private startSegment(ts: bigint): Segment | undefined {
    const from = ts - BigInt(this.o.beforeMs) * NS_PER_MS;
    let pick: Segment | undefined;
    for (const s of this.segments) if (s.ts <= from) pick = s;
    return pick ?? this.segments[0];
  }

  private prune(): void {
    const from = this.lastTs - BigInt(this.o.beforeMs) * NS_PER_MS;
    // Keep the newest segment old enough for an alert now, and every later one.
    while (this.segments.length > 1 && this.segments[1]!.ts <= from) this.segments.shift();
    // Over the buffer: the pre-roll gets shorter.
    while (this.held > this.o.bufferBytes && this.segments.length > 1 && (!this.open || this.segments[1]!.offset <= this.open.writeAt)) {
      this.segments.shift();
      this.preRollCut = true;
    }
    let keep = this.segments[0]?.offset ?? this.next;
    if (this.open && this.open.writeAt < keep) keep = this.open.writeAt;
    while (this.chunks.length > 1 && this.chunks[0]!.start + this.chunks[0]!.bytes.length <= keep) {
      this.held -= this.chunks.shift()!.bytes.length;
    }
  }

  // -- writing ----------------------------------------------------------------------------------

  /** Opens a file for the first waiting trigger. */
  private start(t: Trigger): OpenCapture | undefined {
    const seg = this.startSegment(t.ts);
    if (!seg) return undefined;
    const path = `${this.o.prefix}_${pad20(t.ts)}_${pad20(BigInt(t.num))}.scap`;
    const file = createWriteStream(path);
    const cap: OpenCapture = { path, file, writeAt: seg.offset, deadline: t.deadline, bytes: 0, events: 0, rules: new Set([t.rule]) };
    file.on('error', (e) => { cap.failed = e; });
    if (this.preRollCut && seg === this.segments[0] && seg.ts > t.ts - BigInt(this.o.beforeMs) * NS_PER_MS) this.totals.shortPreRoll++;
    for (const b of [...this.head, ...seg.state]) this.write(cap, b);
    return cap;
  }

  /**
   * Writes the blocks before `boundary` into the open file — or the files the waiting triggers
   * open — event by event as Falco: an alert on an event extends the deadline, then the event is
   * written, then a ts past the deadline ends the file.
   */
  private writeUpTo(boundary: number): void {
    const stop = this.sectionEnd !== undefined && this.sectionEnd < boundary ? this.sectionEnd : boundary;
    for (;;) {
      if (!this.open) {
        const t = this.triggers.shift();
        if (!t) return;
        this.open = this.start(t);
        if (!this.open) continue;
      }
      const cap = this.open;
      let at = cap.writeAt;
      let ended = false;
      while (at + BLOCK_HEADER_BYTES <= stop) {
        const type = this.u32(at);
        const len = this.u32(at + 4);
        if (at + len > stop) break;
        const frameAt = eventFrameOffset(type);
        const ts = frameAt === undefined ? undefined : this.u64(at + BLOCK_HEADER_BYTES + frameAt);
        while (ts !== undefined && this.triggers.length > 0 && this.triggers[0]!.ts <= ts) {
          const t = this.triggers.shift()!;
          if (t.deadline > cap.deadline) cap.deadline = t.deadline;
          cap.rules.add(t.rule);
        }
        if (this.o.maxFileBytes > 0 && cap.bytes + len > this.o.maxFileBytes) {
          this.totals.sizeLimited++;
          this.o.note(`alert capture ${cap.path}: ended at the size limit (${this.o.maxFileBytes} bytes)`);
          ended = true;
          break;
        }
        this.write(cap, this.bytesAt(at, at + len, false));
        at += len;
        if (ts !== undefined) {
          cap.events++;
          if (ts > cap.deadline) {
            ended = true;
            break;
          }
        }
      }
      cap.writeAt = at;
      if (ended || (this.sectionEnd !== undefined && at >= this.sectionEnd)) this.finishFile();
      else return; // waits for more of the stream
    }
  }

  private write(cap: OpenCapture, bytes: Uint8Array): void {
    cap.bytes += bytes.length;
    cap.file.write(bytes);
  }

  private finishFile(): void {
    const cap = this.open!;
    this.open = undefined;
    if (this.sectionEnd !== undefined) this.broken = true;
    cap.file.end();
    this.pending.push((async () => {
      await finished(cap.file).catch(() => {});
      if (cap.failed) throw new ScapdriftError(ErrorCode.IO, `cannot write the alert capture ${cap.path}: ${(cap.failed as NodeJS.ErrnoException).code ?? cap.failed.message}`);
      await closeRecording(cap.path);
      this.totals.files.push(cap.path);
      this.o.note(`alert capture ${cap.path}: ${cap.events} events, ${cap.bytes} bytes (rules: ${[...cap.rules].join(', ')})`);
    })());
  }

  // -- reading held bytes -----------------------------------------------------------------------

  /** Index of the chunk holding stream offset `off`. */
  private chunkAt(off: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.chunks[mid]!.start <= off) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Bytes [from, to) of the stream; a view when one chunk holds them, unless `copy`. */
  private bytesAt(from: number, to: number, copy = true): Uint8Array {
    let i = this.chunkAt(from);
    const c = this.chunks[i]!;
    if (to <= c.start + c.bytes.length) {
      const v = c.bytes.subarray(from - c.start, to - c.start);
      return copy ? v.slice() : v;
    }
    const out = new Uint8Array(to - from);
    let p = 0;
    let at = from;
    while (at < to) {
      const k = this.chunks[i++]!;
      const piece = k.bytes.subarray(at - k.start, Math.min(k.bytes.length, to - k.start));
      out.set(piece, p);
      p += piece.length;
      at += piece.length;
    }
    return out;
  }

  private u32(off: number): number {
    const b = this.bytesAt(off, off + 4, false);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  private u64(off: number): bigint {
    const b = this.bytesAt(off, off + 8, false);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }
}

function pad20(n: bigint): string {
  return n.toString().padStart(20, '0');
}
