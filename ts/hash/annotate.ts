/**
 * The live pipeline's exe hashing (issue 13): a Transform on the loader's scap stream that,
 * for every successful execve/execveat exit, opens the executable the kernel ran — through
 * /proc/TID/exe of the live process first (memfds and deleted files included), else by the
 * path the event names — checks it is the file the event describes (inode, ctime, mtime),
 * hashes it on the hasher's thread (hasher.ts) and puts one SD_EXE_HASH_E event just before
 * that exit (exe_hash_event.ts). Everything after an exec waits for its hash at most
 * `waitMs`; a hash not ready by then is counted `late` and the exec goes on without it (the
 * digest is still cached for the next exec of that file). Nothing is ever given a digest of
 * another file's bytes. Blocks other than events pass through untouched; a stream it cannot
 * frame (a bad block length) passes through untouched from there, for the decoder to report.
 *
 * The exec's process may be gone by the time its exit reaches here (a /bin/true lives ~1 ms):
 * a file still on disk is then found by its path; a memfd or deleted file is not (`gone`).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { open, readlink } from 'node:fs/promises';
import {
  BLOCK_HEADER_BYTES, BLOCK_TRAILER_BYTES, MIN_BLOCK_BYTES, EV_BLOCK_TYPE_V2, EVF_BLOCK_TYPE_V2, eventFrameOffset,
} from '../scap/block_types.js';
import { MAX_BLOCK_BYTES } from '../scap/block_walker.js';
import { isProcessListBlock } from '../scap/block_types.js';
import { forEachProcess } from '../scap/process_list.js';
import { eventInfo } from '../events/event_table.js';
import { PPME } from '../events/ppm_constants.js';
import { SD_PPM_EXE_SCRIPT } from '../fields/fields.js';
import { exeHashBlock } from './exe_hash_event.js';
import type { ExeHasher, ExeIdentity, HashOutcome } from './hasher.js';

/** Default time an exec's events wait for its hash, ms. */
export const DEFAULT_HASH_WAIT_MS = 500;
/** Longest wait, ms: Node's timers hold a signed 32-bit delay (a longer one fires after 1 ms). */
export const MAX_HASH_WAIT_MS = 2 ** 31 - 1;
/** Event blocks up to this size are framed and looked into; larger ones pass through as bytes. */
const MAX_INSPECTED_BLOCK_BYTES = 1 << 20;
/**
 * Process tables (PL) up to this size are read for the executables of the processes already
 * running (their hashes follow the PL block); a larger one passes through without (bytes).
 */
const MAX_HASHED_PL_BYTES = 64 << 20;
/** Frame header: ts u64, tid u64, len u32, type u16, nparams u32 (DESIGN.md §2). */
const FRAME_HEADER_BYTES = 26;
const FRAME_TS = 0;
const FRAME_TID = 8;
const FRAME_LEN = 16;
const FRAME_TYPE = 20;
const FRAME_NPARAMS = 22;
/** What `readlink /proc/PID/exe` appends for an unlinked file. */
const DELETED_SUFFIX = ' (deleted)';

/** Parameter positions of an exec exit, by libs name (driver/event_table.c). */
interface ExecParams { res: number; ino: number; ctime: number; mtime: number; trusted: number; filename: number; flags: number }

const EXEC_EXITS = new Map<number, ExecParams>();
for (const id of [PPME.PPME_SYSCALL_EXECVE_19_X, PPME.PPME_SYSCALL_EXECVEAT_X]) {
  const names = eventInfo(id)!.params.map((p) => p.name);
  EXEC_EXITS.set(id, {
    res: names.indexOf('res'), ino: names.indexOf('exe_ino'), ctime: names.indexOf('exe_ino_ctime'),
    mtime: names.indexOf('exe_ino_mtime'), trusted: names.indexOf('trusted_exepath'),
    filename: names.indexOf('filename'), flags: names.indexOf('flags'),
  });
}

