/**
 * `scapdrift capture [--write FILE] [--json | -p FORMAT] [--duration SECONDS]`:
 * runs the live driver, decodes its stream as it comes with the same decoder as
 * `read`, and prints the events as `read` does; `--write` also saves the raw
 * stream. Ctrl-C stops the loader cleanly (its counters are printed on stderr).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { unlink } from 'node:fs/promises';
import { openByteSource } from '../scap/byte_source.js';
import type { DecodeSummary } from '../pipeline/decoder.js';
import { printEvents, openAlertOutputs, alertCaptureOf, type ReadCommandOptions } from '../cli/read.js';
import { compilePrintPlan } from '../pipeline/plan.js';
import { warnLine } from '../warn.js';
import { ScapdriftError, ErrorCode, isScapdriftError } from '../errors.js';
import { startLoader, STOP_GRACE_MS } from './loader.js';
import { LiveStatus } from './status.js';
import { closeRecording } from '../scap/recording.js';
import { DRIVER_EVENT_NAMES } from './driver_events.js';
import { startEnforcement, type EnforceOptions } from './enforce.js';
import { ExeHasher } from '../hash/hasher.js';
import { ExeHashAnnotator, MAX_HASH_WAIT_MS, DEFAULT_HASH_WAIT_MS } from '../hash/annotate.js';
import { pidNamespaceWarning } from './pid_namespace.js';

/** Options of the capture command: those of `read` (format, filter, rules) plus these. */
export interface CaptureCommandOptions extends ReadCommandOptions, EnforceOptions {
  write?: string;
  /** Seconds, as given on the command line. */
  duration?: string | number;
  /** Seconds between status lines on stderr (0: none); default 10 on a terminal, else none. */
  statusInterval?: string | number;
  /** Milliseconds an exec's events wait for its executable's hash (default 500). */
  hashWaitMs?: string | number;
  /** --no-exe-hash: executables are not hashed. */
  noExeHash?: boolean;
}

function parseSeconds(d: string | number | undefined, name: string, zero = false): number | undefined {
  if (d === undefined) return undefined;
  const n = typeof d === 'number' ? d : Number(d);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zero)) {
    throw new ScapdriftError(ErrorCode.OPTION, `${name} must be a ${zero ? 'non-negative' : 'positive'} number of seconds, got ${String(d)}`);
  }
  return n;
}

/** Milliseconds from 0 to `max`; E_OPTION naming the option and its bounds otherwise. */
function parseMs(d: string | number | undefined, name: string, max: number): number | undefined {
  if (d === undefined) return undefined;
  const n = typeof d === 'number' ? d : Number(d);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new ScapdriftError(ErrorCode.OPTION, `${name} must be an integer number of milliseconds from 0 to ${max.toLocaleString('en-US')}, got ${String(d)}`);
  }
  return n;
}

/** A write stream on `path`, once the file is open; E_IO naming the path otherwise. */
async function openForWrite(path: string): Promise<WriteStream> {
  const stream = createWriteStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (e: NodeJS.ErrnoException) => reject(new ScapdriftError(ErrorCode.IO, `cannot write ${path}: ${e.code ?? e.message}`)));
  });
  return stream;
}

/**
 * How long, after SIGINT/SIGTERM, standard output may stay blocked (its reader not reading)
 * before the lines still to print are dropped — counted in the totals — so that the capture
 * stops whatever stdout does, ms.
 */
const OUTPUT_DRAIN_MS = 2000;

/** Newlines in `chunk`: the output's lines (one per event, or per alert with rules). */
function countLines(chunk: Uint8Array): number {
  let n = 0;
  for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) n++;
  return n;
}

/**
 * process.stdout for the event lines until it fails — its reader went away (EPIPE, e.g.
 * `| head -1`) or a write error (ENOSPC on `> /dev/full`): then `onGone` runs once with the
 * error code and later lines are dropped, so the capture can stop cleanly (loader stopped,
 * file closed, totals printed) instead of dying mid-write — or until {@link abandon} (stdout
 * blocked after a stop was asked). Counts the lines it was given and those stdout took, so
 * that lines never printed are named in the totals.
 */
class StdoutUntilClosed extends Writable {
  private gone = false;
  private waiting: (() => void) | undefined;
  /** When stdout last refused more (its buffer full: the reader is slow or not reading); undefined while it takes lines. */
  private blockedAt: number | undefined;
  private linesGiven = 0;
  private linesOut = 0;
  private readonly onError = (e: NodeJS.ErrnoException): void => {
    if (this.gone) return;
    this.gone = true;
    this.release();
    this.onGone(e.code ?? e.message);
  };

