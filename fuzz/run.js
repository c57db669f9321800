#!/usr/bin/env node
/**
 * A dependency-free mutational fuzzer for the targets of fuzz/targets.js — used by `npm test`
 * (short, seeded, bounded) and `npm run fuzz` (long), because Jazzer.js 4's native addon needs
 * glibc ≥ 2.38 (see fuzz/README.md for running the same targets under Jazzer.js where it loads).
 *
 * Not coverage-guided: inputs are grown from the seed corpus (fuzz/corpus/TARGET) by libFuzzer-
 * style byte mutations, structure-aware mutations of scap block/frame headers, dictionary tokens
 * and crossover; an input that produces a new outcome (event count bucket, or error code with its
 * message shape) joins the in-memory corpus. Each target runs in a worker watched for hangs.
 * Every crash (an exception that is not a ScapdriftError) or hang is written to
 * test/regressions/TARGET-KIND-HASH.bin, which test/fuzz.test.ts replays.
 *
 *   node fuzz/run.js [--seconds N] [--runs N] [--seed N] [--targets decoder,filter,rules]
 *                    [--timeout-ms N] [--out DIR] [--quiet]
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mulberry32 as rng } from '../dist/bench/prng.js';

const here = dirname(fileURLToPath(import.meta.url));


const TEXT_TOKENS = [
  ' and ', ' or ', 'not ', 'not(', '(', ')', ' = ', ' != ', ' < ', ' <= ', ' > ', ' >= ', ' in ', ' intersects ',
  ' pmatch ', ' exists', ' contains ', ' icontains ', ' startswith ', ' endswith ', ' glob ', ' regex ', ' bcontains ',
  'evt.type', 'evt.dir', 'evt.res', 'evt.num', 'evt.arg.filename', 'evt.arg[0]', 'evt.arg[99999999999]', 'proc.name',
  'proc.exepath', 'proc.exe_ino.ctime_duration_proc_start', 'container.id', 'user.uid', 'thread.tid', 'spawned_process',
  'shells', '"', "'", '\\', ',', '0x', '-9223372036854775809', '18446744073709551616', '1e+999', 'NaN', '\u0000', '\u{1F600}',
  '\n', '\t', ': ', '- ', '- rule: ', '- macro: ', '- list: ', '  condition: ', '  output: ', '  priority: ', '  items: ',
  '  append: true', '  override:\n    condition: replace', '  exceptions:\n    - name: x\n      fields: [proc.name]\n      values: [[a]]',
  '  enabled: false', '  source: k8s_audit', '  desc: ', '&a ', '*a', '!!set', '!!binary', '<<: *a', '{', '}', '[', ']', '%proc.name', '%{evt.arg.x}',
  '%', '|', '>', '---\n', '...\n', '? ', '#',
];
const U32S = [0, 1, 2, 7, 8, 11, 12, 22, 25, 26, 27, 32, 33, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** Offsets of scap header fields worth mutating: block type/length/trailer, frame len/type/nparams/lens. */
function structurePoints(buf) {
  const pts = [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  for (let i = 0; i < 64 && off + 12 <= buf.length; i++) {
    const type = dv.getUint32(off, true);
    const len = dv.getUint32(off + 4, true);
    pts.push([off, 4], [off + 4, 4]);
    if (len < 12 || off + len > buf.length) break;
    pts.push([off + len - 4, 4]);
    if (type === 0x216 || type === 0x221 || type === 0x204) {
      const f = off + 10;
      if (f + 26 <= off + len) {
        pts.push([f + 16, 4], [f + 20, 2], [f + 22, 4]);
        const np = Math.min(dv.getUint32(f + 22, true), 32);
        for (let p = 0; p < np && f + 28 + 2 * p <= off + len; p++) pts.push([f + 26 + 2 * p, 2]);
      }
    } else {
      for (let k = 0; k < 8 && off + 12 + 4 * k <= off + len; k++) pts.push([off + 8 + 4 * k * (1 + (len >> 6)), 4]);
    }
    off += len;
  }
  return pts.filter(([at, w]) => at + w <= buf.length);
}

function mutate(r, input, corpus, binary) {
  let b = Buffer.from(input);
  const n = 1 + Math.floor(r() * (r() < 0.7 ? 3 : 8));
  const ri = (k) => Math.floor(r() * k);
  for (let m = 0; m < n; m++) {
    const op = ri(binary ? 10 : 9);
    if (b.length === 0 && op < 6) { b = Buffer.from([ri(256)]); continue; }
    switch (op) {
      case 0: { const i = ri(b.length); b[i] ^= 1 << ri(8); break; }
      case 1: { b[ri(b.length)] = ri(256); break; }
      case 2: { // interesting integer, LE
        const v = U32S[ri(U32S.length)]; const w = [1, 2, 4][ri(3)]; const i = ri(Math.max(1, b.length - w + 1));
        for (let k = 0; k < w && i + k < b.length; k++) b[i + k] = (v >>> (8 * k)) & 0xff;
        break;
      }
      case 3: { const i = ri(b.length); const len = 1 + ri(Math.min(64, b.length - i)); b = Buffer.concat([b.subarray(0, i), b.subarray(i + len)]); break; }
      case 4: { const i = ri(b.length + 1); const ins = Buffer.alloc(1 + ri(16)); for (let k = 0; k < ins.length; k++) ins[k] = ri(256); b = Buffer.concat([b.subarray(0, i), ins, b.subarray(i)]); break; }
      case 5: { // duplicate a range
        const i = ri(b.length); const len = 1 + ri(Math.min(256, b.length - i)); const j = ri(b.length + 1);
        b = Buffer.concat([b.subarray(0, j), b.subarray(i, i + len), b.subarray(j)]); break;
      }
      case 6: { b = b.subarray(0, ri(b.length + 1)); break; }
      case 7: { // crossover
        const o = corpus[ri(corpus.length)]; const i = ri(b.length + 1); const j = ri(o.length + 1);
        b = Buffer.concat([b.subarray(0, i), o.subarray(j, j + 1 + ri(512))]); break;
      }
      case 8: { // token
        const t = Buffer.from(TEXT_TOKENS[ri(TEXT_TOKENS.length)]); const i = ri(b.length + 1);
        b = r() < 0.5 ? Buffer.concat([b.subarray(0, i), t, b.subarray(i)]) : Buffer.concat([b.subarray(0, i), t, b.subarray(i + t.length)]);
        break;
      }
      default: { // structure-aware: a header field of a block or frame
        const pts = structurePoints(b);
        if (pts.length === 0) break;
        const [at, w] = pts[ri(pts.length)];
        if (r() < 0.3) { b[at + ri(w)] ^= 1 + ri(255); break; }
        const cur = w === 4 ? b.readUInt32LE(at) : b.readUInt16LE(at);
        const choices = [0, 1, cur - 1, cur + 1, cur * 2, U32S[ri(U32S.length)]];
        const v = choices[ri(choices.length)] >>> 0;
        if (w === 4) b.writeUInt32LE(v, at); else b.writeUInt16LE(v & 0xffff, at);
      }
    }
  }
  return b.length > 1 << 20 ? b.subarray(0, 1 << 20) : b;
}

function loadCorpus(target) {
  const dir = join(here, 'corpus', target);
  if (!existsSync(dir)) return [Buffer.alloc(0)];
  const files = readdirSync(dir).sort();
  return files.length ? files.map((f) => readFileSync(join(dir, f))) : [Buffer.alloc(0)];
}

// ---------------------------------------------------------------------------------------------
// Worker: fuzz one target

async function workerMain() {
  const { target, seconds, runs, seed, shared } = workerData;
  const mod = await import(pathToFileURL(join(here, 'targets.js')).href);
  const fn = mod.TARGETS[target];
  if (target === 'filter') mod.setFilterCapture(readFileSync(join(here, 'corpus', 'decoder', 'drop_exec_execve')));
  const corpus = loadCorpus(target);
  const binary = target === 'decoder';
  const r = rng(seed);
  const seen = new Set();
  const cur = new Int32Array(shared, 0, 1); // length of the input in `buf`, -1 when idle
  const buf = new Uint8Array(shared, 4);
  const deadline = Date.now() + seconds * 1000;
  let execs = 0;
  let lastBeat = 0;
  const runOne = (input) => {
    const n = Math.min(input.length, buf.length);
    buf.set(input.subarray(0, n));
    Atomics.store(cur, 0, n);
    let outcome;
    try {
      outcome = fn(input);
    } catch (e) {
      parentPort.postMessage({ crash: { input, error: e instanceof Error ? e.stack ?? e.message : String(e) } });
      outcome = `crash:${e instanceof Error ? e.message.replace(/[0-9]+/g, '#') : String(e)}`;
    }
    Atomics.store(cur, 0, -1);
    execs++;
    return outcome;
  };
  for (const c of corpus) seen.add(runOne(c));
  while (execs < runs && Date.now() < deadline) {
    const parent = corpus[Math.floor(r() * corpus.length)];
    const input = mutate(r, parent, corpus, binary);
    const outcome = runOne(input);
    if (outcome !== undefined && !seen.has(outcome)) { seen.add(outcome); if (corpus.length < 2000) corpus.push(input); }
    const now = Date.now();
    if (now - lastBeat > 200) { lastBeat = now; parentPort.postMessage({ beat: execs }); }
  }
  parentPort.postMessage({ done: { execs, corpus: corpus.length, outcomes: seen.size } });
}

// ---------------------------------------------------------------------------------------------
// Main: run targets in watched workers

/**
 * Fuzzes `targets`; resolves with per-target stats and the crash files written.
 * Exported for test/fuzz.test.ts.
 */
export async function runFuzz({ targets = ['decoder', 'filter', 'rules'], seconds = 10, runs = Infinity, seed = 1, timeoutMs = 10_000, out = resolve(here, '..', 'test', 'regressions'), parallel = 2, log = () => {} } = {}) {
  const results = {};
  const crashFiles = [];
  const save = (target, kind, input, detail) => {
    mkdirSync(out, { recursive: true });
    const hash = createHash('sha1').update(input).digest('hex').slice(0, 12);
    const file = join(out, `${target}-${kind}-${hash}.bin`);
    writeFileSync(file, input);
    writeFileSync(`${file}.txt`, `${detail}\n`);
    crashFiles.push(file);
    log(`${target}: ${kind} → ${file}\n${detail.split('\n').slice(0, 6).join('\n')}`);
  };
  const one = (target, index) => new Promise((resolveRun) => {
    const shared = new SharedArrayBuffer(4 + (1 << 20));
    const w = new Worker(fileURLToPath(import.meta.url), { workerData: { target, seconds, runs, seed: (seed * 1000003 + index) >>> 0, shared } });
    const cur = new Int32Array(shared, 0, 1);
    const bytes = new Uint8Array(shared, 4);
    let timer;
    let settled = false;
    const crashes = new Set();
    const finish = (res) => { if (settled) return; settled = true; clearTimeout(timer); results[target] = res; void w.terminate(); resolveRun(); };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const n = Atomics.load(cur, 0);
        if (n >= 0) save(target, 'hang', Buffer.from(bytes.subarray(0, n)), `no progress for ${timeoutMs} ms on this input`);
        finish({ execs: 0, hang: true });
      }, timeoutMs);
    };
    arm();
    w.on('message', (m) => {
      if (m.crash) {
        // One file per kind of crash: the error's class and the first frame that threw it.
        const lines = m.crash.error.split('\n');
        const key = `${lines[0].split(':')[0]} ${lines.find((l) => l.trim().startsWith('at ')) ?? ''}`;
        if (!crashes.has(key)) { crashes.add(key); save(target, 'crash', Buffer.from(m.crash.input), m.crash.error); }
        arm();
      } else if (m.beat !== undefined) arm();
      else if (m.done) finish({ ...m.done, crashes: crashes.size });
    });
    w.on('error', (e) => { save(target, 'crash', Buffer.from(bytes.subarray(0, Math.max(0, Atomics.load(cur, 0)))), `worker died: ${e.stack}`); finish({ execs: 0, died: true }); });
    w.on('exit', (code) => finish({ execs: 0, exit: code }));
  });
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, targets.length) }, async () => {
    while (next < targets.length) { const i = next++; await one(targets[i], i); }
  }));
  return { results, crashFiles };
}

if (!isMainThread) {
  await workerMain();
} else if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
  const quiet = args.includes('--quiet');
  const { results, crashFiles } = await runFuzz({
    targets: opt('targets', 'decoder,filter,rules').split(','),
    seconds: Number(opt('seconds', '600')),
    runs: Number(opt('runs', 'Infinity')),
    seed: Number(opt('seed', String(Date.now() % 1e9))),
    timeoutMs: Number(opt('timeout-ms', '10000')),
    out: resolve(opt('out', join(here, '..', 'test', 'regressions'))),
    parallel: Number(opt('parallel', '2')),
    log: quiet ? () => {} : (l) => console.error(l),
  });
  console.log(JSON.stringify(results));
  if (crashFiles.length) { console.error(`${crashFiles.length} crash/hang input(s) written; replay with npx uvu dist/test 'fuzz\\.test\\.js$'`); process.exitCode = 1; }
}
