// The gunzip worker (ts/scap/gunzip_worker.ts): a gzip file of GZIP_WORKER_MIN_BYTES or more, read
// by readInto (the CLI's decoder and splitter, openCapture), is gunzipped in a worker thread while
// a core is free (the tests give openByteSource an idle 2-core machine, whatever the load). Its bytes and its
// errors must be exactly those of the main-thread gunzip (the async iterator, which stays on the
// main thread): same bytes in the same order, the same error (code, message, offset) thrown only
// after every byte before it. At corrupt deflate data both inflate the member again from the file
// and lose nothing zlib inflates before the byte where it finds the fault; a stream, which cannot
// be read again, loses the output of the zlib call that failed (at most 64 KiB).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createReadStream, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { isScapdriftError } from '../ts/errors.js';
import { GZIP_WORKER_MAX_LOAD_PER_CORE, GZIP_WORKER_MIN_BYTES, openByteSource, type ByteStream } from '../ts/scap/byte_source.js';
import type { Machine } from '../ts/parallel/worker_count.js';
import { GZIP_INPUT_PIECE_BYTES, GZIP_OUTPUT_CHUNK_BYTES, GZIP_WORKER_OUTPUT_CHUNK_BYTES, GzipMembers } from '../ts/scap/gzip_members.js';
import { capture } from './helpers/captures.js';

const dir = await fsp.mkdtemp(join(tmpdir(), 'scapdrift-gzworker-'));
test.after(() => fsp.rm(dir, { recursive: true, force: true }));

/** `bytes` written to a file `name` of the test's temporary folder; its path. */
async function fileOf(name: string, bytes: Uint8Array): Promise<string> {
  await fsp.writeFile(join(dir, name), bytes);
  return join(dir, name);
}

const concat = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);
/** A machine with a core free: the gunzip worker is used. */
const IDLE: Machine = { cores: 2, load: 0 };

/**
 * Bytes where no two 4 KiB blocks are alike (a block's number is in it, so a lost, doubled or
 * reordered chunk shows), half of each block random, half a run: their gzip is about half their
 * size, larger than GZIP_WORKER_MIN_BYTES.
 */
function plainData(): Uint8Array {
  const out = new Uint8Array(2 * GZIP_WORKER_MIN_BYTES + (8 << 20));
  const dv = new DataView(out.buffer);
  let x = 0x12345678;
  for (let block = 0; block < out.byteLength / 4096; block++) {
    const at = block * 4096;
    dv.setUint32(at, block, true);
    for (let i = 4; i < 2048; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      out[at + i] = x >>> 24;
    }
    out.fill(block & 0xff, at + 2048, at + 4096);
  }
  return out;
}

interface Read {
  data: Buffer;
  error: unknown;
  consumed: number;
}

/** Every byte through readInto (the worker for a large gzip file), in reads of an odd size. */
async function byReadInto(path: string, chunkBytes?: number): Promise<Read> {
  const src = await openByteSource(path, chunkBytes === undefined ? undefined : { chunkBytes }, IDLE);
  const parts: Buffer[] = [];
  const target = new Uint8Array(777_777);
  try {
    for (let n; (n = await src.readInto(target)) > 0; ) parts.push(Buffer.from(target.subarray(0, n)));
  } catch (error) {
    return { data: Buffer.concat(parts), error, consumed: src.bytesConsumed() };
  } finally {
    await src.close();
  }
  return { data: Buffer.concat(parts), error: undefined, consumed: src.bytesConsumed() };
}

/** Every byte through the async iterator (gunzipped on the main thread) of a file or a stream. */
async function byIterator(input: string | ByteStream, chunkBytes?: number): Promise<Read> {
  const src = await openByteSource(input, chunkBytes === undefined ? undefined : { chunkBytes });
  const parts: Uint8Array[] = [];
  try {
    for await (const chunk of src) parts.push(chunk);
  } catch (error) {
    return { data: Buffer.concat(parts), error, consumed: src.bytesConsumed() };
  }
  return { data: Buffer.concat(parts), error: undefined, consumed: src.bytesConsumed() };
}

