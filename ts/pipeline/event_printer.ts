/**
 * Events to output lines, as `read` and `capture` print them: the default
 * line, a `-p` format or JSON, or — with rules — the alerts of the rules that
 * matched, all as the plan (ts/pipeline/plan.ts) says. One printer owns one Decoder;
 * each parallel worker runs one through {@link createJob}.
 */
import { Decoder, type DecodeHandlers } from './decoder.js';
import { renderFormat, renderDefault, renderJson, fieldJson } from '../output/render.js';
import type { EventView } from '../fields/event_view.js';
import { extractField } from '../fields/fields.js';
import { fallbackRef } from '../output/program.js';
import { matchedPrograms } from '../filter/blob.js';
import { alertJson, alertText, type AlertRule } from '../rules/alert.js';
import { hostnameOfThisMachine } from '../rules/select.js';
import { fieldRefs, formatParts, type Plan, type PlanPart, type PlanRule } from './plan.js';
import type { Job } from '../parallel/job.js';
import { BaselineJudge } from '../baseline/judge.js';

/**
 * The per-event line renderer of an output that is not alerts, in TypeScript: what the Wasm
 * formatter (assembly/output.ts) prints, kept as the reference it is tested against
 * (test/output_wasm.test.ts) and for the in-process benchmark.
 */
export function lineRenderer(output: { kind: 'line' } | { kind: 'format'; parts: readonly PlanPart[] } | { kind: 'json'; fields: readonly string[] }): (v: EventView) => string {
  switch (output.kind) {
    case 'json': {
      const fields = fieldRefs(output.fields);
      return (v) => renderJson(v, fields);
    }
    case 'format': {
      const parts = formatParts(output.parts);
      return (v) => renderFormat(v, parts);
    }
    case 'line':
      return renderDefault;
  }
}

/** Where a printer's output goes: lines made in TypeScript (alerts), bytes formatted in Wasm (copy them). */
export interface PrintSink {
  push(line: string): void;
  pushBytes(bytes: Uint8Array): void;
}

export class EventPrinter {
  readonly decoder: Decoder;
  /** Decoder callbacks that turn each delivered event into lines for `out`. */
  readonly handlers: DecodeHandlers;

  /**
   * `sink` receives each alert line (without newline) or the Wasm formatter's output bytes
   * (whole lines), `skip` a line per corrupt frame skipped, `forward` each alert as Falco's JSON
   * object (with rules: --output-http / --output-file), `alerted` each alert's event and rule
   * (capture-on-alert) before it is printed.
   */
  constructor(plan: Plan, sink: PrintSink, skip?: (message: string) => void, forward?: (alertJson: string) => void, alerted?: (v: EventView, rule: PlanRule) => void) {
    const out = (line: string): void => sink.push(line);
    const output = plan.output;
    // A baseline sees every exec exit, those of other workers' batches too (ts/baseline/detect.ts).
    const judge = output.kind === 'alerts' && output.baseline ? new BaselineJudge(output.baseline.profile) : undefined;
    const decoder = new Decoder({ ...(plan.types ? { types: plan.types } : {}), ...(plan.filter ? { filter: plan.filter } : {}), strict: plan.strict, stateExecs: judge !== undefined, fdTable: plan.fdTable });
    let hostname = hostnameOfThisMachine();
    let onEvent: (v: EventView) => void;
    if (output.kind === 'alerts') {
      const rules: AlertRule[] = output.rules.map((r) => ({ ...r, output: formatParts(r.output) }));
      const json = output.json;
      const baselineRule = judge ? rules.length - 1 : -1;
      const replaced = new Set(output.baseline?.replaced);
      const alert = (v: EventView, i: number): void => {
        const rule = rules[i]!;
        alerted?.(v, output.rules[i]!);
        if (!forward) { out(json ? alertJson(v, rule, hostname) : alertText(v, rule)); return; }
        const object = alertJson(v, rule, hostname);
        forward(object);
        out(json ? object : alertText(v, rule));
      };
      onEvent = (v) => {
        const verdict = judge?.observe(v);
        for (const i of matchedPrograms(decoder.module, rules.length)) {
          if (i !== baselineRule) {
            if (!verdict || !replaced.has(i)) alert(v, i);
            continue;
          }
          if (!verdict || verdict.known) continue;
          v.baselineVerdict = verdict;
          try {
            alert(v, i);
          } finally {
            v.baselineVerdict = undefined;
          }
        }
      };
    } else if (output.kind === 'events' || output.kind === 'alertObjects') {
      throw new Error(`a print plan cannot have the output kind "${output.kind}"`);
    } else {
      // Formatted in Wasm; the fallback fields (ts/output/program.ts) by ts/fields/fields.ts.
      const refs = output.program.fallbacks.map(fallbackRef);
      decoder.installOutput(output.program, (v, slot, json) => {
        const ref = refs[slot]!;
        const value = extractField(v, ref);
        if (value === null) return null;
        return json ? fieldJson(ref, value) : ref.def.text ? ref.def.text(v, ref.arg) : String(value);
      });
      onEvent = () => { throw new Error('an event reached the shell although the Wasm formatter prints it'); };
    }
    this.decoder = decoder;
    this.handlers = {
      onEvent,
      ...(judge ? { onStateExec: (v: EventView) => { judge.observe(v); } } : {}),
      onOutput(bytes) {
        sink.pushBytes(bytes);
      },
      onMachineInfo(mi) {
        if (mi.hostname) hostname = mi.hostname;
      },
      onSkip(error) {
        skip?.(`skipped a corrupt frame: ${error.message}`);
      },
    };
  }
}

