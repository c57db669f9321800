/**
 * The decoding pipeline of one capture on one thread: pushes stream chunks
 * into the Wasm decoder's input buffer, lets it walk event blocks, parses the
 * other blocks (SHB, MI, PL) in TypeScript and hands every selected event to
 * the caller as an {@link EventView}.
 *
 * Memory stays bounded: the input buffer holds the unconsumed tail plus one
 * piece of at most 1 MiB, growing only to fit the largest event block (64 KiB,
 * 16 MiB for large-payload ones) or machine-info block (64 KiB) or section
 * header (1 MiB). Process lists and the blocks skipped by their length are read
 * as they arrive, never held whole.
 */
import { createDecoderModule, writeFallback, Status, FAULT_MESSAGES, FAULT_PARAM_WIDTH, FIRST_FRAME_FAULT, StrSlot, type DecoderModule } from './wasm.js';
import { EventView } from '../fields/event_view.js';
import { EVENT_COUNT, eventInfo, eventIdsByName, fixedWidthBytes } from '../events/event_table.js';
import { PPME } from '../events/ppm_constants.js';
import { PPM_SC_NAMES, isSyscallName } from '../events/syscalls.js';
import { ScapdriftError, ErrorCode } from '../errors.js';
import {
  SHB_BLOCK_TYPE, MI_BLOCK_TYPE, MI_BLOCK_TYPE_INT, BLOCK_HEADER_BYTES, BLOCK_TRAILER_BYTES,
  MIN_BLOCK_BYTES, describeBlock, isProcessListBlock, isKnownBlockType, hexId,
} from '../scap/block_types.js';
import { parseSectionHeader, SHB_OPT_USERAPPL, type SectionHeader } from '../scap/section_header.js';
import { RECORDER, unclosedRecordingAt } from '../scap/recording.js';
import { parseMachineInfo, type MachineInfo } from '../scap/machine_info.js';
import { ProcessListReader, decodeProcessEntry, type ProcessEntry, type ProcessFields, type ProcessStrings } from '../scap/process_list.js';
import { UserListReader, isUserListBlock, type Credential } from '../scap/user_list.js';
import { FdListReader, isFdListBlock, type ListedFd } from '../scap/fd_list.js';
import { installPrograms, installBlob } from '../filter/blob.js';
import type { ByteSource } from '../scap/byte_source.js';
import type { Program } from '../filter/compiler.js';
import type { OutputProgram } from '../output/program.js';

/** Largest block accepted (bytes); longer lengths are corruption, never allocated. */
const MAX_BLOCK_BYTES = 256 * 1024 * 1024;
/** Largest section header block (its options included) and machine-info block, bytes. */
const MAX_SHB_BYTES = 1 << 20;
const MAX_MI_BYTES = 64 * 1024;
/** A string a process-list entry's version does not carry. */
const NO_BYTES = new Uint8Array(0);
/** Bytes handed to the scanner at a time: a large chunk (a parallel batch) is fed in pieces. */
const FEED_PIECE_BYTES = 1 << 20;

/** A process list, or a block skipped by its length, read as it arrives. */
interface StreamedBlock {
  type: number;
  /** Stream offset of the block. */
  offset: number;
  len: number;
  /** Bytes of the block consumed, from its start. */
  at: number;
  /** The entries' reader (process lists only). */
  pl?: ProcessListReader;
  /** The users' and groups' reader (user lists only). */
  ul?: UserListReader;
  /** The fds' reader (fd lists only). */
  fdl?: FdListReader;
  /** The entries, collected only when the handlers want them. */
  entries?: ProcessEntry[];
}

