/**
 * Read throughput on the largest shared capture (busy.scap.gz), measured with tinybench:
 * bytes only, decode with nothing emitted, decode + default lines of execve, decode + JSON of
 * every event, and bytes / decode straight from the gzip file — each against the machine's
 * memcpy bandwidth measured in the same run. Prints a Markdown table and writes it to its section
 * of bench/RESULTS.md.
 *
 * Run after `npm run build`: `node dist/bench/read.bench.js` (from the project root).
 */
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { Bench } from 'tinybench';
import { openByteSource } from '../ts/scap/byte_source.js';
import { Decoder } from '../ts/pipeline/decoder.js';
import { lineRenderer } from '../ts/pipeline/event_printer.js';
import { renderJson, DEFAULT_JSON_FIELDS } from '../ts/output/render.js';
import type { EventView } from '../ts/fields/event_view.js';
import { writeSection } from './results_file.js';

const GZ_PATH = path.resolve(process.cwd(), '..', 'shared', 'captures', 'busy.scap.gz');
/** Size of the memcpy buffers, bytes. */
const COPY_BYTES = 64 << 20;
/** Copies of the 64 MiB buffer per memcpy iteration. */
const COPIES = 16;
const MB = 1e6;

/** What one measured task walks, for the per-second figures. */
interface Workload {
  name: string;
  fn: () => Promise<unknown> | unknown;
  /** Bytes one iteration moves (decompressed capture bytes; copied bytes for memcpy). */
  bytes: number;
  /** Events of the capture one iteration walks; undefined for memcpy. */
  events?: number;
}

/** Sink for rendered lines, so the JIT cannot drop the rendering. */
let lastLine = '';
let emitted = 0;

/** Reads `file` through the byte source and returns the number of (decompressed) bytes. */
export async function readBytes(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of await openByteSource(file)) n += chunk.byteLength;
  return n;
}

/** Decodes `file` with `types` (all when undefined), calling `onEvent` per selected event. */
export async function decodeFile(
  file: string,
  types: readonly string[] | undefined,
  onEvent: (v: EventView) => void,
): Promise<number> {
  const source = await openByteSource(file);
  const decoder = new Decoder(types ? { types } : {});
  const summary = await decoder.run(source, { onEvent });
  return summary.events;
}

function noop(): void {}

/** Fails the task when a read did not deliver the whole capture. */
async function expectBytes(got: Promise<number>, want: number): Promise<void> {
  const n = await got;
  if (n !== want) throw new Error(`read ${n} bytes, expected ${want}`);
}

/** Gunzips `gz` into a fresh temp file; returns its path. */
async function gunzipToTemp(gz: string): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'scapdrift-bench-'));
  const out = path.join(dir, 'busy.scap');
  await pipeline(createReadStream(gz), createGunzip(), createWriteStream(out));
  return out;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ` +
    `${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, Node ${process.version}, ` +
    `${os.type()} ${os.release()}`;
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0]!;
  const plain = await gunzipToTemp(GZ_PATH);
  try {
    const bytes = (await fsp.stat(plain)).size;
    const gzBytes = (await fsp.stat(GZ_PATH)).size;
    const events = await decodeFile(plain, [], noop);
    const renderLine = lineRenderer({ kind: 'line' });
    const src = Buffer.alloc(COPY_BYTES, 0xa5);
    const dst = Buffer.alloc(COPY_BYTES);

    const work: Workload[] = [
      { name: 'memcpy (Buffer.copy, 64 MiB)', bytes: COPY_BYTES * COPIES, fn: () => { for (let i = 0; i < COPIES; i++) src.copy(dst); } },
      { name: '(a) file → byte source', bytes, events, fn: () => expectBytes(readBytes(plain), bytes) },
      { name: '(b) decode, nothing emitted', bytes, events, fn: () => decodeFile(plain, [], noop) },
      { name: '(c) decode + default line of execve', bytes, events, fn: () => decodeFile(plain, ['execve'], (v) => { lastLine = renderLine(v); emitted++; }) },
      { name: '(d) decode + JSON of every event', bytes, events, fn: () => decodeFile(plain, undefined, (v) => { lastLine = renderJson(v, DEFAULT_JSON_FIELDS); emitted++; }) },
      { name: '(e.a) gzip file → byte source', bytes, events, fn: () => expectBytes(readBytes(GZ_PATH), bytes) },
      { name: '(e.b) gzip file → decode, nothing emitted', bytes, events, fn: () => decodeFile(GZ_PATH, [], noop) },
    ];

    // The JSON task takes tens of seconds: one run, no warm-up; the others warm the JIT up first.
    const fast = new Bench({ iterations: 5, time: 0, warmupIterations: 2, warmupTime: 0, throws: true });
    const slow = new Bench({ iterations: 1, time: 0, warmup: false, throws: true });
    const tasks = work.map((w) => {
      const bench = w.name.startsWith('(d)') ? slow : fast;
      bench.add(w.name, w.fn);
      return bench.getTask(w.name)!;
    });
    await fast.run();
    await slow.run();
    const peakRss = process.resourceUsage().maxRSS; // KiB

    const rows = work.map((w, i) => {
      const r = tasks[i]!.result;
      if (r.state !== 'completed') throw new Error(`task ${w.name}: ${r.state}`);
      const sec = r.latency.mean / 1000;
      const spread = tasks[i]!.runs > 1 ? ` ±${fmt(r.latency.rme)} %` : '';
      return { w, sec, spread, mbs: w.bytes / MB / sec, evs: w.events === undefined ? undefined : w.events / sec };
    });
    const copyMbs = rows[0]!.mbs;
    const lines = [
      `Capture: busy.scap (${fmt(bytes / MB, 1)} MB decompressed, ${fmt(gzBytes / MB, 1)} MB gzip, ${fmt(events)} events). ` +
        'MB = 10^6 bytes of decompressed capture (copied bytes for memcpy); events/s = events of the capture ' +
        'walked per second (for the byte-source rows, the rate the bytes arrive at). Mean of 5 runs after 2 warm-up ' +
        'runs (± relative margin of error), (d) a single run.',
      '',
      '| task | events/s | MB/s | ratio to memcpy | mean time |',
      '|---|---:|---:|---:|---:|',
      ...rows.map(({ w, sec, spread, mbs, evs }) =>
        `| ${w.name} | ${evs === undefined ? '—' : fmt(evs)} | ${fmt(mbs)} | ${fmt(mbs / copyMbs, 3)} | ${fmt(sec * 1000)} ms${spread} |`),
      '',
      `Machine: ${machine()}. Load average (1 min) before the run ${fmt(loadBefore, 2)}, after ${fmt(os.loadavg()[0]!, 2)}.`,
      '',
      `Peak RSS (maxRSS): ${fmt(peakRss / 1024)} MiB (the whole run, including the 2 × 64 MiB memcpy buffers).`,
      '',
    ];
    const text = lines.join('\n');
    process.stdout.write(text);
    writeSection('read', `## Single-thread read (\`npm run bench\`, bench/read.bench.ts)\n\n${text}`);
    if (emitted === 0 || lastLine === '') throw new Error('nothing was rendered');
  } finally {
    await fsp.rm(path.dirname(plain), { recursive: true, force: true });
  }
}

await main();
