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
import { ExeHashAnnotator, MAX_HASH_WAIT_MS } from '../hash/annotate.js';
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
 * process.stdout for the event lines until it fails — its reader went away (EPIPE, e.g.
 * `| head -1`) or a write error (ENOSPC on `> /dev/full`): then `onGone` runs once with the
 * error code and later lines are dropped, so the capture can stop cleanly (loader stopped,
 * file closed, totals printed) instead of dying mid-write.
 */
class StdoutUntilClosed extends Writable {
  private gone = false;
  private waiting: (() => void) | undefined;
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
    if (this.gone) return done();
    if (process.stdout.write(chunk)) return done();
    this.waiting = done;
    process.stdout.once('drain', () => this.release());
  }

  /** Stops listening for stdout's errors. */
  detach(): void {
    process.stdout.off('error', this.onError);
    this.release();
  }

  private release(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }
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
  const status = new LiveStatus(process.stderr, statusSeconds === undefined ? undefined : statusSeconds * 1000, alertOutputs);
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
  // Ctrl-C reaches the loader too (same process group); either way it stops cleanly.
  const stop = (): void => { stopping = true; void loader.stop(); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let failure: unknown;
  let stdoutFailure: ScapdriftError | undefined;
  const out = new StdoutUntilClosed((code) => {
    if (code !== 'EPIPE') stdoutFailure = new ScapdriftError(ErrorCode.IO, `cannot write to standard output: ${code}; capture stopped`);
    stdoutGone = true;
    stop();
    // Decoding what is still in the pipe would only make lines nobody reads: stop it here.
    stream.unpipe(toDecoder);
    toDecoder.end();
    if (!file) stream.resume();
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
  if (failure !== undefined) stop();
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  const exit = await loader.stop();
  enforcement?.detach();
  out.detach();
  if (file && !writeFailure) {
    await finished(file); // the pipe ends it with the loader's stdout
    if (exit.code === 0) await closeRecording(opts.write!); // complete: `read` tells it from one cut short
  }
  status.final(loader.counters, summary?.events ?? 0);
  if (enforcement && loader.counters) status.enforcementTotals(enforcement.mode, loader.counters);
  if (alertOutputs) status.alertTotals(await alertOutputs.close());
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