  constructor(private readonly onGone: (code: string) => void) {
    super();
    process.stdout.on('error', this.onError);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    const lines = countLines(chunk);
    this.linesGiven += lines;
    if (this.gone) return done();
    const ok = process.stdout.write(chunk, (e) => { if (!e) this.linesOut += lines; });
    if (ok) return done();
    this.waiting = done;
    this.blockedAt = Date.now();
    process.stdout.once('drain', () => this.release());
  }

  /** Ms standard output has refused more lines for (0: it takes them). */
  blockedMs(): number {
    return this.blockedAt === undefined ? 0 : Date.now() - this.blockedAt;
  }

  /** Lines given to this stream that standard output did not take (dropped, or still in its buffer). */
  linesNotPrinted(): number {
    return this.linesGiven - this.linesOut;
  }

  /** Prints no more: later lines are dropped (and counted), a pending write is let go. */
  abandon(): void {
    this.gone = true;
    this.release();
  }

  /** Stops listening for stdout's errors. */
  detach(): void {
    process.stdout.off('error', this.onError);
    this.release();
  }

  private release(): void {
    const w = this.waiting;
    this.waiting = undefined;
    this.blockedAt = undefined;
    w?.();
  }
}

let stdoutDropped = false;
/**
 * Whether a capture stopped printing with lines still unprinted (counted in its totals): the
 * command line then exits without waiting for standard output to take its buffer.
 */
export function outputDropped(): boolean {
  return stdoutDropped;
}

/**
 * Runs a live capture until --duration elapses, SIGINT/SIGTERM, or stdout's reader goes
 * away; resolves with the decode totals. The loader's stream is read from its first byte
 * (nothing waits for readiness before draining it), lost events are reported on stderr as
 * they happen, and the totals at exit. Errors (after the totals): E_IO with the loader's
 * one-line reason (cannot load, attach or write), naming the signal that killed it, naming
 * the `--write` file that could not be written or standard output when a write to it failed
 * (capture stops at once; the file keeps every block written before). Resolves with
 * undefined when decoding did not reach the end: stopped before the driver was loaded,
 * or stdout went away first.
 */
