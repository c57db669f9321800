/**
 * Hostile-input sweeps over real captures (issue 6), in-process through the Decoder.
 *
 * - Truncation, streaming: one Decoder per file is fed the capture piece by piece, cut at every
 *   block boundary ±1 and at random points; at every cut `finish()` (which only reads state) must
 *   report E_TRUNCATED naming the start of the incomplete block — or succeed at a boundary — and
 *   the events delivered so far must be exactly the first K events of a full read.
 * - Truncation, fresh: a sample of cut points, each on a new Decoder fed the prefix at once
 *   (the header blocks byte by byte near their boundaries, random event-block cuts), plus a few
 *   through the public openCapture API.
 * - Truncation, gzip: the captures gzipped and cut at random points and in the gzip header and
 *   trailer: the events delivered must be exactly those of every byte zlib can inflate from the
 *   cut stream, then E_TRUNCATED naming the compressed offset of the cut; and 300 seeded byte
 *   mutations of its header, trailer and data: data or a ScapdriftError, never a hang.
 * - Mutation: 10,000 seeded cases of byte flips and u16/u32 overwrites in block headers, frame
 *   headers, parameter length arrays, parameter bodies and the non-event (SHB/MI/IL/UL/PL/FDL)
 *   bodies of drop_exec.scap. To keep each case small, a case decodes the header blocks plus a
 *   16-block window around the mutated block, and compares with the same window unmutated.
 *
 * Every sweep runs in a worker thread watched by a per-case timeout, so a hang is reported
 * (with its case) instead of stalling the suite. SWEEP_SCALE=N multiplies the sampled counts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { capture } from './helpers/captures.js';
import { Decoder } from '../ts/pipeline/decoder.js';
import { openCapture } from '../ts/api/capture.js';
import { openByteSource } from '../ts/scap/byte_source.js';
import { isScapdriftError } from '../ts/errors.js';
import { resolveField, extractField, type FieldRef } from '../ts/fields/fields.js';
import { eventInfo } from '../ts/events/event_table.js';
import { isEventBlock } from '../ts/scap/block_types.js';
import type { EventView } from '../ts/fields/event_view.js';
import { mulberry32 as rng } from '../bench/prng.js';

const SCALE = Math.max(1, Number(process.env.SWEEP_SCALE ?? 1) || 1);
const SEED = 0x5ca9d41f;
const MUTATION_CASES = Number(process.env.SWEEP_MUTATIONS) || 10_000 * SCALE;
const CASE_TIMEOUT_MS = 20_000;

// ---------------------------------------------------------------------------------------------
// Shared helpers (main thread and workers)

const randInt = (r: () => number, n: number): number => Math.floor(r() * n);

interface Block { start: number; type: number; len: number }

function walkBlocks(buf: Uint8Array): Block[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const blocks: Block[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const len = dv.getUint32(off + 4, true);
    blocks.push({ start: off, type: dv.getUint32(off, true), len });
    off += len;
  }
  if (off !== buf.length) throw new Error(`capture does not end on a block boundary (${off} vs ${buf.length})`);
  return blocks;
}

const SIG_FIELDS: FieldRef[] = ['proc.name', 'proc.exepath'].map((n) => resolveField(n)!);

/** A comparable summary of one event: frame fields plus two thread-table fields. */
function signature(v: EventView): string {
  let plen = 0;
  for (let i = 0; i < v.nparams; i++) plen += v.param(i)?.length ?? 0;
  const extra = SIG_FIELDS.map((f) => String(extractField(v, f))).join('|');
  return `${v.num}|${v.type}|${v.tid}|${v.ts}|${v.cpu}|${v.nparams}|${plen}|${v.blockOffset}|${extra}`;
}

interface Decoded { events: string[]; offsets: number[]; error?: unknown }

