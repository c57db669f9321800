/**
 * Loads the AssemblyScript decoder (build/scapdrift.wasm, built from assembly/)
 * and describes the event table to it (build/decoder_tables.bin, generated at build time from
 * ts/pipeline/decoder_description.ts).
 *
 * One {@link DecoderModule} per decoding pipeline: it owns a Wasm instance with
 * its own linear memory (thread table, input buffer), so several can run side
 * by side (one per worker thread).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { ErrorCode, ScapdriftError } from '../errors.js';
import { eventInfo } from '../events/event_table.js';
import { paramText } from '../fields/param_format.js';
import { compileRegex } from '../filter/regex.js';
import { localSecondText } from '../fields/clock.js';

/** The raw exports of the Wasm decoder (names as in assembly/index.ts). */
export interface DecoderExports {
  memory: WebAssembly.Memory;
  reset(): void;
  resetState(): void;
  droppedThreads(): number;
  filesEvicted(): number;
  exeHashesStored(): number;
  exeHashesEvicted(): number;
  isBootCalibrated(): number;
  setScriptFlagKnown(known: number): void;
  unknownEventCount(): number;
  /** Applies `words` u32 words of setter calls at `ptr` (assembly/description.ts): -1, or the index of a word that is no call. */
  applyDescription(ptr: number, words: number): number;
  setEventInfo(id: number, kind: number, nparams: number, largePayload: number): void;
  setEventRole(id: number, role: number, index: number): void;
  setBootTs(epochNs: bigint, present: number): void;
  setHashKey(k0: bigint, k1: bigint): void;
  setVforkEvent(id: number): void;
  setCredentialEvent(id: number, op: number): void;
  credentialsDropped(): number;
  /** Records the event id of PPME_GENERIC_X (assembly/syscall.ts). */
  setGenericExitEvent(id: number): void;
  /** Records that x86_64 native syscall `native` is ppm_sc code `sc`. */
  setNativeSyscall(native: number, sc: number): void;
  /** Whether generic exits of ppm_sc code `sc` are emitted (off until set). */
  setEmitSyscall(sc: number, on: number): void;
  /** Whether generic exits of every ppm_sc code are emitted. */
  setEmitAllSyscalls(on: number): void;
  setParamWidth(id: number, index: number, bytes: number): void;
  setEmit(id: number, on: number): void;
  scan(end: number): number;
  reserveInput(bytes: number): number;
  inputPtr(): number;
  getCursor(): number;
  setCursor(c: number): void;
  neededBytes(): number;
  currentFrame(): number;
  currentHeaderLen(): number;
  currentCpu(): number;
  currentBlockStart(): number;
  currentEventNum(): bigint;
  getFaultCode(): number;
  getFaultAt(): number;
  getFaultValue(): number;
  getFaultEvent(): number;
  getFaultParam(): number;
  blockTypeAtCursor(): number;
  blockLengthAtCursor(): number;
  skipBlock(): void;
  skipFaultyBlock(): void;
  setOwned(on: number): void;
  setStateExecs(on: number): void;
  splitBlocks(start: number, end: number, target: number): number;
  reserveScratch(bytes: number): number;
  stageProcessString(slot: number, offset: number, len: number): void;
  addProcess(
    tid: bigint, pid: bigint, ptid: bigint, vtid: bigint, vpid: bigint, hasVpid: number,
    uid: number, gid: number, hasUid: number, loginuid: number, hasLoginuid: number,
    exeIno: bigint, exeCtime: bigint, exeMtime: bigint, exeFlags: number, hasExeFlags: number,
    pidnsInitStartTs: bigint, hasPidns: number, ownPidns: number, cloneTs: bigint, hasCloneTs: number, hasExepath: number,
    cgOffset: number, cgLen: number,
    sid: bigint, vpgid: bigint, tty: number, capInheritable: bigint, capPermitted: bigint, capEffective: bigint, flags: number,
  ): void;
  addCredential(kind: number, id: number, nameOff: number, nameLen: number, homeOff: number, homeLen: number, shellOff: number, shellLen: number): void;
  /** An FDL entry (assembly/process_list.ts addListedFd): addresses at scratch[addrOff, +32), name at scratch[nameOff, +nameLen). */
  addListedFd(
    tid: bigint, fd: bigint, ino: bigint, type: number, openFlags: number, dev: number,
    l4proto: number, sport: number, dport: number, server: number, addrOff: number, nameOff: number, nameLen: number,
  ): void;
  /** Describes what event `id` does to the fd table (assembly/fd_events.ts). */
  /** Whether fd events are applied (assembly/fd_events.ts setFdTracking; default 1). */
  setFdTracking(on: number): void;
  setFdEvent(id: number, action: number, location: number, flags: number, newType: number, typechar: number): void;
  setDirfdParam(id: number, index: number): void;
  /** The fs.path.* description of event `id` (assembly/filter/fspath_fields.ts; ts/events/fspath_events.ts). */
  setFsPathEvent(id: number, okKind: number, okParam: number): void;
  setFsPathRole(id: number, role: number, param: number, dir: number, dirfd: number): void;
  /** The evt.category code (CAT_* global) of event `id` (assembly/filter/category.ts). */
  setEventCategory(id: number, code: number): void;
  /** Fds not added because a bound of the fd table was reached (assembly/fd_table.ts). */
  fdsDropped(): number;
  /** Fds kept without their name: the name budget was full. */
  fdNamesDropped(): number;
  /** Fds held in all. */
  fdCount(): number;
  /** "<tc>name" of fd `fd` of thread `tid` at fdDescribePtr(), its length, or -1 (assembly/filter/fd_fields.ts). */
  describeFd(tid: bigint, fd: bigint): number;
  fdDescribePtr(): number;
  threadCount(): number;
  threadSlots(): number;
  threadSlotPtr(i: number): number;
  threadPtr(tid: bigint): number;
  threadStringPtr(rec: number, slot: number): number;
  paramPtrTable(): number;
  paramLenTable(): number;
  currentNparams(): number;
  /** Filter VM (assembly/filter/vm.ts): blob buffer, program count (0 = off), match bitmap. */
  reserveFilter(bytes: number): number;
  setFilterCount(count: number): void;
  filterMatches(): number;
  /** A VM field of the current event (assembly/index.ts extractField): FieldResult. */
  extractField(field: number, arg: number): number;
  fieldNumber(): bigint;
  fieldNumberSigned(): number;
  fieldStringPtr(): number;
  fieldStringLen(): number;
  /** Output formatter (assembly/output.ts): program and blob space, install (0 instructions: off). */
  reserveOutputProgram(insns: number, blobBytes: number): number;
  installedBlob(): number;
  installOutput(insns: number): void;
  /** The formatted output waiting to be written (after Status.OUTPUT, or at any stop), then resetOutput(). */
  outputPtr(): number;
  outputLen(): number;
  resetOutput(): void;
  /** Space for the formatField import's text. */
  reserveFallback(bytes: number): number;
}