export async function captureCommand(opts: CaptureCommandOptions): Promise<DecodeSummary | undefined> {
  // A bad -p, condition or rules file fails before the driver loads; a rule none of whose event
  // types the driver sends can never fire live: named at start.
  const plan = await compilePrintPlan(opts, warnLine, DRIVER_EVENT_NAMES);
  const nsWarning = pidNamespaceWarning();
  if (nsWarning) warnLine(nsWarning);
  const durationSeconds = parseSeconds(opts.duration, '--duration');
  const statusSeconds = parseSeconds(opts.statusInterval, '--status-interval', true);
  const alertOutputs = await openAlertOutputs(opts); // a bad URL or an unwritable file fails before the driver loads
  const alertCapture = await alertCaptureOf(opts, plan);
  const hashWaitMs = parseMs(opts.hashWaitMs, '--hash-wait-ms', MAX_HASH_WAIT_MS);
  const file = opts.write ? await openForWrite(opts.write) : undefined; // before the driver loads
  let out: StdoutUntilClosed | undefined; // (made once the loader runs; the status line asks it whether stdout is blocked)
  const status = new LiveStatus(process.stderr, statusSeconds === undefined ? undefined : statusSeconds * 1000, alertOutputs, () => out?.blockedMs() ?? 0);
  const enforcement = startEnforcement(opts); // a bad mode or policy file fails before the driver loads
  const loader = startLoader({ ...(durationSeconds === undefined ? {} : { durationSeconds }), onCounters: (c) => status.update(c), ...enforcement?.loaderOptions });
  enforcement?.attach(loader);
  // Exe hashes (ts/hash/): put in the stream before the decoder and the --write file see it.
  const hasher = opts.noExeHash === true ? undefined : new ExeHasher();
  const annotator = hasher ? new ExeHashAnnotator({ hasher, waitMs: hashWaitMs }) : undefined;
  const stream = annotator ? loader.stdout!.pipe(annotator) : loader.stdout!;
  const toDecoder = new PassThrough();
  let stopping = false; // we asked the loader to stop
  let stdoutGone = false; // nothing more is printed: the rest of the stream is not decoded
  /** Why the rest of the stream is not decoded and lines were not printed (totals at exit). */
  let unprinted: string | undefined;
  // Decoding what is still in the pipe would only make lines nobody reads: stop it here; the
  // loader's stream keeps flowing (to the file, or away) so that the loader drains and exits.
  const stopDecoding = (): void => {
    stream.unpipe(toDecoder);
    toDecoder.end();
    if (!file) stream.resume();
  };
  const stop = (): void => { stopping = true; void loader.stop(); };
  // Ctrl-C reaches the loader too (same process group); either way it stops cleanly. Standard
  // output then gets OUTPUT_DRAIN_MS to take what is pending: a reader that does not read must
  // not hold the capture (nor the loader, blocked writing its stream to us).
  let stopAskedAt: number | undefined;
  let drainCheck: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    stop();
    if (stopAskedAt !== undefined) return;
    stopAskedAt = Date.now();
    drainCheck = setInterval(() => {
      if (unprinted !== undefined || Math.min(Date.now() - stopAskedAt!, out!.blockedMs()) < OUTPUT_DRAIN_MS) return;
      unprinted = `standard output was not being read when ${signal} stopped the capture (lines dropped after ${OUTPUT_DRAIN_MS / 1000} s)`;
      out!.abandon();
      stopDecoding();
    }, 100);
    drainCheck.unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let failure: unknown;
  let stdoutFailure: ScapdriftError | undefined;
  out = new StdoutUntilClosed((code) => {
    if (code !== 'EPIPE') stdoutFailure = new ScapdriftError(ErrorCode.IO, `cannot write to standard output: ${code}; capture stopped`);
    stdoutGone = true;
    unprinted ??= code === 'EPIPE' ? 'standard output was closed by its reader' : `standard output failed (${code})`;
    stop();
    stopDecoding();
  });
  let writeFailure: ScapdriftError | undefined;
  file?.on('error', (e: NodeJS.ErrnoException) => {
    writeFailure = new ScapdriftError(ErrorCode.IO, `cannot write ${opts.write}: ${e.code ?? e.message}; capture stopped (the file holds the blocks written before)`);
    stop();
  });
  stream.pipe(toDecoder);
  if (file) stream.pipe(file);

  let summary: DecodeSummary | undefined;
  try {
    const source = await openByteSource(toDecoder);
    try {
      summary = await printEvents(source, plan, 1, { progress: false, live: true, out, ...(alertOutputs ? { alertOutputs } : {}), ...(alertCapture ? { alertCapture } : {}) });
    } finally {
      await source.close();
    }
  } catch (e) {
    failure = e;
  } finally {
    // Whatever stopped decoding, the loader's stream keeps flowing (to the file, or away)
    // so that it can drain and exit.
    stream.unpipe(toDecoder);
    if (!file || writeFailure) stream.resume();
  }
  clearInterval(drainCheck);
  if (failure !== undefined) stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const exit = await loader.stop();
  enforcement?.detach();
  out.detach();
  if (file && !writeFailure) {
    await finished(file); // the pipe ends it with the loader's stdout
    if (exit.code === 0) await closeRecording(opts.write!); // complete: `read` tells it from one cut short
  }
  status.final(loader.counters, summary?.events ?? 0, unprinted === undefined ? undefined : { cause: unprinted, lines: out.linesNotPrinted() });
  // Lines still in stdout's buffer are counted above: they must not hold the exit.
  if (unprinted !== undefined) stdoutDropped = true;
  if (enforcement && loader.counters) status.enforcementTotals(enforcement.mode, loader.counters);
  if (alertOutputs) status.alertTotals(await alertOutputs.close());
  // Every hash job is done (each waits at most --hash-wait-ms) once the annotator has ended: its
  // counts are then whole. Bounded all the same: the totals must come.
  if (annotator) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished(annotator).catch(() => undefined), new Promise<void>((r) => { timer = setTimeout(r, (hashWaitMs ?? DEFAULT_HASH_WAIT_MS) + 1000); })]);
    clearTimeout(timer);
  }
  if (annotator) process.stderr.write(`scapdrift: ${annotator.summary()}\n`);
  await hasher?.close();
  if (writeFailure) throw writeFailure;
  // Stopped while the driver was still loading: nothing was captured, and that is no fault — also
  // when our SIGTERM reached the loader before it had set its handlers (right after its exec).
  if (stopping && ((exit.signal === null && exit.code === 0) || exit.signal === 'SIGTERM') && isScapdriftError(failure) && failure.code === ErrorCode.EMPTY) {
    process.stderr.write('scapdrift: capture stopped before it started\n');
    if (opts.write) await unlink(opts.write).catch(() => {}); // empty: not a recording (already gone is fine)
    return undefined;
  }
  if (exit.signal !== null) {
    throw new ScapdriftError(ErrorCode.IO, stopping && exit.signal === 'SIGKILL'
      ? `live capture: the loader did not stop within ${STOP_GRACE_MS / 1000} s of SIGTERM and was killed; the stream ends where it was cut`
      : `live capture: the loader was killed by ${exit.signal}; the stream ends where it was cut`, { cause: failure });
  }
  if (exit.code !== 0 && exit.code !== null) {
    const line = exit.stderr.trim().split('\n').find((l) => l.includes('failed to'));
    throw new ScapdriftError(ErrorCode.IO, line ? line.replace(/^scapdrift-loader: /, 'live capture: ') : `the loader exited with status ${exit.code}`, { cause: failure });
  }
  if (stdoutFailure) throw stdoutFailure;
  if (stdoutGone) return summary;
  if (failure !== undefined) throw failure;
  return summary!;
}

