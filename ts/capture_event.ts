/**
 * One event of the library API (openCapture): a plain object, field name →
 * value, copied out of the decoder's view — on the caller's thread or in a
 * parallel worker, which sends it over by structured clone. Also the events
 * job of parallel decoding (ts/parallel/job.ts).
 */
import { extractField, type FieldRef, type FieldValue } from './fields.js';
import type { EventView } from './event_view.js';
import type { MachineInfo } from './scap/machine_info.js';
import { Decoder } from './decoder.js';
import { fieldRefs, type Plan } from './plan.js';
import type { Job } from './parallel/job.js';

/** One event: field name → value (bigint for 64-bit values, null when missing). */
export type CaptureEvent = Record<string, FieldValue>;

/** The values of `fields` for the event `v` is on; with `jsonSafe`, 64-bit values as decimal strings. */
export function captureEvent(v: EventView, fields: readonly FieldRef[], jsonSafe = false): CaptureEvent {
  const ev: CaptureEvent = {};
  for (const f of fields) {
    const value = extractField(v, f);
    ev[f.text] = jsonSafe && typeof value === 'bigint' ? value.toString() : value;
  }
  return ev;
}

/** What the events job collects per batch. */
export interface EventsResult {
  events: CaptureEvent[];
  /** The machine-info block, when the batch held it. */
  machineInfo?: MachineInfo;
}

/** The events job: a decoder for `plan` (output kind 'events') whose events are collected as objects. */
export function createJob(plan: Plan, onSkip: (message: string) => void): Job<EventsResult> {
  if (plan.output.kind !== 'events') throw new Error(`the events job needs an events plan, got ${plan.output.kind}`);
  const fields = fieldRefs(plan.output.fields);
  const jsonSafe = plan.output.jsonSafe;
  const decoder = new Decoder({ ...(plan.types ? { types: plan.types } : {}), ...(plan.filter ? { filter: plan.filter } : {}), strict: plan.strict });
  let events: CaptureEvent[] = [];
  let machineInfo: MachineInfo | undefined;
  return {
    decoder,
    handlers: {
      onEvent(v) { events.push(captureEvent(v, fields, jsonSafe)); },
      onMachineInfo(mi) { machineInfo = mi; },
      onSkip(error) { onSkip(`skipped a corrupt frame: ${error.message}`); },
    },
    collect() {
      if (events.length === 0 && !machineInfo) return undefined;
      const result: EventsResult = { events, ...(machineInfo ? { machineInfo } : {}) };
      events = [];
      machineInfo = undefined;
      return { result };
    },
  };
}
