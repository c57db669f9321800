import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createReadStream, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import {
  ErrorCode,
  ScapdriftError,
  fromErrorData,
  isScapdriftError,
  messageAt,
  toErrorData,
} from '../ts/errors.js';
import {
  EV_BLOCK_TYPE,
  EV_BLOCK_TYPE_V2,
  MI_BLOCK_TYPE,
  PL_BLOCK_TYPE_V1,
  PL_BLOCK_TYPE_V1_INT,
  PL_BLOCK_TYPE_V5,
  PL_BLOCK_TYPE_V9,
  SHB_BLOCK_TYPE,
  blockTypeName,
  describeBlock,
  isEventBlock,
  isProcessListBlock,
  plVersion,
} from '../ts/scap/block_types.js';
import { MAX_BLOCK_BYTES, walkBlocks, type ScapBlock } from '../ts/scap/block_walker.js';
import { openByteSource } from '../ts/scap/byte_source.js';
import { ByteCursor } from '../ts/scap/byte_cursor.js';
import { parseMachineInfo } from '../ts/scap/machine_info.js';
import { forEachProcess, parseProcessList, type ProcessEntry } from '../ts/scap/process_list.js';
import { parseSectionHeader } from '../ts/scap/section_header.js';
import { ScapWriter } from '../ts/scap/writer.js';
import { Decoder } from '../ts/pipeline/decoder.js';

// `npm test` runs from the repo root; the shared captures sit next to it.
const CAPTURES = resolve(process.cwd(), '../shared/captures');
const capture = (name: string): string => join(CAPTURES, name);

/** Every block of a file, bodies copied (small captures only). */
async function readBlocks(path: string, chunkBytes?: number): Promise<ScapBlock[]> {
  const src = await openByteSource(path, chunkBytes === undefined ? undefined : { chunkBytes });
  const out: ScapBlock[] = [];
  for await (const b of walkBlocks(src)) out.push({ ...b, body: b.body.slice() });
  return out;
}

/** Feeds `bytes` to the walker in chunks of `size`. */
async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size);
}

/** Runs `fn`, expects a ScapdriftError with `code` (and `offset` when given); returns it. */
async function rejects(fn: () => Promise<unknown>, code: string, offset?: number): Promise<ScapdriftError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(isScapdriftError(e), `expected a ScapdriftError, got ${String(e)}`);
    const err = e as ScapdriftError;
    assert.is(err.code, code, err.message);
    if (offset !== undefined) assert.is(err.offset, offset, err.message);
    return err;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

/** Walks `source`, collecting blocks until it throws; returns both. */
async function walkUntilError(source: AsyncIterable<Uint8Array>): Promise<{ blocks: ScapBlock[]; error: unknown }> {
  const blocks: ScapBlock[] = [];
  try {
    for await (const b of walkBlocks(source)) blocks.push(b);
  } catch (error) {
    return { blocks, error };
  }
  return { blocks, error: undefined };
}

function countTypes(blocks: ScapBlock[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const b of blocks) {
    const n = blockTypeName(b.type);
    counts[n] = (counts[n] ?? 0) + 1;
  }
  return counts;
}

let tmp: string | undefined;
async function tmpFile(name: string, bytes: Uint8Array): Promise<string> {
  tmp ??= await fsp.mkdtemp(join(tmpdir(), 'scapdrift-blocks-'));
  const path = join(tmp, name);
  await fsp.writeFile(path, bytes);
  return path;
}
test.after(async () => {
  if (tmp !== undefined) await fsp.rm(tmp, { recursive: true, force: true });
});

/** A block with the given body, header and trailer filled in. */
function block(type: number, body: Uint8Array, trailer?: number): Uint8Array {
  const out = new Uint8Array(body.byteLength + 12);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, out.byteLength, true);
  out.set(body, 8);
  dv.setUint32(out.byteLength - 4, trailer ?? out.byteLength, true);
  return out;
}