/**
 * Every byte of `gz` through GzipMembers with the worker's 1 MiB zlib output chunks and no re-read
 * (as the worker was before it read a member again at a fault), in the worker's input pieces.
 */
async function byOneMiBChunks(gz: Uint8Array): Promise<Read> {
  const gunzip = new GzipMembers('1 MiB chunks', GZIP_WORKER_OUTPUT_CHUNK_BYTES);
  const parts: Uint8Array[] = [];
  try {
    for (let at = 0; at < gz.byteLength; at += GZIP_INPUT_PIECE_BYTES) {
      for await (const chunk of gunzip.write(gz.subarray(at, at + GZIP_INPUT_PIECE_BYTES))) parts.push(chunk);
    }
    for (const chunk of gunzip.finish()) parts.push(chunk);
  } catch (error) {
    return { data: Buffer.concat(parts), error, consumed: gz.byteLength };
  } finally {
    gunzip.destroy();
  }
  return { data: Buffer.concat(parts), error: undefined, consumed: gz.byteLength };
}

/** The worker's read of `bytes` equals the main thread's: bytes, error (code, message, offset), compressed bytes read. */
async function sameAsMainThread(name: string, bytes: Uint8Array, chunkBytes?: number): Promise<Read> {
  assert.ok(bytes.byteLength >= GZIP_WORKER_MIN_BYTES, `${name}: ${bytes.byteLength} bytes, large enough for the worker`);
  const path = await fileOf(name, bytes);
  const worker = await byReadInto(path, chunkBytes);
  const here = await byIterator(path, chunkBytes);
  assert.ok(worker.data.equals(here.data), `${name}: ${worker.data.length} bytes by the worker, ${here.data.length} on the main thread`);
  if (here.error === undefined) {
    assert.is(worker.error, undefined, `${name}: ${String(worker.error)}`);
  } else {
    assert.ok(isScapdriftError(worker.error), `${name}: ${String(worker.error)}`);
    assert.ok(isScapdriftError(here.error));
    assert.is(worker.error.code, here.error.code, name);
    assert.is(worker.error.message, here.error.message, name);
    assert.is(worker.error.offset, here.error.offset, name);
  }
  if (here.error === undefined) assert.is(worker.consumed, bytes.byteLength, name);
  return worker;
}

test('gzip worker: several members and zero padding, every byte in order', async () => {
  const plain = plainData();
  const cut = 12_500_001;
  const gz = concat(gzipSync(plain.subarray(0, cut), { level: 1 }), gzipSync(plain.subarray(cut), { level: 1 }), new Uint8Array(100));
  for (const chunkBytes of [undefined, 4096, 3 << 20]) {
    const r = await sameAsMainThread('members.scap.gz', gz, chunkBytes);
    assert.ok(r.data.equals(plain), `chunkBytes ${chunkBytes}`);
  }
});

