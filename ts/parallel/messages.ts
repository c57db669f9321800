/**
 * Messages between the parallel pool (main thread) and its decode workers.
 * A worker answers every batch; the stream's end needs no message (the
 * caller's own replica gives the totals).
 * Batch bytes travel in SharedArrayBuffers (shared, not copied); output travels
 * as transferred UTF-8 bytes or as structured-cloned event objects. Errors
 * travel as plain data (ScapdriftErrorData): classes do not survive a structured clone.
 */
import type { ScapdriftErrorData } from '../errors.js';
import type { PrintOptions } from '../event_printer.js';
import type { MachineInfo } from '../scap/machine_info.js';
import type { CaptureEvent } from '../capture_event.js';

/** What a worker makes of the batches it owns. */
export type WorkerTask =
  /** Output lines as `read` prints them. */
  | { kind: 'print'; options: PrintOptions }
  /** Event objects for the library (openCapture); options already validated. */
  | { kind: 'events'; types?: readonly string[]; fields: readonly string[]; filter?: string }
  /** Nothing: every batch is handed back undecoded (the splitter's benchmark). */
  | { kind: 'none' };

/** workerData of a decode worker. */
export interface WorkerInit {
  /** The same for every worker. */
  task: WorkerTask;
}

/** Main → worker: the next batch of whole blocks, in stream order. */
export interface BatchMessage {
  seq: number;
  bytes: SharedArrayBuffer;
  /** Bytes of the batch at the start of `bytes`. */
  length: number;
  /** This replica decodes the batch for output; the others only update their thread tables. */
  owned: boolean;
}

/** What a replica gives for a batch it owns. */
export interface BatchResults {
  /** UTF-8 lines (task 'print'). */
  output?: Uint8Array;
  /** Events (task 'events'). */
  events?: CaptureEvent[];
  /** The machine-info block, when the batch holds it (task 'events'). */
  machineInfo?: MachineInfo;
  /** Corrupt frames of the batch that were skipped (one line each). */
  skipped?: string[];
  /** The batch's fault, after the results (the events before it). */
  error?: ScapdriftErrorData;
}

/** Worker → main: a batch is done; the results only from its owner. */
export interface BatchDone extends BatchResults {
  seq: number;
}
