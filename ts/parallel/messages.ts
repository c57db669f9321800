/**
 * Messages between the parallel pool (main thread) and its decode workers.
 * A worker answers every message once (its batches are done);
 * the stream's end needs no message (the caller's own replica gives the totals).
 * Batch bytes travel in SharedArrayBuffers (shared, not copied); results
 * travel as the job made them (transferred buffers, or structured-cloned data).
 * Errors travel as plain data (ScapdriftErrorData): classes do not survive a structured clone.
 */
import type { ScapdriftErrorData } from '../errors.js';

/** workerData of a decode worker: the same for every worker. */
export interface WorkerInit {
  /** URL of the job module (ts/parallel/job.ts); absent: batches are handed back undecoded (the splitter's benchmark). */
  job?: string;
  /** The job's plan, as data. */
  plan?: unknown;
  /** The decoder's compiled Wasm module (ts/pipeline/wasm.ts wasmModule), shared: not compiled again. */
  wasm: WebAssembly.Module;
  /** The decoder's description of the event table (ts/pipeline/wasm.ts decoderDescription), read once. */
  description: Uint8Array;
}

/** A batch as the pool sends it: where its bytes are. */
export interface BatchRef {
  seq: number;
  /** The batch's pooled buffer (ts/parallel/batch_buffers.ts), or -1 for a buffer of its own. */
  slot: number;
  /** The buffer, the first time this worker is sent its slot (the worker keeps it), or when slot is -1. */
  bytes?: SharedArrayBuffer;
  /** Bytes of the batch at the start of `bytes`. */
  length: number;
}

/**
 * Main → worker: the next batches of whole blocks, in stream order — `walk`, batches this replica
 * only walks (its thread table), then the message's own batch. The pool holds a worker's
 * walk-only batches and sends them with its next owned batch (or before it waits for the
 * worker): one message and one wake-up for several batches. The worker answers every message
 * once (a BatchDone with the own batch's seq; results when it owns it): the pool learns how far
 * the worker has got (to reuse shared buffers, for backpressure) from every answer.
 */
export interface BatchMessage extends BatchRef {
  /** Walk-only batches before this one, in stream order. */
  walk?: BatchRef[];
  /** This replica decodes the batch for output; the others only update their thread tables. */
  owned: boolean;
  /**
   * Buffers that results of this worker carried, written out since the last message (transferred
   * back): the job reuses them (ts/parallel/job.ts reuse). They ride on the batch messages: a
   * message of their own per batch cost as much as the batch's.
   */
  reuse?: ArrayBuffer[];
}

/** What a replica gives for a batch it owns. */
export interface BatchResults {
  /** What the job collected (ts/parallel/job.ts), when anything. */
  result?: unknown;
  /** Bytes of output the result carries (Collected.outputBytes). */
  outputBytes?: number;
  /** Corrupt frames of the batch that were skipped (one line each). */
  skipped?: string[];
  /** The batch's fault, after the results (the events before it). */
  error?: ScapdriftErrorData;
}

/**
 * Worker → main, once, first: the job module is loaded and the replica made. Until then the
 * pool gives the worker no batch to own (ts/parallel/pool.ts): a worker takes ~50–200 ms to
 * start, and batches it owned then held back every result after them.
 */
export interface WorkerReady {
  ready: true;
}

/** Worker → main: a message's batches are done (`seq`: its own batch); the results only from the batch's owner. */
export interface BatchDone extends BatchResults {
  seq: number;
}