/**
 * The shell's text of a fallback field of the output program (ts/output/program.ts) for the
 * event the decoder is on, written at reserveFallback(): its byte length, or -1 when missing.
 */
export type FormatFieldHook = (slot: number, json: boolean) => number;

/** Results of extractField() (assembly/index.ts FIELD_*). */
export const FieldResult = { MISSING: 0, NUMBER: 1, STRING: 2 } as const;

/** Status codes of scan() (assembly/status.ts; test/wasm_boundary.test.ts checks both sides agree). */
export const Status = { NEED_MORE: 0, EVENT: 1, OTHER_BLOCK: 2, FAULT: 3, STATE_EXEC: 4, OUTPUT: 5 } as const;

/** Fault codes at or above this are inside a sound block (length and trailer checked): skippable. */
export const FIRST_FRAME_FAULT = 3;

/** Fault codes of scan() (assembly/status.ts; checked by test/wasm_boundary.test.ts), with what each means. */
export const FAULT_MESSAGES: Record<number, string> = {
  1: 'block_total_length outside the valid range',
  2: 'trailing copy of block_total_length differs from the header',
  3: 'frame len smaller than its header or larger than its block',
  4: 'nparams above 32 or its length array does not fit in the frame',
  5: 'parameter lengths run past the end of the frame',
  6: 'v1 frame whose parameter count cannot be derived from its length',
  7: 'a fixed-width parameter has another length than its type',
};

