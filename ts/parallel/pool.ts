/**
 * Parallel decoding with output identical to one thread's: replicated state,
 * partitioned work (DESIGN.md §3–4). The main thread's splitter (Wasm,
 * splitBlocks) cuts the stream into batches of whole blocks; every worker scans
 * every batch in order (keeping a full thread-table replica), and the owner of a
 * batch (seq mod N) also filters and formats its events. Outputs are written in
 * batch order, so N workers print byte for byte what one does.
 *
 * Memory stays bounded: at most MAX_BATCHES_AHEAD batches are in flight beyond
 * the slowest worker, and output waits for stdout ('drain').
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { ByteSource } from '../scap/byte_source.js';
import { Decoder, type DecodeSummary } from '../decoder.js';
import { fromErrorData, ScapdriftError, ErrorCode } from '../errors.js';
import { EventPrinter, type PrintOptions } from '../event_printer.js';
import { warnLine, type OutputSink } from '../cli_read.js';
import type { BatchDone, FromWorker, ToWorker, WorkerInit } from './messages.js';

/**
 * Target batch size, bytes: large enough to amortise messages, small enough to
 * spread work. SCAPDRIFT_BATCH_BYTES overrides it (tests use small batches).
 */
export const BATCH_BYTES = Number(process.env.SCAPDRIFT_BATCH_BYTES) > 0 ? Number(process.env.SCAPDRIFT_BATCH_BYTES) : 4 << 20;
/** Inputs smaller than this decode on one thread by default (bytes on disk). */
const SMALL_INPUT_BYTES = 16 << 20;
/** Batches sent beyond the last one every worker has finished. */
const MAX_BATCHES_AHEAD_PER_WORKER = 3;
const WORKER_URL = new URL('./worker.js', import.meta.url);

/**
 * Worker count from `--workers`: a positive integer, or the default — the
 * cores for inputs over 16 MiB or of unknown size, else 1. Throws E_OPTION.
 */
export function workerCount(option: string | number | undefined, inputBytes: number | undefined): number {
  if (option === undefined) return inputBytes !== undefined && inputBytes < SMALL_INPUT_BYTES ? 1 : availableParallelism();
  const n = typeof option === 'number' ? option : Number(option);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new ScapdriftError(ErrorCode.OPTION, `--workers must be a positive integer, got ${String(option)}`);
  }
  return n;
}

interface PoolWorker {
  worker: Worker;
  /** Highest seq this worker finished. */
  doneSeq: number;
}

/**
 * Decodes `source` on `n` workers and writes the output to `sink` in stream
 * order. Rejects with the first fault in stream order (after the output before
 * it), or with a worker failure; terminates every worker either way.
 */
export async function printEventsParallel(source: ByteSource, options: PrintOptions, n: number, sink: OutputSink): Promise<DecodeSummary> {
  new EventPrinter(options, () => {}); // warnings and option errors once, on the main thread
  const splitter = new Decoder({ types: [] }).module.exports;
  const init: WorkerInit = { options };
  const pool: PoolWorker[] = Array.from({ length: n }, () => ({ worker: new Worker(WORKER_URL, { workerData: init }), doneSeq: -1 }));
  const outputs = new Map<number, BatchDone>();
  let finished: ((m: FromWorker) => void) | undefined;
  let wake: (() => void) | undefined;
  let crash: Error | undefined;
  pool.forEach((p, i) => {
    p.worker.on('message', (m: FromWorker) => {
      if (m.kind === 'finished') { if (i === 0) finished?.(m); return; }
      p.doneSeq = m.seq;
      if (m.seq % n === i) outputs.set(m.seq, m);
      wake?.();
    });
    p.worker.on('error', (e) => { crash ??= new ScapdriftError(ErrorCode.IO, `decode worker ${i} failed: ${e.message}`); wake?.(); });
    p.worker.on('exit', (code) => { if (code !== 0) { crash ??= new ScapdriftError(ErrorCode.IO, `decode worker ${i} exited with code ${code}`); wake?.(); } });
  });
  const waitForProgress = (): Promise<void> => new Promise((r) => { wake = r; });

  let skippedFrames = 0; // reported by the owners; other replicas do not validate those frames
  let nextSeq = 0; // next batch to send
  let nextOut = 0; // next batch to print
  /** Prints every finished batch in order; throws the first fault. */
  const drainOutputs = async (): Promise<void> => {
    if (crash) throw crash;
    for (let m = outputs.get(nextOut); m; m = outputs.get(nextOut)) {
      outputs.delete(nextOut);
      if (m.output) await sink.writeBytes(m.output);
      for (const message of m.skipped ?? []) warnLine(message);
      skippedFrames += m.skipped?.length ?? 0;
      if (m.error) throw fromErrorData(m.error);
      nextOut++;
    }
  };
  const send = (bytes: Uint8Array): void => {
    const shared = new SharedArrayBuffer(bytes.length);
    new Uint8Array(shared).set(bytes);
    const seq = nextSeq++;
    pool.forEach((p, i) => p.worker.postMessage({ kind: 'batch', seq, bytes: shared, length: bytes.length, owned: seq % n === i } satisfies ToWorker));
  };

  try {
    let end = 0; // bytes held in the splitter's input buffer
    for await (const chunk of source) {
      const input = splitter.reserveInput(end + chunk.length);
      new Uint8Array(splitter.memory.buffer).set(chunk, input + end);
      end += chunk.length;
      let start = 0;
      for (;;) {
        const cut = splitter.splitBlocks(start, end, start + BATCH_BYTES);
        if (cut - start < BATCH_BYTES) break;
        send(new Uint8Array(splitter.memory.buffer, splitter.inputPtr() + start, cut - start));
        start = cut;
        // Backpressure: the slowest worker and stdout bound what is in flight.
        while (nextSeq - 1 - Math.min(...pool.map((p) => p.doneSeq)) > MAX_BATCHES_AHEAD_PER_WORKER * n) {
          await drainOutputs();
          await waitForProgress();
        }
        await drainOutputs();
      }
      const mem = new Uint8Array(splitter.memory.buffer);
      mem.copyWithin(splitter.inputPtr(), splitter.inputPtr() + start, splitter.inputPtr() + end);
      end -= start;
    }
    if (end > 0) send(new Uint8Array(splitter.memory.buffer, splitter.inputPtr(), end)); // incomplete blocks: finish() names them
    while (nextOut < nextSeq) {
      await drainOutputs();
      if (nextOut < nextSeq) await waitForProgress();
    }
    const done = new Promise<FromWorker>((r) => { finished = r; });
    pool[0]!.worker.postMessage({ kind: 'finish' } satisfies ToWorker);
    const result = await Promise.race([done, waitForProgress().then(() => { if (crash) throw crash; return done; })]);
    if (result.kind !== 'finished') throw new ScapdriftError(ErrorCode.IO, 'decode worker protocol error');
    if (result.error) throw fromErrorData(result.error);
    return { ...result.summary!, skippedFrames };
  } finally {
    await sink.flush();
    await Promise.all(pool.map((p) => p.worker.terminate()));
  }
}
