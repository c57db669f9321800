/**
 * Messages between the parallel pool (main thread) and its decode workers.
 * Batch bytes travel in SharedArrayBuffers (shared, not copied); output travels
 * as transferred UTF-8 bytes. Errors travel as plain data (ScapdriftErrorData):
 * classes do not survive a structured clone.
 */
import type { ScapdriftErrorData } from '../errors.js';
import type { PrintOptions } from '../event_printer.js';
import type { DecodeSummary } from '../decoder.js';

/** workerData of a decode worker. */
export interface WorkerInit {
  /** What to print (the same for every worker). */
  options: PrintOptions;
}

/** Main → worker: the next batch of whole blocks, in stream order. */
export interface BatchMessage {
  kind: 'batch';
  seq: number;
  bytes: SharedArrayBuffer;
  length: number;
  /** This worker prints the batch; the others only update their thread tables. */
  owned: boolean;
}

/** Main → worker: the stream has ended. */
export interface FinishMessage {
  kind: 'finish';
}

export type ToWorker = BatchMessage | FinishMessage;

/** Worker → main: a batch is done; `output` (UTF-8 lines) only from its owner. */
export interface BatchDone {
  kind: 'done';
  seq: number;
  output?: Uint8Array;
  /** Corrupt frames of the batch that were skipped (one line each). */
  skipped?: string[];
  /** The batch's fault, after `output` (the events before it). */
  error?: ScapdriftErrorData;
}

/** Worker → main: the end of the stream, or its fault (truncation). */
export interface Finished {
  kind: 'finished';
  summary?: DecodeSummary;
  error?: ScapdriftErrorData;
}

export type FromWorker = BatchDone | Finished;