/** Counters of the annotator, shown at the end of a capture (annotator.summary()). */
export interface ExeHashCounts {
  /** Successful execve/execveat exits seen. */
  execs: number;
  /** Of those, exits given an SD_EXE_HASH_E event. */
  hashed: number;
  /** Of the hashed, those whose executable's digest came from the hasher's cache (the others' file was read). */
  hashedFromCache: number;
  /** No hash: not ready within waitMs. */
  late: number;
  /** No hash: the process was gone and no file on disk had the event's identity. */
  gone: number;
  /** No hash: the event lacked the identity, or the file could not be hashed (the hasher's counts of failed reads say why). */
  other: number;
  /** Executables of the processes in the process table (PL) hashed within waitMs (their hash events follow the PL). */
  running: number;
  /**
   * Of those executables, hashed after waitMs: the hash event goes into the stream when it is
   * made, and the process's events after it carry proc.exe_sha256 (those before it, <NA>).
   */
  runningAfterWait: number;
  /** Of those executables, not hashed before the stream ended (their events show proc.exe_sha256 <NA>). */
  runningLate: number;
  /** Of those executables, not hashed: gone, or the file could not be hashed (the hasher's counts of failed reads say why). */
  runningOther: number;
}

interface Job { done: boolean; block: Uint8Array | undefined }
/** A hash event made, and whether the executable's digest came from the cache. */
interface Made { block: Uint8Array; cached: boolean }
type Item = Uint8Array | Job;

/** One successful exec exit, as read from its frame. */
export interface Exec {
  ts: bigint;
  tid: bigint;
  cpu: number;
  id: ExeIdentity;
  /** The executable's path: trusted_exepath, or a script's filename. */
  path: string;
  /** The interpreter's path for a `#!` script (trusted_exepath then names it). */
  interpreter: string | undefined;
}

export interface ExeHashAnnotatorOptions {
  hasher: ExeHasher;
  /** How long an exec's events wait for its hash, ms (default DEFAULT_HASH_WAIT_MS). */
  waitMs?: number;
}

export class ExeHashAnnotator extends Transform {
  readonly counts: ExeHashCounts = { execs: 0, hashed: 0, hashedFromCache: 0, late: 0, gone: 0, other: 0, running: 0, runningAfterWait: 0, runningLate: 0, runningOther: 0 };
  private readonly hasher: ExeHasher;
  private readonly waitMs: number;
  private readonly queue: Item[] = [];
  /** Bytes of a block that could not start in the last chunk (at most one small block). */
  private carry: Uint8Array = new Uint8Array(0);
  /** Bytes still to pass through of a block that is not looked into. */
  private passLeft = 0;
  /** The stream could not be framed: everything passes through from here. */
  private raw = false;
  /** A process-list block being passed through: its type, stream offset and the bytes seen. */
  private pl: { type: number; offset: number; parts: Uint8Array[] } | undefined;
  /** Stream offset of the next byte consumed. */
  private offset = 0;
  private readonly jobs = new Set<Promise<void>>();
  /** The stream is ending (_flush): a running process's hash made after its wait is no longer added. */
  private ending = false;

  constructor(opts: ExeHashAnnotatorOptions) {
    super();
    this.hasher = opts.hasher;
    this.waitMs = opts.waitMs ?? DEFAULT_HASH_WAIT_MS;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.consume(chunk);
    this.drain();
    done();
  }

  override _flush(done: TransformCallback): void {
    this.ending = true;
    if (this.carry.length > 0) this.queue.push(this.carry); // a cut block: the decoder names it
    this.carry = new Uint8Array(0);
    void Promise.all([...this.jobs]).then(() => { this.drain(); done(); });
  }