/** FAULT_PARAM_WIDTH (assembly/status.ts): the decoder names the event and the parameter. */
export const FAULT_PARAM_WIDTH = 7;

/** String slots of a thread record (assembly/thread_record.ts STR_*). */
export const StrSlot = { COMM: 0, EXE: 1, EXEPATH: 2, ARGS: 3, CWD: 4, INTERPRETER: 5, ENV: 6 } as const;

/** Presence bits of a thread record (assembly/thread_record.ts HAS_*). */
export const Has = {
  CLONE_TS: 1 << 0,
  PIDNS_INIT_START_TS: 1 << 1,
  EXE_INO: 1 << 2,
  EXE_INO_CTIME: 1 << 3,
  EXE_INO_MTIME: 1 << 4,
  CTIME_DURATION_PROC_START: 1 << 5,
  CTIME_DURATION_PIDNS_START: 1 << 6,
  VPID: 1 << 7,
  EXE_FLAGS: 1 << 8,
  LOGINUID: 1 << 9,
  UID: 1 << 10,
  EXEPATH: 1 << 11,
  EXE_WRITTEN: 1 << 12,
  EXE_CHMOD: 1 << 13,
  WRITER_NAME: 1 << 14,
  CHMOD_NAME: 1 << 15,
  CONTAINER_START: 1 << 16,
  /** Not a presence bit: the thread runs in a pid namespace other than the host's. */
  IN_OWN_PIDNS: 1 << 17,
  GID: 1 << 18,
} as const;

/** Byte offsets inside a thread record, read from the module's exported REC_* globals. */
export interface RecordLayout {
  tid: number; pid: number; ptid: number; vtid: number; vpid: number; cloneFlags: number;
  cloneTs: number; pidnsInitStartTs: number; exeIno: number; exeInoCtime: number; exeInoMtime: number;
  ctimeDurationProcStart: number; ctimeDurationPidnsStart: number; presence: number; exeFlags: number;
  uid: number; gid: number; loginuid: number; containerIdLen: number; containerId: number; containerStartTs: number;
  strLen: number;
  writerPid: number; writtenTs: number; writtenDuration: number; chmodPid: number; chmodTs: number;
  chmodDuration: number; writerCommLen: number; writerComm: number; chmodCommLen: number; chmodComm: number;
  sid: number; vpgid: number; tty: number; capInheritable: number; capPermitted: number; capEffective: number;
}

const WASM_URL = new URL('../../../build/scapdrift.wasm', import.meta.url);
const DESCRIPTION_URL = new URL('../../../build/decoder_tables.bin', import.meta.url);
let compiled: WebAssembly.Module | undefined;
/** {@link fingerprint} of build/scapdrift.wasm as this thread compiled it (undefined when adopted). */
let compiledFingerprint: number | undefined;
let description: Uint8Array | undefined;

/** "SDDT": the first word of build/decoder_tables.bin (ts/pipeline/decoder_description.ts). */
export const DESCRIPTION_MAGIC = 0x54444453;
/**
 * Words before the calls: magic, {@link fingerprint} of the build/scapdrift.wasm it was made for,
 * number of call words, fingerprint of the call words.
 */
export const DESCRIPTION_HEADER_WORDS = 4;

/**
 * FNV-1a (32-bit) over the little-endian u32 words of `bytes`, then its last 0–3 bytes one by one:
 * tells a build/decoder_tables.bin made for another build/scapdrift.wasm (same length or not: a
 * constant changed in assembly/ and the Wasm rebuilt alone) or changed since it was written.
 * By words, not bytes: a quarter of the steps for the ~72 KB module and description, which every
 * process checks at start-up (~1 ms by bytes in a tiny read's profile; bench/RESULTS.md).
 */
