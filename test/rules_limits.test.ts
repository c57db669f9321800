/**
 * Rules files from an untrusted repository: expansion is bounded in time and size, never
 * recursive on the JS stack, and errors name the rule, the macro or the list with FILE:LINE;
 * names and output text from a rules file, and the capture's hostname, reach the terminal
 * escaped like kernel strings.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadRules, MAX_LIST_ITEMS } from '../ts/rules/load.js';
import { MAX_MACRO_DEPTH, MAX_PROGRAM_INSNS } from '../ts/filter/compiler.js';
import { isScapdriftError } from '../ts/errors.js';
import { ScapWriter, frameByName } from '../ts/scap/writer.js';
import { PPME } from '../ts/events/ppm_constants.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scapdrift-rules-limits-'));
/** Every bomb below must fail (or load) within this, however the machine is loaded. */
const BOUND_MS = 10_000;

/** Writes `items` (YAML items, one per entry) and returns the path and the line of each item. */
function rulesFile(name: string, items: string[]): { path: string; lines: number[] } {
  const lines: number[] = [];
  let line = 1;
  for (const it of items) { lines.push(line); line += it.split('\n').length; }
  const path = join(dir, name);
  writeFileSync(path, items.join('\n') + '\n');
  return { path, lines };
}

/** The load's error message (asserting it is a ScapdriftError, not a stack overflow), and how long it took. */
function loadError(path: string): { message: string; ms: number } {
  const start = performance.now();
  try {
    loadRules([path]);
  } catch (e) {
    assert.ok(isScapdriftError(e), String(e));
    return { message: (e as Error).message, ms: performance.now() - start };
  }
  throw new Error(`${path} loaded`);
}

const RULE = (condition: string): string =>
  `- rule: r\n  desc: d\n  condition: ${condition}\n  output: o\n  priority: WARNING`;

test('a chain of 2,000 lists each naming the previous: stops at MAX_LIST_ITEMS, naming the list and its line', () => {
  const n = 2000;
  const items = Array.from({ length: n }, (_, i) => `- list: l${i}\n  items: [${i === 0 ? '' : `l${i - 1}, `}x${i}]`);
  const { path, lines } = rulesFile('list_chain.yaml', items);
  // List i holds i + 1 items and is expanded after list i − 1: the total after list k is (k+1)(k+2)/2.
  let k = 0;
  while ((k + 1) * (k + 2) / 2 <= MAX_LIST_ITEMS) k++;
  const { message, ms } = loadError(path);
  assert.is(message, `${path}:${lines[k]}:3: list 'l${k}': lists expand to more than ${MAX_LIST_ITEMS} items in all (nested lists are copied where they are named)`);
  assert.ok(ms < BOUND_MS, `${ms} ms`);
});

test('a chain of 5,000 one-item lists loads (no recursion) and expands to the innermost item', () => {
  const n = 5000;
  const items = Array.from({ length: n }, (_, i) => `- list: l${i}\n  items: [${i === 0 ? 'bash' : `l${i - 1}`}]`);
  items.push(RULE(`proc.name in (l${n - 1})`));
  const { path } = rulesFile('list_deep.yaml', items);
  const set = loadRules([path]);
  assert.equal(set.env.list(`l${n - 1}`), ['bash']);
  assert.is(set.rules.length, 1);
});

test('a macro bomb (each macro uses the previous one twice): stops at MAX_PROGRAM_INSNS, naming rule, macro and lines', () => {
  const n = 40;
  const items = [`- macro: m0\n  condition: proc.name = a`];
  for (let i = 1; i < n; i++) items.push(`- macro: m${i}\n  condition: m${i - 1} or m${i - 1}`);
  items.push(RULE(`m${n - 1}`));
  const { path, lines } = rulesFile('macro_bomb.yaml', items);
  const { message, ms } = loadError(path);
  // The rule's condition (its third line, column 14) is named.
  assert.is(message, `${path}:${lines[n]! + 2}:14: rule 'r': condition: expanding macro 'm${n - 1}' (${path}:${lines[n - 1]}:3): ` +
    `condition expands to more than ${MAX_PROGRAM_INSNS} instructions (macros are copied where they are used) at 1`);
  assert.ok(ms < BOUND_MS, `${ms} ms`);
});