function sectionHeaderBody(major = 1, minor = 2, magic = 0x1a2b3c4d): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, magic, true);
  dv.setUint16(4, major, true);
  dv.setUint16(6, minor, true);
  dv.setBigInt64(8, -1n, true);
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Little-endian byte writer for synthetic process-list entries. */
class Writer {
  private bytes: number[] = [];
  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  u64(v: bigint): this {
    return this.u32(Number(BigInt.asUintN(64, v) & 0xffffffffn)).u32(Number(BigInt.asUintN(64, v) >> 32n));
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    this.u16(b.byteLength);
    for (const x of b) this.u8(x);
    return this;
  }
  get length(): number {
    return this.bytes.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** A v9 entry: base fields up to root, then `tail` (the appended fields), length-prefixed. */
function v9Entry(tid: bigint, tail: (w: Writer) => void): Uint8Array {
  const w = new Writer();
  w.u64(tid).u64(tid).u64(1n).u64(7n).u64(8n); // tid pid ptid sid vpgid
  w.str('comm').str('exe').str('/usr/bin/exe').str('a\0b\0').str('/cwd');
  w.u64(1024n).u32(0x1234).u32(1000).u32(1001); // fdlimit flags uid gid
  w.u32(1).u32(2).u32(3).u64(4n).u64(5n); // vmsize vmrss vmswap pfmajor pfminor
  w.str('A=1\0B=2\0').u64(tid + 100n).u64(tid + 100n).str('cpu=/x\0memory=/y\0').str('/');
  tail(w);
  const body = w.done();
  const len = new Writer().u32(body.byteLength + 4).done();
  return concat(len, body);
}

// ---------------------------------------------------------------------------------------------
// Block types and errors

test('block type names and classes', () => {
  assert.is(blockTypeName(EV_BLOCK_TYPE_V2), 'EV_BLOCK_TYPE_V2');
  assert.is(blockTypeName(0x1234), 'unknown 0x1234');
  assert.is(blockTypeName(SHB_BLOCK_TYPE), 'SHB_BLOCK_TYPE');
  assert.is(blockTypeName(0x8002abcd | 0), 'MI_BLOCK_TYPE_INT'); // as an Int32
  assert.is(describeBlock(0x216), 'block 0x216 (EV_BLOCK_TYPE_V2)');
  assert.ok(isEventBlock(EV_BLOCK_TYPE));
  assert.ok(isEventBlock(0x222));
  assert.not.ok(isEventBlock(MI_BLOCK_TYPE));
  assert.ok(isProcessListBlock(PL_BLOCK_TYPE_V1_INT));
  assert.not.ok(isProcessListBlock(0x218));
  assert.is(plVersion(PL_BLOCK_TYPE_V9), 9);
  assert.is(plVersion(0x8014abcd), 3);
  assert.is(plVersion(EV_BLOCK_TYPE), undefined);
});

test('errors keep code and offset across a structured clone', () => {
  const e = new ScapdriftError(ErrorCode.TRUNCATED, messageAt('truncated capture', 1234, 'x'), { offset: 1234 });
  assert.is(e.message, 'truncated capture at byte 1234: x');
  assert.is(e.name, 'ScapdriftError');
  assert.ok(e instanceof Error);
  const clone = structuredClone(toErrorData(e));
  assert.ok(isScapdriftError(clone));
  assert.is(clone.offset, 1234);
  assert.is(fromErrorData(clone).code, 'E_TRUNCATED');
  assert.not.ok(isScapdriftError(new Error('x')));
  assert.not.ok(isScapdriftError({ name: 'ScapdriftError', code: 'ENOENT' }));
  assert.not.ok(isScapdriftError(null));
});

test('cursor names the absolute offset on overrun', () => {
  const c = new ByteCursor(new Uint8Array([1, 0, 0]), { baseOffset: 100, what: 'block 0x215 (PL_BLOCK_TYPE_V9)' });
  assert.is(c.u16('a'), 1);
  try {
    c.u32('uid');
    assert.unreachable();
  } catch (e) {
    assert.ok(isScapdriftError(e));
    assert.is(e.code, 'E_BAD_BLOCK');
    assert.is(e.offset, 102);
    assert.is(e.message, 'bad block 0x215 (PL_BLOCK_TYPE_V9) at byte 102: expected 4 bytes for uid but only 1 remain');
  }
});

// ---------------------------------------------------------------------------------------------
// Real captures

test('drop_exec.scap: blocks, section header, machine info, process list', async () => {
  const blocks = await readBlocks(capture('drop_exec.scap'));
  assert.equal(countTypes(blocks), {
    SHB_BLOCK_TYPE: 1,
    MI_BLOCK_TYPE: 1,
    IL_BLOCK_TYPE_V2: 1,
    UL_BLOCK_TYPE_V2: 1,
    PL_BLOCK_TYPE_V9: 1,
    FDL_BLOCK_TYPE_V2: 13,
    EV_BLOCK_TYPE_V2: 6471,
  });
  const last = blocks[blocks.length - 1]!;
  assert.is(last.offset + last.body.byteLength + 12, 649552); // the file size

  const shb = parseSectionHeader(blocks[0]!.body, 0);
  assert.is(shb.majorVersion, 1);
  assert.is(shb.minorVersion, 2);
  assert.is(shb.sectionLength, -1n);
  assert.equal(shb.options, []);

  const mi = blocks[1]!;
  assert.is(mi.offset, 28);
  assert.equal(parseMachineInfo(mi.body, mi.offset), {
    numCpus: 2,
    memorySizeBytes: 25276059648n,
    maxPid: 0n,
    hostname: 'vm',
    bootTsEpochNs: 1795977335000000000n,
    flags: 0n,
  });

  const pl = blocks.find((b) => isProcessListBlock(b.type))!;
  assert.is(pl.type, PL_BLOCK_TYPE_V9);
  assert.is(pl.offset, 2568);
  const procs = parseProcessList(pl.type, pl.body, pl.offset);
  assert.is(procs.length, 13);

  // reference/drop_exec.tsv: run_capture.sh, pid 14373, ppid 14369, exepath /usr/bin/bash.
  const rc = procs.find((p) => p.tid === 14373n)!;
  assert.is(rc.pid, 14373n);
  assert.is(rc.ptid, 14369n);
  assert.is(rc.comm, 'run_capture.sh');
  assert.is(rc.exe, '/bin/bash');
  assert.is(rc.exepath, '/usr/bin/bash');
  assert.is(rc.args[0], './scenarios/run_capture.sh');
  assert.is(rc.args[1], 'drop_exec');
  assert.is(rc.cwd, '/tmp/oracle/');
  assert.is(rc.vtid, 14373n);
  assert.is(rc.vpid, 14373n);
  assert.is(rc.sid, 3024n);
  assert.is(rc.vpgid, 14369n);
  assert.is(rc.pgid, 14369n);
  assert.is(rc.root, '/');
  assert.ok(rc.cgroups!.includes('cpuset=/'));
  assert.ok(rc.env!.includes('HOME=/root'));

  const bash = procs.find((p) => p.tid === 14369n)!;
  assert.is(bash.comm, 'bash');
  assert.is(bash.ptid, 14368n);
  assert.equal(bash.args, ['/dev/fd/3']);

  // libsinsp's dumper leaves the exe/pidns fields zeroed (thread_to_scap does not copy them):
  // present in the entry, and 0 — the "missing" of libs.
  assert.is(rc.exeIno, 0n);
  assert.is(rc.exeInoCtimeEpochNs, 0n);
  assert.is(rc.exeInoMtimeEpochNs, 0n);
  assert.is(rc.pidnsInitStartTsEpochNs, 0n);
  assert.is(rc.exeWritable, false);
  assert.is(rc.exeFromMemfd, false);
  assert.is(rc.loginuid, 4294967295);

  // A thread (tid ≠ pid) of the memfd-run backend.
  const thread = procs.find((p) => p.tid === 14365n)!;
  assert.is(thread.pid, 3023n);
  assert.is(thread.exepath, '/memfd:sealed-91173221a7ea');
});

test('drop_exec.scap: tiny chunks give the same blocks', async () => {
  const whole = await readBlocks(capture('drop_exec.scap'));
  const small = await readBlocks(capture('drop_exec.scap'), 64);
  assert.is(small.length, whole.length);
  const bytes = await fsp.readFile(capture('drop_exec.scap'));
  const firstFew = whole.slice(0, 400);
  const cut = firstFew[firstFew.length - 1]!.offset + firstFew[firstFew.length - 1]!.body.byteLength + 12;
  const odd: ScapBlock[] = [];
  for await (const b of walkBlocks(chunked(bytes.subarray(0, cut), 7))) odd.push(b);
  assert.is(odd.length, 400);
  for (const list of [small, odd]) {
    for (let i = 0; i < list.length; i++) {
      assert.is(list[i]!.offset, whole[i]!.offset);
      assert.is(list[i]!.type, whole[i]!.type);
      assert.equal(list[i]!.body, whole[i]!.body);
    }
  }
});

test('memfd_exec.scap: PL v9, 11 entries', async () => {
  const blocks = await readBlocks(capture('memfd_exec.scap'));
  const pl = blocks.find((b) => isProcessListBlock(b.type))!;
  assert.is(pl.type, PL_BLOCK_TYPE_V9);
  assert.is(parseProcessList(pl.type, pl.body, pl.offset).length, 11);
  assert.is(countTypes(blocks)['EV_BLOCK_TYPE_V2'], 5126);
});

test('curl_google.scap: gzip found by magic; old capture with PL v5 and EV v1', async () => {
  const src = await openByteSource(capture('curl_google.scap'));
  assert.ok(src.compressed);
  assert.is(src.totalBytes, 22296);
  const blocks: ScapBlock[] = [];
  for await (const b of walkBlocks(src)) blocks.push(b);
  assert.is(src.bytesConsumed(), 22296);
  assert.equal(countTypes(blocks), {
    SHB_BLOCK_TYPE: 1,
    MI_BLOCK_TYPE: 1,
    IL_BLOCK_TYPE: 1,
    UL_BLOCK_TYPE: 1,
    PL_BLOCK_TYPE_V5: 1,
    FDL_BLOCK_TYPE: 54,
    EV_BLOCK_TYPE: 1536,
  });
  const shb = parseSectionHeader(blocks[0]!.body, 0);
  assert.is(`${shb.majorVersion}.${shb.minorVersion}`, '1.0');
  const mi = parseMachineInfo(blocks[1]!.body, blocks[1]!.offset);
  assert.is(mi.hostname, 'ip-10-0-0-79');
  assert.is(mi.numCpus, 1);
  assert.is(mi.memorySizeBytes, 1038864384n);
  assert.is(mi.bootTsEpochNs, undefined); // reserved (0) before boot_ts_epoch existed

  const pl = blocks.find((b) => isProcessListBlock(b.type))!;
  assert.is(pl.type, PL_BLOCK_TYPE_V5);
  const procs = parseProcessList(pl.type, pl.body, pl.offset);
  assert.is(procs.length, 54);
  const init = procs[0]!;
  assert.is(init.tid, 1n);
  assert.is(init.comm, 'systemd');
  assert.is(init.exe, '/sbin/init');
  assert.equal(init.args, []);
  assert.is(init.root, '/');
  assert.ok(init.cgroups!.includes('memory=/init.scope'));
  // Fields a v5 entry does not hold stay undefined, not 0.
  for (const k of ['sid', 'vpgid', 'exepath', 'pgid', 'loginuid', 'exeIno', 'pidnsInitStartTsEpochNs'] as const) {
    assert.is(init[k as keyof ProcessEntry], undefined, k);
    assert.not.ok(k in init, k);
  }
});

test('curl_google_comments.scap: section header options', async () => {
  const src = await openByteSource(capture('curl_google_comments.scap'));
  for await (const b of walkBlocks(src)) {
    const shb = parseSectionHeader(b.body, b.offset);
    assert.equal(shb.options[0], { code: 1, name: 'comment', text: 'File-level comment' });
    assert.is(shb.options[1]!.name, 'userappl');
    assert.ok(shb.options[1]!.text.startsWith('Editcap'));
    break;
  }
});

test('single_ipv6_conn.scap: PL v9 whose entries end at root', async () => {
  const blocks = await readBlocks(capture('single_ipv6_conn.scap'));
  const pl = blocks.find((b) => isProcessListBlock(b.type))!;
  assert.is(pl.type, PL_BLOCK_TYPE_V9);
  const procs = parseProcessList(pl.type, pl.body, pl.offset);
  assert.is(procs.length, 154);
  assert.is(procs[0]!.exepath, '/lib/systemd/systemd');
  assert.is(procs[0]!.sid, 1n);
  assert.is(procs[0]!.loginuid, undefined);
  assert.is(procs[0]!.exeIno, undefined);
});

test('stream input: gzip peeked from a pipe', async () => {
  const src = await openByteSource(createReadStream(capture('test_ipv6_client.scap')));
  assert.ok(src.compressed);
  assert.is(src.totalBytes, undefined);
  const blocks: ScapBlock[] = [];
  for await (const b of walkBlocks(src)) blocks.push(b);
  assert.is(countTypes(blocks)['EV_BLOCK_TYPE'], 326);
  assert.is(countTypes(blocks)['PL_BLOCK_TYPE_V5'], 1);
});

test('stream input: a read error surfaces as E_IO after the bytes before it', async () => {
  const bytes = await fsp.readFile(capture('drop_exec.scap'));
  for (const data of [bytes.subarray(0, 5000), gzipSync(bytes.subarray(0, 5000))]) {
    const failing = Readable.from(
      (async function* () {
        yield data;
        throw new Error('pipe broke');
      })(),
      { objectMode: false },
    );
    const src = await openByteSource(failing);
    let got = 0;
    const err = await rejects(async () => {
      for await (const chunk of src) got += chunk.byteLength;
    }, 'E_IO');
    assert.is(err.message, 'cannot read input stream: pipe broke');
    assert.ok(got > 0);
  }
});

test('busy.scap.gz: opens, first blocks, early stop closes the source', async () => {
  const src = await openByteSource(capture('busy.scap.gz'));
  assert.ok(src.compressed);
  const types: number[] = [];
  for await (const b of walkBlocks(src)) {
    types.push(b.type);
    if (b.type === PL_BLOCK_TYPE_V9) {
      assert.is(parseProcessList(b.type, b.body, b.offset).length, 12);
    }
    if (types.length === 6) break;
  }
  assert.equal(types.map(blockTypeName), [
    'SHB_BLOCK_TYPE',
    'MI_BLOCK_TYPE',
    'IL_BLOCK_TYPE_V2',
    'UL_BLOCK_TYPE_V2',
    'PL_BLOCK_TYPE_V9',
    'FDL_BLOCK_TYPE_V2',
  ]);
  assert.ok(src.bytesConsumed() < 20420256, 'stopped before reading the whole file');
  await src.close();
});

// ---------------------------------------------------------------------------------------------
// Damaged and foreign input

test('truncated capture: every complete block, then E_TRUNCATED at the cut block', async () => {
  const bytes = await fsp.readFile(capture('drop_exec.scap'));
  // The PL block starts at 2568 and runs 24112 bytes; cut 100 bytes into it.
  const path = await tmpFile('cut.scap', bytes.subarray(0, 2668));
  const { blocks, error } = await walkUntilError(await openByteSource(path));
  assert.is(blocks.length, 4);
  assert.ok(isScapdriftError(error));
  assert.is(error.code, 'E_TRUNCATED');
  assert.is(error.offset, 2568);
  assert.is(
    error.message,
    'truncated capture at byte 2568: expected 24012 more bytes of block 0x215 (PL_BLOCK_TYPE_V9); ' +
      'the input ends at byte 2668',
  );
  // Cut inside a block header.
  const cut2 = await tmpFile('cut2.scap', bytes.subarray(0, 2571));
  const r2 = await walkUntilError(await openByteSource(cut2));
  assert.is(r2.blocks.length, 4);
  assert.ok(isScapdriftError(r2.error));
  assert.is(r2.error.code, 'E_TRUNCATED');
  assert.is(r2.error.offset, 2568);
  assert.match(r2.error.message, 'expected 5 more bytes of a block header');
});

test('truncated and corrupt gzip: chunks before the fault are delivered', async () => {
  const gz = await fsp.readFile(capture('curl_google.scap'));
  const half = await tmpFile('half.scap', gz.subarray(0, 12000));
  const r1 = await walkUntilError(await openByteSource(half, { chunkBytes: 4096 }));
  assert.ok(r1.blocks.length > 5, `got ${r1.blocks.length} blocks`);
  assert.ok(isScapdriftError(r1.error));
  assert.is(r1.error.code, 'E_TRUNCATED');

  const bad = Uint8Array.from(gz);
  for (let i = 15000; i < 15400; i++) bad[i] = bad[i]! ^ 0x5a;
  const badPath = await tmpFile('bad.scap', bad);
  const src = await openByteSource(badPath, { chunkBytes: 4096 });
  let decoded = 0;
  const err = await rejects(async () => {
    for await (const chunk of src) decoded += chunk.byteLength;
  }, 'E_CORRUPT_GZIP');
  assert.ok(decoded > 0, 'decoded bytes before the fault');
  assert.match(err.message, /corrupt gzip stream in .*bad\.scap (at|near) compressed byte \d+/);
});

/** Every decompressed byte of `bytes` read through openByteSource (in chunks of `chunkBytes`), and the error. */
/** Every byte of `bytes` in a temporary file, read as a file (or as a stream of it: `asStream`). */
async function gunzipped(name: string, bytes: Uint8Array, chunkBytes = 4096, asStream = false): Promise<{ data: Buffer; error: unknown }> {
  const path = await tmpFile(name, bytes);
  const src = await openByteSource(asStream ? createReadStream(path) : path, { chunkBytes });
  assert.ok(src.compressed);
  const parts: Uint8Array[] = [];
  try {
    for await (const chunk of src) parts.push(chunk);
  } catch (error) {
    return { data: Buffer.concat(parts), error };
  }
  return { data: Buffer.concat(parts), error: undefined };
}

test('gzip container faults: every byte of the member is delivered, then the fault at its compressed offset', async () => {
  const plain = await fsp.readFile(capture('drop_exec.scap'));
  const gz = gzipSync(plain);
  const n = gz.length;
  const flip = (at: number): Uint8Array => {
    const b = Uint8Array.from(gz);
    b[at] = b[at]! ^ 0x01;
    return b;
  };
  const cases: [string, Uint8Array, number, string][] = [
    ['crc.scap', flip(n - 8), n - 8, 'incorrect data check'],
    ['isize.scap', flip(n - 1), n - 4, 'incorrect length check'],
    ['garbage.scap', concat(gz, new TextEncoder().encode('garbage!')), n, 'trailing garbage after the member at compressed byte 0'],
    ['zeros-then-garbage.scap', concat(gz, new Uint8Array(5), Uint8Array.of(7)), n + 5, 'trailing garbage after the zero padding'],
    ['bad-second-member.scap', concat(gz, Uint8Array.of(0x1f, 0x8c, 8, 0, 0, 0, 0, 0, 0, 3)), n, 'trailing garbage: bytes 0x1f 0x8c are not a gzip member'],
  ];
  for (const [name, bytes, at, why] of cases) {
    const { data, error } = await gunzipped(name, bytes);
    assert.ok(data.equals(plain), `${name}: all ${plain.length} bytes delivered, got ${data.length}`);
    assert.ok(isScapdriftError(error), `${name}: ${String(error)}`);
    assert.is(error.code, 'E_CORRUPT_GZIP');
    assert.match(error.message, `at compressed byte ${at} (after ${plain.length} decompressed bytes): ${why}`);
    assert.is(error.offset, plain.length);
  }
  // Truncated in the trailer or a header: every byte, then E_TRUNCATED saying where.
  for (const [name, bytes, where] of [
    ['cut-trailer.scap', gz.subarray(0, n - 3), 'trailer of the member at compressed byte 0'],
    ['cut-header.scap', concat(gz, gz.subarray(0, 5)), `header of the member at compressed byte ${n}`],
  ] as const) {
    const { data, error } = await gunzipped(name, bytes, 64);
    assert.ok(data.equals(plain), name);
    assert.ok(isScapdriftError(error), `${name}: ${String(error)}`);
    assert.is(error.code, 'E_TRUNCATED');
    assert.match(error.message, `at compressed byte ${bytes.length} (after ${plain.length} decompressed bytes): the input ends in the ${where}`);
  }
});

test('gzip: corrupt deflate data: a file, every byte before the corrupt block; a stream, losing at most the output of the zlib call that failed', async () => {
  const plain = await fsp.readFile(capture('drop_exec.scap'));
  // Stored blocks (level 0), so the corrupt byte's place in the output is known: break the NLEN
  // of the block whose data starts at decompressed byte `good`.
  const gz = Uint8Array.from(gzipSync(plain, { level: 0 }));
  let at = 10;
  let good = 0;
  while (good < 120_000) {
    const len = gz[at + 1]! | (gz[at + 2]! << 8);
    good += len;
    at += 5 + len;
  }
  gz[at + 3] = gz[at + 3]! ^ 0xff;
  // A file: its member is inflated again up to the byte where zlib finds the fault, the second
  // byte of NLEN, and nothing before it is lost.
  const file = await gunzipped('stored.scap', gz);
  assert.ok(file.data.equals(plain.subarray(0, good)), `${file.data.length} of ${good} bytes`);
  assert.ok(isScapdriftError(file.error), String(file.error));
  assert.is(file.error.code, 'E_CORRUPT_GZIP');
  assert.match(file.error.message, `at compressed byte ${at + 4} (after ${good} decompressed bytes): invalid stored block lengths`);
  // A stream cannot be read again.
  const { data, error } = await gunzipped('stored.scap', gz, 4096, true);
  assert.ok(data.equals(plain.subarray(0, data.length)), 'a prefix of the data');
  assert.ok(data.length <= good && data.length > good - 64 * 1024, `${data.length} of ${good} bytes`);
  assert.ok(isScapdriftError(error), String(error));
  assert.is(error.code, 'E_CORRUPT_GZIP');
  const near = Number(/near compressed byte (\d+) /.exec(error.message)?.[1]);
  assert.ok(near <= at + 3, error.message);
  assert.match(error.message, `(after ${data.length} decompressed bytes): invalid stored block lengths`);
});

test('gzip: several members, zero padding, and every optional header field', async () => {
  const plain = await fsp.readFile(capture('drop_exec.scap'));
  const cut = 300_001;
  const members = concat(gzipSync(plain.subarray(0, cut)), gzipSync(plain.subarray(cut)), new Uint8Array(100));
  for (const chunkBytes of [64, 1000, 1 << 20]) {
    const { data, error } = await gunzipped('members.scap', members, chunkBytes);
    assert.is(error, undefined, String(error));
    assert.ok(data.equals(plain), `chunkBytes ${chunkBytes}`);
  }
  // FEXTRA (3 bytes), FNAME, FCOMMENT and FHCRC (skipped, not checked), then raw deflate and the trailer.
  const data = plain.subarray(0, 5000);
  const trailer = new Uint8Array(8);
  new DataView(trailer.buffer).setUint32(0, crc32(data), true);
  new DataView(trailer.buffer).setUint32(4, data.length, true);
  const header = concat(
    Uint8Array.of(0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3),
    Uint8Array.of(3, 0, 1, 2, 3),
    new TextEncoder().encode('name.scap\0comment\0'),
    Uint8Array.of(0xab, 0xcd),
  );
  const gz = concat(header, deflateRawSync(data), trailer);
  for (const chunkBytes of [64, 4096]) {
    const r = await gunzipped('fields.scap', gz, chunkBytes);
    assert.is(r.error, undefined, String(r.error));
    assert.ok(r.data.equals(data));
  }
  // An unknown method and reserved flags are named at their byte.
  const method = Uint8Array.from(gz);
  method[2] = 7;
  const e1 = (await gunzipped('method.scap', method)).error;
  assert.ok(isScapdriftError(e1) && e1.code === 'E_CORRUPT_GZIP');
  assert.match(e1.message, 'at compressed byte 2 (after 0 decompressed bytes): unknown compression method 7');
  const flags = Uint8Array.from(gz);
  flags[3] = flags[3]! | 0x80;
  assert.match(String((await gunzipped('flags.scap', flags)).error), 'at compressed byte 3 (after 0 decompressed bytes): unknown header flags set');
});

test('empty file: the source yields nothing, the walker says E_EMPTY', async () => {
  const path = await tmpFile('empty.scap', new Uint8Array(0));
  const src = await openByteSource(path);
  assert.is(src.compressed, false);
  assert.is(src.totalBytes, 0);
  let chunks = 0;
  for await (const _ of src) chunks++;
  assert.is(chunks, 0);
  const err = await rejects(async () => {
    for await (const _ of walkBlocks(await openByteSource(path))) void _;
  }, 'E_EMPTY', 0);
  assert.is(err.message, 'empty capture at byte 0: the input holds no bytes');
});

test('not a scap file: E_NOT_SCAP', async () => {
  const path = await tmpFile('notes.txt', new TextEncoder().encode('hello, this is text\n'));
  const err = await rejects(async () => {
    for await (const _ of walkBlocks(await openByteSource(path))) void _;
  }, 'E_NOT_SCAP', 0);
  assert.match(err.message, 'not a section header block (0xa0d0d0a)');
  // A gzip of text is unpacked, then rejected the same way.
  const gz = await tmpFile('notes.scap', gzipSync(Buffer.from('plain text')));
  await rejects(async () => {
    for await (const _ of walkBlocks(await openByteSource(gz))) void _;
  }, 'E_NOT_SCAP');
});

test('section header magic: big-endian and bad magic', async () => {
  const be = new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0x1c, 0x1a, 0x2b, 0x3c, 0x4d, 0, 1, 0, 2]);
  const err = await rejects(async () => {
    for await (const _ of walkBlocks(chunked(be, 3))) void _;
  }, 'E_BIG_ENDIAN', 8);
  assert.match(err.message, 'big-endian captures are not supported');
  const bad = block(SHB_BLOCK_TYPE, sectionHeaderBody(1, 2, 0x12345678));
  await rejects(async () => {
    for await (const _ of walkBlocks(chunked(bad, 64))) void _;
  }, 'E_BAD_MAGIC', 8);
  assert.throws(
    () => parseSectionHeader(sectionHeaderBody(1, 2, 0x4d3c2b1a), 0),
    (e: unknown) => isScapdriftError(e) && e.code === 'E_BIG_ENDIAN',
  );
});

