/**
 * A replica of the decoder for parallel decoding: its own Wasm instance and
 * thread table, fed every batch in stream order, so that every replica has the
 * same thread table at every frame; only for the batches it owns does it run
 * its task (print lines, or make event objects). One runs on the caller's
 * thread, the others in worker threads (ts/parallel/worker.ts).
 */
import { Decoder, type DecodeHandlers, type DecodeSummary } from '../decoder.js';
import { EventPrinter } from '../event_printer.js';
import { resolveField } from '../fields.js';
import { compileFilter } from '../filter/index.js';
import { captureEvent, type CaptureEvent } from '../capture_event.js';
import type { MachineInfo } from '../scap/machine_info.js';
import { isScapdriftError, toErrorData, ScapdriftError, ErrorCode, type ScapdriftErrorData } from '../errors.js';
import type { BatchResults, WorkerTask } from './messages.js';

/** A replica; `feed` every batch in stream order, then `finish` once. */
export interface Replica {
  /** Decodes a batch; the task's results when `owned` (a fault of the batch as `error`). */
  feed(bytes: Uint8Array, owned: boolean): BatchResults;
  /** The totals of the stream (undefined for the task 'none'); throws its fault (truncation). */
  finish(): DecodeSummary | undefined;
}

/** A decoder, its handlers, and what the handlers collected during the batch. */
interface Job {
  decoder: Decoder;
  handlers: DecodeHandlers;
  /** Hands out (and forgets) what the handlers collected. */
  collect(): Pick<BatchResults, 'output' | 'events' | 'machineInfo'>;
}

const encoder = new TextEncoder();

function printJob(options: Extract<WorkerTask, { kind: 'print' }>['options'], onSkip: (message: string) => void): Job {
  let lines: string[] = [];
  // Rule warnings are printed once, by the caller; skipped frames travel with their batch.
  const printer = new EventPrinter(options, (line) => lines.push(line), () => {}, onSkip);
  return {
    decoder: printer.decoder,
    handlers: printer.handlers,
    collect() {
      const output = lines.length ? encoder.encode(lines.join('\n') + '\n') : undefined;
      lines = [];
      return output ? { output } : {};
    },
  };
}

function eventsJob(t: Extract<WorkerTask, { kind: 'events' }>, onSkip: (message: string) => void): Job {
  const fields = t.fields.map((name) => resolveField(name)!); // validated by openCapture
  const decoder = new Decoder({ ...(t.types ? { types: t.types } : {}), ...(t.filter !== undefined ? { programs: [compileFilter(t.filter)] } : {}) });
  let events: CaptureEvent[] = [];
  let machineInfo: MachineInfo | undefined;
  return {
    decoder,
    handlers: {
      onEvent(v) { events.push(captureEvent(v, fields)); },
      onMachineInfo(mi) { machineInfo = mi; },
      onSkip(error) { onSkip(`skipped a corrupt frame: ${error.message}`); },
    },
    collect() {
      const r = { ...(events.length ? { events } : {}), ...(machineInfo ? { machineInfo } : {}) };
      events = [];
      machineInfo = undefined;
      return r;
    },
  };
}

function errorData(e: unknown): ScapdriftErrorData {
  if (isScapdriftError(e)) return toErrorData(e);
  return toErrorData(new ScapdriftError(ErrorCode.IO, `decoding failed: ${e instanceof Error ? e.message : String(e)}`));
}

/** A replica for `task`. Throws E_OPTION for bad options (a worker's replica never: they were checked first). */
export function createReplica(task: WorkerTask): Replica {
  let skipped: string[] = [];
  const onSkip = (message: string): void => { skipped.push(message); };
  const job = task.kind === 'print' ? printJob(task.options, onSkip) : task.kind === 'events' ? eventsJob(task, onSkip) : undefined;
  let failed = false;
  return {
    feed(bytes, owned) {
      if (!job || failed) return {};
      let error: ScapdriftErrorData | undefined;
      try {
        job.decoder.feed(bytes, job.handlers, owned);
      } catch (e) {
        failed = true; // the replica's state is undefined past a fault; the owner reports it
        error = errorData(e);
      }
      const mine = skipped;
      skipped = [];
      const results = job.collect();
      if (!owned) return {};
      return { ...results, ...(mine.length ? { skipped: mine } : {}), ...(error ? { error } : {}) };
    },
    finish() {
      return job?.decoder.finish();
    },
  };
}
