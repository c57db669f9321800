/**
 * One plan, compiled once (DESIGN.md §6): the options of `read`, `capture` and
 * `openCapture` turned, on the main thread, into plain data — the filter
 * bytecode laid out for the Wasm VM, the rules' alert shapes, the output form and
 * its field list — that every decoder (this thread's, or a parallel worker's)
 * receives as is. Nothing in a plan is compiled again: a decoder installs the
 * bytecode and looks its fields up by name (a Map get).
 *
 * A plan is structured-clonable (no functions, no class instances): it crosses
 * to worker threads by `postMessage`/`workerData`.
 */
import { compileFormat, FormatError, formatFields, DEFAULT_JSON_FIELDS, DEFAULT_HEAD, EXEC_FIELDS, EXEC_ORIGIN_FIELDS } from '../output/render.js';
import { readsFdTable } from './state_needs.js';
import { eventIdsByName } from '../events/event_table.js';
import { isSyscallName } from '../events/syscalls.js';
import type { TypeSet } from '../rules/event_types.js';
import type { Work } from '../parallel/worker_count.js';
import { layoutPrograms } from '../filter/blob.js';
import { checkEventTypes } from './decoder.js';
import { ScapdriftError, ErrorCode } from '../errors.js';
import { selectEvents, type SelectOptions } from '../rules/select.js';
import { rulesNeverFiring } from '../rules/event_types.js';
import { resolveField, type FieldRef } from '../fields/fields.js';
import type { FormatPart } from '../output/render.js';
import type { Profile } from '../baseline/profile.js';
import { compileOutputProgram, type OutputProgram } from '../output/program.js';

/** A format part as data: literal text, or a field by its name as written ("evt.arg.flags"). */
export type PlanPart = string | { field: string };

/** The alert shape of one rule (ts/rules/alert.ts), as data. */
export interface PlanRule {
  name: string;
  /** Printed form ("Critical"). */
  priority: string;
  tags: string[];
  source: string;
  /** The rule's output format, its literal text already escaped (ts/rules/load.ts). */
  output: PlanPart[];
  /** Falco `capture` / `capture_duration` (ms): capture-on-alert (ts/alerts/alert_capture.ts). */
  capture: boolean;
  captureDurationMs?: number;
}

/** What a decoder makes of each selected event. */
export type PlanOutput =
  /** The default line (ts/output/render.ts renderDefault), formatted in Wasm by `program`. */
  | { kind: 'line'; program: OutputProgram }
  /** A `-p` format, formatted in Wasm by `program`. */
  | { kind: 'format'; parts: PlanPart[]; program: OutputProgram }
  /** JSON lines of these fields (`--json`, `--json -p`), formatted in Wasm by `program`. */
  | { kind: 'json'; fields: string[]; program: OutputProgram }
  /**
   * Alerts of the rules, one per matched rule (program i ↔ rule i), text or JSON. With
   * `baseline`, the last rule is the baseline's: it alerts only when the exec is outside the
   * profile; the rules at `replaced` (name allowlists) stay silent where the profile judged.
   */
  | { kind: 'alerts'; json: boolean; rules: PlanRule[]; baseline?: { profile: Profile; replaced: number[] } }
  /** Event objects of these fields (the library API). */
  | { kind: 'events'; fields: string[]; jsonSafe: boolean }
  /** Alert objects of the rules, one per matched rule (the library API with rules). */
  | { kind: 'alertObjects'; rules: PlanRule[]; jsonSafe: boolean };

/** The compiled options of one decode. */
export interface Plan {
  /** Event type names to deliver (evt.type); all when absent. Checked. */
  types?: string[];
  /** The first corrupt frame is fatal. */
  strict: boolean;
  /** Filter programs as the VM's blob (assembly/filter/layout.ts) and how many; absent: every event. */
  filter?: { blob: Uint8Array; count: number };
  output: PlanOutput;
  /**
   * Whether decoders keep the fd table and the cwd: false only when no field the conditions,
   * rules or output read needs them ({@link planNeedsFdTable}, ts/pipeline/state_needs.ts).
   */
  fdTable: boolean;
}

/** What `read` and `capture` print: their shared options (the selection's, ts/rules/select.ts, and these). */
export interface PrintOptions extends SelectOptions {
  json?: boolean;
  print?: string;
  type?: string;
  /** The first corrupt frame is fatal (default: reported and skipped when its block is sound). */
  strict?: boolean;
}

/** Format parts as data. */
export function planParts(parts: readonly FormatPart[]): PlanPart[] {
  return parts.map((p) => (typeof p === 'string' ? p : { field: p.text }));
}

/** Format parts from data (fields looked up by name; a plan holds only names it resolved). */
export function formatParts(parts: readonly PlanPart[]): FormatPart[] {
  return parts.map((p) => (typeof p === 'string' ? p : resolveField(p.field)!));
}

/** Field references from names checked when the plan was made. */
export function fieldRefs(names: readonly string[]): FieldRef[] {
  return names.map((n) => resolveField(n)!);
}

/**
 * Compiles the options of `read` / `capture` into a plan: the conditions and rules files (read
 * and compiled here, once; the YAML parser is loaded only when there are rules), the `-p`
 * format, the event types. Rule warnings go to `warn`, once. Throws E_OPTION naming the
 * position of a bad format, condition or event type, a RulesError naming FILE:LINE:COLUMN.
 * `captured` (live capture: the event names the driver sends) adds a warning per rule that can
 * never fire because none of its event types is captured.
 */