  /**
   * One line for stderr: running processes' executables hashed; execs, hashed (file read + from
   * the cache = hashed), missing by cause (adding up to execs − hashed); failed file reads. The
   * hasher's own totals are not shown: they also count running processes' files, scripts'
   * interpreters and the hashes of execs that were late.
   */
  summary(): string {
    const c = this.counts;
    const h = this.hasher.counts;
    const missing = c.execs - c.hashed;
    const list = (pairs: [string, number][]): string => pairs.filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(' ');
    // One cause per exec (they add up to `missing`); the file reads that failed are counted apart
    // (an exec may try /proc/PID/exe and then its path; running processes' files count too).
    const causes = list([['late', c.late], ['gone', c.gone], ['other', c.other]]);
    const reads = list([['changed', h.changed], ['too_large', h.tooLarge], ['read_error', h.readError], ['not_file', h.notFile]]);
    // Running processes' executables not hashed, by cause: their events show proc.exe_sha256 <NA>.
    const notRunning = c.runningLate + c.runningOther;
    const running = notRunning > 0 ? `, ${notRunning} not (${list([['late', c.runningLate], ['other', c.runningOther]])}): their events show proc.exe_sha256 <NA>` : '';
    const afterWait = c.runningAfterWait > 0 ? ` (${c.runningAfterWait} after the wait: their events from the hash on carry it)` : '';
    return `exe hashes: ${c.running + c.runningAfterWait} running processes' executables hashed${afterWait}${running}; ${c.execs} execs, ${c.hashed} hashed (${c.hashed - c.hashedFromCache} read from disk, ${c.hashedFromCache} from the cache), ${missing} missing${causes ? ` (${causes})` : ''}${reads ? `; file reads that failed: ${reads}` : ''}`;
  }

  private consume(chunk: Uint8Array): void {
    let data = chunk;
    if (this.raw) { this.queue.push(data); return; }
    if (this.passLeft > 0) {
      const n = Math.min(this.passLeft, data.length);
      this.queue.push(data.subarray(0, n));
      this.pl?.parts.push(data.slice(0, n));
      this.passLeft -= n;
      this.offset += n;
      if (this.passLeft === 0) this.endProcessList();
      data = data.subarray(n);
      if (data.length === 0) return;
    }
    const base = this.offset; // stream offset of data[0] (the carried bytes come first)
    if (this.carry.length > 0) {
      const joined = new Uint8Array(this.carry.length + data.length);
      joined.set(this.carry);
      joined.set(data, this.carry.length);
      data = joined;
      this.carry = new Uint8Array(0);
    }
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let at = 0;
    let segment = 0; // start of the bytes not yet queued
    while (data.length - at >= BLOCK_HEADER_BYTES) {
      const type = dv.getUint32(at, true);
      const len = dv.getUint32(at + 4, true);
      if (len < MIN_BLOCK_BYTES || len > MAX_BLOCK_BYTES) { this.raw = true; at = data.length; break; }
      const event = type === EV_BLOCK_TYPE_V2 || type === EVF_BLOCK_TYPE_V2;
      if (!event || len > MAX_INSPECTED_BLOCK_BYTES) {
        const n = Math.min(len, data.length - at);
        if (isProcessListBlock(type) && len <= MAX_HASHED_PL_BYTES) this.pl = { type, offset: base + at, parts: [data.slice(at, at + n)] };
        at += n;
        this.passLeft = len - n;
        if (this.passLeft === 0 && this.pl) {
          this.queue.push(data.subarray(segment, at));
          segment = at;
          this.endProcessList();
        }
        continue;
      }
      if (data.length - at < len) break;
      const exec = readExec(dv, at, eventFrameOffset(type)!, len);
      if (exec) {
        this.queue.push(data.subarray(segment, at));
        segment = at;
        this.queue.push(this.start(exec));
      } else if (exec === null) {
        this.counts.execs++;
        this.counts.other++;
      }
      at += len;
    }
    if (at > segment) this.queue.push(data.subarray(segment, at));
    this.offset = base + at;
    if (at < data.length) {
      if (this.raw) this.queue.push(data.subarray(at));
      else this.carry = data.slice(at);
    }
  }

