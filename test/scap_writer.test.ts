/**
 * The scap writer (ts/scap/writer.ts): what it writes parses back with the project's readers and
 * the Wasm decoder, and blocks re-written from a real libs capture's parsed values are
 * byte-identical to what libs' dumper wrote.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  ScapWriter, blockLength, frameByName, str, strArray, u8, u16, u32, u64, i32, i64, i8, i16,
  type EventFrame,
} from '../ts/scap/writer.js';
import { parseSectionHeader } from '../ts/scap/section_header.js';
import { parseMachineInfo } from '../ts/scap/machine_info.js';
import { parseProcessList, type ProcessEntry } from '../ts/scap/process_list.js';
import {
  EVF_BLOCK_TYPE_V2, EV_BLOCK_TYPE_V2, EV_BLOCK_TYPE_V2_LARGE, MI_BLOCK_TYPE, PL_BLOCK_TYPE_V9,
  SHB_BLOCK_TYPE, isEventBlock, isProcessListBlock,
} from '../ts/scap/block_types.js';
import { walkBlocks, type ScapBlock } from '../ts/scap/block_walker.js';
import { Decoder } from '../ts/pipeline/decoder.js';
import { resolveField, extractField } from '../ts/fields/fields.js';
import { PPME, PPM_CL } from '../ts/events/ppm_constants.js';
import { isLargePayload } from '../ts/events/event_table.js';
import { capture } from './helpers/captures.js';

const BOOT = 1_700_000_000_000_000_000n;

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Every block of a byte array (bodies are views). */
async function blocksOf(bytes: Uint8Array): Promise<ScapBlock[]> {
  const out: ScapBlock[] = [];
  for await (const b of walkBlocks(once(bytes))) out.push(b);
  return out;
}

/** The whole block (header to trailer) at `offset` of `bytes`. */
function wholeBlock(bytes: Uint8Array, offset: number): Uint8Array {
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset + 4, true);
  return bytes.subarray(offset, offset + len);
}

