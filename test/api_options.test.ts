/**
 * openCapture rejects a bad input argument and every bad option at the call — E_OPTION, a
 * message naming the argument or option — never later, at iteration, and never as a plain
 * TypeError.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture, isScapdriftError, type OpenCaptureOptions, type CaptureEvent, type CaptureAlert, type RulesError } from '../ts/api/index.js';
import { capture } from './helpers/captures.js';

const FILE = capture('drop_exec.scap');

/** The error openCapture(input, options) throws at the call (not at iteration). */
function callError(input: unknown, options?: unknown): Error {
  try {
    openCapture(input as string, options as OpenCaptureOptions);
  } catch (e) {
    assert.ok(isScapdriftError(e), `a ScapdriftError, got ${String(e)}`);
    assert.is(e.code, 'E_OPTION');
    return e;
  }
  throw new Error(`openCapture(${String(input)}, ${JSON.stringify(options)}) did not throw at the call`);
}

const INPUTS: [unknown, string][] = [
  [readFileSync(FILE), 'input must be a file path or a readable stream of scap bytes, got a Buffer (wrap bytes in a stream: Readable.from([bytes]))'],
  [new Uint8Array(4), 'input must be a file path or a readable stream of scap bytes, got a Uint8Array (wrap bytes in a stream: Readable.from([bytes]))'],
  [42, 'input must be a file path or a readable stream of scap bytes, got number 42'],
  [null, 'input must be a file path or a readable stream of scap bytes, got null'],
  [undefined, 'input must be a file path or a readable stream of scap bytes, got undefined'],
  [{}, 'input must be a file path or a readable stream of scap bytes, got an object that is not async iterable (Object)'],
  ['', 'input must be a file path or a readable stream of scap bytes, got an empty string'],
];

for (const [input, message] of INPUTS) {
  test(`input ${describeValue(input)}: ${message}`, () => {
    assert.is(callError(input).message, message);
  });
}

const OPTIONS: [unknown, string][] = [
  [null, 'options must be an object'],
  ['execve', 'options must be an object'],
  [{ worker: 2 }, 'unknown option worker; known: types, fields, filter, workers, jsonSafe, rules, defaultRules'],
  [{ jsonSafe: 'yes' }, 'options.jsonSafe must be a boolean, got the string "yes"'],
  [{ rules: 'r.yaml' }, 'options.rules must be an array of rules file paths'],
  [{ rules: [''] }, 'options.rules must be an array of rules file paths'],
  [{ defaultRules: 1 }, 'options.defaultRules must be a boolean, got number 1'],
  [{ defaultRules: true, filter: 'evt.type =' }, 'options.filter: expected a string value at 11'],
  [{ types: 'execve' }, 'options.types must be an array of event type names'],
  [{ types: ['execve', 'nosuch'] }, 'options.types: unknown event type nosuch (names as evt.type prints them, e.g. execve)'],
  [{ fields: 'evt.num' }, 'options.fields must be an array of field names'],
  [{ fields: ['proc.exe_inode'] }, 'options.fields: unknown field proc.exe_inode; did you mean proc.exe_ino?'],
  [{ fields: [''] }, 'options.fields: a field name must be a non-empty string, got an empty string'],
  [{ filter: 5 }, 'options.filter must be a Falco condition string'],
  [{ filter: 'evt.type =' }, 'options.filter: expected a string value at 11'],
  [{ workers: 0 }, 'options.workers must be an integer from 1 to 256, got 0'],
  [{ workers: 1.5 }, 'options.workers must be an integer from 1 to 256, got 1.5'],
  [{ workers: '2' }, 'options.workers must be an integer from 1 to 256, got the string "2"'],
];

for (const [options, message] of OPTIONS) {
  test(`options ${JSON.stringify(options)}: ${message}`, () => {
    assert.is(callError(FILE, options).message, message);
  });
}

test('jsonSafe: 64-bit values as decimal strings, JSON.stringify works; the same values as bigint without it', async () => {
  const fields = ['evt.num', 'proc.exe_ino', 'proc.exe_ino.ctime_duration_proc_start', 'proc.name'];
  const exact: CaptureEvent[] = [];
  for await (const ev of openCapture(FILE, { types: ['execve'], fields })) exact.push(ev);
  const safe: CaptureEvent[] = [];
  for await (const ev of openCapture(FILE, { types: ['execve'], fields, jsonSafe: true })) safe.push(ev);
  assert.is(safe.length, exact.length);
  assert.ok(exact.some((ev) => typeof ev['proc.exe_ino'] === 'bigint'));
  exact.forEach((ev, i) => {
    const s = safe[i]!;
    for (const f of fields) assert.is(s[f], typeof ev[f] === 'bigint' ? ev[f]!.toString() : ev[f]);
  });
  assert.is(JSON.parse(JSON.stringify(safe))[0]['proc.exe_ino'], exact[0]!['proc.exe_ino']!.toString());
});