  /**
   * The process table is whole: one hash job per executable of a running process (main
   * threads, each identity once), queued after the block. Its hash events carry the time
   * they were made. A table the reader rejects gets none (the decoder reports it).
   */
  private endProcessList(): void {
    const pl = this.pl;
    this.pl = undefined;
    if (!pl) return;
    const block = pl.parts.length === 1 ? pl.parts[0]! : Buffer.concat(pl.parts);
    const body = block.subarray(BLOCK_HEADER_BYTES, block.length - BLOCK_TRAILER_BYTES);
    const seen = new Set<string>();
    const execs: Exec[] = [];
    const ts = BigInt(Date.now()) * 1_000_000n;
    try {
      forEachProcess(pl.type, body, pl.offset, (e) => {
        if (e.tid !== e.pid || !e.exeIno || e.exeInoCtimeEpochNs === undefined || e.exeInoMtimeEpochNs === undefined) return;
        const key = `${e.exeIno}:${e.exeInoCtimeEpochNs}:${e.exeInoMtimeEpochNs}`;
        if (seen.has(key)) return;
        seen.add(key);
        execs.push({
          ts, tid: e.tid, cpu: 0, id: { ino: e.exeIno, ctimeNs: e.exeInoCtimeEpochNs, mtimeNs: e.exeInoMtimeEpochNs },
          path: e.exepath ?? '', interpreter: undefined,
        });
      });
    } catch {
      // A table the decoder will name as corrupt: the entries before the fault are hashed.
    }
    for (const exec of execs) this.queue.push(this.start(exec, false));
  }

  /** Starts hashing for `exec`; the job is done when the block is ready or waitMs passed. */
  private start(exec: Exec, counted = true): Job {
    if (counted) this.counts.execs++;
    const job: Job = { done: false, block: undefined };
    let timer: NodeJS.Timeout | undefined;
    const finish = (made: Made | undefined, late: boolean): void => {
      if (job.done) return;
      job.done = true;
      job.block = made?.block;
      clearTimeout(timer);
      if (!counted) this.counts[made ? 'running' : late ? 'runningLate' : 'runningOther']++;
      else if (made) {
        this.counts.hashed++;
        if (made.cached) this.counts.hashedFromCache++;
      } else if (late) this.counts.late++;
      this.drain();
    };
    const p = new Promise<void>((resolve) => {
      timer = setTimeout(() => { finish(undefined, true); resolve(); }, this.waitMs);
      this.hashExec(exec, counted, job).then((made) => {
        // A running process's hash made after its wait still goes into the stream, where it is
        // now (an exec's events have gone on without theirs: its hash would name nothing new).
        if (job.done && !counted && made && !this.ending) {
          this.counts.runningLate--;
          this.counts.runningAfterWait++;
          this.queue.push(made.block);
          this.drain();
        }
        finish(made, false);
        resolve();
      }, () => { finish(undefined, false); resolve(); });
    });
    this.jobs.add(p);
    void p.then(() => this.jobs.delete(p));
    return job;
  }

  /** The SD_EXE_HASH_E block for `exec`, or undefined (counted) when it cannot be hashed. */
  private async hashExec(exec: Exec, counted: boolean, job: Job): Promise<Made | undefined> {
    const procExe = `/proc/${exec.tid}/exe`;
    let exe: HashOutcome | undefined;
    let interpreter: HashOutcome | undefined;
    if (exec.interpreter === undefined) {
      exe = await this.hashPath(procExe, exec.id);
      if (!exe || 'missing' in exe) exe = await this.hashPath(onDisk(exec.path), exec.id) ?? exe;
    } else {
      // A script: the script by its path, checked against the event's identity; the
      // interpreter as the process runs it, when /proc still names the same file.
      [exe, interpreter] = await Promise.all([this.hashPath(onDisk(exec.path), exec.id), this.hashInterpreter(procExe, exec.interpreter)]);
    }
    if (!exe || 'missing' in exe) {
      // Not when the job is done already: counted late, once.
      if (counted && !job.done) this.counts[!exe || exe.missing === 'changed' ? 'gone' : 'other']++;
      return undefined;
    }
    const block = exeHashBlock({
      // A running process's hash made after its wait is stamped when it goes into the stream.
      ts: job.done && !counted ? BigInt(Date.now()) * 1_000_000n : exec.ts, tid: exec.tid, cpu: exec.cpu, ino: exec.id.ino, ctimeNs: exec.id.ctimeNs, mtimeNs: exec.id.mtimeNs,
      sha256: exe.digest, interpreterSha256: interpreter && !('missing' in interpreter) ? interpreter.digest : undefined,
      dev: exe.dev, size: exe.size,
    });
    return { block, cached: exe.cached };
  }