/** An EV v2 block body read back by hand (independently of the writer): cpu and frame. */
function readEventBody(type: number, body: Uint8Array): { cpu: number; frame: EventFrame } {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const f = 2;
  const evType = dv.getUint16(f + 20, true);
  const n = dv.getUint32(f + 22, true);
  const lenBytes = type === EV_BLOCK_TYPE_V2_LARGE ? 4 : 2;
  const params: Uint8Array[] = [];
  let p = f + 26 + n * lenBytes;
  for (let i = 0; i < n; i++) {
    const len = lenBytes === 4 ? dv.getUint32(f + 26 + i * 4, true) : dv.getUint16(f + 26 + i * 2, true);
    params.push(body.slice(p, p + len));
    p += len;
  }
  return {
    cpu: dv.getUint16(0, true),
    frame: { ts: dv.getBigUint64(f, true), tid: dv.getBigInt64(f + 8, true), type: evType, params },
  };
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

// ---------------------------------------------------------------------------------------------
// Byte-identical re-writes of a libs capture

const DROP_EXEC = new Uint8Array(readFileSync(capture('drop_exec.scap')));

test('drop_exec.scap: SHB and MI re-written from their parsed values are byte-identical', async () => {
  const blocks = await blocksOf(DROP_EXEC);
  assert.is(blocks[0]!.type, SHB_BLOCK_TYPE);
  assert.is(blocks[1]!.type, MI_BLOCK_TYPE);
  const shb = parseSectionHeader(blocks[0]!.body, 0);
  const mi = parseMachineInfo(blocks[1]!.body, blocks[1]!.offset);
  const out = new ScapWriter().sectionHeader(shb).machineInfo(mi).finish();
  const original = DROP_EXEC.subarray(0, blocks[2]!.offset);
  assert.is(out.length, original.length);
  assert.is(hex(out), hex(original));
  // The defaults are what libs writes.
  assert.is(hex(new ScapWriter().sectionHeader().finish()), hex(wholeBlock(DROP_EXEC, 0)));
});

test('drop_exec.scap: the PL v9 block re-written from its parsed entries is byte-identical', async () => {
  const pl = (await blocksOf(DROP_EXEC)).find((b) => isProcessListBlock(b.type))!;
  assert.is(pl.type, PL_BLOCK_TYPE_V9);
  const entries = parseProcessList(pl.type, pl.body, pl.offset);
  assert.ok(entries.length > 10);
  const out = new ScapWriter().processList(entries).finish();
  assert.is(hex(out), hex(wholeBlock(DROP_EXEC, pl.offset)));
});

test('drop_exec.scap: an execve exit block, and every other event block, re-written byte for byte', async () => {
  const events = (await blocksOf(DROP_EXEC)).filter((b) => isEventBlock(b.type));
  // One known block first: the first execve exit (PPME_SYSCALL_EXECVE_19_X, 31 params).
  const execve = events.find((b) => readEventBody(b.type, b.body).frame.type === PPME.PPME_SYSCALL_EXECVE_19_X)!;
  const { cpu, frame } = readEventBody(execve.type, execve.body);
  assert.is(frame.params.length, 31);
  const one = new ScapWriter().event(cpu, frame).finish();
  assert.is(hex(one), hex(wholeBlock(DROP_EXEC, execve.offset)));

  let padded = 0;
  const w = new ScapWriter();
  for (const b of events) {
    const e = readEventBody(b.type, b.body);
    const frameLen = new DataView(b.body.buffer, b.body.byteOffset).getUint32(2 + 16, true);
    if ((2 + frameLen) % 4 !== 0) padded++;
    w.event(e.cpu, e.frame);
  }
  const out = w.finish();
  const first = events[0]!.offset;
  const last = events[events.length - 1]!;
  const original = DROP_EXEC.subarray(first, last.offset + wholeBlock(DROP_EXEC, last.offset).length);
  // Event blocks are contiguous at the end of this capture.
  assert.is(out.length, original.length);
  assert.ok(Buffer.from(out).equals(Buffer.from(original)), 'every event block identical');
  assert.ok(padded > 100, `blocks that needed padding: ${padded}`);
});

// ---------------------------------------------------------------------------------------------
// Round trips through the project's parsers

const FULL_ENTRY: ProcessEntry = {
  tid: 4242n, pid: 4242n, ptid: 1n, sid: 4242n, vpgid: 4242n, pgid: 4242n,
  comm: 'bash', exe: '-bash', exepath: '/usr/bin/bash', args: ['-c', 'echo hi', ''], cwd: '/home/u',
  fdlimit: 1024n, flags: PPM_CL.PPM_CL_CLONE_FILES, uid: 1000, gid: 1001,
  vmsizeKb: 1, vmrssKb: 2, vmswapKb: 3, pfmajor: 4n, pfminor: 5n,
  env: ['A=1', 'B=2'], vtid: 7n, vpid: 7n, cgroups: ['cpuset=/docker/abc', 'memory=/'], root: '/',
  pidnsInitStartTsEpochNs: 123_456_789n, tty: 34816, loginuid: 1000, exeWritable: true,
  capInheritable: 1n, capPermitted: 2n, capEffective: 3n, exeUpperLayer: true, exeIno: 99n,
  exeInoCtimeEpochNs: BOOT + 5n, exeInoMtimeEpochNs: BOOT + 6n, exeFromMemfd: false, exeLowerLayer: true,
};

test('SHB, MI and PL parse back with the project parsers', async () => {
  const bytes = new ScapWriter()
    .sectionHeader()
    .machineInfo({ numCpus: 8, memorySizeBytes: 1n << 34n, maxPid: 4194304n, hostname: 'höst', bootTsEpochNs: BOOT, flags: 1n })
    .processList([FULL_ENTRY, { tid: 5n, pid: 5n, ptid: 1n, comm: 'c', exe: 'e', args: [], cwd: '/', fdlimit: 0n, flags: 0, uid: 0, gid: 0 }])
    .finish();
  const blocks = await blocksOf(bytes);
  assert.equal(blocks.map((b) => b.type), [SHB_BLOCK_TYPE, MI_BLOCK_TYPE, PL_BLOCK_TYPE_V9]);
  for (const b of blocks) assert.is((b.body.length + 12) % 4, 0);
  assert.equal(parseSectionHeader(blocks[0]!.body, 0), {
    byteOrderMagic: 0x1a2b3c4d, majorVersion: 1, minorVersion: 2, sectionLength: -1n, options: [],
  });
  assert.equal(parseMachineInfo(blocks[1]!.body, blocks[1]!.offset), {
    numCpus: 8, memorySizeBytes: 1n << 34n, maxPid: 4194304n, hostname: 'höst', bootTsEpochNs: BOOT, flags: 1n,
  });
  const [full, minimal] = parseProcessList(PL_BLOCK_TYPE_V9, blocks[2]!.body, blocks[2]!.offset);
  assert.equal(full, FULL_ENTRY); // an empty last argument survives: every item has its NUL
  assert.equal(minimal, {
    tid: 5n, pid: 5n, ptid: 1n, sid: 0n, vpgid: 0n, pgid: 0n, comm: 'c', exe: 'e', exepath: '', args: [], cwd: '/',
    fdlimit: 0n, flags: 0, uid: 0, gid: 0, vmsizeKb: 0, vmrssKb: 0, vmswapKb: 0, pfmajor: 0n, pfminor: 0n,
    env: [], vtid: 5n, vpid: 5n, cgroups: [], root: '', pidnsInitStartTsEpochNs: 0n, tty: 0, loginuid: 0xffffffff,
    exeWritable: false, capInheritable: 0n, capPermitted: 0n, capEffective: 0n, exeUpperLayer: false, exeIno: 0n,
    exeInoCtimeEpochNs: 0n, exeInoMtimeEpochNs: 0n, exeFromMemfd: false, exeLowerLayer: false,
  });
});

test('events decode with the Decoder: header, parameters, padding and the thread table', async () => {
  const w = new ScapWriter().sectionHeader().machineInfo({ numCpus: 2, memorySizeBytes: 0n, hostname: 'h', bootTsEpochNs: BOOT });
  w.processList([FULL_ENTRY]);
  const ts = BOOT + 10_000_000_000n;
  const openat = frameByName(PPME.PPME_SYSCALL_OPENAT_2_X, ts, 4242n, {
    fd: 3, dirfd: -100, name: '/etc/passwd', flags: 1, mode: 0o644, dev: 0x803, ino: 1234n,
  });
  const at = w.offset;
  w.event(1, openat);
  const blockLen = w.offset - at;
  w.event(0, frameByName(PPME.PPME_GENERIC_X, ts + 1n, 4242n, { ID: 5, nativeID: 300 }));
  const bytes = w.finish();
  assert.is(blockLen % 4, 0);
  assert.is(new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true), EV_BLOCK_TYPE_V2);

  const names = ['evt.num', 'evt.type', 'evt.cpu', 'evt.rawtime', 'thread.tid', 'evt.rawarg.fd', 'evt.rawarg.dirfd',
    'evt.rawarg.name', 'evt.rawarg.ino', 'evt.rawarg.mode', 'proc.name', 'proc.exepath', 'proc.exe_ino', 'container.id'];
  const refs = names.map((n) => resolveField(n)!);
  const rows: Record<string, unknown>[] = [];
  const summary = await new Decoder().run(once(bytes), {
    onEvent(v) { rows.push(Object.fromEntries(refs.map((r) => [r.text, extractField(v, r)]))); },
  });
  assert.is(summary.events, 2);
  assert.equal(rows[0], {
    'evt.num': 1, 'evt.type': 'openat', 'evt.cpu': 1, 'evt.rawtime': ts, 'thread.tid': 4242n, 'evt.rawarg.fd': 3n,
    'evt.rawarg.dirfd': -100n, 'evt.rawarg.name': '/etc/passwd', 'evt.rawarg.ino': 1234n, 'evt.rawarg.mode': 0o644,
    'proc.name': 'bash', 'proc.exepath': '/usr/bin/bash', 'proc.exe_ino': 99n, 'container.id': 'host',
  });
  // A generic exit is named by its syscall: ID 5 is PPM_SC_OPEN.
  assert.is(rows[1]!['evt.type'], 'open');
});