/** What the pipeline reports besides events. */
export interface DecodeHandlers {
  /** Called for every event the emit mask selects; the view is valid during the call only. */
  onEvent(view: EventView): void;
  /**
   * With the `stateExecs` option: called for every execve/execveat exit that is not delivered
   * to onEvent (another worker's batch, a type or filter not selected), in stream order with
   * the events; the view is valid during the call only.
   */
  onStateExec?(view: EventView): void;
  onSectionHeader?(header: SectionHeader, offset: number): void;
  onMachineInfo?(info: MachineInfo, offset: number): void;
  /** The entries of a process-list block; collected only when this handler is set. */
  onProcessList?(entries: ProcessEntry[], offset: number): void;
  /**
   * A corrupt frame inside a sound block was skipped (not strict): the error names its
   * offset and what was wrong; decoding goes on with the next block.
   */
  onSkip?(error: ScapdriftError): void;
  /**
   * Output formatted in Wasm (an output program installed, {@link Decoder.installOutput}): whole
   * lines, UTF-8, a view into Wasm memory valid during the call only (copy what you keep).
   */
  onOutput?(bytes: Uint8Array): void;
  /** Called after each input chunk; awaited, so a slow consumer slows the reader. */
  afterChunk?(): Promise<void> | void;
  /**
   * The decompressed stream, in order: each piece just before it is decoded (a view valid during
   * the call only: copy what you keep). With afterChunk and {@link Decoder.blockBoundary}, what
   * cuts pieces out of a stream (ts/alerts/alert_capture.ts).
   */
  onBytes?(bytes: Uint8Array): void;
}

/** Totals of one decode. */
export interface DecodeSummary {
  /** Events numbered (libsinsp's evt.num of the last event). */
  events: number;
  /** Decompressed bytes walked. */
  bytes: number;
  /** Blocks of other types skipped by their length (FDL, IL, UL, unknown). */
  skippedBlocks: number;
  /**
   * Of those, blocks of a type libscap does not know (libscap refuses the file there; scapdrift
   * skips them as pcapng allows, and says so; with `strict`, the first one is fatal), and the
   * first one's type and byte offset.
   */
  unknownBlocks: number;
  firstUnknownBlock?: { type: number; offset: number };
  /** Threads in the table at the end. */
  threads: number;
  /** Threads not tracked because the table was full (262,144 threads, libsinsp's default cap). */
  droppedThreads: number;
  /** Files the file table forgot, oldest first, because it was full (16,384 files; drift.* fields). */
  filesEvicted: number;
  /** Fds held in the fd table at the end (all processes); 0 when the table was not kept (option `fdTable`). */
  fds: number;
  /**
   * Fds not tracked because a bound of the fd table was reached (131,072 fds, 1,024 per
   * process: assembly/fd_table.ts); their fd.* fields read as unknown.
   */
  fdsDropped: number;
  /** Fds tracked without their name: the table's 64 MiB of names were full (fd.name reads empty). */
  fdNamesDropped: number;
  /**
   * The boot time of pid-namespace starts was calibrated: the machine-info boot time is
   * whole seconds (libs' /proc/stat btime) and a namespace init's clone exit gave the
   * precise one (assembly/lifecycle.ts). Starts computed before that exit use the former.
   */
  bootCalibrated: boolean;
  /** Frames skipped because their event id is beyond the event table (as libscap skips them). */
  unknownEvents: number;
  /** Corrupt frames skipped inside sound blocks (not strict). */
  skippedFrames: number;
  /**
   * The first section header is a scapdrift recording that was never closed (ts/scap/recording.ts):
   * the stream offset of its section_length. Absent for a closed one and for other writers' captures.
   */
  unclosedRecordingAt?: number;
}

/** Most bytes per read of {@link Decoder.runSource}, by default. */
const SOURCE_READ_BYTES = 1 << 20;

/** Options of {@link Decoder}. */
export interface DecoderOptions {
  /** Event type names to deliver (evt.type); all when absent. */
  types?: readonly string[];
  /**
   * Make the first corrupt frame fatal. By default a corrupt frame inside a block whose
   * length and trailer are sound is reported (onSkip) and skipped, and decoding goes on.
   */
  strict?: boolean;
  /** Compiled filter programs (ts/filter): only events some program matches are delivered. */
  programs?: readonly Program[];
  /** Or the same already laid out (ts/filter/blob.ts layoutPrograms; a plan's filter). */
  filter?: { readonly blob: Uint8Array; readonly count: number };
  /** Also hand every exec exit not delivered to {@link DecodeHandlers.onStateExec} (a learned baseline's writers). */
  stateExecs?: boolean;
  /**
   * Keep the fd table and the cwd (default true). False when nothing asked of this decode reads
   * them (a plan's `fdTable`, ts/pipeline/state_needs.ts): fd events, fd inheritance at clone,
   * close-on-exec and the fds of FDL blocks are then skipped, and {@link DecodeSummary.fds} is 0.
   */
  fdTable?: boolean;
}