test('section header version: libs reads major ≤ 1', () => {
  assert.is(parseSectionHeader(sectionHeaderBody(1, 0), 0).minorVersion, 0);
  assert.throws(
    () => parseSectionHeader(sectionHeaderBody(2, 0), 0),
    (e: unknown) => isScapdriftError(e) && e.code === 'E_UNSUPPORTED_VERSION' && e.offset === 12,
  );
  assert.throws(
    () => parseSectionHeader(new Uint8Array(8), 0),
    (e: unknown) => isScapdriftError(e) && e.code === 'E_BAD_BLOCK',
  );
});

test('block lengths: trailer mismatch and absurd lengths', async () => {
  const shb = block(SHB_BLOCK_TYPE, sectionHeaderBody());
  const mismatch = concat(shb, block(MI_BLOCK_TYPE, new Uint8Array(180), 999));
  const e1 = await rejects(async () => {
    for await (const _ of walkBlocks(chunked(mismatch, 1000))) void _;
  }, 'E_BAD_BLOCK_LENGTH', 28);
  assert.is(
    e1.message,
    'bad block length at byte 28: block 0x201 (MI_BLOCK_TYPE) says 192 bytes in its header but 999 in its trailer',
  );

  const huge = concat(shb, new Uint8Array([0x16, 0x02, 0, 0, 0xff, 0xff, 0xff, 0x7f]));
  const e2 = await rejects(async () => {
    for await (const _ of walkBlocks(chunked(huge, 1000))) void _;
  }, 'E_BAD_BLOCK_LENGTH', 28);
  assert.match(e2.message, `more than the ${MAX_BLOCK_BYTES}-byte limit`);

  const tiny = concat(shb, new Uint8Array([0x16, 0x02, 0, 0, 8, 0, 0, 0]));
  await rejects(async () => {
    for await (const _ of walkBlocks(chunked(tiny, 1000))) void _;
  }, 'E_BAD_BLOCK_LENGTH', 28);
});

