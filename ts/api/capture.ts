/**
 * The library entry point: read a capture (file path or stream; plain or gzip,
 * detected by magic bytes) and get its events as plain objects.
 *
 * ```ts
 * import { openCapture } from 'scapdrift';
 * for await (const ev of openCapture('drop.scap', { types: ['execve'] })) {
 *   console.log(ev['proc.exepath'], ev['proc.exe_ino.ctime_duration_proc_start']);
 * }
 * ```
 */
import { openByteSource, type ByteSource, type ByteStream } from '../scap/byte_source.js';
import { checkEventTypes, type DecodeSummary } from '../pipeline/decoder.js';
import { resolveField, suggestField, type FieldRef } from '../fields/fields.js';
import { createJob as createEventsJob, type CaptureEvent, type CaptureAlert, type EventsResult } from './capture_event.js';
import { layoutPrograms } from '../filter/blob.js';
import { compilePrintPlan, emittedTypes, planNeedsFdTable, type Plan, type PlanOutput } from '../pipeline/plan.js';
import { selectionTypes } from '../rules/event_types.js';
import { conditionFields } from '../pipeline/state_needs.js';
import { parseCondition } from '../filter/parser.js';
import { workerCount, MAX_WORKERS } from '../parallel/worker_count.js';
import { DEFAULT_JSON_FIELDS } from '../output/render.js';
import { ScapdriftError, ErrorCode } from '../errors.js';
import type { MachineInfo } from '../scap/machine_info.js';
import { compileProgram, EMPTY_ENV } from '../filter/index.js';
import type { Expr } from '../filter/ast.js';
import { FilterError } from '../filter/filter_error.js';

/** Options of {@link openCapture}. Unknown keys are rejected by name. */
export interface OpenCaptureOptions {
  /** Event type names to deliver (evt.type values such as "execve"); all when absent. */
  types?: readonly string[];
  /** Field names to extract per event (see `scapdrift fields`); a default set when absent. */
  fields?: readonly string[];
  /** Falco condition (e.g. "evt.type = execve and proc.is_exe_writable = true"), evaluated in Wasm. */
  filter?: string;
  /**
   * Decode on this many threads — the caller's and `workers − 1` worker threads — as
   * `read --workers` does (default 1: the caller's thread only). The events, their order and
   * their values are the same for every count.
   */
  workers?: number;
  /**
   * JSON-safe events: 64-bit values (pids, tids, inodes, times, durations) as decimal strings
   * instead of bigint, so that `JSON.stringify(event)` works and loses no digit. Default false.
   */
  jsonSafe?: boolean;
  /**
   * Falco rules files (paths, YAML): the capture then yields a {@link CaptureAlert} per rule
   * that matched an event, instead of events (`fields` does not apply: each alert carries its
   * rule's output fields). Read and compiled once, when the iteration starts — a bad file throws
   * there (a ScapdriftError naming FILE:LINE:COLUMN); rules scapdrift cannot run are skipped
   * and listed in {@link Capture.warnings}.
   */
  rules?: readonly string[];
  /** Load the shipped drift rules (rules/scapdrift_rules.yaml) before `rules`. */
  defaultRules?: boolean;
}

/** Options of {@link openCapture} that load rules: the capture yields alerts. */
export type OpenCaptureRulesOptions = OpenCaptureOptions & ({ rules: readonly string[] } | { defaultRules: true });

export type { CaptureEvent, CaptureAlert };

/** An open capture: iterate it once for its events (or, with rules, its alerts). */
export interface Capture<T = CaptureEvent> extends AsyncIterable<T> {
  /** The machine-info block, once it has been read (after the first event at the latest). */
  readonly machineInfo: MachineInfo | undefined;
  /** Totals, once the iteration has finished. */
  readonly summary: DecodeSummary | undefined;
  /** With rules: one line per rule skipped (a field or source scapdrift does not have), once the iteration has started. */
  readonly warnings: readonly string[];
}

const OPTION_KEYS = new Set(['types', 'fields', 'filter', 'workers', 'jsonSafe', 'rules', 'defaultRules']);

/** The events job's module (ts/api/capture_event.ts), loaded by every worker. */
const EVENTS_JOB = new URL('./capture_event.js', import.meta.url);
/**
 * Bytes read and decoded at a time on this thread: the event (or alert) objects of a read are
 * made before the first is handed out and live until the consumer takes the last. At 1 MiB
 * (~12,000 events of busy.scap) they outlived V8's young generation and every field string was
 * copied to the old one: the first 8 MB of busy.scap with every field took 4.8 s and 165 MiB
 * (GC half of it), 3.0 s and 92 MiB at 64 KiB, the same at 16 KiB.
 */
const EVENT_OBJECTS_READ_BYTES = 64 << 10;