/** Decodes `bytes` on a fresh Decoder in one feed. */
function decodeAll(bytes: Uint8Array): Decoded {
  const events: string[] = [];
  const offsets: number[] = [];
  const d = new Decoder();
  const h = { onEvent(v: EventView) { events.push(signature(v)); offsets.push(v.blockOffset); } };
  try {
    d.feed(bytes, h);
    d.finish();
    return { events, offsets };
  } catch (error) {
    return { events, offsets, error };
  }
}

/** Problems with `e` as a decode error about an input of `length` bytes; [] when it is fine. */
function checkError(e: unknown, length: number): string[] {
  if (!isScapdriftError(e)) return [`non-Scapdrift exception: ${e instanceof Error ? e.stack : String(e)}`];
  const out: string[] = [];
  if (typeof e.offset !== 'number' || !Number.isInteger(e.offset)) out.push(`no numeric offset (${e.code}: ${e.message})`);
  else {
    if (e.offset < 0 || e.offset > length) out.push(`offset ${e.offset} outside 0..${length} (${e.message})`);
    if (!e.message.includes(`byte ${e.offset}`)) out.push(`message does not name byte ${e.offset}: ${e.message}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Worker jobs

type Job =
  | { kind: 'stream'; file: string; seed: number; randomCuts: number }
  | { kind: 'fresh'; file: string; seed: number; randomCuts: number }
  | { kind: 'mutate'; file: string; seed: number; total: number; part: number; parts: number };

interface JobResult { cases: number; failures: string[]; outcomes?: Record<string, number> }

type Msg = { at: number; what: string } | { done: JobResult };

function post(m: Msg): void { parentPort!.postMessage(m); }

/** Expected outcome of a cut at `cut`: events of complete blocks, and the incomplete block. */
function expectation(blocks: Block[], eventEnds: number[], cut: number): { k: number; truncatedAt?: number } {
  // eventEnds[i] = end offset of the block of full-read event i (non-decreasing).
  let lo = 0;
  let hi = eventEnds.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (eventEnds[mid]! <= cut) lo = mid + 1; else hi = mid; }
  let b = 0;
  let hi2 = blocks.length;
  while (b < hi2) { const mid = (b + hi2) >> 1; if (blocks[mid]!.start + blocks[mid]!.len <= cut) b = mid + 1; else hi2 = mid; }
  return b < blocks.length && blocks[b]!.start < cut ? { k: lo, truncatedAt: blocks[b]!.start } : { k: lo };
}

function eventEndsOf(blocks: Block[], offsets: number[]): number[] {
  const byStart = new Map(blocks.map((b) => [b.start, b.start + b.len]));
  return offsets.map((o) => byStart.get(o)!);
}

function cutPoints(buf: Uint8Array, blocks: Block[], seed: number, randomCuts: number): number[] {
  const set = new Set<number>();
  for (const b of blocks) for (const c of [b.start - 1, b.start, b.start + 1]) if (c > 0 && c <= buf.length) set.add(c);
  set.add(buf.length - 1);
  set.add(buf.length);
  const r = rng(seed);
  for (let i = 0; i < randomCuts; i++) set.add(1 + randInt(r, buf.length));
  return [...set].sort((a, b) => a - b);
}

function runStream(job: Extract<Job, { kind: 'stream' }>): JobResult {
  const buf = new Uint8Array(readFileSync(job.file));
  const blocks = walkBlocks(buf);
  const full = decodeAll(buf);
  if (full.error) return { cases: 0, failures: [`full read failed: ${String(full.error)}`] };
  const eventEnds = eventEndsOf(blocks, full.offsets);
  const cuts = cutPoints(buf, blocks, job.seed, job.randomCuts);
  const failures: string[] = [];
  const d = new Decoder();
  let got = 0;
  let mismatch: string | undefined;
  const h = {
    onEvent(v: EventView) {
      const s = signature(v);
      if (mismatch === undefined && s !== full.events[got]) mismatch = `event #${got}: got ${s}, full read has ${full.events[got]}`;
      got++;
    },
  };
  let fed = 0;
  for (let i = 0; i < cuts.length; i++) {
    const cut = cuts[i]!;
    if (i % 500 === 0) post({ at: i, what: `stream cut ${cut}` });
    try {
      d.feed(buf.subarray(fed, cut), h);
    } catch (e) {
      failures.push(`cut ${cut}: feed threw ${isScapdriftError(e) ? e.message : e instanceof Error ? e.stack : String(e)}`);
      break;
    }
    fed = cut;
    const exp = expectation(blocks, eventEnds, cut);
    let err: unknown;
    try { d.finish(); } catch (e) { err = e; }
    const where = `${job.file.split('/').pop()} cut at ${cut}`;
    if (mismatch) { failures.push(`${where}: ${mismatch}`); break; }
    if (got !== exp.k) failures.push(`${where}: ${got} events delivered, expected the first ${exp.k}`);
    if (exp.truncatedAt === undefined) {
      if (err !== undefined) failures.push(`${where}: a cut on a block boundary threw ${String(err)}`);
    } else if (err === undefined) {
      failures.push(`${where}: no error, expected E_TRUNCATED at byte ${exp.truncatedAt}`);
    } else {
      failures.push(...checkError(err, cut).map((p) => `${where}: ${p}`));
      if (isScapdriftError(err) && (err.code !== 'E_TRUNCATED' || err.offset !== exp.truncatedAt)) {
        failures.push(`${where}: expected E_TRUNCATED at byte ${exp.truncatedAt}, got ${err.code}: ${err.message}`);
      }
    }
    if (failures.length > 20) break;
  }
  return { cases: cuts.length, failures };
}