const encoder = new TextEncoder();

/**
 * Size of the reused buffers that carry a batch's output from its replica to the writer, bytes:
 * a few of the Wasm formatter's pieces (~512 KiB, assembly/output.ts OUTPUT_FLUSH_BYTES) each.
 */
export const OUTPUT_PIECE_BYTES = 1 << 20;
/**
 * Written pieces a job keeps for reuse: enough for the batches a replica has in flight (they are
 * sized to ~1 MiB of output or less: ts/parallel/batch_size.ts); more (the first batch, cut
 * before its output was known) are left to the collector.
 */
const MAX_FREE_PIECES = 8;

/**
 * The parallel job of `read --workers N` (ts/parallel/job.ts): each owned batch's output as
 * UTF-8 pieces, in order. The Wasm formatter's output is copied once, into reused buffers of
 * OUTPUT_PIECE_BYTES that travel to the writer (transferred) and come back through
 * {@link Job.reuse} once written: a fresh buffer per batch cost more than formatting (page
 * faults, zeroing), and buffers waiting for the collector made the heap triple.
 */
export function createJob(plan: Plan, onSkip: (message: string) => void): Job<Uint8Array[]> {
  let lines: string[] = [];
  let pieces: Uint8Array[] = [];
  const free: ArrayBuffer[] = [];
  let current: ArrayBuffer | undefined; // the piece being filled: its bytes from 0 to `used`
  let used = 0;
  const close = (): void => {
    if (current && used > 0) pieces.push(new Uint8Array(current, 0, used));
    else if (current) free.push(current);
    current = undefined;
    used = 0;
  };
  const printer = new EventPrinter(plan, {
    push(line) { lines.push(line); },
    pushBytes(bytes) {
      if (lines.length > 0) flushLines();
      if (current && used + bytes.length > current.byteLength) close();
      if (!current) {
        current = bytes.length > OUTPUT_PIECE_BYTES ? new ArrayBuffer(bytes.length) : free.pop() ?? new ArrayBuffer(OUTPUT_PIECE_BYTES);
      }
      new Uint8Array(current, used, bytes.length).set(bytes);
      used += bytes.length;
    },
  }, onSkip);
  /** Alert lines (made in TypeScript), after the bytes before them. */
  const flushLines = (): void => {
    close();
    pieces.push(encoder.encode(lines.join('\n') + '\n'));
    lines = [];
  };
  return {
    decoder: printer.decoder,
    handlers: printer.handlers,
    collect() {
      if (lines.length > 0) flushLines();
      close();
      if (pieces.length === 0) return undefined;
      const result = pieces;
      pieces = [];
      return { result, transfer: result.map((p) => p.buffer as ArrayBuffer), outputBytes: result.reduce((n, p) => n + p.length, 0) };
    },
    reuse(buffers) {
      for (const b of buffers) if (b.byteLength === OUTPUT_PIECE_BYTES && free.length < MAX_FREE_PIECES) free.push(b);
    },
  };
}