/** What FAULT_PARAM_WIDTH found: parameter `index` of event `id` has `bytes` bytes. */
function widthFault(id: number, index: number, bytes: number): string {
  const info = eventInfo(id)!;
  const p = info.params[index]!;
  return `parameter ${index + 1} (${p.name}, ${p.typeName}) of ${info.name} ${info.direction === '<' ? 'exit' : 'enter'} (id ${id}) has ${bytes} bytes, expected ${fixedWidthBytes(p.type)} or none`;
}

/** Throws E_OPTION for the first name that no event type has; `what` prefixes the message (the option's name). */
export function checkEventTypes(types: Iterable<string>, what = ''): void {
  for (const t of types) {
    if (eventIdsByName(t).length === 0 && !isSyscallName(t)) throw new ScapdriftError(ErrorCode.OPTION, `${what}unknown event type ${t} (names as evt.type prints them, e.g. execve)`);
  }
}

export class Decoder {
  readonly module: DecoderModule;
  readonly view: EventView;
  private sawSectionHeader = false;
  private skippedBlocks = 0;
  private unknownBlocks = 0;
  private firstUnknownBlock: { type: number; offset: number } | undefined;
  private skippedFrames = 0;
  private readonly strict: boolean;
  private base = 0; // stream offset of input[0]
  private end = 0; // valid bytes in the input buffer
  private total = 0; // bytes fed
  private streamed: StreamedBlock | undefined;
  /** Stream offset of input[0] while the scanner runs (for a view loaded by a fallback field). */
  private scanBase = 0;
  /** The first section header's: see {@link DecodeSummary.unclosedRecordingAt}. */
  private unclosedRecordingAt: number | undefined;

  constructor(options: DecoderOptions = {}) {
    this.module = createDecoderModule();
    this.view = new EventView(this.module);
    this.strict = options.strict === true;
    const ex = this.module.exports;
    const wanted = options.types ? new Set(options.types) : undefined;
    checkEventTypes(wanted ?? []);
    // Ids beyond the table are skipped by the scanner before emission: only the table's ids matter.
    // A generic exit is named by its syscall (ts/events/syscalls.ts): selected per ppm_sc code.
    const wantedSyscalls = [...wanted ?? []].filter(isSyscallName);
    for (let id = 0; id < EVENT_COUNT; id++) {
      const on = id === PPME.PPME_GENERIC_X ? wantedSyscalls.length > 0 : wanted?.has(eventInfo(id)!.name);
      ex.setEmit(id, wanted === undefined || on ? 1 : 0);
    }
    ex.setEmitAllSyscalls(wanted === undefined ? 1 : 0);
    PPM_SC_NAMES.forEach((name, sc) => { if (wantedSyscalls.includes(name)) ex.setEmitSyscall(sc, 1); });
    ex.setStateExecs(options.stateExecs ? 1 : 0);
    ex.setFdTracking(options.fdTable === false ? 0 : 1);
    if (options.programs) installPrograms(this.module, options.programs);
    else if (options.filter) installBlob(this.module, options.filter.blob, options.filter.count);
  }

  /**
   * Decodes the stream of `chunks` to the end. Throws a {@link ScapdriftError} naming the byte
   * offset on truncation or corruption — after every complete event before it was delivered.
   */
  async run(chunks: AsyncIterable<Uint8Array>, handlers: DecodeHandlers): Promise<DecodeSummary> {
    for await (const chunk of chunks) {
      this.feed(chunk, handlers);
      if (handlers.afterChunk) await handlers.afterChunk();
    }
    return this.finish();
  }

  /**
   * Decodes the next `chunk` of the stream as far as it completes blocks, handing events to
   * `handlers` synchronously. With `owned` false (parallel decoding: another worker prints
   * these bytes) frames only update the thread table and the numbering.
   */
  feed(chunk: Uint8Array, handlers: DecodeHandlers, owned = true): void {
    for (let i = 0; i < chunk.length; i += FEED_PIECE_BYTES) {
      const piece = chunk.subarray(i, i + FEED_PIECE_BYTES);
      handlers.onBytes?.(piece);
      const at = this.reserve(piece.length);
      new Uint8Array(this.module.exports.memory.buffer).set(piece, at);
      this.commit(piece.length, handlers, owned);
    }
  }

