/**
 * The event table's description is computed at build time (scripts/gen_decoder_tables.mjs →
 * build/decoder_tables.bin) and applied in one Wasm call at start-up (assembly/description.ts):
 * one source of truth, generated then checked. The file equals what ts/pipeline/decoder_description.ts
 * computes now, applying it leaves the Wasm memory byte for byte as the setter calls leave it,
 * and a list that is no list of calls is refused at the word where it goes wrong.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeDecoder, encodeDescription } from '../ts/pipeline/decoder_description.js';
import { DESCRIPTION_HEADER_WORDS, DESCRIPTION_MAGIC, decoderDescription, fingerprint, instantiateDecoder, staleDescription, type DecoderModule } from '../ts/pipeline/wasm.js';

const WASM = resolve(process.cwd(), 'build', 'scapdrift.wasm');
const TABLES = resolve(process.cwd(), 'build', 'decoder_tables.bin');

const globals = (m: DecoderModule) => (name: string): number => {
  const v = (m.exports as unknown as Record<string, WebAssembly.Global | undefined>)[name];
  if (!(v instanceof WebAssembly.Global)) throw new Error(`${name} is not a global of the Wasm decoder`);
  return Number(v.value);
};

/** A fresh instance with the description's calls written at its scratch buffer; their address. */
function withCalls(body: Uint8Array): { m: DecoderModule; at: number } {
  const m = instantiateDecoder();
  const at = m.exports.reserveScratch(body.length);
  new Uint8Array(m.exports.memory.buffer).set(body, at);
  return { m, at };
}

test('build/decoder_tables.bin is what the sources compute now, for this build/scapdrift.wasm', () => {
  const file = new Uint8Array(readFileSync(TABLES));
  const now = encodeDescription(globals(instantiateDecoder()), fingerprint(readFileSync(WASM)));
  assert.is(now[0], DESCRIPTION_MAGIC);
  assert.is(now[2], now.length - DESCRIPTION_HEADER_WORDS);
  assert.ok(now.length > 2000, `${now.length} words: every event described`);
  assert.ok(Buffer.compare(file, new Uint8Array(now.buffer)) === 0, 'run npm run build: the file is stale');
  assert.ok(Buffer.compare(decoderDescription(), file) === 0, 'the file the decoders load');
});

test('a description of another Wasm, changed, cut or of another kind is refused', () => {
  const file = new Uint8Array(readFileSync(TABLES));
  const wasm = fingerprint(readFileSync(WASM));
  assert.is(staleDescription(file, wasm), undefined);
  assert.is(staleDescription(file, undefined), undefined, 'a worker does not check the Wasm again');
  // A Wasm rebuilt alone after a constant changed in assembly/ (of the same length, as a swapped
  // pair of CAT_* values leaves it): the fingerprint of its bytes differs.
  const wasmBytes = new Uint8Array(readFileSync(WASM));
  wasmBytes[wasmBytes.length - 1] ^= 1;
  assert.is(staleDescription(file, fingerprint(wasmBytes)), 'was made for another build/scapdrift.wasm');
  const changed = file.slice();
  changed[DESCRIPTION_HEADER_WORDS * 4 + 100] ^= 1; // one argument of one call
  assert.is(staleDescription(changed, wasm), 'has changed since it was written');
  assert.match(staleDescription(file.subarray(0, file.length - 4), wasm)!, /^holds \d+ bytes, its header says \d+$/);
  assert.is(staleDescription(file.subarray(0, 8), wasm), 'is not a decoder description');
  assert.is(staleDescription(new Uint8Array(file.length), wasm), 'is not a decoder description');
});

test('applying the file leaves the Wasm memory as the setter calls, one by one, leave it', () => {
  const body = decoderDescription().subarray(DESCRIPTION_HEADER_WORDS * 4);
  const called = withCalls(body);
  describeDecoder(called.m.exports, globals(called.m));
  const applied = withCalls(body);
  assert.is(applied.m.exports.applyDescription(applied.at, body.length / 4), -1, 'every call applied');
  const untouched = withCalls(body);
  const mem = (m: DecoderModule): Uint8Array => new Uint8Array(m.exports.memory.buffer);
  assert.is(mem(applied.m).length, mem(called.m).length);
  assert.ok(Buffer.compare(mem(applied.m), mem(called.m)) === 0, 'same memory');
  assert.ok(Buffer.compare(mem(untouched.m), mem(called.m)) !== 0, 'the calls change the memory (the comparison is not vacuous)');
});

test('a list that is not a list of calls is refused at the first word that is no call', () => {
  const { m } = withCalls(new Uint8Array(0));
  const g = globals(m);
  const apply = (words: number[]): number => {
    const at = m.exports.reserveScratch(words.length * 4 + 4);
    new Uint32Array(m.exports.memory.buffer, at, words.length).set(words);
    return m.exports.applyDescription(at, words.length);
  };
  const vfork = g('DESC_SET_VFORK_EVENT');
  assert.is(apply([vfork, 1, vfork, 1]), -1);
  assert.is(apply([0xdead]), 0, 'no such opcode');
  assert.is(apply([vfork, 1, 0]), 2, 'an opcode 0 after a whole call');
  assert.is(apply([vfork, 1, g('DESC_SET_EVENT_INFO'), 1, 2]), 2, 'arguments run past the end');
  assert.is(apply([]), -1, 'nothing to apply');
});

test.run();
