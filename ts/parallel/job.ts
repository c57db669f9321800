/**
 * What a parallel replica runs, generically: a job module (a file the pool
 * knows only by URL) exports {@link JobModule.createJob}, which builds a decoder
 * and its handlers from a plan (ts/pipeline/plan.ts) received as data; the replica
 * feeds it every batch and, for the batches it owns, sends what
 * {@link Job.collect} gives back. The pool never knows its callers' types.
 */
import type { Decoder, DecodeHandlers } from '../pipeline/decoder.js';

/** A batch's results, and the buffers to transfer (not copy) with them. */
export interface Collected<R> {
  result: R;
  transfer?: ArrayBuffer[];
  /** Bytes of output the result carries (printed bytes), when it is output: the pool sizes batches by it. */
  outputBytes?: number;
}

/** A decoder, its handlers, and what the handlers collected during the batch. */
export interface Job<R> {
  decoder: Decoder;
  handlers: DecodeHandlers;
  /** Hands out (and forgets) what the handlers collected; undefined when nothing. */
  collect(): Collected<R> | undefined;
  /**
   * Takes back buffers it transferred with a result, once the consumer is done with them
   * (written out): reused for later results, so that no buffer is allocated (and faulted in)
   * per batch.
   */
  reuse?(buffers: ArrayBuffer[]): void;
}

/** The shape of a job module: `createJob(plan, onSkip)`; `onSkip` gets a line per corrupt frame skipped. */
export interface JobModule<P, R> {
  createJob(plan: P, onSkip: (message: string) => void): Job<R>;
}

/** A job for the pool: its module's URL (loaded by each worker) and its plan (sent as data). */
export interface JobSpec<P> {
  module: URL;
  plan: P;
}