/** What `value` is, for an error message. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (value instanceof Uint8Array) return `a ${value.constructor.name} (wrap bytes in a stream: Readable.from([bytes]))`;
  if (typeof value === 'object') return `an object that is not async iterable (${value.constructor?.name ?? 'no prototype'})`;
  if (typeof value === 'string') return value === '' ? 'an empty string' : `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

/** Throws E_OPTION unless `input` is a non-empty path or an async-iterable stream of bytes. */
function validateInput(input: unknown): void {
  const iterable = typeof input === 'object' && input !== null && typeof (input as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
  if ((typeof input === 'string' && input !== '') || iterable) return;
  throw new ScapdriftError(ErrorCode.OPTION, `input must be a file path or a readable stream of scap bytes, got ${describe(input)}`);
}

function validate(options: OpenCaptureOptions): FieldRef[] {
  if (typeof options !== 'object' || options === null) throw new ScapdriftError(ErrorCode.OPTION, 'options must be an object');
  for (const k of Object.keys(options)) {
    if (!OPTION_KEYS.has(k)) throw new ScapdriftError(ErrorCode.OPTION, `unknown option ${k}; known: ${[...OPTION_KEYS].join(', ')}`);
  }
  if (options.types !== undefined && (!Array.isArray(options.types) || options.types.some((t) => typeof t !== 'string'))) {
    throw new ScapdriftError(ErrorCode.OPTION, 'options.types must be an array of event type names');
  }
  checkEventTypes(options.types ?? [], 'options.types: ');
  if (options.rules !== undefined && (!Array.isArray(options.rules) || options.rules.some((r) => typeof r !== 'string' || r === ''))) {
    throw new ScapdriftError(ErrorCode.OPTION, 'options.rules must be an array of rules file paths');
  }
  if (options.defaultRules !== undefined && typeof options.defaultRules !== 'boolean') {
    throw new ScapdriftError(ErrorCode.OPTION, `options.defaultRules must be a boolean, got ${describe(options.defaultRules)}`);
  }
  if (options.jsonSafe !== undefined && typeof options.jsonSafe !== 'boolean') {
    throw new ScapdriftError(ErrorCode.OPTION, `options.jsonSafe must be a boolean, got ${describe(options.jsonSafe)}`);
  }
  if (options.filter !== undefined && typeof options.filter !== 'string') {
    throw new ScapdriftError(ErrorCode.OPTION, 'options.filter must be a Falco condition string');
  }
  if (options.workers !== undefined) {
    if (typeof options.workers !== 'number') throw new ScapdriftError(ErrorCode.OPTION, `options.workers must be an integer from 1 to ${MAX_WORKERS}, got ${describe(options.workers)}`);
    workerCount(options.workers, undefined, 'options.workers');
  }
  if (options.fields === undefined) return [...DEFAULT_JSON_FIELDS];
  if (!Array.isArray(options.fields)) throw new ScapdriftError(ErrorCode.OPTION, 'options.fields must be an array of field names');
  return options.fields.map((name) => {
    if (typeof name !== 'string' || name === '') throw new ScapdriftError(ErrorCode.OPTION, `options.fields: a field name must be a non-empty string, got ${describe(name)}`);
    const ref = resolveField(name);
    if (!ref) {
      const hint = suggestField(name);
      throw new ScapdriftError(ErrorCode.OPTION, `options.fields: unknown field ${name}${hint ? `; did you mean ${hint}?` : ''}`);
    }
    return ref;
  });
}

/** Runs `f` on the filter option; a FilterError names the option and the position. */
function filterOption<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FilterError) throw new FilterError(`options.filter: ${e.message}`, e.pos, e.unsupportedField);
    throw e;
  }
}

/** The filter option parsed (with rules, it is compiled once with them when the iteration starts). */
function parseOption(condition: string): Expr {
  return filterOption(() => parseCondition(condition));
}

/**
 * Opens a capture. `input` is a file path or a readable stream of scap bytes.
 * Iterating yields every event (or those of `options.types`) in file order.
 * Errors: E_OPTION for a bad input argument or bad options, a bad filter or an unknown event type included
 * (all thrown here, naming the option; a filter's error also the position); during iteration E_IO, E_EMPTY, E_NOT_SCAP,
 * E_TRUNCATED, E_BAD_BLOCK_LENGTH, E_CORRUPT_FRAME, ... naming the byte offset — thrown after
 * every complete event before the fault was yielded.
 */
