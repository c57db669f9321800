/**
 * `read --workers N`: decodes on N threads (this one and N − 1 workers), each
 * running the print job (ts/pipeline/event_printer.ts createJob) on the one plan, and
 * writes their output to the sink in stream order — byte for byte what one
 * thread prints.
 */
import type { ByteSource } from '../scap/byte_source.js';
import type { DecodeSummary } from '../pipeline/decoder.js';
import { printsEveryEvent, type Plan } from '../pipeline/plan.js';
import type { OutputSink } from '../output/sink.js';
import { warnLine } from '../warn.js';
import { ParallelDecode } from './pool.js';

/** The print job's module (ts/pipeline/event_printer.ts), loaded by every worker. */
const PRINT_JOB = new URL('../pipeline/event_printer.js', import.meta.url);

/**
 * Decodes `source` on `n` threads and writes the output to `sink` in stream order. Rejects
 * with the first fault in stream order (after the output before it), or a worker failure.
 */
export async function printEventsParallel(source: ByteSource, plan: Plan, n: number, sink: OutputSink): Promise<DecodeSummary> {
  const run = new ParallelDecode(source, { module: PRINT_JOB, plan }, n, printsEveryEvent(plan));
  try {
    for await (const done of run) {
      const pieces = (done.result ?? []) as Uint8Array[];
      let left = pieces.length;
      // The pieces' buffers go back to the replica that filled them once all are written.
      const written = (): void => { if (--left === 0) run.giveBack(done, pieces.map((p) => p.buffer as ArrayBuffer)); };
      for (const piece of pieces) await sink.writeBytes(piece, written);
      for (const message of done.skipped ?? []) warnLine(message);
    }
  } finally {
    await sink.flush();
  }
  return run.summary!;
}