test('missing file and bad options', async () => {
  const err = await rejects(() => openByteSource('/nonexistent/x.scap'), 'E_IO');
  assert.is(err.message, 'cannot open /nonexistent/x.scap: no such file');
  await rejects(() => openByteSource(CAPTURES), 'E_IO');
  await rejects(() => openByteSource(capture('drop_exec.scap'), { chunkBytes: 0 }), 'E_OPTION');
  const e2 = await rejects(
    () => openByteSource(capture('drop_exec.scap'), { chunk: 5 } as unknown as { chunkBytes: number }),
    'E_OPTION',
  );
  assert.match(e2.message, 'unknown option "chunk"');
});

// ---------------------------------------------------------------------------------------------
// Process list edge cases (synthetic entries)

test('PL v9: entry length running past the block, and too short for its fields', async () => {
  const blocks = await readBlocks(capture('drop_exec.scap'));
  const pl = blocks.find((b) => b.type === PL_BLOCK_TYPE_V9)!;
  const body = pl.body.slice();
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  dv.setUint32(0, body.byteLength + 1, true);
  assert.throws(
    () => parseProcessList(pl.type, body, pl.offset),
    (e: unknown) =>
      isScapdriftError(e) &&
      e.code === 'E_BAD_BLOCK' &&
      e.offset === pl.offset + 8 &&
      e.message.includes('entry length 24101 runs past the block'),
  );
  dv.setUint32(0, 40, true); // tid..vpgid take 44 bytes after the prefix
  try {
    parseProcessList(pl.type, body, pl.offset);
    assert.unreachable();
  } catch (e) {
    assert.ok(isScapdriftError(e));
    assert.is(e.code, 'E_BAD_BLOCK');
    assert.is(e.offset, pl.offset + 8 + 36);
    assert.is(
      e.message,
      `bad block 0x215 (PL_BLOCK_TYPE_V9) at byte ${pl.offset + 8 + 36}: expected 8 bytes for vpgid ` +
        `but only 4 remain in process entry 0 (40 bytes from byte ${pl.offset + 8})`,
    );
  }
});