export function openCapture(input: string | ByteStream, options: OpenCaptureRulesOptions): Capture<CaptureAlert>;
export function openCapture(input: string | ByteStream, options?: OpenCaptureOptions): Capture<CaptureEvent>;
export function openCapture(input: string | ByteStream, options: OpenCaptureOptions = {}): Capture<CaptureEvent | CaptureAlert> {
  validateInput(input);
  const fields = validate(options);
  const withRules = (options.rules?.length ?? 0) > 0 || options.defaultRules === true;
  const jsonSafe = options.jsonSafe === true;
  const warnings: string[] = [];
  let plan: Plan | undefined;
  if (withRules) {
    if (options.filter !== undefined) parseOption(options.filter); // checked here; compiled once with the rules
  } else {
    const expr = options.filter !== undefined ? parseOption(options.filter) : undefined;
    const programs = expr ? [filterOption(() => compileProgram(expr))] : undefined;
    const output: PlanOutput = { kind: 'events', fields: fields.map((f) => f.text), jsonSafe };
    const types = emittedTypes(options.types ? [...options.types] : undefined, expr ? selectionTypes(undefined, expr, EMPTY_ENV) : undefined);
    plan = {
      ...(types ? { types } : {}),
      strict: false,
      ...(programs ? { filter: { blob: layoutPrograms(programs), count: programs.length } } : {}),
      output,
      fdTable: planNeedsFdTable(expr ? [...conditionFields(expr, EMPTY_ENV)] : [], output),
    };
  }
  /** The plan with the rules read and compiled (once, at the start of the iteration). */
  const rulesPlan = async (): Promise<Plan> => {
    const p = await compilePrintPlan({
      ...(options.filter !== undefined ? { filter: options.filter } : {}),
      ...(options.types ? { type: options.types.join(',') } : {}),
      rules: [...(options.rules ?? [])],
      defaultRules: options.defaultRules === true,
    }, (w) => warnings.push(w));
    if (p.output.kind !== 'alerts') throw new Error('rules gave no alerts plan');
    return { ...p, output: { kind: 'alertObjects', rules: p.output.rules, jsonSafe } };
  };
  const workers = options.workers ?? 1;
  let machineInfo: MachineInfo | undefined;
  let summary: DecodeSummary | undefined;
  let used = false;
  type Item = CaptureEvent | CaptureAlert;

  /**
   * Decodes on this thread, reading with the source's readInto (as `read` does: a plain file
   * straight into the decoder's memory, a large gzip file gunzipped by its worker thread); the
   * events of a read are handed out before the next read.
   */
  async function* onThisThread(source: ByteSource, plan: Plan): AsyncGenerator<Item> {
    const job = createEventsJob(plan, () => {});
    let pending: Item[] = [];
    let done = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    let resume: (() => void) | undefined;
    let stopped = false; // the consumer left the loop early
    const take = (): void => {
      const got = job.collect()?.result;
      if (got?.machineInfo) machineInfo = got.machineInfo;
      if (got) pending = pending.length ? pending.concat(got.events) : got.events;
    };
    const run = job.decoder.runSource(source, {
      ...job.handlers,
      afterChunk: () => {
        take();
        if (stopped) throw new ScapdriftError(ErrorCode.OPTION, 'iteration stopped by the consumer');
        return new Promise<void>((r) => { resume = r; wake?.(); });
      },
    }, EVENT_OBJECTS_READ_BYTES).then((s) => { summary = s; }, (e) => { failure = e; }).finally(() => { take(); done = true; wake?.(); });
    try {
      for (;;) {
        if (pending.length === 0 && !done) {
          await new Promise<void>((r) => { wake = r; if (resume || done) r(); });
          wake = undefined;
        }
        const batch = pending;
        pending = [];
        for (const ev of batch) yield ev;
        if (done && pending.length === 0) break;
        const r = resume;
        resume = undefined;
        r?.();
      }
      await run;
      if (failure !== undefined) throw failure;
    } finally {
      stopped = true;
      resume?.();
      await run;
    }
  }

  /** Decodes on `workers` threads (ts/parallel), each running the events job on the plan; events in stream order. */
  async function* onWorkers(source: ByteSource, plan: Plan): AsyncGenerator<Item> {
    const { ParallelDecode } = await import('../parallel/pool.js'); // loaded only when workers run
    const run = new ParallelDecode(source, { module: EVENTS_JOB, plan }, workers);
    for await (const done of run) {
      const got = done.result as EventsResult | undefined;
      if (got?.machineInfo) machineInfo = got.machineInfo;
      for (const ev of got?.events ?? []) yield ev;
    }
    summary = run.summary;
  }

  return {
    get machineInfo() { return machineInfo; },
    get summary() { return summary; },
    get warnings() { return warnings; },
    async *[Symbol.asyncIterator]() {
      if (used) throw new ScapdriftError(ErrorCode.OPTION, 'a capture can be iterated once; open it again');
      used = true;
      const thePlan = plan ?? await rulesPlan();
      const source = await openByteSource(input);
      try {
        yield* workers > 1 ? onWorkers(source, thePlan) : onThisThread(source, thePlan);
      } finally {
        await source.close();
      }
    },
  };
}
