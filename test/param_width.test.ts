/**
 * A fixed-width parameter (an integer, flags, a time: libs' PT_* width) that is not empty and not
 * its type's width is a corrupt frame: reported with its offset, the event and the parameter,
 * and skipped (strict: fatal) — never read as whatever width it has. Before, a 3-byte ctime
 * turned a 2 ms delta into 53 years and the drift rule stayed silent.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScapWriter, frameByName, type BuiltFrame, type ParamInput } from '../ts/scap/writer.js';
import type { ProcessEntry } from '../ts/scap/process_list.js';
import { Decoder } from '../ts/pipeline/decoder.js';
import { resolveField, extractField, type FieldValue } from '../ts/fields/fields.js';
import { eventInfo, paramIndex } from '../ts/events/event_table.js';
import { PPME } from '../ts/events/ppm_constants.js';
import { isScapdriftError, type ScapdriftError } from '../ts/errors.js';
import { runCli } from './helpers/cli.js';

const SEC = 1_000_000_000n;
const BOOT = 1_700_000_000n * SEC;
const T0 = BOOT + 3600n * SEC;
const EXECVE = PPME.PPME_SYSCALL_EXECVE_19_X;
const CLONE = PPME.PPME_SYSCALL_CLONE_20_X;
/** Bytes before the first frame parameter's length entry: block header, cpu id, frame header. */
const LENS_AT = 8 + 2 + 26;

const BASH: ProcessEntry = {
  tid: 100n, pid: 100n, ptid: 1n, comm: 'bash', exe: 'bash', exepath: '/usr/bin/bash', args: [], cwd: '/',
  fdlimit: 1024n, flags: 0, uid: 0, gid: 0, vtid: 100n, vpid: 100n, cgroups: [],
};

function execve(ts: bigint, ino: number, over: Record<string, ParamInput> = {}): BuiltFrame {
  return frameByName(EXECVE, ts, 100n, {
    res: 0, exe: '/tmp/x', args: [], tid: 100n, pid: 100n, ptid: 1n, cwd: null, fdlimit: 1024, pgft_maj: 0, pgft_min: 0,
    vm_size: 0, vm_rss: 0, vm_swap: 0, comm: 'x', cgroups: [], env: [], tty: 0, vpgid: 100n, loginuid: 0, flags: 0,
    cap_inheritable: 0, cap_permitted: 0, cap_effective: 0, exe_ino: ino, exe_ino_ctime: ts - 2_000_000n,
    exe_ino_mtime: ts - 3_000_000n, uid: 0, trusted_exepath: '/tmp/x', pgid: 100n, gid: 0, filename: '/tmp/x', ...over,
  });
}

function clone(ts: bigint, over: Record<string, ParamInput> = {}): BuiltFrame {
  return frameByName(CLONE, ts, 100n, {
    res: 200n, exe: 'bash', args: [], tid: 100n, pid: 100n, ptid: 1n, cwd: null, fdlimit: 1024, pgft_maj: 0, pgft_min: 0,
    vm_size: 0, vm_rss: 0, vm_swap: 0, comm: 'bash', cgroups: [], flags: 0, uid: 0, gid: 0, vtid: 100n, vpid: 100n,
    pidns_init_start_ts: 0, ...over,
  });
}

/** A capture of a good execve, `bad`, a good execve; and the offset of `bad`'s block. */
function capture(bad: BuiltFrame): { bytes: Uint8Array; badAt: number } {
  const head = (): ScapWriter => new ScapWriter().sectionHeader()
    .machineInfo({ numCpus: 1, memorySizeBytes: 1n << 30n, hostname: 'w', bootTsEpochNs: BOOT })
    .processList([BASH]).event(0, execve(T0, 1001));
  const badAt = head().finish().length;
  return { bytes: head().event(0, bad).event(0, execve(T0 + 2n * SEC, 1003)).finish(), badAt };
}

const FIELDS = ['evt.num', 'evt.type', 'evt.res', 'proc.pid', 'proc.exe_ino', 'proc.exe_ino.ctime', 'proc.exe_ino.ctime_duration_proc_start'].map((n) => resolveField(n)!);

/** `bytes` as a stream of one chunk. */
async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function decode(bytes: Uint8Array, strict = false): Promise<{ rows: Record<string, FieldValue>[]; skipped: ScapdriftError[]; error?: unknown; skippedFrames?: number }> {
  const rows: Record<string, FieldValue>[] = [];
  const skipped: ScapdriftError[] = [];
  const decoder = new Decoder({ strict });
  try {
    const summary = await decoder.run(once(bytes), {
      onEvent(v) { rows.push(Object.fromEntries(FIELDS.map((r) => [r.text, extractField(v, r)]))); },
      onSkip(e) { skipped.push(e); },
    });
    return { rows, skipped, skippedFrames: summary.skippedFrames };
  } catch (error) {
    return { rows, skipped, error };
  }
}