test('PL v9: appended fields by entry length, pre-0.10 layout, unknown trailing fields', () => {
  const full = v9Entry(10n, (w) => {
    w.u64(5_000_000n).u32(34816).u32(1000).u8(1); // pidns tty loginuid exe_writable
    w.u64(1n).u64(2n).u64(3n).u8(1); // caps, exe_upper_layer
    w.u64(777n).u64(1_700_000_000_000_000_000n).u64(1_700_000_000_000_000_001n); // ino ctime mtime
    w.u8(1).u8(0).u64(42n); // memfd lower pgid
    w.u32(0xdeadbeef); // a field from the future: skipped
  });
  // libs < 0.10: loginuid, exe_writable and the three capabilities only (29 bytes).
  const pre = v9Entry(11n, (w) => {
    w.u32(1001).u8(0).u64(1n).u64(2n).u64(3n);
  });
  const none = v9Entry(12n, () => undefined);
  const padding = new Uint8Array(3);
  const [a, b, c] = parseProcessList(PL_BLOCK_TYPE_V9, concat(full, pre, none, padding), 0) as [
    ProcessEntry,
    ProcessEntry,
    ProcessEntry,
  ];
  assert.is(a.tid, 10n);
  assert.is(a.pidnsInitStartTsEpochNs, 5_000_000n);
  assert.is(a.tty, 34816);
  assert.is(a.loginuid, 1000);
  assert.is(a.exeWritable, true);
  assert.is(a.capEffective, 3n);
  assert.is(a.exeUpperLayer, true);
  assert.is(a.exeIno, 777n);
  assert.is(a.exeInoCtimeEpochNs, 1_700_000_000_000_000_000n);
  assert.is(a.exeInoMtimeEpochNs, 1_700_000_000_000_000_001n);
  assert.is(a.exeFromMemfd, true);
  assert.is(a.exeLowerLayer, false);
  assert.is(a.pgid, 42n);
  assert.equal(a.args, ['a', 'b']);
  assert.equal(a.env, ['A=1', 'B=2']);
  assert.equal(a.cgroups, ['cpu=/x', 'memory=/y']);
  assert.is(a.flags, 0x1234);

  assert.is(b.tid, 11n);
  assert.is(b.pidnsInitStartTsEpochNs, undefined);
  assert.is(b.tty, undefined);
  assert.is(b.loginuid, 1001);
  assert.is(b.capEffective, 3n);
  assert.is(b.exeIno, undefined);

  assert.is(c.tid, 12n);
  assert.is(c.loginuid, undefined);
  assert.is(c.root, '/');
});