  /**
   * Decodes `source` to the end like {@link run}, reading it with {@link ByteSource.readInto}
   * straight into the decoder's input, up to `readBytes` (1 MiB) at a time (a plain file with no
   * buffer in between; gzip and streams copied from their chunks). Throws as {@link run}.
   */
  async runSource(source: ByteSource, handlers: DecodeHandlers, readBytes = SOURCE_READ_BYTES): Promise<DecodeSummary> {
    for (;;) {
      const at = this.reserve(readBytes);
      // Nothing runs in this Wasm instance during the read, so its memory cannot grow under it.
      const view = new Uint8Array(this.module.exports.memory.buffer, at, readBytes);
      const n = await source.readInto(view);
      if (n === 0) break;
      handlers.onBytes?.(view.subarray(0, n));
      this.commit(n, handlers, true);
      if (handlers.afterChunk) await handlers.afterChunk();
    }
    return this.finish();
  }

  /**
   * Stream offset up to which every block has been decoded: a block boundary (the state reflects
   * exactly the blocks before it). Undefined while a process-list or skipped block is read in
   * pieces.
   */
  blockBoundary(): number | undefined {
    return this.streamed ? undefined : this.base + this.module.exports.getCursor();
  }

  /**
   * Formats every emitted event in Wasm with `program` (ts/output/program.ts): events then reach
   * the handlers as output bytes (onOutput), never as onEvent. Its fallback fields are formatted
   * by `fallback(view, slot, json)` — the text, or null when missing — on a view of the event.
   */
  installOutput(program: OutputProgram, fallback: (view: EventView, slot: number, json: boolean) => string | null): void {
    const module = this.module;
    const ex = module.exports;
    const at = ex.reserveOutputProgram(program.insns.length / 6, program.blob.length);
    const blobAt = ex.installedBlob();
    const mem = new Uint8Array(ex.memory.buffer);
    mem.set(new Uint8Array(program.insns.buffer, program.insns.byteOffset, program.insns.byteLength), at);
    mem.set(program.blob, blobAt);
    ex.installOutput(program.insns.length / 6);
    let loaded = -1;
    module.formatField = (slot, json) => {
      const num = Number(ex.currentEventNum());
      if (num !== loaded) { this.view.load(this.scanBase); loaded = num; }
      const text = fallback(this.view, slot, json);
      return text === null ? -1 : writeFallback(ex, text);
    };
  }

  /** Hands the output formatted so far to `handlers.onOutput` and empties the buffer. */
  private writeOutput(handlers: DecodeHandlers): void {
    const ex = this.module.exports;
    const n = ex.outputLen();
    if (n === 0) return;
    handlers.onOutput?.(new Uint8Array(ex.memory.buffer, ex.outputPtr(), n));
    ex.resetOutput();
  }

  /** Stream bytes handed to the decoder so far (decompressed). */
  get bytesFed(): number {
    return this.total;
  }

  /** Drops the consumed bytes and makes room for `n` more; returns the Wasm offset to write them at. */
  private reserve(n: number): number {
    const ex = this.module.exports;
    const cursor = ex.getCursor();
    const keep = this.end - cursor;
    const input = ex.reserveInput(keep + n);
    if (cursor > 0 && keep > 0) new Uint8Array(ex.memory.buffer).copyWithin(input, input + cursor, input + this.end);
    this.base += cursor;
    this.end = keep;
    ex.setCursor(0);
    return input + this.end;
  }

  /** Decodes the `n` bytes just written where {@link reserve} said. */
  private commit(n: number, handlers: DecodeHandlers, owned: boolean): void {
    const ex = this.module.exports;
    this.end += n;
    this.total += n;
    ex.setOwned(owned ? 1 : 0);
    if (!this.sawSectionHeader && this.base === 0 && this.end >= 4 && this.blockType(0) !== SHB_BLOCK_TYPE) {
      throw new ScapdriftError(ErrorCode.NOT_SCAP, `not a scap capture: expected section header block type ${hexId(SHB_BLOCK_TYPE)} at byte 0, found ${hexId(this.blockType(0))}`, { offset: 0 });
    }
    this.drain(this.end, this.base, handlers);
  }

