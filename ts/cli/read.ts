/**
 * `scapdrift read`: decode a capture and print its events — the default line,
 * a `-p` format, or JSON lines. Output waits for a slow consumer (backpressure)
 * and a progress bar goes to stderr on a terminal.
 */
import { warnLine } from '../warn.js';
import { escapeText } from '../fields/escape.js';
import { openByteSource, type ByteSource } from '../scap/byte_source.js';
import type { DecodeSummary } from '../pipeline/decoder.js';
import { EventPrinter } from '../pipeline/event_printer.js';
import { compilePrintPlan, planWork, type Plan, type PrintOptions } from '../pipeline/plan.js';
import { workerCount } from '../parallel/worker_count.js';
import { unclosedRecordingError } from '../scap/recording.js';
import { hexId } from '../scap/block_types.js';
import type { AlertOutputs, AlertOutputOptions } from '../alerts/outputs.js';
import type { AlertCaptureCliOptions, AlertCaptureOptions } from '../alerts/alert_capture.js';
import { OutputSink } from '../output/sink.js';
import { tierForInput } from '../pipeline/wasm_tiering.js';

/** How often `read` tells on stderr that alerts to --output-http/--output-file were lost, ms. */
const ALERT_LOSS_CHECK_MS = 1000;

/** Options of the read command. */
export interface ReadCommandOptions extends PrintOptions, AlertOutputOptions, AlertCaptureCliOptions {
  quiet?: boolean;
  /** Decoding threads (parallel decoding: this one and N − 1 workers); default: see workerCount. */
  workers?: string | number;
}

/** How {@link printEvents} reports progress and flushes. */
export interface PrintMode {
  /** A progress bar on stderr (only on a terminal; needs the total size). */
  progress: boolean;
  /** Flush after every chunk (live capture) instead of when 64 KiB are pending. */
  live: boolean;
  /** Where the lines go (default: stdout). */
  out?: NodeJS.WritableStream;
  /** Also hand each alert to these outputs (decoding then runs on this thread alone). */
  alertOutputs?: AlertOutputs;
  /** Write the stream around alerts to files (capture-on-alert; decoding then runs on this thread alone). */
  alertCapture?: AlertCaptureOptions;
}

/**
 * The capture-on-alert settings of the options, or undefined when not asked for (its module is
 * loaded only then). Throws E_OPTION.
 */
export async function alertCaptureOf(opts: AlertCaptureCliOptions, plan: Plan): Promise<AlertCaptureOptions | undefined> {
  const asked = [opts.alertCapture, opts.alertCaptureMode, opts.alertCaptureDuration, opts.alertCaptureBefore, opts.alertCaptureMaxMb].some((v) => v !== undefined);
  if (!asked) return undefined;
  const { alertCaptureSettings } = await import('../alerts/alert_capture.js');
  return alertCaptureSettings(opts, plan.output.kind === 'alerts' ? plan.output.rules : undefined, (line) => process.stderr.write(`scapdrift: ${escapeText(line)}\n`), warnLine);
}

/**
 * The alert outputs of the options (--output-http, --output-file), or undefined when none is
 * asked for; their module (HTTP client, file rotation) is loaded only then. Throws E_OPTION.
 */
export async function openAlertOutputs(opts: AlertOutputOptions): Promise<AlertOutputs | undefined> {
  const asked = [opts.outputHttp, opts.outputHttpQueue, opts.outputFile, opts.outputFileMaxSize, opts.outputFileKeep].some((v) => v !== undefined);
  if (!asked) return undefined;
  const { AlertOutputs } = await import('../alerts/outputs.js');
  return AlertOutputs.open(opts);
}

/**
 * Decodes `source` and prints its events, or the alerts of the rules, to stdout
 * with backpressure, as `plan` says. Shared by `read` and `capture`. Rejects with a
 * ScapdriftError after printing every event decoded before the fault.
 */