export function fingerprint(bytes: Uint8Array): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = bytes.length >>> 2;
  let h = 0x811c9dc5;
  for (let i = 0; i < words; i++) h = Math.imul(h ^ dv.getUint32(i * 4, true), 0x01000193);
  for (let i = words * 4; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * The contents of a file of the build (build/…), in the buffer Node read it into (readFileSync
 * reads a file into an ArrayBuffer of its own: no copy); throws E_IO naming it when it is missing.
 */
function buildFile(url: URL): Uint8Array<ArrayBuffer> {
  try {
    const read = readFileSync(url);
    return new Uint8Array(read.buffer as ArrayBuffer, read.byteOffset, read.byteLength);
  } catch (e) {
    throw new ScapdriftError(ErrorCode.IO, `cannot read ${url.pathname}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (run npm run build)`);
  }
}

/**
 * The compiled decoder (build/scapdrift.wasm), compiled once per process: a worker thread gets
 * the main thread's through {@link adoptWasmModule} (a WebAssembly.Module crosses threads by
 * structured clone, its compiled code shared, not compiled again).
 */
export function wasmModule(): WebAssembly.Module {
  if (!compiled) {
    const bytes = buildFile(WASM_URL);
    compiled = new WebAssembly.Module(bytes);
    compiledFingerprint = fingerprint(bytes);
  }
  return compiled;
}

/**
 * Why `bytes` is not the description of the build/scapdrift.wasm whose {@link fingerprint} is
 * `wasm` (undefined: not checked), or undefined when it is: the magic, the call words' count and
 * fingerprint, and the Wasm it was made for are checked.
 */
export function staleDescription(bytes: Uint8Array, wasm: number | undefined): string | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (i: number): number | undefined => (bytes.length >= (i + 1) * 4 ? dv.getUint32(i * 4, true) : undefined);
  const body = bytes.subarray(DESCRIPTION_HEADER_WORDS * 4);
  if (word(0) !== DESCRIPTION_MAGIC || word(DESCRIPTION_HEADER_WORDS - 1) === undefined) return 'is not a decoder description';
  if (word(2)! * 4 !== body.length) return `holds ${bytes.length} bytes, its header says ${DESCRIPTION_HEADER_WORDS * 4 + word(2)! * 4}`;
  if (word(3) !== fingerprint(body)) return 'has changed since it was written';
  if (wasm !== undefined && word(1) !== wasm) return 'was made for another build/scapdrift.wasm';
  return undefined;
}

/**
 * The description of the event table every instance applies (build/decoder_tables.bin, made by
 * scripts/gen_decoder_tables.mjs: a header of {@link DESCRIPTION_HEADER_WORDS} u32 words, then
 * the setter calls, little endian), read once per process. Throws E_IO when it is missing, was
 * changed, or was made for another build/scapdrift.wasm than the one compiled here (run `npm run build`).
 */
export function decoderDescription(): Uint8Array {
  if (!description) {
    wasmModule();
    const bytes = buildFile(DESCRIPTION_URL);
    const stale = staleDescription(bytes, compiledFingerprint);
    if (stale) throw new ScapdriftError(ErrorCode.IO, `${DESCRIPTION_URL.pathname} ${stale} (run npm run build)`);
    description = bytes;
  }
  return description;
}

/**
 * Uses `module` (compiled on another thread by {@link wasmModule}) and that thread's
 * {@link decoderDescription} for this thread's instances.
 */
export function adoptWasmModule(module: WebAssembly.Module, tables: Uint8Array): void {
  compiled = module;
  description = tables;
}

/** Describes the event table to a new instance in one call (assembly/description.ts applyDescription). */
function applyDescription(ex: DecoderExports): void {
  const body = decoderDescription().subarray(DESCRIPTION_HEADER_WORDS * 4);
  const at = ex.reserveScratch(body.length);
  new Uint8Array(ex.memory.buffer).set(body, at);
  const bad = ex.applyDescription(at, body.length >>> 2);
  if (bad >= 0) throw new ScapdriftError(ErrorCode.IO, `${DESCRIPTION_URL.pathname} holds no setter call at word ${DESCRIPTION_HEADER_WORDS + bad} (run npm run build)`);
}

