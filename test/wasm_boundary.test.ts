/**
 * One contract across the Wasm boundary (issue 17): the status and fault codes that ts/pipeline/wasm.ts
 * hands the shell are those assembly/status.ts defines — read from the AssemblyScript source,
 * so a code added, removed or renumbered on one side fails here; and the output program's
 * constants (ts/output/program.ts) are the ones the Wasm formatter exports.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Status, FAULT_MESSAGES, FAULT_PARAM_WIDTH, FIRST_FRAME_FAULT, createDecoderModule } from '../ts/pipeline/wasm.js';
import { OUT, OUTF, OUT_TABLES } from '../ts/output/program.js';

/** `export const NAME: i32 = N;` of assembly/status.ts, by name. */
const codes = new Map([...readFileSync(resolve(process.cwd(), 'assembly', 'status.ts'), 'utf8')
  .matchAll(/^export const ((?:STATUS|FAULT)_\w+): i32 = (\d+);$/gm)].map((m) => [m[1]!, Number(m[2])]));

test('status codes of scan() match assembly/status.ts', () => {
  const wasm = Object.fromEntries([...codes].filter(([k]) => k.startsWith('STATUS_')).map(([k, v]) => [k.slice('STATUS_'.length), v]));
  assert.ok(Object.keys(wasm).length >= 4, 'status.ts read');
  assert.equal(wasm, { ...Status });
});

test('every fault code has a message, and no message names a code the decoder lacks', () => {
  const faults = [...codes].filter(([k]) => k.startsWith('FAULT_') && k !== 'FAULT_NONE').map(([, v]) => v).sort((a, b) => a - b);
  assert.ok(faults.length >= 7, 'status.ts read');
  assert.equal(Object.keys(FAULT_MESSAGES).map(Number).sort((a, b) => a - b), faults);
  assert.is(codes.get('FAULT_NONE'), 0);
});

test('the named fault codes the shell tests are the decoder\'s', () => {
  assert.is(FAULT_PARAM_WIDTH, codes.get('FAULT_PARAM_WIDTH'));
  assert.is(FIRST_FRAME_FAULT, codes.get('FAULT_FRAME_LENGTH'), 'the first fault inside a sound block is the frame length');
});

test('the output program\'s opcodes, flags and table layout are the Wasm formatter\'s (assembly/output.ts, exported)', () => {
  const raw = createDecoderModule().exports as unknown as Record<string, WebAssembly.Global | undefined>;
  const g = (name: string): number => {
    const v = raw[name];
    assert.ok(v instanceof WebAssembly.Global, `${name} exported by the Wasm decoder`);
    return Number(v.value);
  };
  for (const [k, v] of Object.entries(OUT)) assert.is(v, g(k === 'INSN_BYTES' ? 'OUT_INSN_BYTES' : `OUT_${k}`), `OUT.${k}`);
  for (const [k, v] of Object.entries(OUTF)) assert.is(v, g(`OUTF_${k}`), `OUTF.${k}`);
  const tables: Record<keyof typeof OUT_TABLES, string> = {
    EVENT_IDS: 'OUT_EVENT_IDS', ERRNOS: 'OUT_ERRNOS', SYSCALLS: 'OUT_SYSCALLS', NAMES_AT: 'OUT_NAMES_AT', DIRS_AT: 'OUT_DIRS_AT',
    ERRNO_AT: 'OUT_ERRNO_AT', SYSCALLS_AT: 'OUT_SYSCALLS_AT', BYTES: 'OUT_TABLES_BYTES',
  };
  for (const [k, name] of Object.entries(tables)) assert.is(OUT_TABLES[k as keyof typeof OUT_TABLES], g(name), `OUT_TABLES.${k}`);
});

test.run();