function runFresh(job: Extract<Job, { kind: 'fresh' }>): JobResult {
  const buf = new Uint8Array(readFileSync(job.file));
  const blocks = walkBlocks(buf);
  const full = decodeAll(buf);
  if (full.error) return { cases: 0, failures: [`full read failed: ${String(full.error)}`] };
  const eventEnds = eventEndsOf(blocks, full.offsets);
  const firstEvent = blocks.find((b) => isEventBlock(b.type))!.start;
  const set = new Set<number>([0]);
  // Every byte of the first 64 bytes, every header-block boundary ±2, the first event blocks' edges.
  for (let c = 1; c <= 64; c++) set.add(c);
  for (const b of blocks) {
    if (b.start > firstEvent + 4096) break;
    for (let dlt = -2; dlt <= 2; dlt++) if (b.start + dlt > 0) set.add(b.start + dlt);
    set.add(b.start + 8);
    set.add(b.start + 12);
  }
  const r = rng(job.seed);
  for (let i = 0; i < 40; i++) set.add(1 + randInt(r, firstEvent + 64)); // inside the header blocks
  for (let i = 0; i < job.randomCuts; i++) set.add(1 + randInt(r, buf.length));
  set.add(buf.length);
  const cuts = [...set].sort((a, b) => a - b);
  const failures: string[] = [];
  for (let i = 0; i < cuts.length; i++) {
    const cut = cuts[i]!;
    post({ at: i, what: `fresh cut ${cut}` });
    const got = decodeAll(buf.subarray(0, cut));
    const where = `${job.file.split('/').pop()} fresh cut at ${cut}`;
    const exp = expectation(blocks, eventEnds, cut);
    const n = Math.min(got.events.length, full.events.length);
    for (let j = 0; j < n; j++) {
      if (got.events[j] !== full.events[j]) { failures.push(`${where}: event #${j} ${got.events[j]} differs from full read ${full.events[j]}`); break; }
    }
    if (got.events.length !== exp.k) failures.push(`${where}: ${got.events.length} events, expected the first ${exp.k}`);
    if (cut === 0 || exp.truncatedAt !== undefined) {
      if (got.error === undefined) failures.push(`${where}: no error`);
      else failures.push(...checkError(got.error, cut).map((p) => `${where}: ${p}`));
    } else if (got.error !== undefined) {
      failures.push(`${where}: a cut on a block boundary threw ${String(got.error)}`);
    }
    if (failures.length > 20) break;
  }
  return { cases: cuts.length, failures };
}