/** A decoder instance: Wasm exports plus the record layout. */
export interface DecoderModule {
  exports: DecoderExports;
  layout: RecordLayout;
  /** Kinds of addCredential() (assembly/users.ts KIND_USER, KIND_GROUP). */
  credentialKinds: { user: number; group: number };
  /**
   * Latest plausible epoch-ns time, 2^63 − 1 (assembly/epoch_ns.ts): no duration
   * is derived from a later time.
   */
  maxPlausibleEpochNs: bigint;
  /** What the formatField import calls (set by whoever installs an output program). */
  formatField: FormatFieldHook | undefined;
}

/**
 * Instantiates the decoder and describes the event table to it ({@link decoderDescription}).
 * Throws if build/scapdrift.wasm or build/decoder_tables.bin is missing (run `npm run build`).
 */
export function createDecoderModule(): DecoderModule {
  const module = instantiateDecoder();
  const ex = module.exports;
  // A random key per instance for the state tables' hashing (assembly/hash.ts): a capture cannot
  // choose keys that share a probe run. No output depends on it.
  const [k0, k1] = randomWords(2);
  ex.setHashKey(k0!, k1!);
  applyDescription(ex);
  ex.reset();
  return module;
}

/**
 * A new instance of the decoder as instantiated: nothing described to it, not reset. What
 * {@link createDecoderModule} starts from, and what the build reads the exported globals of
 * (scripts/gen_decoder_tables.mjs).
 */
export function instantiateDecoder(): DecoderModule {
  let memory: WebAssembly.Memory | undefined;
  const regexes = new RegexCache();
  let module: DecoderModule | undefined;
  const instance = new WebAssembly.Instance(wasmModule(), {
    env: {
      abort: wasmAbort,
      renderParam: (type: number, index: number, ptr: number, len: number, out: number, cap: number, tid: bigint) => renderParam(module!.exports, memory!, type, index, ptr, len, out, cap, tid),
      regexMatch: (p: number, pn: number, s: number, sn: number) => (regexes.match(memory!, p, pn, s, sn) ? 1 : 0),
      clockText: (sec: bigint, withDate: number) => writeFallback(module!.exports, localSecondText(Number(sec), withDate !== 0)),
      formatField: (slot: number, json: number) => {
        const hook = module?.formatField;
        if (!hook) throw new Error('scapdrift internal error: an output program asked for a fallback field with no formatter installed');
        return hook(slot, json !== 0);
      },
    },
  });
  const raw = instance.exports as unknown as DecoderExports & Record<string, WebAssembly.Global>;
  const g = (name: string): number => Number(raw[name]!.value);
  const layout: RecordLayout = {
    tid: g('REC_TID'), pid: g('REC_PID'), ptid: g('REC_PTID'), vtid: g('REC_VTID'), vpid: g('REC_VPID'),
    cloneFlags: g('REC_CLONE_FLAGS'), cloneTs: g('REC_CLONE_TS'), pidnsInitStartTs: g('REC_PIDNS_INIT_START_TS'),
    exeIno: g('REC_EXE_INO'), exeInoCtime: g('REC_EXE_INO_CTIME'), exeInoMtime: g('REC_EXE_INO_MTIME'),
    ctimeDurationProcStart: g('REC_CTIME_DURATION_PROC_START'),
    ctimeDurationPidnsStart: g('REC_CTIME_DURATION_PIDNS_START'), presence: g('REC_PRESENCE'),
    exeFlags: g('REC_EXE_FLAGS'), uid: g('REC_UID'), gid: g('REC_GID'), loginuid: g('REC_LOGINUID'),
    containerIdLen: g('REC_CONTAINER_ID_LEN'), containerId: g('REC_CONTAINER_ID'),
    containerStartTs: g('REC_CONTAINER_START_TS'), strLen: g('REC_STR_LEN'),
    writerPid: g('REC_WRITER_PID'), writtenTs: g('REC_WRITTEN_TS'), writtenDuration: g('REC_WRITTEN_DURATION'),
    chmodPid: g('REC_CHMOD_PID'), chmodTs: g('REC_CHMOD_TS'), chmodDuration: g('REC_CHMOD_DURATION'),
    writerCommLen: g('REC_WRITER_COMM_LEN'), writerComm: g('REC_WRITER_COMM'),
    chmodCommLen: g('REC_CHMOD_COMM_LEN'), chmodComm: g('REC_CHMOD_COMM'),
    sid: g('REC_SID'), vpgid: g('REC_VPGID'), tty: g('REC_TTY'),
    capInheritable: g('REC_CAP_INHERITABLE'), capPermitted: g('REC_CAP_PERMITTED'), capEffective: g('REC_CAP_EFFECTIVE'),
  };
  const ex = raw as DecoderExports;
  memory = ex.memory;
  module = {
    exports: ex, layout, credentialKinds: { user: g('CREDENTIAL_USER'), group: g('CREDENTIAL_GROUP') },
    maxPlausibleEpochNs: BigInt(raw.MAX_PLAUSIBLE_EPOCH_NS!.value), formatField: undefined,
  };
  return module;
}