export async function printEvents(source: ByteSource, plan: Plan, workersOption: string | number | undefined, mode: PrintMode): Promise<DecodeSummary> {
  const sink = new OutputSink(mode.out);
  // Before the first decoder of the process compiles the Wasm (one capture per process).
  if (!mode.live) await tierForInput(source.expectedBytes);
  // Alerts for the outputs are made where the rules matched: on this thread.
  const outputs = mode.alertOutputs;
  const workers = outputs || mode.alertCapture ? 1 : workerCount(workersOption, workersOption === undefined ? planWork(plan, source.expectedBytes) : undefined);
  if (workers > 1) {
    const { printEventsParallel } = await import('../parallel/print.js');
    return printEventsParallel(source, plan, workers, sink);
  }
  const capture = mode.alertCapture && new (await import('../alerts/alert_capture.js')).AlertCapture(mode.alertCapture);
  // The thread snapshots a capture-on-alert file starts from carry each process's cwd: kept by chdir,
  // an fd event, so the decoder keeps fd events whatever the fields ask (ts/pipeline/state_needs.ts).
  const printer = new EventPrinter(capture ? { ...plan, fdTable: true } : plan, sink, warnLine, outputs && ((json) => outputs.forward(json)), capture && ((v, rule) => capture.alert(rule, v.ts, v.num)));
  // The bar shares the terminal only when the events go elsewhere (a file, a pipe).
  const showBar = mode.progress && process.stderr.isTTY === true && process.stdout.isTTY !== true && source.totalBytes !== undefined;
  const bar = showBar ? await progressBar() : undefined;
  const started = Date.now();
  bar?.start(source.totalBytes ?? 0, 0, { rate: 0 });
  // Ctrl-C while the bar is shown: the bar gives the cursor back, then the signal does what it
  // does with no listener (the process ends by SIGINT). A listener that only stopped the bar kept
  // a read running to its end.
  const restoreTerminal = (): void => { bar?.stop(); process.kill(process.pid, 'SIGINT'); };
  if (bar) process.once('SIGINT', restoreTerminal);
  try {
    return await printer.decoder.runSource(source, {
      ...printer.handlers,
      ...(capture ? { onBytes: (b: Uint8Array) => capture.onBytes(b) } : {}),
      async afterChunk() {
        await capture?.afterChunk(printer.decoder);
        const events = printer.decoder.eventCount();
        bar?.update(source.compressed ? source.bytesConsumed() : printer.decoder.bytesFed, { rate: Math.round(events / Math.max(0.001, (Date.now() - started) / 1000)) });
        await sink.flush(); // and wait when the stream is full: backpressure per chunk
      },
    });
  } finally {
    process.off('SIGINT', restoreTerminal);
    bar?.stop();
    await sink.flush(); // what was decoded before a fault is still printed
    await capture?.close(printer.decoder); // and the alert files written up to it
  }
}

/** The progress bar on stderr (cli-progress, loaded only when a bar is shown). */
async function progressBar(): Promise<import('cli-progress').SingleBar> {
  const { SingleBar, Presets } = (await import('cli-progress')).default;
  return new SingleBar({ format: 'reading [{bar}] {percentage}% | {value}/{total} bytes | {rate} events/s', stream: process.stderr, hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
}

/** Runs `read` on `file`; resolves with the summary, rejects with a ScapdriftError. */
export async function readCommand(file: string, opts: ReadCommandOptions): Promise<DecodeSummary> {
  if (opts.workers !== undefined) workerCount(opts.workers, undefined); // a bad option fails before anything is read
  const plan = await compilePrintPlan(opts, warnLine); // a bad -p, condition or rules file fails before the file is opened
  const alertOutputs = await openAlertOutputs(opts);
  const alertCapture = await alertCaptureOf(opts, plan);
  const lossCheck = alertOutputs && setInterval(() => {
    const w = alertOutputs.lossWarning();
    if (w) warnLine(w);
  }, ALERT_LOSS_CHECK_MS);
  let source: ByteSource | undefined;
  try {
    source = await openByteSource(file === '-' ? process.stdin : file);
    const summary = await printEvents(source, plan, opts.workers, { progress: !opts.quiet, live: false, ...(alertOutputs ? { alertOutputs } : {}), ...(alertCapture ? { alertCapture } : {}) });
    if (summary.droppedThreads > 0) warnLine(`${summary.droppedThreads} threads were not tracked: the thread table was full`);
    if (summary.fdsDropped > 0) warnLine(`${summary.fdsDropped} fds were not tracked: the fd table was full (fd.* fields of those fds read as unknown)`);
    if (summary.fdNamesDropped > 0) warnLine(`${summary.fdNamesDropped} fds were tracked without their name: the fd table's names were full (their fd.name reads empty)`);
    if (summary.filesEvicted > 0) warnLine(`${summary.filesEvicted} files forgotten by the file table (full): drift.* fields may miss their writer`);
    if (summary.unknownEvents > 0) warnLine(`${summary.unknownEvents} frames skipped: event ids beyond the event table`);
    if (summary.skippedFrames > 0) warnLine(`${summary.skippedFrames} corrupt frames skipped (--strict makes the first one fatal)`);
    if (summary.firstUnknownBlock) warnLine(`${summary.unknownBlocks} blocks of a type libscap does not know skipped by their length, the first at byte ${summary.firstUnknownBlock.offset} (type ${hexId(summary.firstUnknownBlock.type)}; libscap refuses the file there, --strict makes it fatal)`);
    // A regular file only: a live stream read from a pipe is never closed while it is read.
    if (source.path !== undefined && summary.unclosedRecordingAt !== undefined) throw unclosedRecordingError(source.path, summary.unclosedRecordingAt);
    return summary;
  } finally {
    await source?.close();
    clearInterval(lossCheck);
    if (alertOutputs) {
      const totals = await alertOutputs.close();
      process.stderr.write(`scapdrift: ${escapeText(totals)}\n`);
    }
  }
}
