/**
 * Start-up pays only for what is used, and one plan is compiled once (issue 17): a child `read`
 * runs with the probe preload (test/helpers/probe.ts), which reports every module loaded, every
 * readFileSync and every WebAssembly instance, on every thread. Counts and module names are
 * asserted, never times (bench/RESULTS.md has those).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { capture } from './helpers/captures.js';
import { CLI, runCli } from './helpers/cli.js';

const PROBE = resolve(process.cwd(), 'dist', 'test', 'helpers', 'probe.js');
/** The package's `bin`: the command line bundled by scripts/build_cli.mjs. */
const BIN = resolve(process.cwd(), (JSON.parse(readFileSync('package.json', 'utf8')) as { bin: { scapdrift: string } }).bin.scapdrift);
const RULES = resolve(process.cwd(), 'rules', 'scapdrift_rules.yaml');
const WASM = resolve(process.cwd(), 'build', 'scapdrift.wasm');
/** The event table's description, computed at build time (scripts/gen_decoder_tables.mjs). */
const TABLES = resolve(process.cwd(), 'build', 'decoder_tables.bin');

interface Probed { status: number | null; stdout: string; loads: string[]; reads: string[]; instances: number; stderr: string }

function probed(args: string[], env: Record<string, string> = {}, cli = CLI): Probed {
  const r = spawnSync(process.execPath, ['--import', PROBE, cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, ...env } });
  const lines = r.stderr.split('\n');
  const of = (kind: string): string[] => lines.filter((l) => l.startsWith(`PROBE ${kind} `)).map((l) => l.slice(`PROBE ${kind} `.length));
  return {
    status: r.status,
    stdout: r.stdout,
    loads: of('load'),
    reads: of('read'),
    instances: lines.filter((l) => l === 'PROBE wasm-instance').length,
    stderr: lines.filter((l) => !l.startsWith('PROBE ')).join('\n'),
  };
}

const loaded = (p: Probed, part: string): number => p.loads.filter((u) => u.includes(part)).length;

test('a plain read of a tiny capture loads no YAML, progress bar, CLI library or worker, and makes one Wasm instance', () => {
  const p = probed(['read', capture('curl_google.scap')]);
  assert.is(p.status, 0, p.stderr);
  assert.ok(p.stdout.length > 0);
  assert.ok(loaded(p, '/dist/ts/pipeline/decoder.js') === 1, 'the probe sees the decoder load');
  for (const absent of ['node_modules/yaml/', 'node_modules/cli-progress/', '/dist/ts/rules/load.js', '/dist/ts/parallel/pool.js', 'node:worker_threads', '/dist/ts/live/', '/dist/ts/cli/bench.js']) {
    assert.is(loaded(p, absent), 0, `${absent} is not loaded`);
  }
  // The event table is described to the decoder from the file the build computed, not at start-up.
  for (const absent of ['/dist/ts/pipeline/decoder_description.js', '/dist/ts/events/fd_events.js', '/dist/ts/events/fspath_events.js']) {
    assert.is(loaded(p, absent), 0, `${absent} is not loaded`);
  }
  assert.is(p.instances, 1, 'one Wasm instance: the decoder');
  assert.is(p.reads.filter((f) => f === WASM).length, 1, 'the Wasm module read once');
  assert.is(p.reads.filter((f) => f === TABLES).length, 1, 'the description read once');
});

