/**
 * Parallel decoding prints byte for byte what one thread prints: every shared
 * capture, with and without filters and rules, on 1–4 workers with small
 * batches (so every capture spans many), and a corrupt capture gives the same
 * events and the same one-line error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture } from './helpers/captures.js';
import { CLI } from './helpers/cli.js';

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
];

for (const [file, args] of CASES) {
  test(`${file} ${args.join(' ')}: workers 2, 3, 4 print what 1 prints`, () => {
    const path = file.startsWith('samples/') ? file : capture(file);
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
  const file = join(mkdtempSync(join(tmpdir(), 'scapdrift-par-')), 'bad.scap');
  writeFileSync(file, bad);
  const one = read([file], 1);
  const three = read([file], 3);
  assert.is(one.status, 1);
  assert.is(three.status, 1);
  assert.match(three.stderr, new RegExp(`^scapdrift: corrupt capture at byte ${off + 4}: .*\\n$`));
  assert.is(three.stderr, one.stderr);
  assert.ok(three.stdout === one.stdout && one.stdout.split('\n').length > 3000, 'events before the fault');
});

test('--workers is validated', () => {
  const r = read([capture('drop_exec.scap')], 0);
  assert.is(r.status, 1);
  assert.is(r.stderr, 'scapdrift: --workers must be a positive integer, got 0\n');
});

test.run();
