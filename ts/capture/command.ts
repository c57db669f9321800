/**
 * `scapdrift capture [--write FILE] [--json | -p FORMAT] [--duration SECONDS]`:
 * runs the live driver, decodes its stream as it comes with the same decoder as
 * `read`, and prints the events as `read` does; `--write` also saves the raw
 * stream. Ctrl-C stops the loader cleanly (its counters are printed on stderr).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { openByteSource } from '../scap/byte_source.js';
import type { DecodeSummary } from '../decoder.js';
import { printEvents, type ReadCommandOptions } from '../cli_read.js';
import { EventPrinter } from '../event_printer.js';
import { ScapdriftError, ErrorCode } from '../errors.js';
import { startLoader } from './loader.js';

/** Options of the capture command: those of `read` (format, filter, rules) plus these. */
export interface CaptureCommandOptions extends ReadCommandOptions {
  write?: string;
  /** Seconds, as given on the command line. */
  duration?: string | number;
}

function parseDuration(d: string | number | undefined): number | undefined {
  if (d === undefined) return undefined;
  const n = typeof d === 'number' ? d : Number(d);
  if (!Number.isFinite(n) || n <= 0) throw new ScapdriftError(ErrorCode.OPTION, `--duration must be a positive number of seconds, got ${String(d)}`);
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

/** Runs a live capture until --duration elapses or SIGINT/SIGTERM; resolves with the decode totals. */
export async function captureCommand(opts: CaptureCommandOptions): Promise<DecodeSummary> {
  new EventPrinter(opts, () => {}); // a bad -p, condition or rules file fails before the driver loads
  const durationSeconds = parseDuration(opts.duration);
  const file = opts.write ? await openForWrite(opts.write) : undefined; // before the driver loads
  const loader = startLoader(durationSeconds === undefined ? {} : { durationSeconds });
  // Ctrl-C reaches the loader too (same process group); either way it stops cleanly.
  const stop = (): void => { void loader.stop(); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const toDecoder = new PassThrough();
  loader.stdout!.pipe(toDecoder);
  if (file) loader.stdout!.pipe(file);

  let summary: DecodeSummary | undefined;
  let failure: unknown;
  try {
    await loader.ready;
    const source = await openByteSource(toDecoder);
    try {
      summary = await printEvents(source, { workers: 1, ...opts }, { progress: false, live: true });
    } finally {
      await source.close();
    }
  } catch (e) {
    failure = e;
  }
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  const exit = await loader.stop();
  if (file) await finished(file); // the pipe ends it with the loader's stdout
  if (exit.code !== 0 && exit.code !== null) {
    const line = exit.stderr.trim().split('\n').find((l) => l.includes('failed to'));
    throw new ScapdriftError(ErrorCode.IO, line ? line.replace(/^scapdrift-loader: /, 'live capture: ') : `the loader exited with status ${exit.code}`, { cause: failure });
  }
  if (failure !== undefined) throw failure;
  return summary!;
}