test('rules: read and compiled once on the main thread, the plan handed to 3 workers; one Wasm compile; output as one thread', () => {
  const env = { SCAPDRIFT_BATCH_BYTES: '65536' }; // drop_exec.scap (650 KB) in ~10 batches: every worker decodes
  const args = ['read', capture('drop_exec.scap'), '--default-rules', '--json'];
  const one = runCli([...args, '--workers', '1']);
  const p = probed([...args, '--workers', '3'], env);
  assert.is(p.status, 0, p.stderr);
  assert.is(p.stdout, one.stdout, 'byte-identical to one thread');
  assert.ok(p.stdout.split('\n').length > 2, 'alerts printed');
  assert.is(loaded(p, '/dist/ts/parallel/worker.js'), 2, 'two workers ran');
  assert.is(p.reads.filter((f) => f === RULES).length, 1, 'the rules file read once, over all threads');
  assert.is(loaded(p, '/dist/ts/rules/load.js'), 1, 'the rules loader (and its YAML parser) loaded on one thread only');
  assert.is(loaded(p, 'node_modules/yaml/dist/index.js'), 1);
  assert.is(loaded(p, 'node_modules/ajv/'), 0, 'no schema compiled at run time: the rules validator is generated at build time');
  assert.is(p.reads.filter((f) => f === WASM).length, 1, 'the Wasm module read (and compiled) once: workers get it compiled');
  assert.is(p.reads.filter((f) => f === TABLES).length, 1, 'the description read once: workers get it with the module');
  assert.is(p.instances, 4, 'Wasm instances: the splitter and one replica per thread, none only to validate options');
});

test('--workers 3 on an input of one batch starts no worker', () => {
  const p = probed(['read', capture('drop_exec.scap'), '--workers', '3', 'evt.type = execve']);
  assert.is(p.status, 0, p.stderr);
  assert.is(p.stdout, runCli(['read', capture('drop_exec.scap'), 'evt.type = execve']).stdout);
  assert.is(loaded(p, '/dist/ts/parallel/worker.js'), 0);
  assert.is(p.instances, 2, 'the splitter and this thread\'s replica');
});

test('a bad option fails before the capture is read, with no Wasm instance made', () => {
  const p = probed(['read', capture('drop_exec.scap'), '-p', '%proc.nmae']);
  assert.is(p.status, 1);
  assert.match(p.stderr, /unknown field proc\.nmae at character 1 of the format; did you mean proc\.name\?/);
  assert.is(p.instances, 0);
});

test('the bin (bundled): a tiny read loads its few files only, prints what dist/ts prints', () => {
  const args = ['read', capture('curl_google.scap'), '-q'];
  const p = probed(args, {}, BIN);
  assert.is(p.status, 0, p.stderr);
  assert.is(p.stdout, runCli(args).stdout);
  const files = p.loads.filter((u) => u.startsWith('file:'));
  assert.ok(files.every((u) => u.includes('/dist/bin/')), `only bundle files: ${files.filter((u) => !u.includes('/dist/bin/')).join(' ')}`);
  // The read path is grouped into a few chunks (scripts/build_cli.mjs): ~8 files, not ~20.
  assert.ok(files.length > 1 && files.length <= 10, `${files.length} files loaded: ${files.join(' ')}`);
  // The bundle requires Node's built-ins (no ES facade to build): the probe sees those loads too.
  assert.ok(loaded(p, 'node:fs') >= 1, 'the probe sees the built-ins the bundle requires');
  for (const absent of ['node:worker_threads', 'node:crypto']) assert.is(loaded(p, absent), 0, `${absent} is not loaded`);
  assert.is(p.instances, 1);
});

test('the bin (bundled): rules, 3 workers (their modules and job from the bundle), output as one thread of dist/ts', () => {
  const args = ['read', capture('drop_exec.scap'), '--default-rules', '--json'];
  const p = probed([...args, '--workers', '3'], { SCAPDRIFT_BATCH_BYTES: '65536' }, BIN);
  assert.is(p.status, 0, p.stderr);
  assert.is(p.stdout, runCli([...args, '--workers', '1']).stdout, 'byte-identical to one thread');
  assert.is(loaded(p, '/dist/bin/parallel/worker.cjs'), 2, 'two workers ran the bundled worker');
  assert.is(loaded(p, '/dist/bin/pipeline/event_printer.cjs'), 3, 'the job module: once on each thread');
  assert.is(p.loads.filter((u) => u.includes('/dist/ts/') || u.includes('/node_modules/')).length, 0, 'nothing from dist/ts or node_modules: YAML is bundled');
  assert.is(p.reads.filter((f) => f === RULES).length, 1, 'the rules file read once');
  assert.is(p.reads.filter((f) => f === WASM).length, 1, 'the Wasm module read (and compiled) once');
  assert.is(p.instances, 4);
});

test.run();
