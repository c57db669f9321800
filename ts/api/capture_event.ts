/**
 * One event of the library API (openCapture): a plain object, field name →
 * value, copied out of the decoder's view — on the caller's thread or in a
 * parallel worker, which sends it over by structured clone. Also the events
 * job of parallel decoding (ts/parallel/job.ts).
 */
import { extractField, type FieldRef, type FieldValue } from '../fields/fields.js';
import type { EventView } from '../fields/event_view.js';
import type { MachineInfo } from '../scap/machine_info.js';
import { Decoder } from '../pipeline/decoder.js';
import { fieldRefs, formatParts, type Plan } from '../pipeline/plan.js';
import type { Job } from '../parallel/job.js';
import { matchedPrograms } from '../filter/blob.js';
import { alertText, type AlertRule } from '../rules/alert.js';
import { hostnameOfThisMachine } from '../rules/select.js';
import { escapeText } from '../fields/escape.js';

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

/**
 * One alert of the library API (openCapture with rules): a rule matched an event. The shape of
 * Falco's JSON alert, camel-cased; names from the rules file and the hostname escaped like
 * kernel strings.
 */
export interface CaptureAlert {
  /** The rule's name. */
  rule: string;
  /** Its priority as Falco prints it ("Critical", "Warning", …). */
  priority: string;
  /** Its event source ("syscall"). */
  source: string;
  tags: string[];
  /** Falco's text line: `HH:MM:SS.nnnnnnnnn: Priority output` (local time). */
  output: string;
  /** The event's time, epoch ns (bigint; a decimal string with jsonSafe). */
  time: bigint | string;
  /** The capture's host (machine-info block), else this machine's. */
  hostname: string;
  /** The values of the output's %fields (Falco's output_fields): missing ones null. */
  outputFields: CaptureEvent;
}

/** What the events job collects per batch. */
export interface EventsResult {
  /** Events, or alerts for a plan with rules (output kind 'alertObjects'). */
  events: (CaptureEvent | CaptureAlert)[];
  /** The machine-info block, when the batch held it. */
  machineInfo?: MachineInfo;
}

/** The events job: a decoder for `plan` (output kind 'events' or 'alertObjects') whose events or alerts are collected as objects. */
export function createJob(plan: Plan, onSkip: (message: string) => void): Job<EventsResult> {
  const output = plan.output;
  if (output.kind !== 'events' && output.kind !== 'alertObjects') throw new Error(`the events job needs an events plan, got ${output.kind}`);
  const jsonSafe = output.jsonSafe;
  const decoder = new Decoder({ ...(plan.types ? { types: plan.types } : {}), ...(plan.filter ? { filter: plan.filter } : {}), strict: plan.strict, fdTable: plan.fdTable });
  let events: (CaptureEvent | CaptureAlert)[] = [];
  let machineInfo: MachineInfo | undefined;
  let hostname = hostnameOfThisMachine();
  let onEvent: (v: EventView) => void;
  if (output.kind === 'events') {
    const fields = fieldRefs(output.fields);
    onEvent = (v) => { events.push(captureEvent(v, fields, jsonSafe)); };
  } else {
    const rules = output.rules.map((r) => {
      const rule: AlertRule = { ...r, output: formatParts(r.output) };
      return { rule, fields: rule.output.filter((p): p is FieldRef => typeof p !== 'string') };
    });
    onEvent = (v) => {
      for (const i of matchedPrograms(decoder.module, rules.length)) {
        const { rule, fields } = rules[i]!;
        events.push({
          rule: escapeText(rule.name), priority: rule.priority, source: escapeText(rule.source), tags: rule.tags.map(escapeText),
          output: alertText(v, rule), time: jsonSafe ? v.ts.toString() : v.ts, hostname: escapeText(hostname),
          outputFields: captureEvent(v, fields, jsonSafe),
        });
      }
    };
  }
  return {
    decoder,
    handlers: {
      onEvent,
      onMachineInfo(mi) {
        machineInfo = mi;
        if (mi.hostname) hostname = mi.hostname;
      },
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