  /** Events numbered so far (evt.num of the last event). */
  eventCount(): number {
    return Number(this.module.exports.currentEventNum());
  }

  /** Ends the stream: the totals, or E_EMPTY / E_TRUNCATED naming the offset of the cut block. */
  finish(): DecodeSummary {
    const ex = this.module.exports;
    if (this.total === 0) throw new ScapdriftError(ErrorCode.EMPTY, 'empty capture: expected a section header block at byte 0, found no data', { offset: 0 });
    const cursor = ex.getCursor();
    const st = this.streamed;
    if (st) {
      throw new ScapdriftError(
        ErrorCode.TRUNCATED,
        `truncated capture at byte ${st.offset}: expected ${st.len} bytes of ${describeBlock(st.type)}, found ${st.at + this.end - cursor}`,
        { offset: st.offset },
      );
    }
    if (cursor < this.end) {
      const rem = this.end - cursor;
      const need = rem < BLOCK_HEADER_BYTES ? BLOCK_HEADER_BYTES : this.blockLength(cursor);
      const what = rem < BLOCK_HEADER_BYTES ? 'a block header' : describeBlock(this.blockType(cursor));
      throw new ScapdriftError(
        ErrorCode.TRUNCATED,
        `truncated capture at byte ${this.base + cursor}: expected ${need} bytes of ${what}, found ${rem}`,
        { offset: this.base + cursor },
      );
    }
    return {
      events: Number(ex.currentEventNum()),
      bytes: this.total,
      skippedBlocks: this.skippedBlocks,
      unknownBlocks: this.unknownBlocks,
      ...(this.firstUnknownBlock ? { firstUnknownBlock: this.firstUnknownBlock } : {}),
      threads: ex.threadCount(),
      droppedThreads: ex.droppedThreads(),
      filesEvicted: ex.filesEvicted(),
      fds: ex.fdCount(),
      fdsDropped: ex.fdsDropped(),
      fdNamesDropped: ex.fdNamesDropped(),
      bootCalibrated: ex.isBootCalibrated() !== 0,
      unknownEvents: ex.unknownEventCount(),
      skippedFrames: this.skippedFrames,
      ...(this.unclosedRecordingAt !== undefined ? { unclosedRecordingAt: this.unclosedRecordingAt } : {}),
    };
  }

  private blockType(cursor: number): number {
    return new DataView(this.module.exports.memory.buffer).getUint32(this.module.exports.inputPtr() + cursor, true);
  }
  private blockLength(cursor: number): number {
    return new DataView(this.module.exports.memory.buffer).getUint32(this.module.exports.inputPtr() + cursor + 4, true);
  }

  /** Scans the buffered bytes until the decoder needs more input. */
  private drain(end: number, base: number, handlers: DecodeHandlers): void {
    const ex = this.module.exports;
    const view = this.view;
    this.scanBase = base;
    for (;;) {
      if (this.streamed && !this.readStreamed(end, handlers)) return;
      const status = ex.scan(end);
      if (status === Status.EVENT) {
        view.load(base);
        handlers.onEvent(view);
        continue;
      }
      if (status === Status.STATE_EXEC) {
        view.load(base);
        handlers.onStateExec?.(view);
        continue;
      }
      // Whatever stopped the scanner, the lines formatted before it go out first.
      this.writeOutput(handlers);
      if (status === Status.OUTPUT) {
        continue;
      } else if (status === Status.NEED_MORE) {
        return;
      } else if (status === Status.OTHER_BLOCK) {
        if (!this.otherBlock(end, base, handlers)) return;
      } else {
        const at = base + ex.getFaultAt();
        const code = ex.getFaultCode();
        const error = new ScapdriftError(
          code < FIRST_FRAME_FAULT ? ErrorCode.BAD_BLOCK_LENGTH : ErrorCode.CORRUPT_FRAME,
          `corrupt capture at byte ${at}: ${code === FAULT_PARAM_WIDTH ? widthFault(ex.getFaultEvent(), ex.getFaultParam(), ex.getFaultValue()) : `${FAULT_MESSAGES[code] ?? `fault ${code}`} (value ${ex.getFaultValue() >>> 0})`}`,
          { offset: at },
        );
        // A block whose length is in doubt cannot be stepped over: that fault ends the read.
        if (this.strict || code < FIRST_FRAME_FAULT) throw error;
        ex.skipFaultyBlock();
        this.skippedFrames++;
        handlers.onSkip?.(error);
      }
    }
  }