test('EF_LARGE_PAYLOAD events go in 0x221 blocks with u32 lengths; flags give EVF blocks', async () => {
  assert.ok(isLargePayload(PPME.PPME_PLUGINEVENT_E));
  const data = new Uint8Array(70_000).fill(0x41);
  const w = new ScapWriter().sectionHeader();
  const large = w.offset;
  w.event(0, { ts: BOOT, tid: 1n, type: PPME.PPME_PLUGINEVENT_E, params: [u32(999), data] });
  const evf = w.offset;
  w.event(0, frameByName(PPME.PPME_GENERIC_X, BOOT + 1n, 1n, { ID: 1, nativeID: 2 }), 1);
  const bytes = w.finish();
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  assert.is(dv.getUint32(large, true), EV_BLOCK_TYPE_V2_LARGE);
  assert.is(dv.getUint32(large + 8 + 2 + 26, true), 4, 'u32 length of param 0');
  assert.is(dv.getUint32(large + 8 + 2 + 30, true), 70_000, 'u32 length of param 1');
  assert.is(dv.getUint32(evf, true), EVF_BLOCK_TYPE_V2);
  assert.is(dv.getUint32(evf + 10, true), 1, 'flags word');

  const seen: [string, number, number][] = [];
  await new Decoder().run(once(bytes), { onEvent(v) { seen.push([v.info!.name, v.nparams, v.param(1)!.length]); } });
  assert.equal(seen, [['pluginevent', 2, 70_000], ['syscall', 2, 2]]);
  // A u16 length cannot hold it.
  assert.throws(() => new ScapWriter().event(0, { ts: 0n, tid: 1n, type: PPME.PPME_GENERIC_X, params: [data] }), /u16 length/);
});

