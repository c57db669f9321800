/**
 * Wasm tiering that suits a short process (ts/pipeline/wasm_tiering.ts): a `read` of a short
 * capture compiles no decoder function with TurboFan, a longer one does, and a tiering budget the
 * user gives Node is kept. V8 says what it compiled with `--trace-wasm-compilation-times`
 * ("Compiled function …#N using TurboFan"); counts are asserted, never times (bench/RESULTS.md).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateCapture } from '../bench/generate.js';
import { isShortInput, SHORT_INPUT_BYTES } from '../ts/pipeline/wasm_tiering.js';
import { capture } from './helpers/captures.js';
import { CLI, runCli } from './helpers/cli.js';

const TMP = mkdtempSync(join(tmpdir(), 'scapdrift-tiering-'));
/** The package's `bin` (the bundle users run) and the unbundled command line. */
const BIN = resolve(process.cwd(), (JSON.parse(readFileSync('package.json', 'utf8')) as { bin: { scapdrift: string } }).bin.scapdrift);

/**
 * Functions V8 compiled with TurboFan during a `read` of `file` that prints nothing (a condition no
 * event meets, so that stdout holds V8's trace alone: its buffered lines would otherwise mix
 * with the events' at arbitrary points).
 */
function turbofanCompiles(file: string, nodeArgs: string[] = [], cli = BIN): number {
  const r = spawnSync(process.execPath, [...nodeArgs, '--trace-wasm-compilation-times', cli, 'read', file, '-q', 'proc.name = no-such-process'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.is(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => / using TurboFan/.test(l)).length;
}

/** The output of `read file` with `nodeArgs` (no trace). */
function output(file: string, nodeArgs: string[] = []): string {
  const r = spawnSync(process.execPath, [...nodeArgs, BIN, 'read', file, '-q'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.is(r.status, 0, r.stderr);
  return r.stdout;
}

test('the decision: a known size up to the bound, unless the user set a budget', () => {
  assert.ok(isShortInput(22_296, []));
  assert.ok(isShortInput(SHORT_INPUT_BYTES, []));
  assert.not.ok(isShortInput(SHORT_INPUT_BYTES + 1, []));
  assert.not.ok(isShortInput(undefined, []), 'a pipe or a live capture: unknown length');
  assert.not.ok(isShortInput(1000, ['--wasm-tiering-budget=5000']));
  assert.not.ok(isShortInput(1000, ['', '--wasm_tiering_budget', '5000']), 'NODE_OPTIONS words, underscores');
  assert.ok(isShortInput(1000, ['--max-old-space-size=100']));
});

test('a short capture is decoded without TurboFan; the same lines as with it', () => {
  const file = capture('drop_exec.scap'); // 650 KB: ~10 TurboFan compiles with V8's default budget
  assert.is(turbofanCompiles(file), 0);
  assert.is(turbofanCompiles(file, [], CLI), 0, 'unbundled too');
  assert.ok(turbofanCompiles(file, ['--wasm-tiering-budget=1800000']) > 0, 'V8 default budget: hot functions tier up on this capture');
  const short = output(file);
  assert.ok(short.length > 100_000);
  assert.ok(short === output(file, ['--wasm-tiering-budget=1800000']), 'the same lines with and without TurboFan');
  assert.ok(short === runCli(['read', file, '-q']).stdout, 'the same lines as dist/ts');
});

test('a capture above the bound tiers up as V8 decides', () => {
  const file = join(TMP, 'long.scap');
  const chunks: Uint8Array[] = [];
  generateCapture({ seed: 7, bytes: SHORT_INPUT_BYTES + (1 << 20) }, (c) => { chunks.push(c.slice()); });
  writeFileSync(file, Buffer.concat(chunks));
  assert.ok(turbofanCompiles(file) > 0);
});

test.after(() => rmSync(TMP, { recursive: true, force: true }));

test.run();