  /** Parses or skips the non-event block at the cursor; false when it is not complete yet. */
  private otherBlock(end: number, base: number, handlers: DecodeHandlers): boolean {
    const ex = this.module.exports;
    const cursor = ex.getCursor();
    const type = ex.blockTypeAtCursor();
    const len = ex.blockLengthAtCursor() >>> 0;
    const offset = base + cursor;
    if (!this.sawSectionHeader && type !== SHB_BLOCK_TYPE) {
      throw new ScapdriftError(
        ErrorCode.NOT_SCAP,
        `not a scap capture: expected section header block type ${hexId(SHB_BLOCK_TYPE)} at byte ${offset}, found ${hexId(type)}`,
        { offset },
      );
    }
    if (len < MIN_BLOCK_BYTES || len > MAX_BLOCK_BYTES) {
      throw new ScapdriftError(
        ErrorCode.BAD_BLOCK_LENGTH,
        `corrupt capture at byte ${offset + 4}: ${describeBlock(type)} has length ${len}, expected ${MIN_BLOCK_BYTES}..${MAX_BLOCK_BYTES}`,
        { offset: offset + 4 },
      );
    }
    const max = type === SHB_BLOCK_TYPE ? MAX_SHB_BYTES : type === MI_BLOCK_TYPE || type === MI_BLOCK_TYPE_INT ? MAX_MI_BYTES : MAX_BLOCK_BYTES;
    if (len > max) {
      throw new ScapdriftError(
        ErrorCode.BAD_BLOCK_LENGTH,
        `corrupt capture at byte ${offset + 4}: ${describeBlock(type)} has length ${len}, expected at most ${max}`,
        { offset: offset + 4 },
      );
    }
    if (type !== SHB_BLOCK_TYPE && type !== MI_BLOCK_TYPE && type !== MI_BLOCK_TYPE_INT) {
      if (!isKnownBlockType(type)) {
        if (this.strict) {
          throw new ScapdriftError(ErrorCode.BAD_BLOCK, `corrupt capture at byte ${offset}: ${describeBlock(type)} is not a block type libscap knows (--strict)`, { offset });
        }
        this.unknownBlocks++;
        this.firstUnknownBlock ??= { type, offset };
      }
      this.streamed = {
        type, offset, len, at: BLOCK_HEADER_BYTES,
        ...(isProcessListBlock(type) ? { pl: new ProcessListReader(type, offset, len - BLOCK_HEADER_BYTES - BLOCK_TRAILER_BYTES) } : {}),
        ...(isProcessListBlock(type) && handlers.onProcessList ? { entries: [] } : {}),
        ...(isUserListBlock(type) ? { ul: new UserListReader(type, offset, len - BLOCK_HEADER_BYTES - BLOCK_TRAILER_BYTES) } : {}),
        ...(isFdListBlock(type) ? { fdl: new FdListReader(type, offset, len - BLOCK_HEADER_BYTES - BLOCK_TRAILER_BYTES) } : {}),
      };
      ex.setCursor(cursor + BLOCK_HEADER_BYTES);
      return this.readStreamed(end, handlers);
    }
    if (end - cursor < len) return false;
    const input = ex.inputPtr();
    const dv = new DataView(ex.memory.buffer);
    const trailer = dv.getUint32(input + cursor + len - BLOCK_TRAILER_BYTES, true);
    if (trailer !== len) {
      throw new ScapdriftError(
        ErrorCode.BAD_BLOCK_LENGTH,
        `corrupt capture at byte ${offset + len - 4}: trailing length ${trailer} of ${describeBlock(type)} differs from its header's ${len}`,
        { offset: offset + len - 4 },
      );
    }
    // Copy the body out: parsing PL entries into the thread table may grow Wasm memory.
    const body = new Uint8Array(ex.memory.buffer.slice(input + cursor + BLOCK_HEADER_BYTES, input + cursor + len - BLOCK_TRAILER_BYTES));
    ex.skipBlock();
    if (type === SHB_BLOCK_TYPE) {
      const header = parseSectionHeader(body, offset);
      if (this.sawSectionHeader) ex.resetState(); // a concatenated capture starts its state over, as libsinsp
      else this.unclosedRecordingAt = unclosedRecordingAt(header, offset);
      this.sawSectionHeader = true;
      // Only scapdrift's loader (its driver) says whether an exec ran a script.
      const known = header.options.some((o) => o.code === SHB_OPT_USERAPPL && o.text === RECORDER);
      this.view.scriptFlagKnown = known;
      ex.setScriptFlagKnown(known ? 1 : 0);
      handlers.onSectionHeader?.(header, offset);
    } else if (type === MI_BLOCK_TYPE || type === MI_BLOCK_TYPE_INT) {
      const info = parseMachineInfo(body, offset);
      this.view.bootTsEpochNs = info.bootTsEpochNs;
      this.view.hostname = info.hostname || undefined;
      ex.setBootTs(info.bootTsEpochNs ?? 0n, info.bootTsEpochNs !== undefined ? 1 : 0);
      handlers.onMachineInfo?.(info, offset);
    }
    return true;
  }

