#!/usr/bin/env node
// Generates build/decoder_tables.bin, the description of the event table that every decoder
// instance applies in one call at start-up (assembly/description.ts applyDescription): the setter
// calls of ts/pipeline/decoder_description.ts describeDecoder (compiled by tsc), with the DESC_*
// opcodes and the FD_ACT_*, SCAP_FD_*, FSP_*, CAT_*, CRED_OP_* globals of build/scapdrift.wasm.
// Run by `npm run build:ts` after tsc (and by scripts/setup.sh when only the Wasm changed): the
// calls are no longer computed and made one by one at every start (bench/RESULTS.md, start-up).
// test/decoder_tables.test.ts checks the file against the sources.
//
//   node scripts/gen_decoder_tables.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const { encodeDescription } = await import(new URL('dist/ts/pipeline/decoder_description.js', root).href);
const { instantiateDecoder, fingerprint } = await import(new URL('dist/ts/pipeline/wasm.js', root).href);
const wasm = fingerprint(readFileSync(new URL('build/scapdrift.wasm', root)));
const raw = instantiateDecoder().exports;
const words = encodeDescription((name) => Number(raw[name].value), wasm);
writeFileSync(new URL('build/decoder_tables.bin', root), new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