test('gzip worker: truncated, container faults and corrupt deflate data: the same bytes, then the same error', async () => {
  const plain = plainData();
  const gz = gzipSync(plain, { level: 1 });
  const n = gz.length;
  const flip = (at: number, mask = 0x01): Uint8Array => {
    const b = Uint8Array.from(gz);
    b[at] = b[at]! ^ mask;
    return b;
  };
  // Each error comes after every byte before it: all of them for a fault after the data.
  const all: [string, Uint8Array, string][] = [
    ['crc.scap.gz', flip(n - 8), `at compressed byte ${n - 8} (after ${plain.length} decompressed bytes): incorrect data check`],
    ['garbage.scap.gz', concat(gz, new TextEncoder().encode('garbage!')), `at compressed byte ${n} (after ${plain.length} decompressed bytes): trailing garbage`],
    ['cut-trailer.scap.gz', gz.subarray(0, n - 3), `at compressed byte ${n - 3} (after ${plain.length} decompressed bytes): the input ends in the trailer`],
  ];
  for (const [name, bytes, message] of all) {
    const r = await sameAsMainThread(name, bytes);
    assert.ok(r.data.equals(plain), name);
    assert.ok(isScapdriftError(r.error), name);
    assert.match(r.error.message, message);
    assert.is(r.error.offset, plain.length);
  }
  // Cut in the deflate data: a prefix, then the error.
  const cut = await sameAsMainThread('cut-data.scap.gz', gz.subarray(0, n - (2 << 20)));
  assert.ok(cut.data.length > plain.length / 3, `${cut.data.length} bytes before the cut`);
  assert.ok(cut.data.equals(plain.subarray(0, cut.data.length)), 'a prefix');
  assert.ok(isScapdriftError(cut.error) && cut.error.code === 'E_TRUNCATED', String(cut.error));
  assert.match(cut.error.message, `(after ${cut.data.length} decompressed bytes): the input ends in the compressed data`);
  // Corrupt in the middle: what zlib inflated before the byte where it found the fault (the bytes
  // right before it may be wrong already), then the error, the same on both threads (each
  // inflates the member again); a stream loses the output of the zlib call that failed.
  const corrupt = flip(Math.floor(n * 0.6), 0xff);
  const bad = await sameAsMainThread('corrupt-data.scap.gz', corrupt);
  const badStream = await byIterator(createReadStream(join(dir, 'corrupt-data.scap.gz')));
  assert.ok(bad.data.length > plain.length / 3, `${bad.data.length} bytes before the fault`);
  assert.ok(badStream.data.equals(bad.data.subarray(0, badStream.data.length)), 'the stream\'s bytes: a prefix');
  assert.ok(badStream.data.length >= bad.data.length - GZIP_OUTPUT_CHUNK_BYTES, `${badStream.data.length} of ${bad.data.length} bytes`);
  assert.ok(isScapdriftError(bad.error) && bad.error.code === 'E_CORRUPT_GZIP', String(bad.error));
  assert.ok(isScapdriftError(badStream.error));
  const zlibWhy = badStream.error.message.split('decompressed bytes): ')[1]!;
  assert.match(bad.error.message, `(after ${bad.data.length} decompressed bytes): ${zlibWhy}`);
  assert.is(bad.error.offset, bad.data.length);
});

test('gzip worker: busy.scap.gz with a corrupt deflate block, or cut, at 85 %: every byte before the fault, as the main thread, more than without a re-read', async () => {
  const gz = Uint8Array.from(await fsp.readFile(capture('busy.scap.gz')));
  const plain = gunzipSync(gz);
  // Past GZIP_WORKER_MIN_BYTES, so that the file cut there is read by the worker too. Four bytes
  // of ones in the Huffman codes there: zlib reads an end of block, then block type 3, which
  // RFC 1951 reserves ("invalid block type"), a few bits further.
  const fault = Math.floor(gz.length * 0.85);
  assert.ok(fault >= GZIP_WORKER_MIN_BYTES, `${fault}`);
  const corrupt = Uint8Array.from(gz).fill(0xff, fault, fault + 4);
  const bad = await sameAsMainThread('busy-corrupt.scap.gz', corrupt);
  assert.ok(bad.data.length > plain.length / 2, `${bad.data.length} bytes`);
  assert.ok(isScapdriftError(bad.error) && bad.error.code === 'E_CORRUPT_GZIP', String(bad.error));
  const at = Number(/at compressed byte (\d+) /.exec(bad.error.message)?.[1]);
  assert.ok(at >= fault && at < fault + 4, bad.error.message);
  assert.match(bad.error.message, `(after ${bad.data.length} decompressed bytes): invalid block type`);
  // Cut at the first corrupt byte: zlib inflates the same bytes and no more (and the worker, the
  // main thread and a stream agree: nothing is lost at the end of the input).
  const cut = await sameAsMainThread('busy-cut.scap.gz', gz.subarray(0, fault));
  const cutStream = await byIterator(createReadStream(join(dir, 'busy-cut.scap.gz')));
  assert.ok(cutStream.data.equals(cut.data), `${cutStream.data.length} bytes of a stream, ${cut.data.length} of the file`);
  assert.ok(isScapdriftError(cut.error) && cut.error.code === 'E_TRUNCATED', String(cut.error));
  assert.ok(cut.data.equals(plain.subarray(0, cut.data.length)), 'the capture\'s own bytes');
  // The corrupt file: those, then what zlib made of the ones bytes before it found the fault.
  assert.ok(bad.data.subarray(0, cut.data.length).equals(cut.data), 'the cut file\'s bytes: a prefix');
  assert.ok(bad.data.length - cut.data.length < 1024, `${bad.data.length - cut.data.length} bytes inflated from the ones before the fault`);
  // Without a re-read: a stream loses the output of the call that failed (up to 64 KiB), the
  // worker's 1 MiB zlib output chunks lose more.
  const stream = await byIterator(createReadStream(join(dir, 'busy-corrupt.scap.gz')));
  const oneMiB = await byOneMiBChunks(corrupt);
  for (const [name, lesser] of [['a stream', stream], ['1 MiB chunks', oneMiB]] as const) {
    assert.ok(bad.data.subarray(0, lesser.data.length).equals(lesser.data), `${name}: a prefix`);
    assert.ok(lesser.data.length < bad.data.length, `${name}: ${lesser.data.length} bytes, ${bad.data.length} with the re-read`);
    assert.ok(isScapdriftError(lesser.error) && lesser.error.code === 'E_CORRUPT_GZIP', String(lesser.error));
  }
  assert.ok(oneMiB.data.length < stream.data.length, `1 MiB chunks: ${oneMiB.data.length} bytes, a stream ${stream.data.length}`);
});