  /**
   * Reads on in the streamed block: the process-list entries that are whole (each goes to the
   * thread table as it is parsed: a block of millions of entries is never held, and the table's
   * cap counts the threads it cannot hold), or the skipped bytes; then the trailer. True when
   * the block is done, false when it needs more input.
   */
  private readStreamed(end: number, handlers: DecodeHandlers): boolean {
    const ex = this.module.exports;
    const st = this.streamed!;
    let cursor = ex.getCursor();
    const bodyEnd = st.len - BLOCK_TRAILER_BYTES;
    if (st.at < bodyEnd) {
      const avail = Math.min(end - cursor, bodyEnd - st.at);
      let used = avail;
      if (st.pl) {
        // Copied out: adding a process may grow Wasm memory (at most one piece plus one entry).
        const input = ex.inputPtr() + cursor;
        const bytes = new Uint8Array(ex.memory.buffer.slice(input, input + avail));
        const bodyAt = st.at - BLOCK_HEADER_BYTES;
        used = st.pl.read(bytes, bodyAt, (e, strings) => {
          this.addProcess(e, strings);
          st.entries?.push(decodeProcessEntry(e, strings));
        }) - bodyAt;
      } else if (st.ul) {
        const input = ex.inputPtr() + cursor;
        const bytes = new Uint8Array(ex.memory.buffer.slice(input, input + avail));
        const bodyAt = st.at - BLOCK_HEADER_BYTES;
        used = st.ul.read(bytes, bodyAt, (c) => this.addCredential(c)) - bodyAt;
      } else if (st.fdl) {
        const input = ex.inputPtr() + cursor;
        const bytes = new Uint8Array(ex.memory.buffer.slice(input, input + avail));
        const bodyAt = st.at - BLOCK_HEADER_BYTES;
        used = st.fdl.read(bytes, bodyAt, (f) => this.addListedFd(f)) - bodyAt;
      }
      st.at += used;
      cursor += used;
      ex.setCursor(cursor);
      if (st.at < bodyEnd) return false;
    }
    if (end - cursor < BLOCK_TRAILER_BYTES) return false;
    const trailer = new DataView(ex.memory.buffer).getUint32(ex.inputPtr() + cursor, true);
    if (trailer !== st.len) {
      throw new ScapdriftError(
        ErrorCode.BAD_BLOCK_LENGTH,
        `corrupt capture at byte ${st.offset + st.len - 4}: trailing length ${trailer} of ${describeBlock(st.type)} differs from its header's ${st.len}`,
        { offset: st.offset + st.len - 4 },
      );
    }
    ex.setCursor(cursor + BLOCK_TRAILER_BYTES);
    this.streamed = undefined;
    if (st.entries) handlers.onProcessList!(st.entries, st.offset);
    if (!st.pl && !st.ul && !st.fdl) this.skippedBlocks++;
    return true;
  }

