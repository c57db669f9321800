/**
 * Messages between the parallel pool (main thread) and its decode workers.
 * A worker answers every batch it owns, and another only when asked (`answer`);
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

/** Main → worker: the next batch of whole blocks, in stream order. */
export interface BatchMessage {
  seq: number;
  /** The batch's pooled buffer (ts/parallel/batch_buffers.ts), or -1 for a buffer of its own. */
  slot: number;
  /** The buffer, the first time this worker is sent its slot (the worker keeps it), or when slot is -1. */
  bytes?: SharedArrayBuffer;
  /** Bytes of the batch at the start of `bytes`. */
  length: number;
  /** This replica decodes the batch for output; the others only update their thread tables. */
  owned: boolean;
  /**
   * Answer this batch although it is not owned (a BatchDone with its seq only): the pool learns
   * how far the worker has got (to reuse shared buffers, for backpressure) from every
   * ANSWER_EVERY-th batch (ts/parallel/pool.ts) and from the owned ones.
   */
  answer?: true;
  /**
   * Buffers that results of this worker carried, written out since the last batch (transferred
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

/** Worker → main: a batch is done (an owned one, or one with `answer`); the results only from its owner. */
export interface BatchDone extends BatchResults {
  seq: number;
}
