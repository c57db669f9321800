/**
 * The Wasm formatter (assembly/output.ts, compiled by ts/output/program.ts) prints byte for
 * byte what the TypeScript renderers (ts/output/render.ts: the reference) print, on real captures:
 * the default line, default JSON, and a `-p` format and JSON of every field scapdrift has
 * (with arguments: evt.arg.NAME, evt.arg[N], proc.aname[N], container.mount.dest[KEY]), so a
 * field added later is covered without touching this test. Fields Wasm does not compute are
 * the declared fallback (formatted by ts/fields/fields.ts through the formatField import); the
 * default line and default JSON use none (but drift.enforced* on an exec).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { capture } from './helpers/captures.js';
import { compilePrintPlan, type Plan, type PrintOptions } from '../ts/pipeline/plan.js';
import { EventPrinter, lineRenderer } from '../ts/pipeline/event_printer.js';
import { Decoder } from '../ts/pipeline/decoder.js';
import { FIELDS, resolveField, type FieldRef } from '../ts/fields/fields.js';
import { DEFAULT_JSON_FIELDS, DEFAULT_HEAD, EXEC_FIELDS, EXEC_ORIGIN_FIELDS, type FormatPart } from '../ts/output/render.js';
import { fallbackFields } from '../ts/output/program.js';

/** Decompressed bytes of busy.scap fed (its first ~26,000 events; the cut block is never printed). */
const BUSY_BYTES = 2_000_000;

/** The capture's bytes, gunzipped when they are gzip (some shared captures are). */
function plain(bytes: Buffer): Buffer {
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}
const busy = gunzipSync(readFileSync(capture('busy.scap.gz'))).subarray(0, BUSY_BYTES);
const CAPTURES: [string, Uint8Array, boolean][] = [
  ...['drop_exec.scap', 'memfd_exec.scap', 'curl_google.scap', 'single_ipv6_conn.scap', 'test_ipv6_client.scap']
    .map((n): [string, Uint8Array, boolean] => [n, plain(readFileSync(capture(n))), true]),
  ['live_drift.scap.gz (samples/)', plain(readFileSync('samples/live_drift.scap.gz')), true],
  ['busy.scap (first 2 MB)', busy, false],
];

/** Every field of ts/fields/fields.ts as a format field, with sample arguments for those that take one. */
function everyField(): string[] {
  const names: string[] = [];
  for (const d of FIELDS) {
    if (d.takesArg) names.push(`${d.name}.fd`, `${d.name}.res`, `${d.name}[0]`, `${d.name}[1]`, `${d.name}.name`);
    else if (d.keyArg) names.push(`${d.name}[/etc]`);
    else {
      names.push(d.name);
      if (d.indexArg) names.push(`${d.name}[1]`, `${d.name}[0]`);
    }
  }
  return names.filter((n) => resolveField(n) !== undefined);
}
const EVERY = everyField();
const EVERY_FORMAT = EVERY.map((n) => `${n}=%{${n}}`).join(' ');

function viaWasm(plan: Plan, bytes: Uint8Array, whole: boolean): Buffer {
  const out: Buffer[] = [];
  const printer = new EventPrinter(plan, {
    push(line) { out.push(Buffer.from(`${line}\n`)); },
    pushBytes(b) { out.push(Buffer.from(b)); },
  });
  printer.decoder.feed(bytes, printer.handlers);
  if (whole) printer.decoder.finish();
  return Buffer.concat(out);
}

function viaTypeScript(plan: Plan, bytes: Uint8Array, whole: boolean): Buffer {
  const output = plan.output;
  if (output.kind !== 'line' && output.kind !== 'format' && output.kind !== 'json') throw new Error(`not an event output: ${output.kind}`);
  const render = lineRenderer(output);
  const lines: Buffer[] = [];
  const decoder = new Decoder({ ...(plan.types ? { types: plan.types } : {}), ...(plan.filter ? { filter: plan.filter } : {}) });
  decoder.feed(bytes, { onEvent: (v) => { lines.push(Buffer.from(`${render(v)}\n`)); } });
  if (whole) decoder.finish();
  return Buffer.concat(lines);
}

const FORMS: [string, PrintOptions][] = [
  ['default line', {}],
  ['default --json', { json: true }],
  ['-p of every field', { print: EVERY_FORMAT }],
  ['--json -p of every field', { json: true, print: EVERY_FORMAT }],
  ['default line, filtered (procexit and execve)', { condition: 'evt.type in (procexit, execve, clone) or proc.name contains s' }],
];

for (const [form, opts] of FORMS) {
  test(`${form}: the Wasm formatter prints what the TypeScript renderer prints, on every real capture`, async () => {
    const plan = await compilePrintPlan(opts, () => {});
    for (const [name, bytes, whole] of CAPTURES) {
      const wasm = viaWasm(plan, bytes, whole);
      const ts = viaTypeScript(plan, bytes, whole);
      assert.ok(ts.length > 0, `${name}: no output`);
      if (!wasm.equals(ts)) {
        let at = 0;
        while (at < wasm.length && wasm[at] === ts[at]) at++;
        const start = wasm.lastIndexOf(10, at - 1) + 1;
        const line = (b: Buffer): string => b.subarray(start, b.indexOf(10, at) < 0 ? b.length : b.indexOf(10, at)).toString('utf8');
        assert.fixture(line(wasm), line(ts), `${name}: output differs at byte ${at}`);
      }
    }
  });
}

test('the fallback is declared: none in the default line but the enforcement fields of an exec, none in default JSON', () => {
  const refs = (parts: readonly FormatPart[]): FieldRef[] => parts.filter((p): p is FieldRef => typeof p !== 'string');
  assert.equal(fallbackFields([...refs(DEFAULT_HEAD), ...EXEC_FIELDS, ...EXEC_ORIGIN_FIELDS]), ['drift.enforced', 'drift.enforced_policy']);
  assert.equal(fallbackFields(DEFAULT_JSON_FIELDS), []);
  // Fields whose text only the shell makes (its renderers of parameters) stay there.
  const every = fallbackFields(EVERY.map((n) => resolveField(n)!));
  for (const name of ['evt.arg', 'evt.rawarg', 'evt.args', 'evt.time.iso8601']) assert.ok(every.includes(name), name);
  for (const name of ['evt.time', 'evt.datetime', 'evt.type', 'proc.name', 'proc.args', 'proc.exe_ino.ctime', 'proc.aname', 'user.name', 'container.id', 'proc.exe_sha256']) {
    assert.not.ok(every.includes(name), name);
  }
});

test.run();
