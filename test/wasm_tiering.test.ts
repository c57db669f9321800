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

/** Functions V8 compiled with TurboFan during `read` with `nodeArgs`, and the output. */
function turbofanCompiles(file: string, nodeArgs: string[] = [], cli = BIN): { compiles: number; stdout: string } {
  const r = spawnSync(process.execPath, [...nodeArgs, '--trace-wasm-compilation-times', cli, 'read', file, '-q'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  return { compiles: lines.filter((l) => / using TurboFan/.test(l)).length, stdout: lines.filter((l) => !l.startsWith('Compiled ')).join('\n') };
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
  const file = capture('drop_exec.scap'); // 650 KB: ~30 TurboFan compiles with V8's default budget
  const short = turbofanCompiles(file);
  assert.is(short.compiles, 0);
  assert.is(turbofanCompiles(file, [], CLI).compiles, 0, 'unbundled too');
  const tiered = turbofanCompiles(file, ['--wasm-tiering-budget=1800000']);
  assert.ok(tiered.compiles > 0, 'V8 default budget: hot functions tier up on this capture');
  assert.ok(short.stdout.length > 100_000);
  assert.ok(short.stdout === tiered.stdout, 'the same lines with and without TurboFan');
  assert.ok(short.stdout === runCli(['read', file, '-q']).stdout, 'the same lines as without the trace');
});

test('a capture above the bound tiers up as V8 decides', () => {
  const file = join(TMP, 'long.scap');
  const chunks: Uint8Array[] = [];
  generateCapture({ seed: 7, bytes: SHORT_INPUT_BYTES + (1 << 20) }, (c) => { chunks.push(c.slice()); });
  writeFileSync(file, Buffer.concat(chunks));
  assert.ok(turbofanCompiles(file).compiles > 0);
});

test.after(() => rmSync(TMP, { recursive: true, force: true }));

test.run();
