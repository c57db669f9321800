/**
 * openCapture rejects a bad input argument and every bad option at the call — E_OPTION, a
 * message naming the argument or option — never later, at iteration, and never as a plain
 * TypeError.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { openCapture, isScapdriftError, type OpenCaptureOptions } from '../ts/index.js';
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
  [{ worker: 2 }, 'unknown option worker; known: types, fields, filter, workers, jsonSafe'],
  [{ types: 'execve' }, 'options.types must be an array of event type names'],
  [{ types: ['execve', 'nosuch'] }, 'options.types: unknown event type nosuch (names as evt.type prints them, e.g. execve)'],
  [{ fields: 'evt.num' }, 'options.fields must be an array of field names'],
  [{ fields: ['proc.exe_inode'] }, 'options.fields: unknown field proc.exe_inode; did you mean proc.exe_ino?'],
  [{ filter: 5 }, 'options.filter must be a Falco condition string'],
  [{ filter: 'evt.type =' }, 'options.filter: expected a string value at 11'],
  [{ workers: 0 }, 'options.workers must be a positive integer, got 0'],
  [{ workers: 1.5 }, 'options.workers must be a positive integer, got 1.5'],
  [{ workers: '2' }, 'options.workers must be a positive integer, got the string "2"'],
];

for (const [options, message] of OPTIONS) {
  test(`options ${JSON.stringify(options)}: ${message}`, () => {
    assert.is(callError(FILE, options).message, message);
  });
}

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