/** Raw bytes of `n` bytes for a parameter (little-endian ones). */
const bytesOf = (n: number): Uint8Array => new Uint8Array(n).fill(1);

const CASES: { event: number; param: string; bytes: number; type: string; want: number }[] = [
  { event: EXECVE, param: 'exe_ino', bytes: 4, type: 'PT_UINT64', want: 8 },
  { event: EXECVE, param: 'exe_ino_ctime', bytes: 3, type: 'PT_ABSTIME', want: 8 },
  { event: EXECVE, param: 'exe_ino_mtime', bytes: 9, type: 'PT_ABSTIME', want: 8 },
  { event: EXECVE, param: 'res', bytes: 1, type: 'PT_ERRNO', want: 8 },
  { event: EXECVE, param: 'pid', bytes: 4, type: 'PT_PID', want: 8 },
  { event: EXECVE, param: 'flags', bytes: 2, type: 'PT_FLAGS32', want: 4 },
  { event: CLONE, param: 'tid', bytes: 4, type: 'PT_PID', want: 8 },
  { event: CLONE, param: 'pid', bytes: 2, type: 'PT_PID', want: 8 },
  { event: CLONE, param: 'flags', bytes: 8, type: 'PT_FLAGS32', want: 4 },
];

for (const c of CASES) {
  const name = eventInfo(c.event)!.name;
  test(`${name} exit with a ${c.bytes}-byte ${c.param}: reported and skipped; strict: fatal`, async () => {
    const bad = c.event === EXECVE ? execve(T0 + SEC, 1002) : clone(T0 + SEC);
    const index = paramIndex(c.event, c.param);
    bad.params[index] = bytesOf(c.bytes);
    const { bytes, badAt } = capture(bad);
    const at = badAt + LENS_AT + 2 * index;
    const message = `corrupt capture at byte ${at}: parameter ${index + 1} (${c.param}, ${c.type}) of ${name} exit (id ${c.event}) has ${c.bytes} bytes, expected ${c.want} or none`;

    const r = await decode(bytes);
    assert.is(r.error, undefined, String(r.error));
    assert.equal(r.skipped.map((e) => [e.code, e.offset, e.message]), [['E_CORRUPT_FRAME', at, message]]);
    assert.is(r.skippedFrames, 1);
    // The skipped frame keeps its number (2); the execves around it are whole.
    assert.equal(r.rows.map((row) => [row['evt.num'], row['evt.type'], row['proc.exe_ino'], row['proc.exe_ino.ctime_duration_proc_start']]),
      [[1, 'execve', 1001n, null], [3, 'execve', 1003n, null]]);

    const strict = await decode(bytes, true);
    assert.ok(isScapdriftError(strict.error), String(strict.error));
    assert.is((strict.error as ScapdriftError).message, message);
    assert.is((strict.error as ScapdriftError).offset, at);
    assert.is(strict.rows.length, 1, 'every event before the fault');
  });
}

test('empty fixed-width parameters stay missing, exact widths decode: no frame skipped', async () => {
  const { bytes } = capture(execve(T0 + SEC, 1002, { exe_ino: null, exe_ino_ctime: null }));
  const r = await decode(bytes);
  assert.is(r.skippedFrames, 0);
  assert.equal(r.rows.map((row) => row['proc.exe_ino']), [1001n, null, 1003n]);
});

test('CLI: the 3-byte ctime frame is named on stderr, the same on 1 and 2 workers', () => {
  const bad = execve(T0 + SEC, 1002);
  const index = paramIndex(EXECVE, 'exe_ino_ctime');
  bad.params[index] = bytesOf(3);
  const { bytes, badAt } = capture(bad);
  const dir = mkdtempSync(join(tmpdir(), 'scapdrift-width-'));
  try {
    const file = join(dir, 'w.scap');
    writeFileSync(file, bytes);
    const one = runCli(['read', file, '-q', '--workers', '1', '-p', '%evt.num %proc.exe_ino']);
    const two = runCli(['read', file, '-q', '--workers', '2', '-p', '%evt.num %proc.exe_ino']);
    assert.is(one.status, 0, one.stderr);
    assert.is(one.stdout, '1 1001\n3 1003\n');
    assert.is(two.stdout, one.stdout);
    const warning = `scapdrift: warning: skipped a corrupt frame: corrupt capture at byte ${badAt + LENS_AT + 2 * index}: parameter ${index + 1} (exe_ino_ctime, PT_ABSTIME) of execve exit (id ${EXECVE}) has 3 bytes, expected 8 or none`;
    assert.ok(one.stderr.startsWith(warning), one.stderr);
    assert.ok(two.stderr.startsWith(warning), two.stderr);
    const strict = runCli(['read', file, '-q', '--strict', '-p', '%evt.num']);
    assert.is(strict.status, 1);
    assert.is(strict.stdout, '1\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