test('rules: typed alerts, the same on 1 and 3 threads; a bad rules file throws at the iteration, naming it', async () => {
  const alertsOf = async (workers: number) => {
    const out: CaptureAlert[] = [];
    for await (const a of openCapture(FILE, { defaultRules: true, workers })) out.push(a);
    return out;
  };
  const one = await alertsOf(1);
  assert.equal(one.map((a) => a.rule), ['Non-root user runs an executable it can write', 'Binary written and made executable during the capture, then run']);
  assert.is(one[1]!.priority, 'Critical');
  assert.is(one[1]!.outputFields['drift.exe_writer.name'], 'cp');
  assert.is(one[1]!.outputFields['proc.pid'], 14429n);
  assert.is(typeof one[1]!.time, 'bigint');
  assert.match(one[1]!.output, /^\d\d:\d\d:\d\d\.\d{9}: Critical Binary written and made executable during the capture, then run \(proc\.exepath=\/tmp\/dropped_ls /);
  assert.equal(await alertsOf(3), one);
  const bad = openCapture(FILE, { rules: [join(tmpdir(), 'scapdrift-no-such-rules.yaml')] });
  try {
    for await (const _ of bad) assert.unreachable('no alert');
    assert.unreachable('throws');
  } catch (e) {
    assert.ok(isScapdriftError(e));
    assert.match((e as Error).message, /scapdrift-no-such-rules\.yaml/);
  }
});

/** A bad rules file, its name in the temp dir, and the RulesError fields iterating with it gives. */
const BAD_RULES: { name: string; text: string; line: number; col: number; item?: RulesError['item']; detail: string }[] = [
  { name: 'syntax.yaml', text: '- rule: r\n  desc: "unclosed\n', line: 3, col: 1, detail: 'invalid YAML: Missing closing "quote' },
  {
    name: 'field.yaml', text: '- rule: Bad field\n  desc: d\n  condition: evt.type = execve and proc.no_such_field = 1\n  output: x\n  priority: WARNING\n',
    line: 3, col: 14, item: { kind: 'rule', name: 'Bad field' }, detail: "rule 'Bad field': condition: unknown field proc.no_such_field at 23",
  },
  {
    name: 'macro.yaml', text: '- rule: Bad macro\n  desc: d\n  condition: evt.type = execve and no_such_macro\n  output: x\n  priority: WARNING\n',
    line: 3, col: 14, item: { kind: 'rule', name: 'Bad macro' }, detail: "rule 'Bad macro': condition: undefined macro 'no_such_macro' used in filter at 23",
  },
  {
    name: 'in_macro.yaml', text: '- macro: m\n  condition: proc.name = (\n- rule: R\n  desc: d\n  condition: evt.type = execve and m\n  output: x\n  priority: WARNING\n',
    line: 1, col: 3, item: { kind: 'macro', name: 'm' }, detail: "macro 'm': condition: expected a string value at 13",
  },
];

test('a bad rules file throws E_RULES at the iteration: its file, line and column, and the rule or macro it is in', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scapdrift-badrules-'));
  try {
    for (const bad of BAD_RULES) {
      const file = join(dir, bad.name);
      writeFileSync(file, bad.text);
      let error: unknown;
      try {
        for await (const _ of openCapture(FILE, { rules: [file] })) assert.unreachable('no alert');
      } catch (e) {
        error = e;
      }
      assert.ok(isScapdriftError(error), `${bad.name}: a ScapdriftError, got ${String(error)}`);
      const e = error as RulesError;
      assert.is(e.code, 'E_RULES', bad.name);
      assert.equal(e.place, { file, line: bad.line, col: bad.col }, bad.name);
      assert.equal(e.item, bad.item, bad.name);
      assert.is(e.message, `${file}:${bad.line}:${bad.col}: ${bad.detail}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the stream the Buffer hint suggests is accepted', async () => {
  let n = 0;
  for await (const ev of openCapture(Readable.from([readFileSync(FILE)]), { types: ['execve'], fields: ['evt.num'] })) {
    if (n++ === 0) assert.is(ev['evt.num'], 139); // the first execve of drop_exec.scap
  }
  assert.is(n, 25);
});

function describeValue(v: unknown): string {
  return v instanceof Uint8Array ? v.constructor.name : JSON.stringify(v) ?? String(v);
}

test.run();