export async function compilePrintPlan(opts: PrintOptions, warn: (line: string) => void, captured?: ReadonlySet<string>): Promise<Plan> {
  const types = opts.type !== undefined ? opts.type.split(',').map((t) => t.trim()).filter(Boolean) : undefined;
  if (types?.length === 0) throw new ScapdriftError(ErrorCode.OPTION, `--type names no event type, got ${JSON.stringify(opts.type)} (comma-separated names as evt.type prints them, e.g. execve,openat)`);
  if (types) checkEventTypes(types);
  const parts = opts.print !== undefined ? compileFormat(opts.print) : undefined;
  // libsinsp rejects an empty format ("empty formatting token"); with no part, nothing would print.
  if (parts?.length === 0) throw new FormatError(`empty format${opts.print === '' ? '' : ` (${JSON.stringify(opts.print)} has nothing after its leading *)`}: give at least one %field or some text, e.g. -p '%evt.num %proc.name'`);
  const selection = await selectEvents(opts, warn);
  if (captured && selection.ruleSet) for (const line of rulesNeverFiring(selection.ruleSet, captured)) warn(line);
  let output: PlanOutput;
  if (selection.rules) {
    output = {
      kind: 'alerts',
      json: opts.json === true,
      rules: selection.rules.map((r) => ({
        // -p with rules appends its format to every rule's output after a space, as Falco's -p
        // (rule_loader_compiler.cpp: rule.output + " " + extra format).
        name: r.name, priority: r.priority, tags: r.tags, source: r.source, output: planParts(parts ? [...r.output, ' ', ...parts] : r.output),
        capture: r.capture, ...(r.captureDurationMs !== undefined ? { captureDurationMs: r.captureDurationMs } : {}),
      })),
      ...(selection.baseline ? { baseline: selection.baseline } : {}),
    };
  } else if (opts.json) {
    const fields = parts ? formatFields(parts) : DEFAULT_JSON_FIELDS;
    output = { kind: 'json', fields: fields.map((f) => f.text), program: compileOutputProgram({ kind: 'json', fields }) };
  } else if (parts) {
    output = { kind: 'format', parts: planParts(parts), program: compileOutputProgram({ kind: 'format', parts }) };
  } else {
    output = { kind: 'line', program: compileOutputProgram({ kind: 'line' }) };
  }
  const emitted = emittedTypes(types, selection.eventTypes);
  return {
    ...(emitted ? { types: emitted } : {}),
    strict: opts.strict === true,
    ...(selection.programs ? { filter: { blob: layoutPrograms(selection.programs), count: selection.programs.length } } : {}),
    output,
    fdTable: planNeedsFdTable(selection.fieldsRead ?? [], output),
  };
}

/**
 * The event types decoders stop at: those of `-t` (absent: all) that the conditions and rules
 * can match (`selected`, a superset: ts/rules/event_types.ts), names no event or syscall has
 * dropped (a condition's own check refuses those, a rule naming one never fires); undefined: all.
 * Only a narrower emit mask: the programs still decide every event it lets through.
 */
export function emittedTypes(types: string[] | undefined, selected: TypeSet | undefined): string[] | undefined {
  if (!selected || selected.except) return types; // `!=` lists (except) narrow too little to pay
  const names = [...selected.names].filter((n) => eventIdsByName(n).length > 0 || isSyscallName(n));
  return types ? types.filter((t) => names.includes(t)) : names;
}

/** The fields `output` prints, as written (the default line's too). */
function outputFields(output: PlanOutput): string[] {
  const names = (parts: readonly PlanPart[]): string[] => parts.flatMap((p) => (typeof p === 'string' ? [] : [p.field]));
  switch (output.kind) {
    case 'line': return [...DEFAULT_HEAD, ...EXEC_FIELDS, ...EXEC_ORIGIN_FIELDS].flatMap((p) => (typeof p === 'string' ? [] : [p.text]));
    case 'format': return names(output.parts);
    case 'json': case 'events': return output.fields;
    case 'alerts': case 'alertObjects': return output.rules.flatMap((r) => names(r.output));
  }
}

/**
 * Whether a decode that reads the fields `conditionFields` (its filter and rules) and prints
 * `output` needs the fd table and the cwd kept (ts/pipeline/state_needs.ts).
 */
export function planNeedsFdTable(conditionFields: readonly string[], output: PlanOutput): boolean {
  return [...conditionFields, ...outputFields(output)].some(readsFdTable);
}

/**
 * Whether the plan prints something for most events it is given: no filter and no rules
 * (an event-type list may still select many). What the default worker count weighs.
 */
export function printsEveryEvent(plan: Plan): boolean {
  return plan.filter === undefined && plan.output.kind !== 'alerts';
}

/** What the default worker count (ts/parallel/worker_count.ts) weighs of a decode of `bytes` (decompressed, when known) with `plan`. */
export function planWork(plan: Plan, bytes: number | undefined): Work {
  const out = plan.output;
  const fields = out.kind === 'json' ? out.fields.length : out.kind === 'format' ? out.parts.filter((p) => typeof p !== 'string').length : undefined;
  return { bytes, everyEvent: printsEveryEvent(plan), output: out.kind === 'line' || out.kind === 'format' || out.kind === 'json' ? out.kind : 'other', ...(fields !== undefined ? { fields } : {}) };
}