  /** Adds an FDL entry to its process's fd table (assembly/process_list.ts addListedFd). */
  private addListedFd(f: ListedFd): void {
    const ex = this.module.exports;
    const scratch = ex.reserveScratch(32 + f.name.length);
    const mem = new Uint8Array(ex.memory.buffer);
    mem.set(f.addrs, scratch);
    mem.set(f.name, scratch + 32);
    ex.addListedFd(f.tid, f.fd, f.ino, f.type, f.openFlags >>> 0, f.dev >>> 0, f.l4proto, f.sport, f.dport, f.server ? 1 : 0, 0, 32, f.name.length);
  }

  /** Adds a UL entry (a user or group) to the decoder's users and groups. */
  private addCredential(c: Credential): void {
    const ex = this.module.exports;
    const scratch = ex.reserveScratch(c.name.length + c.home.length + c.shell.length);
    const mem = new Uint8Array(ex.memory.buffer);
    mem.set(c.name, scratch);
    mem.set(c.home, scratch + c.name.length);
    mem.set(c.shell, scratch + c.name.length + c.home.length);
    const kinds = this.module.credentialKinds;
    ex.addCredential(c.kind === 'user' ? kinds.user : kinds.group, c.id, 0, c.name.length, c.name.length, c.home.length,
      c.name.length + c.home.length, c.shell.length);
  }

  /** Adds a PL entry to the thread table; strings go as the file's bytes (not re-encoded text). */
  private addProcess(e: ProcessFields, s: ProcessStrings): void {
    const ex = this.module.exports;
    const parts = [s.comm, s.exe, s.exepath ?? NO_BYTES, s.args, s.cwd, s.env ?? NO_BYTES, s.cgroups ?? NO_BYTES];
    const size = parts.reduce((n, p) => n + p.length, 0);
    const scratch = ex.reserveScratch(size);
    const mem = new Uint8Array(ex.memory.buffer);
    let off = 0;
    const slots = [StrSlot.COMM, StrSlot.EXE, StrSlot.EXEPATH, StrSlot.ARGS, StrSlot.CWD, StrSlot.ENV];
    for (let i = 0; i < parts.length; i++) {
      mem.set(parts[i]!, scratch + off);
      if (i < slots.length) ex.stageProcessString(slots[i]!, off, parts[i]!.length);
      off += parts[i]!.length;
    }
    const cgLen = parts[6]!.length;
    const exeFlags = (e.exeWritable ? 1 : 0) | (e.exeUpperLayer ? 2 : 0) | (e.exeFromMemfd ? 4 : 0) | (e.exeLowerLayer ? 8 : 0);
    const hasExeFlags = e.exeWritable !== undefined ? 1 : 0;
    const hostPidns = e.vtid === undefined || BigInt(e.vtid) === BigInt(e.tid);
    const boot = this.view.bootTsEpochNs;
    // PL pidns_init_start_ts is already epoch ns (libscap stats /proc/PID/root/proc/1/cmdline);
    // 0 means unknown: a host process then gets the boot time, as libsinsp does live.
    let pidns = e.pidnsInitStartTsEpochNs ?? 0n;
    if (pidns === 0n && hostPidns && boot !== undefined) pidns = boot;
    ex.addProcess(
      BigInt(e.tid), BigInt(e.pid), BigInt(e.ptid), BigInt(e.vtid ?? e.tid), BigInt(e.vpid ?? -1),
      e.vpid !== undefined ? 1 : 0,
      e.uid >>> 0, e.gid >>> 0, 1, (e.loginuid ?? 0) >>> 0, e.loginuid !== undefined ? 1 : 0,
      e.exeIno ?? 0n, e.exeInoCtimeEpochNs ?? 0n, e.exeInoMtimeEpochNs ?? 0n, exeFlags, hasExeFlags,
      pidns, pidns !== 0n ? 1 : 0, hostPidns ? 0 : 1, 0n, 0,
      s.exepath !== undefined ? 1 : 0, off - cgLen, cgLen,
      e.sid ?? -1n, e.vpgid ?? -1n, (e.tty ?? 0) >>> 0, e.capInheritable ?? 0n, e.capPermitted ?? 0n, e.capEffective ?? 0n,
      e.flags >>> 0,
    );
  }
}