/**
 * `n` random 64-bit words from the kernel's generator (/dev/urandom, as getrandom(2) serves it),
 * read with node:fs: node:crypto's webcrypto would load ~20 more built-in modules (~10 ms) at the
 * start of every command.
 */
function randomWords(n: number): BigUint64Array {
  const words = new BigUint64Array(n);
  const fd = openSync('/dev/urandom', 'r');
  try {
    if (readSync(fd, words) !== words.byteLength) throw new Error('scapdrift internal error: short read of /dev/urandom');
  } finally {
    closeSync(fd);
  }
  return words;
}

const utf8 = new TextEncoder();

/** Writes `text` (UTF-8) to the output formatter's fallback area; its byte length. */
export function writeFallback(ex: DecoderExports, text: string): number {
  const p = ex.reserveFallback(text.length * 3);
  return utf8.encodeInto(text, new Uint8Array(ex.memory.buffer, p, text.length * 3)).written;
}

/**
 * The filter VM's renderParam import (assembly/filter/fields.ts): libsinsp's text of a parameter,
 * UTF-8 into `out`; an fd as thread `tid`'s fd table names it ("<f>/etc/passwd"), as evt.arg prints it.
 */
function renderParam(ex: DecoderExports, memory: WebAssembly.Memory, type: number, index: number, ptr: number, len: number, out: number, cap: number, tid: bigint): number {
  const fdText = (fd: bigint): string | undefined => {
    const n = ex.describeFd(tid, fd);
    return n < 0 ? undefined : utf8Lossy.decode(new Uint8Array(memory.buffer, ex.fdDescribePtr(), n));
  };
  const text = paramText(eventInfo(type)?.params[index], new Uint8Array(memory.buffer, ptr, len), fdText) ?? '';
  return utf8.encodeInto(text, new Uint8Array(memory.buffer, out, cap)).written;
}

const utf8Lossy = new TextDecoder('utf-8', { fatal: false });

/**
 * The filter VM's regexMatch import (assembly/filter/vm.ts): the RegExp of each `regex` pattern,
 * compiled once per pattern location in the filter blob (checked against its bytes, since a new
 * blob may reuse the buffer). The text is decoded with U+FFFD for invalid UTF-8, as libsinsp
 * sanitizes it before RE2 sees it.
 */
class RegexCache {
  private readonly byPtr = new Map<number, { pattern: Uint8Array; re: RegExp }>();

  match(memory: WebAssembly.Memory, p: number, pn: number, s: number, sn: number): boolean {
    const pattern = new Uint8Array(memory.buffer, p, pn);
    let entry = this.byPtr.get(p);
    if (!entry || entry.pattern.length !== pn || !entry.pattern.every((b, i) => b === pattern[i])) {
      // Validated when the condition was compiled (ts/filter/compiler.ts).
      entry = { pattern: pattern.slice(), re: compileRegex(utf8Lossy.decode(pattern)) };
      this.byPtr.set(p, entry);
    }
    return entry.re.test(utf8Lossy.decode(new Uint8Array(memory.buffer, s, sn)));
  }
}

function wasmAbort(_msg: number, _file: number, line: number, column: number): never {
  throw new Error(`scapdrift internal error: Wasm decoder aborted at assembly line ${line}:${column}`);
}
