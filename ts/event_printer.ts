/**
 * Events to output lines, as `read` and `capture` print them: the default
 * line, a `-p` format or JSON, or — with rules — the alerts of the rules that
 * matched, all as the plan (ts/plan.ts) says. One printer owns one Decoder;
 * each parallel worker runs one through {@link createJob}.
 */
import { Decoder, type DecodeHandlers } from './decoder.js';
import { renderFormat, renderDefault, renderJson } from './output.js';
import type { EventView } from './event_view.js';
import { matchedPrograms } from './filter/blob.js';
import { alertJson, alertText, type AlertRule } from './rules/alert.js';
import { hostnameOfThisMachine } from './rules/select.js';
import { fieldRefs, formatParts, type Plan, type PlanOutput, type PlanRule } from './plan.js';
import type { Job } from './parallel/job.js';
import { BaselineJudge } from './baseline/judge.js';

/** The per-event line renderer of an output that is not alerts. */
export function lineRenderer(output: Exclude<PlanOutput, { kind: 'alerts' | 'events' | 'alertObjects' }>): (v: EventView) => string {
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

export class EventPrinter {
  readonly decoder: Decoder;
  /** Decoder callbacks that turn each delivered event into lines for `out`. */
  readonly handlers: DecodeHandlers;

  /**
   * `out` receives each line (without newline), `skip` a line per corrupt frame skipped,
   * `forward` each alert as Falco's JSON object (with rules: --output-http / --output-file),
   * `alerted` each alert's event and rule (capture-on-alert) before it is printed.
   */
  constructor(plan: Plan, out: (line: string) => void, skip?: (message: string) => void, forward?: (alertJson: string) => void, alerted?: (v: EventView, rule: PlanRule) => void) {
    const output = plan.output;
    // A baseline sees every exec exit, those of other workers' batches too (ts/baseline/detect.ts).
    const judge = output.kind === 'alerts' && output.baseline ? new BaselineJudge(output.baseline.profile) : undefined;
    const decoder = new Decoder({ ...(plan.types ? { types: plan.types } : {}), ...(plan.filter ? { filter: plan.filter } : {}), strict: plan.strict, stateExecs: judge !== undefined });
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
      const render = lineRenderer(output);
      onEvent = (v) => out(render(v));
    }
    this.decoder = decoder;
    this.handlers = {
      onEvent,
      ...(judge ? { onStateExec: (v: EventView) => { judge.observe(v); } } : {}),
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

/** The parallel job of `read --workers N` (ts/parallel/job.ts): each owned batch's lines as UTF-8 bytes. */
export function createJob(plan: Plan, onSkip: (message: string) => void): Job<Uint8Array> {
  let lines: string[] = [];
  const printer = new EventPrinter(plan, (line) => lines.push(line), onSkip);
  return {
    decoder: printer.decoder,
    handlers: printer.handlers,
    collect() {
      if (lines.length === 0) return undefined;
      const bytes = encoder.encode(lines.join('\n') + '\n');
      lines = [];
      return { result: bytes, transfer: [bytes.buffer as ArrayBuffer] };
    },
  };
}