  /** The hash of the file at `path` when it can be opened (undefined when not). */
  private async hashPath(path: string | undefined, id?: ExeIdentity): Promise<HashOutcome | undefined> {
    if (path === undefined) return undefined;
    const fh = await open(path, 'r').catch(() => undefined); // gone, or never a file: counted by the caller
    return fh ? this.hasher.hash(fh, id) : undefined;
  }

  /** The interpreter of a script: /proc/TID/exe when it still links to `path`, else `path`. */
  private async hashInterpreter(procExe: string, path: string): Promise<HashOutcome | undefined> {
    const fh = await open(procExe, 'r').catch(() => undefined); // gone: by its path instead
    if (fh) {
      const link = await readlink(procExe).catch(() => undefined);
      if (link === path) return this.hasher.hash(fh);
      await fh.close();
    }
    return this.hashPath(onDisk(path));
  }

  /** Hands on, in stream order, every item that is ready. */
  private drain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head instanceof Uint8Array) {
        if (head.length > 0) this.push(head);
      } else {
        if (!head.done) return;
        if (head.block) this.push(head.block);
      }
      this.queue.shift();
    }
  }
}

/** A path a file can be opened by: absolute, and not an unlinked file or a memfd. */
function onDisk(path: string): string | undefined {
  return path.startsWith('/') && !path.endsWith(DELETED_SUFFIX) ? path : undefined;
}

/**
 * The successful exec exit in the event block at `at` (`pre` bytes before its frame), or
 * undefined when the block is another event or a failed exec, or null when it is a
 * successful exec whose frame lacks the executable's identity.
 */
export function readExec(dv: DataView, at: number, pre: number, blockLen: number): Exec | undefined | null {
  const f = at + BLOCK_HEADER_BYTES + pre;
  const avail = blockLen - BLOCK_HEADER_BYTES - pre - BLOCK_TRAILER_BYTES;
  if (avail < FRAME_HEADER_BYTES) return undefined;
  const params = EXEC_EXITS.get(dv.getUint16(f + FRAME_TYPE, true));
  if (!params) return undefined;
  const flen = dv.getUint32(f + FRAME_LEN, true);
  const nparams = dv.getUint32(f + FRAME_NPARAMS, true);
  if (flen > avail || FRAME_HEADER_BYTES + nparams * 2 > flen) return undefined; // the decoder reports it
  const offs: number[] = [];
  const lens: number[] = [];
  let off = FRAME_HEADER_BYTES + nparams * 2;
  for (let i = 0; i < nparams; i++) {
    const n = dv.getUint16(f + FRAME_HEADER_BYTES + i * 2, true);
    if (off + n > flen) return undefined;
    offs.push(f + off);
    lens.push(n);
    off += n;
  }
  const u64 = (i: number): bigint | undefined => (i >= 0 && i < nparams && lens[i] === 8 ? dv.getBigUint64(offs[i]!, true) : undefined);
  const str = (i: number): string => {
    if (i < 0 || i >= nparams || lens[i] === 0) return '';
    const b = new Uint8Array(dv.buffer, dv.byteOffset + offs[i]!, lens[i]!);
    const end = b.indexOf(0);
    return Buffer.from(b.subarray(0, end < 0 ? b.length : end)).toString('utf8');
  };
  const res = u64(params.res);
  if (res === undefined || res !== 0n) return undefined;
  const ino = u64(params.ino);
  const ctimeNs = u64(params.ctime);
  const mtimeNs = u64(params.mtime);
  if (ino === undefined || ctimeNs === undefined || mtimeNs === undefined || ino === 0n) return null;
  const flags = params.flags >= 0 && params.flags < nparams && lens[params.flags] === 4 ? dv.getUint32(offs[params.flags]!, true) : 0;
  const script = (flags & SD_PPM_EXE_SCRIPT) !== 0;
  return {
    ts: dv.getBigUint64(f + FRAME_TS, true), tid: dv.getBigInt64(f + FRAME_TID, true), cpu: dv.getUint16(at + BLOCK_HEADER_BYTES, true),
    id: { ino, ctimeNs, mtimeNs },
    path: script ? str(params.filename) : str(params.trusted),
    interpreter: script ? str(params.trusted) : undefined,
  };
}