test('streaming: chunks concatenate to the in-memory output; nothing is held back after finish', () => {
  const build = (w: ScapWriter): void => {
    w.sectionHeader().machineInfo({ numCpus: 1, memorySizeBytes: 1n, hostname: 'x', bootTsEpochNs: BOOT });
    for (let i = 0; i < 2000; i++) {
      w.event(i % 4, frameByName(PPME.PPME_SYSCALL_OPENAT_2_X, BOOT + BigInt(i), BigInt(100 + (i % 7)), {
        fd: i, name: `/tmp/file-${'x'.repeat(i % 13)}`,
      }));
    }
  };
  const mem = new ScapWriter();
  build(mem);
  const whole = mem.finish();
  for (const chunkBytes of [64, 1000, 4096, 1 << 20]) {
    const chunks: Uint8Array[] = [];
    const s = new ScapWriter({ write: (c) => chunks.push(c), chunkBytes });
    build(s);
    assert.is(s.offset, whole.length);
    assert.is(s.finish().length, 0);
    const joined = Buffer.concat(chunks);
    assert.ok(joined.equals(Buffer.from(whole)), `chunkBytes ${chunkBytes}`);
    if (chunkBytes >= 1000) {
      for (const c of chunks) assert.ok(c.length < chunkBytes + 200, `chunk of ${c.length} bytes`);
    }
  }
  assert.throws(() => mem.event(0, frameByName(PPME.PPME_GENERIC_X, 0n, 0n)), /finish/);
});

// ---------------------------------------------------------------------------------------------
// Encoders and frameByName

test('parameter encoders: widths, little endian, NUL terminators, ranges', () => {
  assert.is(hex(u8(0xab)), 'ab');
  assert.is(hex(i8(-1)), 'ff');
  assert.is(hex(u16(0x1234)), '3412');
  assert.is(hex(i16(-2)), 'feff');
  assert.is(hex(u32(0x01020304)), '04030201');
  assert.is(hex(i32(-1)), 'ffffffff');
  assert.is(hex(u64(0x0102030405060708n)), '0807060504030201');
  assert.is(hex(u64(5)), '0500000000000000');
  assert.is(hex(i64(-2n)), 'feffffffffffffff');
  assert.is(hex(str('ab')), '616200');
  assert.is(hex(str('')), '00');
  assert.is(hex(strArray(['a', 'bc'])), '6100626300');
  assert.is(strArray([]).length, 0);
  assert.throws(() => u8(256), /u8/);
  assert.throws(() => u32(-1), /u32/);
  assert.throws(() => u64(-1n), /u64/);
  assert.throws(() => i64(1n << 63n), /i64/);
  assert.throws(() => u64(2 ** 60), /safe integer/);
  assert.is(blockLength(0), 12);
  assert.is(blockLength(1), 16);
  assert.is(blockLength(4), 16);
  assert.is(blockLength(5), 20);
});

test('frameByName: values by name and type, missing names empty, unknown names rejected', () => {
  const f = frameByName(PPME.PPME_SYSCALL_CLONE_20_X, 7n, 8n, {
    res: 9, exe: '/bin/sh', args: ['-c', 'true'], flags: PPM_CL.PPM_CL_CLONE_VM, uid: 1000, vtid: 1n,
    pidns_init_start_ts: 5n, cgroups: ['cpu=/'],
  });
  assert.is(f.params.length, 21);
  assert.is(hex(f.params[0]!), '0900000000000000'); // res: PT_PID, i64
  assert.is(hex(f.params[1]!), hex(str('/bin/sh')));
  assert.is(hex(f.params[2]!), hex(strArray(['-c', 'true'])));
  assert.is(f.params[3], null); // tid: not given
  assert.is(hex(f.params[14]!), hex(strArray(['cpu=/'])));
  assert.is(hex(f.params[15]!), hex(u32(PPM_CL.PPM_CL_CLONE_VM))); // flags: PT_FLAGS32
  assert.is(hex(f.params[16]!), hex(u32(1000))); // uid: PT_UINT32
  assert.is(hex(f.params[20]!), hex(u64(5n))); // pidns_init_start_ts: PT_UINT64
  assert.is(hex(frameByName(PPME.PPME_SYSCALL_EXECVE_19_X, 0n, 0n, { res: -2 }).params[0]!), hex(i64(-2))); // PT_ERRNO
  assert.throws(() => frameByName(PPME.PPME_SYSCALL_CLONE_20_X, 0n, 0n, { exe_ino: 1 }), /no parameter "exe_ino"/);
  assert.throws(() => frameByName(PPME.PPME_SYSCALL_CLONE_20_X, 0n, 0n, { uid: -1 }), /uid/);
  assert.throws(() => frameByName(5000, 0n, 0n), /not in the event table/);
  const raw = frameByName(PPME.PPME_GENERIC_X, 0n, 0n, { ID: u16(3) });
  assert.is(hex(raw.params[0]!), '0300');
});

test.run();