test('PL v1: fixed layout without sub_len; string limits; wrong block type', () => {
  const w = new Writer();
  w.u64(5n).u64(5n).u64(1n).str('sh').str('/bin/sh').str('').str('/').u64(256n).u32(0).u32(0).u32(0);
  const entry = w.done();
  const procs = parseProcessList(PL_BLOCK_TYPE_V1, concat(entry, entry), 100);
  assert.is(procs.length, 2);
  assert.equal(procs[0], {
    tid: 5n,
    pid: 5n,
    ptid: 1n,
    comm: 'sh',
    exe: '/bin/sh',
    args: [],
    cwd: '/',
    fdlimit: 256n,
    flags: 0,
    uid: 0,
    gid: 0,
  });
  // The same bytes as v5 lack the v2+ fields: the entry overruns the block.
  assert.throws(
    () => parseProcessList(PL_BLOCK_TYPE_V5, entry, 100),
    (e: unknown) => isScapdriftError(e) && e.code === 'E_BAD_BLOCK' && e.message.includes('vmsize_kb'),
  );
  const long = new Writer().u64(5n).u64(5n).u64(1n).str('x'.repeat(1025)).done();
  assert.throws(
    () => parseProcessList(PL_BLOCK_TYPE_V1, long, 0),
    (e: unknown) =>
      isScapdriftError(e) && e.offset === 8 + 24 && e.message.includes('comm length 1025 exceeds the maximum of 1024'),
  );
  assert.throws(
    () => parseProcessList(EV_BLOCK_TYPE, entry, 0),
    (e: unknown) => isScapdriftError(e) && e.code === 'E_BAD_BLOCK',
  );
});