interface Mutation { block: number; at: number; width: 1 | 2 | 4; value: number; flip: boolean; what: string }

const U32_VALUES = [0, 0xffffffff, 0x7fffffff, 0x80000000, 1, 2, 7, 8, 11, 12, 25, 26, 27, 33, 0xffff, 0x10000];
const U16_VALUES = [0, 0xffff, 0x7fff, 0x8000, 1, 2, 32, 33, 1023, 1024, 1025];

/** Mutation number `i` of the seeded sequence (deterministic, independent of worker split). */
function mutationFor(i: number, buf: Uint8Array, blocks: Block[], other: number[], seed: number): Mutation {
  const r = rng((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const cat = randInt(r, 10);
  let block: number;
  if (cat === 0) block = other[randInt(r, other.length)]!;
  else { do block = randInt(r, blocks.length); while (!isEventBlock(blocks[block]!.type)); }
  const b = blocks[block]!;
  const pick = <T>(xs: readonly T[]): T => xs[randInt(r, xs.length)]!;
  const field = (at: number, width: 1 | 2 | 4, what: string): Mutation => {
    if (r() < 0.35) return { block, at: at + randInt(r, width), width: 1, value: 1 + randInt(r, 255), flip: true, what: `${what} byte flip` };
    const value = width === 4 ? pick(U32_VALUES) : width === 2 ? pick(U16_VALUES) : randInt(r, 256);
    return { block, at, width, value, flip: false, what: `${what} = ${value}` };
  };
  if (cat === 0) {
    // A non-event block: header, trailer or anywhere in its body.
    const k = randInt(r, 4);
    if (k === 0) return field(b.start + 4, 4, `block ${b.type.toString(16)} block_total_length`);
    if (k === 1) return field(b.start + b.len - 4, 4, `block ${b.type.toString(16)} trailing length`);
    const at = b.start + 8 + randInt(r, Math.max(1, b.len - 12));
    return r() < 0.5 ? field(at, 1, `block ${b.type.toString(16)} body byte`) : field(Math.min(at, b.start + b.len - 8), 4, `block ${b.type.toString(16)} body u32`);
  }
  const frame = b.start + 8 + 2; // EV_BLOCK_TYPE_V2: cpuid u16, then the frame
  const type = dv.getUint16(frame + 20, true);
  const nparams = dv.getUint32(frame + 22, true);
  const lenSize = ((eventInfo(type)?.flags ?? 0) & 2048) !== 0 ? 4 : 2;
  switch (cat) {
    case 1: return field(b.start, 4, 'block type');
    case 2: return field(b.start + 4, 4, 'block_total_length');
    case 3: return field(b.start + b.len - 4, 4, 'trailing length');
    case 4: return field(frame + 16, 4, 'frame len');
    case 5: return field(frame + 20, 2, 'frame type');
    case 6: return field(frame + 22, 4, 'frame nparams');
    case 7: return field(b.start + 8, 2, 'cpuid');
    case 8: {
      if (nparams === 0) return field(frame + 22, 4, 'frame nparams');
      const p = randInt(r, nparams);
      return field(frame + 26 + p * lenSize, lenSize === 4 ? 4 : 2, `param ${p} length`);
    }
    default: {
      const body = frame + 26 + nparams * lenSize;
      const end = b.start + b.len - 4;
      if (body >= end) return field(frame + 16, 4, 'frame len');
      return field(body + randInt(r, end - body), 1, 'param body');
    }
  }
}

function apply(bytes: Uint8Array, at: number, m: Mutation): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (m.flip) bytes[at] = bytes[at]! ^ m.value;
  else if (m.width === 4) dv.setUint32(at, m.value >>> 0, true);
  else if (m.width === 2) dv.setUint16(at, m.value, true);
  else bytes[at] = m.value;
}

const WINDOW = 16;

function runMutate(job: Extract<Job, { kind: 'mutate' }>): JobResult {
  const buf = new Uint8Array(readFileSync(job.file));
  const blocks = walkBlocks(buf);
  const other = blocks.map((_, j) => j).filter((j) => !isEventBlock(blocks[j]!.type));
  const firstEventIdx = blocks.findIndex((b) => isEventBlock(b.type));
  const headEnd = blocks[firstEventIdx]!.start;
  const baselines = new Map<number, { bytes: Uint8Array; decoded: Decoded }>();
  const failures: string[] = [];
  const outcomes: Record<string, number> = {};
  const tally = (k: string): void => { outcomes[k] = (outcomes[k] ?? 0) + 1; };
  let cases = 0;
  // Window: the header blocks, then WINDOW blocks starting a little before the mutated block.
  const windowOf = (m: Mutation): number => (m.block < firstEventIdx ? firstEventIdx : Math.max(firstEventIdx, Math.floor(m.block / 8) * 8 - 8));
  // This part's cases: those whose window number falls to it, grouped by window (one baseline each).
  const mine: { i: number; m: Mutation; ws: number }[] = [];
  for (let i = 0; i < job.total; i++) {
    const m = mutationFor(i, buf, blocks, other, job.seed);
    const ws = windowOf(m);
    if ((ws >> 3) % job.parts === job.part) mine.push({ i, m, ws });
  }
  mine.sort((a, b) => a.ws - b.ws || a.i - b.i);
  for (const { i, m, ws } of mine) {
    post({ at: i, what: `mutation ${i}: ${m.what} at byte ${m.at} of block ${m.block}` });
    let base = baselines.get(ws);
    if (!base) {
      const we = Math.min(blocks.length, ws + WINDOW);
      const tail = buf.subarray(blocks[ws]!.start, we < blocks.length ? blocks[we]!.start : buf.length);
      const bytes = new Uint8Array(headEnd + tail.length);
      bytes.set(buf.subarray(0, headEnd), 0);
      bytes.set(tail, headEnd);
      base = { bytes, decoded: decodeAll(bytes) };
      if (base.decoded.error) failures.push(`window at block ${ws} fails unmutated: ${String(base.decoded.error)}`);
      baselines.set(ws, base);
      if (baselines.size > 4) baselines.delete(baselines.keys().next().value!);
    }
    const shift = m.block < firstEventIdx ? 0 : headEnd - blocks[ws]!.start; // file offset → window offset
    const mutStart = blocks[m.block]!.start + shift;
    const at = m.at + shift;
    const bytes = new Uint8Array(base.bytes);
    apply(bytes, at, m);
    cases++;
    if (bytes.every((x, j) => x === base!.bytes[j])) { tally('unchanged'); continue; } // an overwrite with the same value
    const got = decodeAll(bytes);
    const outcome = got.error === undefined ? 'read to the end' : isScapdriftError(got.error) ? got.error.code : 'crash';
    tally(outcome);
    if (process.env.SWEEP_VERBOSE) tally(`${m.what.replace(/ = .*| byte flip/, '')} -> ${outcome}`);
    const where = `mutation ${i} (seed ${job.seed}): ${m.what} at window byte ${at} (file byte ${m.at}, block ${m.block} at window byte ${mutStart})`;
    if (got.error !== undefined) {
      failures.push(...checkError(got.error, bytes.length).map((p) => `${where}: ${p}`));
      if (isScapdriftError(got.error) && typeof got.error.offset === 'number' && got.error.offset < mutStart) {
        failures.push(`${where}: error at byte ${got.error.offset}, before the mutated block: ${got.error.message}`);
      }
    }
    const before = base.decoded.offsets.filter((o) => o < mutStart).length;
    const gotBefore = got.offsets.filter((o) => o < mutStart).length;
    if (gotBefore !== before) failures.push(`${where}: ${gotBefore} events before the mutated block, unmutated window has ${before}`);
    for (let j = 0; j < Math.min(before, got.events.length); j++) {
      if (got.events[j] !== base.decoded.events[j]) { failures.push(`${where}: event #${j} ${got.events[j]} differs from unmutated ${base.decoded.events[j]}`); break; }
    }
    if (failures.length > 40) break;
  }
  return { cases, failures, outcomes };
}

if (!isMainThread) {
  const job = workerData as Job;
  const result = job.kind === 'stream' ? runStream(job) : job.kind === 'fresh' ? runFresh(job) : runMutate(job);
  post({ done: result });
}

// ---------------------------------------------------------------------------------------------
// Main thread: run jobs in watched workers

/** Runs `job` in a worker; a case that makes no progress within CASE_TIMEOUT_MS is a hang. */
function runJob(job: Job): Promise<JobResult> {
  return new Promise((resolve) => {
    const w = new Worker(new URL(import.meta.url), { workerData: job });
    let last = 'start';
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: JobResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
      void w.terminate();
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish({ cases: 0, failures: [`hang: no progress for ${CASE_TIMEOUT_MS} ms after ${last} (${JSON.stringify(job)})`] }), CASE_TIMEOUT_MS);
    };
    arm();
    w.on('message', (m: Msg) => { if ('done' in m) finish(m.done); else { last = m.what; arm(); } });
    w.on('error', (e) => finish({ cases: 0, failures: [`worker crashed: ${e.stack ?? String(e)} after ${last}`] }));
    w.on('exit', (code) => finish({ cases: 0, failures: [`worker exited ${code} after ${last}`] }));
  });
}