test('gzip worker: a stream that expands 1032× is read with bounded memory, and close stops it', async () => {
  // 16 members of 64 MiB of zeros each (1 GiB), ~1 MiB compressed.
  const zeros = new Uint8Array(64 << 20);
  const trailer = new Uint8Array(8);
  new DataView(trailer.buffer).setUint32(0, crc32(zeros), true);
  new DataView(trailer.buffer).setUint32(4, zeros.length, true);
  const member = concat(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3), deflateRawSync(zeros), trailer);
  const members = Math.ceil(GZIP_WORKER_MIN_BYTES / member.length);
  const path = await fileOf('bomb.scap.gz', concat(...new Array<Uint8Array>(members).fill(member)));
  const src = await openByteSource(path, undefined, IDLE);
  const target = new Uint8Array(1 << 20);
  assert.ok((await src.readInto(target)) > 0);
  const before = process.memoryUsage().rss;
  // The reader stalls: the worker stops a few MiB ahead instead of inflating the rest.
  await new Promise((r) => setTimeout(r, 500));
  const grown = process.memoryUsage().rss - before;
  assert.ok(grown < 256 << 20, `RSS grew by ${(grown / 2 ** 20).toFixed(0)} MiB while the reader waited`);
  let total = 0;
  for (let i = 0; i < 100; i++) total += await src.readInto(target);
  assert.is(total, 100 << 20);
  await src.close();
  assert.is(await src.readInto(target), 0);
});

test('gzip worker: used while a core is free, not once the load reaches GZIP_WORKER_MAX_LOAD_PER_CORE per core', async () => {
  const path = await fileOf('busy.scap.gz', await fsp.readFile(capture('busy.scap.gz')));
  /** The first read of up to 1 MiB: the worker posts 1 MiB chunks, the main thread's zlib 64 KiB ones. */
  const firstRead = async (machine: Machine): Promise<number> => {
    const src = await openByteSource(path, undefined, machine);
    try {
      return await src.readInto(new Uint8Array(1 << 20));
    } finally {
      await src.close();
    }
  };
  assert.is(await firstRead(IDLE), 1 << 20);
  assert.is(await firstRead({ cores: 2, load: 2 * GZIP_WORKER_MAX_LOAD_PER_CORE - 0.01 }), 1 << 20);
  assert.is(await firstRead({ cores: 2, load: 2 * GZIP_WORKER_MAX_LOAD_PER_CORE }), GZIP_OUTPUT_CHUNK_BYTES);
  assert.is(await firstRead({ cores: 1, load: 0 }), GZIP_OUTPUT_CHUNK_BYTES);
});

test.run();
