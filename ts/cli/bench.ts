/**
 * `scapdrift bench FILE [--workers 1,2,4] [--filter C] [--runs N]`: read throughput of a
 * capture for each worker count, against the machine's memcpy bandwidth measured in the same
 * run; prints a Markdown table (bench/RESULTS.md keeps the project's). Rows, per worker count N,
 * each done as `read --workers N` does it, with the output discarded:
 *
 * - (a) split: the splitter reads the file, cuts it into batches and hands each to the N
 *   replicas (this thread and N − 1 workers), which hand it back undecoded — the ceiling of
 *   parallel decoding;
 * - (b) decode + thread table: every frame walked and validated, state applied, nothing emitted;
 * - (c) decode + a filter that never matches (`proc.name` compared on every frame);
 * - (d) decode + a filter matching ~1 % of the events (or `--filter`), printed as JSON.
 */
import os from 'node:os';
import { Writable } from 'node:stream';
import { openByteSource } from '../scap/byte_source.js';
import { Decoder, type DecodeSummary } from '../pipeline/decoder.js';
import { eventInfo } from '../events/event_table.js';
import { openCapture } from '../api/capture.js';
import { printEvents, type ReadCommandOptions } from './read.js';
import { compilePrintPlan } from '../pipeline/plan.js';
import { warnLine } from '../warn.js';
import { ParallelDecode } from '../parallel/pool.js';
import { workerCount } from '../parallel/worker_count.js';
import { ScapdriftError, ErrorCode } from '../errors.js';

/** Options of the bench command, as given on the command line. */
export interface BenchOptions {
  /** Worker counts, comma-separated (default: 1, 2, 4, … up to the cores, and the cores). */
  workers?: string;
  /** Condition of row (d) (default: event types that make up ~1 % of the events). */
  filter?: string;
  /** Runs per row; the table shows the median (default 3). */
  runs?: string;
}

/** Row (c)'s condition: evaluated on every frame, matches none. */
const NEVER = 'proc.name = "scapdrift bench: no such process"';
/** The memcpy row: Buffer.copy of this many bytes … */
const COPY_BYTES = 64 << 20;
/** … this many times per run. */
const COPIES = 16;
const MB = 1e6;

/** One measured row: what it runs for a worker count. */
interface Task {
  name: string;
  run(workers: number): Promise<void>;
}

/** Discards what it is given, counting bytes and lines. */
class CountingSink extends Writable {
  bytes = 0;
  lines = 0;
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.bytes += chunk.length;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) this.lines++;
    done();
  }
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
}

/** Worker counts from `--workers`: each like `read --workers`; default 1, 2, 4, … below the cores, then the cores. */
function workerList(option: string | undefined): number[] {
  if (option !== undefined) return option.split(',').map((w) => workerCount(w.trim(), undefined, '--workers'));
  const cores = os.availableParallelism();
  const list: number[] = [];
  for (let n = 1; n < cores; n *= 2) list.push(n);
  return [...list, cores];
}

function runCount(option: string | undefined): number {
  const n = option === undefined ? 3 : Number(option);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new ScapdriftError(ErrorCode.OPTION, `--runs must be an integer from 1 to 100, got ${String(option)}`);
  return n;
}

/** One pass on this thread: the totals and the events per evt.type name. */
async function histogram(file: string): Promise<{ summary: DecodeSummary; counts: Map<string, number> }> {
  const byId = new Map<number, number>();
  const source = await openByteSource(file);
  try {
    const summary = await new Decoder().run(source, { onEvent(v) { byId.set(v.type, (byId.get(v.type) ?? 0) + 1); } });
    const counts = new Map<string, number>();
    for (const [id, n] of byId) {
      const name = eventInfo(id)!.name;
      counts.set(name, (counts.get(name) ?? 0) + n);
    }
    return { summary, counts };
  } finally {
    await source.close();
  }
}

/**
 * A condition on evt.type matching about 1 % of the events: names taken largest first when
 * they bring the total closer to 1 % (so between ~0.5 % and ~2 %).
 */