/** Runs jobs with at most `n` at a time. */
async function pool(jobs: Job[], n: number): Promise<JobResult[]> {
  const out: JobResult[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, async () => {
    while (next < jobs.length) { const i = next++; out[i] = await runJob(jobs[i]!); }
  }));
  return out;
}

const FILES = ['drop_exec.scap', 'memfd_exec.scap'];
const PARALLEL = Math.max(1, Math.min(2, availableParallelism()));
const counts: string[] = [];
const json = (ev: unknown): string => JSON.stringify(ev, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));

if (isMainThread) {
  test('truncation sweep, streaming: every block boundary ±1 and random cuts, finish() at each', async () => {
    const t0 = performance.now();
    const results = await pool(FILES.map((f, i) => ({ kind: 'stream' as const, file: capture(f), seed: SEED + i, randomCuts: 2000 * SCALE })), PARALLEL);
    const failures = results.flatMap((r) => r.failures);
    results.forEach((r, i) => counts.push(`${FILES[i]}: ${r.cases} streamed cuts`));
    counts.push(`streamed in ${Math.round(performance.now() - t0)} ms`);
    assert.equal(failures.slice(0, 10), [], `${failures.length} failures`);
    results.forEach((r, i) => assert.ok(r.cases >= 2000, `${FILES[i]}: ${r.cases} cuts`));
  });

  test('truncation sweep, fresh decoder per cut: header bytes, block edges, random cuts', async () => {
    const t0 = performance.now();
    const results = await pool(FILES.map((f, i) => ({ kind: 'fresh' as const, file: capture(f), seed: SEED + 100 + i, randomCuts: 100 * SCALE })), PARALLEL);
    const failures = results.flatMap((r) => r.failures);
    results.forEach((r, i) => counts.push(`${FILES[i]}: ${r.cases} fresh cuts`));
    counts.push(`fresh in ${Math.round(performance.now() - t0)} ms`);
    assert.equal(failures.slice(0, 10), [], `${failures.length} failures`);
  });

  test('truncation through openCapture: events then a ScapdriftError naming the offset', async () => {
    const buf = readFileSync(capture('drop_exec.scap'));
    const fields = ['evt.num', 'evt.type', 'proc.name'];
    const full: string[] = [];
    for await (const ev of openCapture(Readable.from([buf]), { fields })) full.push(json(ev));
    const r = rng(SEED + 7);
    let n = 0;
    for (let i = 0; i < 12; i++) {
      const cut = 1 + randInt(r, buf.length - 1);
      const got: string[] = [];
      let err: unknown;
      try {
        // Odd chunk sizes, so cuts fall inside chunks of the stream too.
        const chunks: Buffer[] = [];
        for (let o = 0; o < cut; o += 4093) chunks.push(buf.subarray(o, Math.min(cut, o + 4093)));
        for await (const ev of openCapture(Readable.from(chunks), { fields })) got.push(json(ev));
      } catch (e) { err = e; }
      assert.equal(checkError(err, cut), [], `cut ${cut}`);
      assert.equal(got, full.slice(0, got.length), `cut ${cut}: a prefix of the full read`);
      n++;
    }
    counts.push(`${n} openCapture cuts`);
  });

  test(`mutation sweep: ${MUTATION_CASES} seeded header/length/body mutations of drop_exec.scap`, async () => {
    const t0 = performance.now();
    const parts = 4;
    const jobs: Job[] = Array.from({ length: parts }, (_, part) => ({
      kind: 'mutate' as const, file: capture('drop_exec.scap'), seed: SEED, total: MUTATION_CASES, part, parts,
    }));
    const results = await pool(jobs, PARALLEL);
    const cases = results.reduce((n, r) => n + r.cases, 0);
    const failures = results.flatMap((r) => r.failures);
    const outcomes: Record<string, number> = {};
    for (const r of results) for (const [k, v] of Object.entries(r.outcomes ?? {})) outcomes[k] = (outcomes[k] ?? 0) + v;
    const tallies = Object.entries(outcomes).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ');
    counts.push(`${cases} mutation cases in ${Math.round(performance.now() - t0)} ms (${tallies}), ${failures.length} failing`);
    assert.equal(failures.slice(0, 10), [], `${failures.length} failures`);
    assert.is(cases, MUTATION_CASES);
  });

  test('a frame whose type is outside the event table is reported, never delivered (issue 6)', () => {
    // Found by the mutation sweep: frame type 0xffff / 1024 in an EV_BLOCK_TYPE_V2 block was
    // delivered as an event "unknown(65535)" with no error or skip count.
    const buf = new Uint8Array(readFileSync(capture('drop_exec.scap')));
    const block = walkBlocks(buf).filter((b) => isEventBlock(b.type))[600]!;
    for (const type of [0xffff, 1024, 0x8000]) {
      const bytes = new Uint8Array(buf);
      new DataView(bytes.buffer).setUint16(block.start + 8 + 2 + 20, type, true);
      const unknown: number[] = [];
      const d = new Decoder();
      let err: unknown;
      try {
        d.feed(bytes, { onEvent(v) { if (v.info === undefined) unknown.push(v.num); } });
        d.finish();
      } catch (e) { err = e; }
      if (err !== undefined) assert.equal(checkError(err, bytes.length), [], `type ${type}`);
      assert.equal(unknown, [], `type ${type} at byte ${block.start + 30}: events delivered with a type outside the table`);
    }
  });

  test('gzip truncation: the events delivered are those of every byte zlib inflates from the cut gzip', async () => {
    // Expected per cut: zlib's sync-flush inflate of the gzip prefix (every byte it can inflate),
    // read plain; got: the same prefix through openByteSource (gunzip) and the Decoder.
    let n = 0;
    for (const [f, file] of FILES.entries()) {
      const buf = new Uint8Array(readFileSync(capture(file)));
      const full = decodeAll(buf);
      const gz = zlib.gzipSync(buf);
      const r = rng(SEED + 300 + f);
      const cuts = new Set([2, 3, 9, 10, 11, gz.length - 9, gz.length - 8, gz.length - 4, gz.length - 1, gz.length]);
      for (let i = 0; i < 30; i++) cuts.add(2 + randInt(r, gz.length - 2)); // 2+: the magic, else it reads as plain
      for (const cut of [...cuts].sort((a, b) => a - b)) {
        const prefix = gz.subarray(0, cut);
        let inflated: Uint8Array;
        try {
          inflated = zlib.gunzipSync(prefix, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
        } catch {
          inflated = new Uint8Array(0); // the cut is inside the gzip header
        }
        const expected = decodeAll(inflated).events;
        assert.equal(expected, full.events.slice(0, expected.length), `${file} cut ${cut}: expected events are a prefix of the full read`);
        const chunks: Uint8Array[] = [];
        for (let o = 0; o < cut; o += 4093) chunks.push(prefix.subarray(o, Math.min(cut, o + 4093)));
        const got: string[] = [];
        let err: unknown;
        try {
          const source = await openByteSource(Readable.from(chunks.map((c) => Buffer.from(c))));
          await new Decoder().run(source, { onEvent(v) { got.push(signature(v)); } });
        } catch (e) { err = e; }
        const where = `${file}.gz cut at compressed byte ${cut} of ${gz.length} (${inflated.length} bytes inflate)`;
        assert.equal(got, expected, `${where}: events`);
        if (cut === gz.length) {
          assert.is(err, undefined, `${where}: ${String(err)}`);
        } else {
          assert.ok(isScapdriftError(err), `${where}: ${String(err)}`);
          assert.is(err.code, 'E_TRUNCATED', `${where}: ${err.message}`);
          assert.match(err.message, `truncated gzip stream in input stream at compressed byte ${cut} (after ${inflated.length} decompressed bytes)`);
        }
        n++;
      }
    }
    counts.push(`${n} gzip cuts`);
  });

  test('gzip mutation sweep: header, trailer and deflate bytes of a gzipped capture give data or a ScapdriftError, no hang', async () => {
    const plain = readFileSync(capture('drop_exec.scap'));
    const gz = zlib.gzipSync(plain);
    const r = rng(SEED + 400);
    const outcomes: Record<string, number> = {};
    const failures: string[] = [];
    const CASES = 300 * SCALE;
    for (let i = 0; i < CASES; i++) {
      const bytes = Buffer.from(gz);
      // A third each: the header, the trailer (plus a few appended bytes), anywhere.
      const zone = randInt(r, 3);
      const tail = zone === 1 && r() < 0.5 ? Buffer.from([0x1f, 0x8b, 8, randInt(r, 256), 0, 0, 0, 0, 0, 3].slice(0, 1 + randInt(r, 10))) : Buffer.alloc(0);
      const input = Buffer.concat([bytes, tail]);
      const at = zone === 0 ? 2 + randInt(r, 10) : zone === 1 ? gz.length - 8 + randInt(r, 8 + tail.length) : 10 + randInt(r, gz.length - 10);
      input[at] = zone === 2 || r() < 0.5 ? input[at]! ^ (1 << randInt(r, 8)) : randInt(r, 256);
      let delivered = 0;
      const run = (async () => {
        const source = await openByteSource(Readable.from([input.subarray(0, 30_000), input.subarray(30_000)]));
        for await (const chunk of source) delivered += chunk.byteLength;
      })();
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<string>((resolve) => { timer = setTimeout(() => resolve('hang'), CASE_TIMEOUT_MS); });
      const outcome = await Promise.race([run.then(() => 'complete', (e: unknown) => (isScapdriftError(e) ? e.code : `crash: ${String(e)}`)), hang]);
      clearTimeout(timer);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (outcome === 'hang' || outcome.startsWith('crash')) failures.push(`case ${i}: byte ${at} of ${input.length} → ${outcome} after ${delivered} bytes`);
    }
    counts.push(`${CASES} gzip mutations (${Object.entries(outcomes).map(([k, v]) => `${k} ${v}`).join(', ')})`);
    assert.equal(failures.slice(0, 10), [], `${failures.length} failures`);
  });

  test('sweep counts', () => {
    console.log(`sweep: ${counts.join('; ')}`);
  });

  test.run();
}
