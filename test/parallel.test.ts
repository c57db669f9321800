/**
 * Parallel decoding prints byte for byte what one thread prints: every shared
 * capture and a generated one, with and without filters and rules, on 1–4
 * workers with small batches (so every capture spans many), and a corrupt
 * capture gives the same events and the same one-line error. The library's
 * `workers` option gives the events one thread gives.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { capture } from './helpers/captures.js';
import { CLI } from './helpers/cli.js';
import { generateCapture } from '../bench/generate.js';
import { openCapture, type OpenCaptureOptions } from '../ts/api/capture.js';
import { isScapdriftError } from '../ts/errors.js';

const TMP = mkdtempSync(join(tmpdir(), 'scapdrift-par-'));
/** 50,000 events of the benchmark's generated workload (~6 MB). */
const GENERATED = join(TMP, 'generated.scap');
const fd = openSync(GENERATED, 'w');
generateCapture({ seed: 5, events: 50_000 }, (chunk) => { writeSync(fd, chunk); });
closeSync(fd);

const SMALL_BATCH = { ...process.env, SCAPDRIFT_BATCH_BYTES: String(64 * 1024) };

function read(args: string[], workers: number, env: NodeJS.ProcessEnv = SMALL_BATCH): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'read', ...args, '-q', '--workers', String(workers)], { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CASES: [string, string[]][] = [
  ['drop_exec.scap', []],
  ['drop_exec.scap', ['--json']],
  ['memfd_exec.scap', ['-p', '%evt.num %proc.exepath %proc.exe_ino.ctime_duration_proc_start', 'evt.type = execve']],
  ['memfd_exec.scap', ['--default-rules', '--json']],
  ['curl_google.scap', ['-p', '%evt.num %evt.type %proc.name %evt.args']],
  ['single_ipv6_conn.scap', []],
  ['test_ipv6_client.scap', ['--json']],
  ['samples/live_drift.scap.gz', ['--default-rules']],
  [GENERATED, []],
  [GENERATED, ['--json', 'evt.type in (execve, clone, procexit, fstat)']],
  [GENERATED, ['-p', '%evt.num %proc.name %proc.exepath %evt.type %evt.args', 'proc.name = cat and evt.type in (openat, read)']],
];

for (const [file, args] of CASES) {
  test(`${file === GENERATED ? 'generated capture' : file} ${args.join(' ')}: workers 2, 3, 4 print what 1 prints`, () => {
    const path = file.startsWith('samples/') || file === GENERATED ? file : capture(file);
    const one = read([path, ...args], 1);
    assert.is(one.status, 0, one.stderr);
    assert.ok(one.stdout.length > 0);
    for (const n of [2, 3, 4]) {
      const many = read([path, ...args], n);
      assert.is(many.status, 0, many.stderr);
      assert.ok(many.stdout === one.stdout, `${n} workers: output differs from 1 worker`);
    }
  });
}

test('busy.scap.gz (1.6 M events), execve with drift fields: 2 workers print what 1 prints', () => {
  const args = [capture('busy.scap.gz'), '-p', '%evt.num %proc.pid %proc.exepath %proc.exe_ino.ctime_duration_proc_start', 'evt.type in (execve, clone, procexit)'];
  const one = read(args, 1, process.env);
  const two = read(args, 2, process.env);
  assert.is(two.status, 0, two.stderr);
  assert.is(one.stdout.split('\n').length, 878 + 214 + 194 + 1);
  assert.ok(two.stdout === one.stdout, 'output differs');
});

test('a corrupt capture: the same events and the same one-line error with 3 workers', () => {
  const bad = Buffer.from(readFileSync(capture('drop_exec.scap')));
  const dv = new DataView(bad.buffer, bad.byteOffset, bad.byteLength);
  let off = 0;
  for (let i = 0; i < 4000; i++) off += dv.getUint32(off + 4, true);
  dv.setUint32(off + 4, 3, true); // a block length below the minimum
  const file = join(TMP, 'bad.scap');
  writeFileSync(file, bad);
  const one = read([file], 1);
  const three = read([file], 3);
  assert.is(one.status, 1);
  assert.is(three.status, 1);
  assert.match(three.stderr, new RegExp(`^scapdrift: corrupt capture at byte ${off + 4}: .*\\n$`));
  assert.is(three.stderr, one.stderr);
  assert.ok(three.stdout === one.stdout && one.stdout.split('\n').length > 3000, 'events before the fault');
});

test('a gzip stream cut short (a fault of the input, not of a block): every event before it on 1, 2 and 3 workers', () => {
  // The splitter meets the fault while the workers still decode earlier batches: those are
  // handed out, with the whole blocks read before the fault, then the fault (one thread's output).
  const gz = gzipSync(readFileSync(GENERATED));
  const file = join(TMP, 'cut.scap.gz');
  writeFileSync(file, gz.subarray(0, Math.floor(gz.length * 0.6)));
  const one = read([file, '-p', '%evt.num %evt.type %proc.name'], 1);
  assert.is(one.status, 1);
  assert.match(one.stderr, /^scapdrift: truncated gzip stream in .* the input ends in the compressed data of the member at compressed byte 0\n$/);
  assert.ok(one.stdout.split('\n').length > 20_000, 'events before the fault');
  for (const workers of [2, 3]) {
    const r = read([file, '-p', '%evt.num %evt.type %proc.name'], workers);
    assert.is(r.status, 1);
    assert.is(r.stderr, one.stderr);
    assert.ok(r.stdout === one.stdout, `${workers} workers: ${r.stdout.length} bytes of output, one thread ${one.stdout.length}`);
  }
});

test('a pipe given by path (/dev/stdin) is read as a stream: 3 workers print what 1 prints from the file', () => {
  const args = ['-p', '%evt.num %proc.name %evt.type', 'evt.type != read'];
  const one = read([GENERATED, ...args], 1);
  // A shell pipe, so that /dev/stdin is a FIFO (Node's own stdio pipes are sockets, which cannot be opened by path).
  const r = spawnSync('sh', ['-c', 'cat "$1" | "$2" "$3" read /dev/stdin "$4" "$5" "$6" -q --workers 3', 'sh', GENERATED, process.execPath, CLI, ...args], { env: SMALL_BATCH, encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.stdout === one.stdout && one.stdout.length > 0, 'output differs');
});

test('--workers is validated', () => {
  const r = read([capture('drop_exec.scap')], 0);
  assert.is(r.status, 1);
  assert.is(r.stderr, 'scapdrift: --workers must be an integer from 1 to 256, got 0\n');
});

/** Every event of `file` as openCapture gives it, with its machine info and summary. */
async function events(file: string, options: OpenCaptureOptions): Promise<{ events: unknown[]; hostname?: string; summary: unknown }> {
  const c = openCapture(file, options);
  const all: unknown[] = [];
  for await (const ev of c) all.push(ev);
  return { events: all, ...(c.machineInfo ? { hostname: c.machineInfo.hostname } : {}), summary: c.summary };
}

const LIBRARY_CASES: [string, OpenCaptureOptions][] = [
  [GENERATED, {}],
  [GENERATED, { filter: 'evt.type in (execve, procexit) or (proc.name = sed and evt.type = openat)', fields: ['evt.num', 'proc.pid', 'proc.exepath', 'evt.args', 'proc.exe_ino.ctime_duration_proc_start'] }],
  [capture('drop_exec.scap'), { types: ['execve', 'clone', 'openat'] }],
];

for (const [file, options] of LIBRARY_CASES) {
  test(`library: openCapture(${file === GENERATED ? 'generated capture' : file}, ${JSON.stringify(options)}) gives the same events on 2 and 3 workers as on 1`, async () => {
    const one = await events(file, options);
    assert.ok(one.events.length > 0);
    for (const workers of [2, 3]) assert.equal(await events(file, { ...options, workers }), one, `${workers} workers`);
  });
}

test('library: options.workers is validated, and a consumer may stop early', async () => {
  try {
    openCapture(GENERATED, { workers: 0 });
    assert.unreachable('workers 0 accepted');
  } catch (e) {
    assert.ok(isScapdriftError(e) && e.code === 'E_OPTION', String(e));
    assert.is((e as Error).message, 'options.workers must be an integer from 1 to 256, got 0');
  }
  let n = 0;
  for await (const ev of openCapture(GENERATED, { workers: 2, fields: ['evt.num'] })) {
    assert.is(ev['evt.num'], ++n);
    if (n === 1000) break;
  }
  assert.is(n, 1000);
});

test.after(() => rmSync(TMP, { recursive: true, force: true }));

test.run();