test('PL v1 block of 300,000 entries: streamed into the thread table, the rest counted as dropped', async () => {
  const ENTRIES = 300_000;
  const TABLE_CAP = 262_144; // assembly/thread_table.ts MAX_THREADS (libsinsp's default)
  const one = new Writer().u64(0n).u64(0n).u64(1n).str('').str('').str('').str('').u64(0n).u32(0).u32(0).u32(0).done();
  const body = new Uint8Array(one.byteLength * ENTRIES);
  const dv = new DataView(body.buffer);
  for (let i = 0; i < ENTRIES; i++) {
    const at = i * one.byteLength;
    body.set(one, at);
    dv.setBigInt64(at, BigInt(1000 + i), true); // tid
    dv.setBigInt64(at + 8, BigInt(1000 + i), true); // pid
  }
  const bytes = new ScapWriter().sectionHeader().rawBlock(PL_BLOCK_TYPE_V1, body).finish();
  const decoder = new Decoder();
  const wasmBefore = decoder.module.exports.memory.buffer.byteLength;
  const before = process.memoryUsage();
  const t0 = performance.now();
  const summary = await decoder.run((async function* () { yield bytes; })(), { onEvent() {} });
  const ms = performance.now() - t0;
  const after = process.memoryUsage();
  assert.is(summary.threads, TABLE_CAP);
  assert.is(summary.droppedThreads, ENTRIES - TABLE_CAP);
  // Measured, not asserted (GC timing): RSS growth is the Wasm memory (input buffer and the full
  // thread table), not JS objects — materialising these entries first took ~70 MiB of JS heap.
  const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
  const wasm = decoder.module.exports.memory.buffer.byteLength - wasmBefore;
  console.log(
    `  PL of ${ENTRIES} entries (${mib(body.byteLength)} MiB): ${Math.round(ms)} ms, RSS +${mib(after.rss - before.rss)} MiB ` +
      `(Wasm memory +${mib(wasm)} MiB), JS heap +${mib(after.heapUsed - before.heapUsed)} MiB`,
  );

  // Streaming: each entry is visited before the next is read, so a fault in the last entry comes
  // after every entry before it was handed over.
  let visited = 0;
  const cut = body.subarray(0, body.byteLength - 1);
  assert.throws(
    () => forEachProcess(PL_BLOCK_TYPE_V1, cut, 0, () => void visited++),
    (e: unknown) => isScapdriftError(e) && e.code === 'E_BAD_BLOCK' && e.message.includes(`process entry ${ENTRIES - 1} `),
  );
  assert.is(visited, ENTRIES - 1);
});

test('machine info: short body keeps what it has', () => {
  const body = new Uint8Array(148);
  const dv = new DataView(body.buffer);
  dv.setUint32(0, 4, true);
  body.set(new TextEncoder().encode('host'), 20);
  assert.equal(parseMachineInfo(body, 0), { numCpus: 4, memorySizeBytes: 0n, maxPid: 0n, hostname: 'host' });
  assert.throws(
    () => parseMachineInfo(new Uint8Array(100), 50),
    (e: unknown) => isScapdriftError(e) && e.code === 'E_BAD_BLOCK' && e.offset === 58,
  );
});

test.run();
