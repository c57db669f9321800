/**
 * `read --workers N`: decodes on N threads (this one and N − 1 workers) and
 * writes their output lines to the sink in stream order — byte for byte what
 * one thread prints.
 */
import type { ByteSource } from '../scap/byte_source.js';
import type { DecodeSummary } from '../decoder.js';
import { EventPrinter, type PrintOptions } from '../event_printer.js';
import type { OutputSink } from '../cli_read.js';
import { warnLine } from '../warn.js';
import { ParallelDecode } from './pool.js';

/**
 * Decodes `source` on `n` threads and writes the output to `sink` in stream order. Rejects
 * with the first fault in stream order (after the output before it), or a worker failure.
 */
export async function printEventsParallel(source: ByteSource, options: PrintOptions, n: number, sink: OutputSink): Promise<DecodeSummary> {
  new EventPrinter(options, () => {}); // warnings and option errors once, on the main thread
  const run = new ParallelDecode(source, { kind: 'print', options }, n);
  try {
    for await (const done of run) {
      if (done.output) await sink.writeBytes(done.output);
      for (const message of done.skipped ?? []) warnLine(message);
    }
  } finally {
    await sink.flush();
  }
  return run.summary!;
}