function onePercentFilter(counts: Map<string, number>, events: number): string {
  const target = events / 100;
  const picked: string[] = [];
  let total = 0;
  for (const [name, n] of [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
    if (Math.abs(total + n - target) < Math.abs(total - target)) {
      picked.push(name);
      total += n;
    }
  }
  return `evt.type in (${picked.join(', ')})`;
}

/** `read` into a sink, as the command line does it. */
async function read(file: string, opts: ReadCommandOptions, out: Writable): Promise<void> {
  const source = await openByteSource(file);
  try {
    await printEvents(source, await compilePrintPlan(opts, warnLine), opts.workers, { progress: false, live: false, out });
  } finally {
    await source.close();
  }
}

/** memcpy bandwidth, MB/s: median of `runs` runs of COPIES copies of COPY_BYTES. */
function memcpyMbs(runs: number): { mbs: number; ms: number[] } {
  const src = Buffer.alloc(COPY_BYTES, 0xa5);
  const dst = Buffer.alloc(COPY_BYTES);
  src.copy(dst); // fault the pages in first
  const ms = Array.from({ length: runs }, () => {
    const t = performance.now();
    for (let i = 0; i < COPIES; i++) src.copy(dst);
    return performance.now() - t;
  });
  return { mbs: (COPY_BYTES * COPIES) / MB / (median(ms) / 1000), ms };
}

function machine(): string {
  return `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ` +
    `${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;
}

/** Load average over 1, 5 and 15 min: "1.86 / 1.20 / 0.98". */
function load(): string {
  return os.loadavg().map((x) => fmt(x, 2)).join(' / ');
}

/** Iterates `items` to the end, ignoring them. */
async function drain(items: AsyncIterable<unknown>): Promise<void> {
  const it = items[Symbol.asyncIterator]();
  while (!(await it.next()).done);
}

/** Measures `file` and returns the Markdown report (table and notes). */
export async function benchReport(file: string, opts: BenchOptions): Promise<string> {
  const workers = workerList(opts.workers);
  const runs = runCount(opts.runs);
  const loadBefore = load();
  const { summary, counts } = await histogram(file);
  if (summary.events === 0) throw new ScapdriftError(ErrorCode.OPTION, `${file} holds no events`);
  const condition = opts.filter ?? onePercentFilter(counts, summary.events);
  const json = new CountingSink();
  const tasks: Task[] = [
    { name: '(a) split, batches handed out undecoded', run: async (n) => {
      const source = await openByteSource(file);
      try {
        await drain(new ParallelDecode(source, undefined, n));
      } finally {
        await source.close();
      }
    } },
    { name: '(b) decode + thread table, nothing emitted', run: (n) => drain(openCapture(file, { types: [], fields: [], workers: n })) },
    { name: '(c) decode + filter that never matches', run: (n) => read(file, { condition: NEVER, workers: n }, new CountingSink()) },
    { name: '(d) decode + filter matching ~1 %, JSON', run: (n) => {
      json.bytes = 0;
      json.lines = 0;
      return read(file, { condition, json: true, workers: n }, json);
    } },
  ];

  const copy = memcpyMbs(runs);
  const rows: string[] = [`| — | memcpy (Buffer.copy, ${COPY_BYTES >> 20} MiB × ${COPIES}) | — | ${fmt(copy.mbs)} | 1.000 | — | ${timeText(copy.ms)} | — |`];
  const oneWorker = new Map<string, number>();
  for (const n of workers) {
    for (const task of tasks) {
      process.stderr.write(`bench: ${n} worker${n > 1 ? 's' : ''}, ${task.name}\n`);
      const ms: number[] = [];
      const cpuMs: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t = performance.now();
        const cpu = process.cpuUsage();
        await task.run(n);
        ms.push(performance.now() - t);
        const used = process.cpuUsage(cpu);
        cpuMs.push((used.user + used.system) / 1000);
      }
      const sec = median(ms) / 1000;
      const evs = summary.events / sec;
      const mbs = summary.bytes / MB / sec;
      if (n === 1) oneWorker.set(task.name, evs);
      const one = oneWorker.get(task.name);
      rows.push(`| ${n} | ${task.name} | ${fmt(evs)} | ${fmt(mbs, mbs < 10 ? 2 : 0)} | ${fmt(mbs / copy.mbs, 3)} | ${one ? `${fmt(evs / one, 2)}×` : '—'} | ${timeText(ms)} | ${fmt(median(cpuMs))} ms |`);
    }
  }
  return [
    `Capture: \`${file}\`, ${fmt(summary.bytes / MB, 1)} MB (decompressed), ${fmt(summary.events)} events. ` +
      `Median of ${runs} run${runs > 1 ? 's' : ''} per row (min–max in brackets); MB = 10^6 bytes of decompressed capture; ` +
      'events/s = events of the capture walked per second; CPU = user + system time of all threads (median); output discarded. ' +
      'The 1-worker rows run on this thread, warm after the first run; every run with N > 1 starts N − 1 fresh worker threads ' +
      '(isolate, modules, Wasm instance), as every `read --workers N` does. (c) is `' + NEVER + '`; (d) is `' +
      condition + `\`, which matches ${fmt(json.lines)} events (${fmt((100 * json.lines) / summary.events, 2)} %), ` +
      `${fmt(json.bytes / MB, 1)} MB of JSON.`,
    '',
    '| workers | task | events/s | MB/s | ratio to memcpy | × 1 worker | time | CPU |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Machine: ${machine()}. Load average (1 / 5 / 15 min): ${loadBefore} before the run, ${load()} after.`,
    '',
  ].join('\n');
}

/** "745 ms (702–801)": the median and the range of the runs. */
function timeText(ms: number[]): string {
  const range = ms.length > 1 ? ` (${fmt(Math.min(...ms))}–${fmt(Math.max(...ms))})` : '';
  return `${fmt(median(ms))} ms${range}`;
}

/** Runs the bench command: the report on stdout, progress on stderr. */
export async function benchCommand(file: string, opts: BenchOptions): Promise<void> {
  process.stdout.write(await benchReport(file, opts));
}