test('a chain of 5,000 macros: stops at MAX_MACRO_DEPTH with a rules error, not a stack overflow', () => {
  const n = 5000;
  const items = [`- macro: m0\n  condition: proc.name = a`];
  for (let i = 1; i < n; i++) items.push(`- macro: m${i}\n  condition: m${i - 1} and proc.pid > ${i}`);
  items.push(RULE(`m${n - 1}`));
  const { path, lines } = rulesFile('macro_chain.yaml', items);
  const { message, ms } = loadError(path);
  // m4999 … m4936 are being expanded (64 of them) when m4935 is reached.
  assert.is(message, `${path}:${lines[n]! + 2}:14: rule 'r': condition: expanding macro 'm${n - 1}' (${path}:${lines[n - 1]}:3): ` +
    `macros nested deeper than ${MAX_MACRO_DEPTH} (at macro 'm${n - 1 - MAX_MACRO_DEPTH}') at 1`);
  assert.ok(ms < BOUND_MS, `${ms} ms`);
});

test('macros nested up to the limit compile', () => {
  const items = [`- macro: m0\n  condition: proc.name = a`];
  for (let i = 1; i < MAX_MACRO_DEPTH; i++) items.push(`- macro: m${i}\n  condition: m${i - 1} and proc.pid > ${i}`);
  items.push(RULE(`m${MAX_MACRO_DEPTH - 1}`));
  const set = loadRules([rulesFile('macro_ok.yaml', items).path]);
  assert.is(set.rules.length, 1);
});

test('rule names, output text and the capture hostname reach the terminal escaped', () => {
  const osc52 = '\x1b]52;c;ZWNobyBwd25lZA==\x07';
  const path = rulesFile('escape.yaml', [
    `- rule: "evil${osc52.replace('\x1b', '\\e').replace('\x07', '\\a')}"\n  desc: d\n  condition: evt.type = execve and evt.dir = <\n` +
      `  output: "ran \\e[2J%proc.name"\n  priority: WARNING\n  tags: ["t\\e"]`,
    `- rule: "skipped\\e]0;x\\a"\n  desc: d\n  condition: nosuch.field = x\n  output: o\n  priority: WARNING\n  skip-if-unknown-filter: true`,
  ]).path;
  const writer = new ScapWriter().sectionHeader()
    .machineInfo({ numCpus: 1, memorySizeBytes: 1n << 30n, hostname: `host${osc52}`, bootTsEpochNs: 1n })
    .event(0, frameByName(PPME.PPME_SYSCALL_EXECVE_19_X, 2n, 100n, { res: 0, exe: 'x', comm: 'x' }));
  const scap = join(dir, 'escape.scap');
  writeFileSync(scap, writer.finish());
  const json = runCli(['read', scap, '-q', '-r', path, '--json']);
  assert.is(json.status, 0, json.stderr);
  assert.not.match(json.stdout + json.stderr, /[\x07\x1b]/, 'no raw ESC or BEL');
  const alert = JSON.parse(json.stdout) as { rule: string; hostname: string; tags: string[]; output: string };
  assert.is(alert.rule, 'evil\\x1b]52;c;ZWNobyBwd25lZA==\\x07');
  assert.is(alert.hostname, 'host\\x1b]52;c;ZWNobyBwd25lZA==\\x07');
  assert.equal(alert.tags, ['t\\x1b']);
  assert.match(alert.output, /Warning ran \\x1b\[2Jx$/);
  assert.match(json.stderr, /rule 'skipped\\x1b]0;x\\x07' skipped/);
  const text = runCli(['read', scap, '-q', '-r', path]);
  assert.not.match(text.stdout + text.stderr, /[\x07\x1b]/);
  assert.match(text.stdout, /Warning ran \\x1b\[2Jx\n$/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
