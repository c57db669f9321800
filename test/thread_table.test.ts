/**
 * The thread-table rules of libsinsp (libs userspace/libsinsp/parsers.cpp: parse_clone_exit_caller,
 * parse_clone_exit_child, parse_execve_exit; procexit removal), checked on tiny synthetic
 * captures written with the project's scap writer and read back through the Decoder and the
 * field extractors. Every expected value is computed here from the rule, never copied from output.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { ScapWriter, frameByName, i64, str, u64, type BuiltFrame, type EventFrame, type ParamInput } from '../ts/scap/writer.js';
import type { ProcessEntry } from '../ts/scap/process_list.js';
import { Decoder, type DecodeSummary } from '../ts/pipeline/decoder.js';
import { compileFilter, EMPTY_ENV } from '../ts/filter/index.js';
import { resolveField, extractField, type FieldRef, type FieldValue } from '../ts/fields/fields.js';
import { eventInfo } from '../ts/events/event_table.js';
import { PPME, PPM_CL, PPM_EXE } from '../ts/events/ppm_constants.js';

// ---------------------------------------------------------------------------------------------
// Capture building

const SEC = 1_000_000_000n;
/** Host boot time (machine-info boot_ts_epoch), epoch ns. */
const BOOT = 1_700_000_000n * SEC;
/** Capture start: an hour after boot. */
const T0 = BOOT + 3600n * SEC;
const HOST_CGROUPS = ['0::/user.slice/user-1000.slice/session-2.scope'];
/** A pid namespace started 5000 s after boot (ns since boot, as clone exits carry it). */
const PIDNS_BOOT_NS = 5000n * SEC;

/** A deterministic 64-hex-digit container id. */
function fullId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

const INIT: ProcessEntry = {
  tid: 1n, pid: 1n, ptid: 0n, comm: 'systemd', exe: '/sbin/init', exepath: '/usr/lib/systemd/systemd', args: [],
  cwd: '/', fdlimit: 1024n, flags: 0, uid: 0, gid: 0, vtid: 1n, vpid: 1n, cgroups: ['0::/init.scope'],
};
const BASH_CTIME = BOOT - 86_400n * SEC;
const BASH_MTIME = BOOT - 2n * 86_400n * SEC;
/** A host shell from the process list, with its exe identity. */
const BASH: ProcessEntry = {
  tid: 100n, pid: 100n, ptid: 1n, comm: 'bash', exe: 'bash', exepath: '/usr/bin/bash', args: ['-i'],
  cwd: '/home/u', fdlimit: 1024n, flags: 0, uid: 1000, gid: 1000, vtid: 100n, vpid: 100n, cgroups: HOST_CGROUPS,
  loginuid: 1000, exeWritable: false, exeUpperLayer: false, exeFromMemfd: false, exeLowerLayer: false,
  exeIno: 1111n, exeInoCtimeEpochNs: BASH_CTIME, exeInoMtimeEpochNs: BASH_MTIME, pidnsInitStartTsEpochNs: 0n,
};

/** Keeps the values whose names event `type` declares (one default set serves every version). */
function pick(type: number, values: Record<string, ParamInput>): Record<string, ParamInput> {
  const names = new Set(eventInfo(type)!.params.map((p) => p.name));
  return Object.fromEntries(Object.entries(values).filter(([k]) => names.has(k)));
}

/**
 * Parameters every clone-family exit carries, describing thread `tid` of process `pid`. cwd is
 * empty, as every libs driver pushes it.
 */
function cloneParams(tid: bigint, pid: bigint, ptid: bigint): Record<string, ParamInput> {
  return {
    exe: 'bash', args: [], tid, pid, ptid, cwd: null, fdlimit: 1024, pgft_maj: 0, pgft_min: 0, vm_size: 0,
    vm_rss: 0, vm_swap: 0, comm: 'bash', cgroups: HOST_CGROUPS, flags: 0, uid: 1000, gid: 1000, vtid: tid,
    vpid: pid, pidns_init_start_ts: 0,
  };
}

/** The parent's clone exit (res = child tid); the parameters describe the caller. */
function callerClone(ts: bigint, caller: bigint, child: bigint, over: Record<string, ParamInput> = {}, type: number = PPME.PPME_SYSCALL_CLONE_20_X): BuiltFrame {
  return frameByName(type, ts, caller, pick(type, { ...cloneParams(caller, caller, 1n), res: child, ...over }));
}

/** The child's clone exit (res = 0); the parameters describe the child. */
function childClone(ts: bigint, child: bigint, parent: bigint, over: Record<string, ParamInput> = {}, type: number = PPME.PPME_SYSCALL_CLONE_20_X): BuiltFrame {
  return frameByName(type, ts, child, pick(type, { ...cloneParams(child, child, parent), res: 0, ...over }));
}

/** A successful execve exit of `tid` (any version: names it lacks are dropped). */
function execve(ts: bigint, tid: bigint, over: Record<string, ParamInput> = {}, type: number = PPME.PPME_SYSCALL_EXECVE_19_X): BuiltFrame {
  return frameByName(type, ts, tid, pick(type, {
    res: 0, exe: '/usr/bin/true', args: [], tid, pid: tid, ptid: 100n, cwd: null, fdlimit: 1024, pgft_maj: 0,
    pgft_min: 0, vm_size: 0, vm_rss: 0, vm_swap: 0, comm: 'true', cgroups: HOST_CGROUPS, env: [], tty: 0,
    vpgid: tid, loginuid: 1000, flags: 0, cap_inheritable: 0, cap_permitted: 0, cap_effective: 0,
    exe_ino: 2222, exe_ino_ctime: T0 - 5n * SEC, exe_ino_mtime: T0 - 6n * SEC, uid: 1000,
    trusted_exepath: '/usr/bin/true', pgid: tid, gid: 1000, filename: '/usr/bin/true', ...over,
  }));
}

function openat(ts: bigint, tid: bigint): BuiltFrame {
  return frameByName(PPME.PPME_SYSCALL_OPENAT_2_X, ts, tid, { fd: 3, dirfd: -100, name: '/etc/hosts', flags: 1, mode: 0, dev: 0, ino: 0 });
}

/** A procexit; `reaper` is its reaper_tid (null: empty, the driver could not tell). */
function procexit(ts: bigint, tid: bigint, reaper: bigint | null = 0n): EventFrame {
  return frameByName(PPME.PPME_PROCEXIT_1_E, ts, tid, { status: 0, ret: 0, sig: 0, core: 0, reaper_tid: reaper });
}

interface CaptureOptions {
  pl?: ProcessEntry[];
  /** Boot time for the machine-info block; null writes none (an old capture). */
  boot?: bigint | null;
}

/** SHB, MI, optional PL, then the events in the given (merged) order; `[cpu, frame]` sets the cpu. */
function scap(events: (EventFrame | [number, EventFrame])[], opts: CaptureOptions = {}): Uint8Array {
  const w = new ScapWriter().sectionHeader();
  const boot = opts.boot === undefined ? BOOT : opts.boot;
  w.machineInfo({ numCpus: 2, memorySizeBytes: 8n << 30n, hostname: 'synthetic', ...(boot === null ? {} : { bootTsEpochNs: boot }) });
  if (opts.pl) w.processList(opts.pl);
  for (const e of events) {
    if (Array.isArray(e)) w.event(e[0], e[1]);
    else w.event(0, e as EventFrame);
  }
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Decoding

const FIELD_NAMES = [
  'evt.num', 'evt.type', 'evt.rawtime', 'thread.tid', 'proc.pid', 'proc.ppid', 'proc.vpid', 'thread.vtid',
  'proc.name', 'proc.exe', 'proc.exepath', 'proc.args', 'proc.cwd', 'proc.pid.ts', 'user.uid', 'user.loginuid',
  'proc.exe_ino', 'proc.exe_ino.ctime', 'proc.exe_ino.mtime', 'proc.exe_ino.ctime_duration_proc_start',
  'proc.exe_ino.ctime_duration_pidns_start', 'proc.pidns_init_start_ts', 'container.id', 'container.start_ts',
  'container.duration', 'proc.is_exe_writable', 'proc.is_exe_upper_layer', 'proc.is_exe_lower_layer',
  'proc.is_exe_from_memfd',
];
const REFS: FieldRef[] = FIELD_NAMES.map((n) => {
  const r = resolveField(n);
  if (!r) throw new Error(`unknown field ${n}`);
  return r;
});

type Row = Record<string, FieldValue>;

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Decodes a capture: one row of every field per delivered event, in order. */
async function decode(bytes: Uint8Array, opts: { types?: string[]; chunkBytes?: number } = {}): Promise<{ rows: Row[]; summary: DecodeSummary }> {
  const rows: Row[] = [];
  const decoder = new Decoder(opts.types ? { types: opts.types } : {});
  const summary = await decoder.run(chunks(bytes, opts.chunkBytes ?? bytes.length), {
    onEvent(v) { rows.push(Object.fromEntries(REFS.map((r) => [r.text, extractField(v, r)]))); },
  });
  return { rows, summary };
}

/** Asserts the listed fields of the event numbered `num` (1-based). */
function expectEvent(rows: Row[], num: number, expected: Row, label: string): void {
  const row = rows.find((r) => r['evt.num'] === num);
  assert.ok(row, `${label}: no event number ${num}`);
  const got = Object.fromEntries(Object.keys(expected).map((k) => [k, row![k]]));
  assert.equal(got, expected, `${label} (evt.num ${num})`);
}

/** What an event of a tid the table does not hold shows. */
const NO_THREAD: Row = { 'proc.name': null, 'proc.pid': null, 'proc.exe_ino': null, 'proc.pidns_init_start_ts': null, 'container.id': null };

// ---------------------------------------------------------------------------------------------
// Clone: caller side, child side, pid namespaces

test('clone: the caller side builds the child; a child side within 2 s keeps it', async () => {
  const { rows, summary } = await decode(scap([
    callerClone(T0, 100n, 200n, { args: ['-c', 'ls'], comm: 'bash' }),
    childClone(T0 + SEC / 10n, 200n, 100n, { exe: 'OTHER', comm: 'OTHER', args: ['x'] }),
    openat(T0 + SEC / 5n, 200n),
  ], { pl: [INIT, BASH] }));
  assert.is(summary.events, 3);
  expectEvent(rows, 1, { 'thread.tid': 100n, 'proc.name': 'bash', 'proc.pid': 100n, 'proc.pid.ts': null }, 'caller keeps its PL state');
  const child: Row = {
    'thread.tid': 200n, 'proc.pid': 200n, 'proc.ppid': 100n, 'proc.vpid': 200n, 'thread.vtid': 200n,
    'proc.name': 'bash', 'proc.exe': 'bash', 'proc.args': '-c ls', 'proc.exepath': '/usr/bin/bash', 'proc.cwd': '/home/u',
    'proc.pid.ts': T0, 'user.uid': 1000, 'user.loginuid': 1000,
    'proc.exe_ino': 1111n, 'proc.exe_ino.ctime': BASH_CTIME, 'proc.exe_ino.mtime': BASH_MTIME,
    // The parent came from the process list: its durations are unknown, and so are the child's.
    'proc.exe_ino.ctime_duration_proc_start': null, 'proc.exe_ino.ctime_duration_pidns_start': null,
    'proc.pidns_init_start_ts': BOOT, 'container.id': 'host', 'container.start_ts': null, 'container.duration': null,
    'proc.is_exe_writable': false, 'proc.is_exe_upper_layer': false,
  };
  expectEvent(rows, 2, child, 'child-side exit shows the caller-built child');
  expectEvent(rows, 3, child, 'later event of the child');
  assert.is(summary.threads, 3);
});

test('clone: a child side 2 s or more after the caller built the entry replaces it (stale)', async () => {
  const late = T0 + 2n * SEC;
  const { rows } = await decode(scap([
    callerClone(T0, 100n, 200n),
    childClone(late, 200n, 100n, { exe: 'fresh', comm: 'fresh' }),
    openat(late + 1n, 200n),
  ], { pl: [INIT, BASH] }));
  expectEvent(rows, 3, { 'proc.name': 'fresh', 'proc.exe': 'fresh', 'proc.pid.ts': late, 'proc.ppid': 100n, 'proc.exe_ino': 1111n }, 'replaced');
});

test('clone: the child side first builds a host child (boot time); the caller side then keeps it', async () => {
  const { rows } = await decode(scap([
    [1, childClone(T0, 300n, 100n, { comm: 'kid', exe: 'kid', pidns_init_start_ts: 12345 })],
    [0, callerClone(T0 + 1000n, 100n, 300n, { comm: 'other', exe: 'other' })],
    [1, openat(T0 + 2000n, 300n)],
  ], { pl: [INIT, BASH] }));
  const kid: Row = {
    'proc.name': 'kid', 'proc.pid': 300n, 'proc.ppid': 100n, 'proc.vpid': 300n, 'thread.vtid': 300n, 'proc.pid.ts': T0,
    'proc.exepath': '/usr/bin/bash', 'proc.cwd': '/home/u', 'proc.exe_ino': 1111n, 'proc.exe_ino.ctime': BASH_CTIME,
    // A host child: the boot time, whatever the parameter holds.
    'proc.pidns_init_start_ts': BOOT, 'container.id': 'host', 'container.start_ts': null, 'container.duration': null,
  };
  expectEvent(rows, 1, kid, 'child side');
  expectEvent(rows, 3, kid, 'after the caller side');
});

test('clone: an unknown caller is built from its own event; its child inherits no exe identity', async () => {
  const { rows } = await decode(scap([
    callerClone(T0, 900n, 901n, { comm: 'daemon', exe: '/usr/sbin/daemon', pid: 900n, ptid: 1n }),
    openat(T0 + 1n, 901n),
  ], { pl: [INIT] }));
  expectEvent(rows, 1, { 'proc.name': 'daemon', 'proc.pid': 900n, 'proc.ppid': 1n, 'thread.vtid': 900n, 'proc.exe_ino': null }, 'caller');
  expectEvent(rows, 2, { 'proc.name': 'daemon', 'proc.pid': 901n, 'proc.ppid': 900n, 'proc.pid.ts': T0, 'proc.exe_ino': null, 'proc.pidns_init_start_ts': BOOT }, 'child');
});

const PIDNS_CASES: { name: string; caller: ProcessEntry; callerTid: bigint; flags: number; vtid: bigint; vpid: bigint }[] = [
  { name: 'PPM_CL_CLONE_NEWPID', caller: BASH, callerTid: 100n, flags: PPM_CL.PPM_CL_CLONE_NEWPID, vtid: 1n, vpid: 1n },
  // The flag alone decides (vtid = tid here on purpose).
  { name: 'PPM_CL_CHILD_IN_PIDNS', caller: BASH, callerTid: 100n, flags: PPM_CL.PPM_CL_CHILD_IN_PIDNS, vtid: 300n, vpid: 300n },
  // No flag: the caller runs in a container (tid ≠ vtid), and so does the child.
  {
    name: 'tid ≠ vtid',
    caller: { ...BASH, tid: 150n, pid: 150n, vtid: 1n, vpid: 1n, comm: 'entry', pidnsInitStartTsEpochNs: 0n },
    callerTid: 150n, flags: 0, vtid: 7n, vpid: 7n,
  },
];

for (const c of PIDNS_CASES) {
  test(`clone in a pid namespace (${c.name}): caller side ignored, child side sets pidns start = param + boot`, async () => {
    const id = fullId(c.name);
    const childTs = T0 + 10n;
    const { rows } = await decode(scap([
      callerClone(T0, c.callerTid, 300n, { flags: c.flags, vtid: c.caller.vtid!, vpid: c.caller.vpid! }),
      openat(T0 + 5n, 300n),
      childClone(childTs, 300n, c.callerTid, {
        flags: c.flags, vtid: c.vtid, vpid: c.vpid, pidns_init_start_ts: PIDNS_BOOT_NS, comm: 'app', exe: '/app',
        cgroups: [`0::/system.slice/docker-${id}.scope`],
      }),
      openat(T0 + 20n, 300n),
    ], { pl: [INIT, BASH, c.caller] }));
    expectEvent(rows, 2, NO_THREAD, 'no child before its own clone exit');
    const start = PIDNS_BOOT_NS + BOOT;
    const child: Row = {
      'proc.name': 'app', 'proc.pid': 300n, 'proc.ppid': c.callerTid, 'proc.vpid': c.vpid, 'thread.vtid': c.vtid,
      'proc.pid.ts': childTs, 'proc.exe_ino': 1111n, 'proc.pidns_init_start_ts': start,
      'container.id': id.slice(0, 12), 'container.start_ts': start,
    };
    expectEvent(rows, 3, { ...child, 'container.duration': childTs - start }, 'child side');
    expectEvent(rows, 4, { ...child, 'container.duration': T0 + 20n - start }, 'later event');
  });
}

test('container sharing the host pid namespace: its start is its first process entering it, not the boot time', async () => {
  const id = fullId('host-pid container');
  const cgroups = [`0::/system.slice/docker-${id}.scope`];
  const already: ProcessEntry = { ...BASH, tid: 150n, pid: 150n, vtid: 150n, vpid: 150n, comm: 'agent', cgroups };
  const { rows } = await decode(scap([
    callerClone(T0, 100n, 800n), // runc's init, still on the host
    execve(T0 + SEC, 800n, { ptid: 100n, cgroups }), // moved into the container's cgroups, then the entrypoint
    callerClone(T0 + 2n * SEC, 800n, 801n, { ...cloneParams(800n, 800n, 100n), res: 801n, cgroups }),
    execve(T0 + 3n * SEC, 801n, { ptid: 800n, cgroups }),
    openat(T0 + 4n * SEC, 150n), // a process of a container that ran before the capture
    execve(T0 + 5n * SEC, 900n, { ptid: 100n, cgroups: [`0::/system.slice/docker-${fullId('unknown')}.scope`] }), // first seen here
  ], { pl: [INIT, BASH, already] }));
  const c = id.slice(0, 12);
  expectEvent(rows, 2, { 'container.id': c, 'container.start_ts': T0 + SEC, 'container.duration': 0n, 'proc.pidns_init_start_ts': BOOT }, 'the entry');
  expectEvent(rows, 4, { 'container.id': c, 'container.start_ts': T0 + SEC, 'container.duration': 2n * SEC, 'proc.pidns_init_start_ts': BOOT }, 'a later process');
  expectEvent(rows, 5, { 'container.id': c, 'container.start_ts': null, 'container.duration': null }, 'already running: unknown');
  expectEvent(rows, 6, { 'container.start_ts': null }, 'a thread first seen in a container: no entry seen');
  // The filter VM agrees (a wrong start would give days).
  const matched: number[] = [];
  await new Decoder({ programs: [compileFilter('container.duration < 10000000000', EMPTY_ENV)] }).run(chunks(scap([
    callerClone(T0, 100n, 800n), execve(T0 + SEC, 800n, { ptid: 100n, cgroups }),
  ], { pl: [INIT, BASH] }), 1 << 20), { onEvent(v) { matched.push(v.num); } });
  assert.equal(matched, [2]);
});

test('boot-time calibration: a whole-second boot time (libs\' btime) is corrected by a namespace init\'s clone exit', async () => {
  // libs' capture: events stamped with the precise boot time, the MI block with btime (floor).
  const precise = BOOT + 550_000_000n;
  const initStart = 7000n * SEC + 123_456_789n; // ns since boot, the namespace init's start
  const latency = 180_000n; // from the init's start to its clone return
  const inNs = (ts: bigint, tid: bigint, vtid: bigint): EventFrame => childClone(ts, tid, 100n, {
    flags: vtid === 1n ? PPM_CL.PPM_CL_CLONE_NEWPID : PPM_CL.PPM_CL_CHILD_IN_PIDNS, vtid, vpid: vtid, pidns_init_start_ts: initStart,
  });
  const initTs = precise + initStart + latency;
  const events = [
    // A namespace started before any init clone exit was seen: btime (not yet calibrated).
    childClone(precise + 6000n * SEC, 700n, 100n, { flags: PPM_CL.PPM_CL_CHILD_IN_PIDNS, vtid: 5n, vpid: 5n, pidns_init_start_ts: 6000n * SEC }),
    inNs(initTs, 710n, 1n),
    inNs(initTs + SEC, 711n, 2n), // a later process of that namespace
    // An init whose clone exit came late (under load): a larger value, not taken.
    inNs(precise + initStart + 300_000_000n, 720n, 1n),
    // A value outside [btime, btime + 1 s): not a boot time, ignored.
    childClone(precise + 2n * SEC, 730n, 100n, { flags: PPM_CL.PPM_CL_CLONE_NEWPID, vtid: 1n, vpid: 1n, pidns_init_start_ts: 3n * SEC + SEC }),
    inNs(initTs + 2n * SEC, 712n, 3n),
  ];
  const { rows, summary } = await decode(scap(events, { pl: [INIT, BASH] }));
  expectEvent(rows, 1, { 'proc.pidns_init_start_ts': BOOT + 6000n * SEC }, 'before the evidence: btime');
  const truth = precise + initStart;
  for (const num of [2, 3, 6]) {
    const got = rows.find((r) => r['evt.num'] === num)!['proc.pidns_init_start_ts'] as bigint;
    assert.is(got, truth + latency, `evt ${num}: the precise boot plus the init's clone latency`);
    assert.ok(got - truth >= 0n && got - truth < 1_000_000n, `evt ${num}: within 1 ms of the true start (${got - truth} ns)`);
  }
  assert.is(summary.bootCalibrated, true);
  // A precise boot time (scapdrift's driver) is never calibrated.
  const own = await decode(scap([inNs(initTs, 710n, 1n)], { pl: [INIT, BASH], boot: precise }));
  expectEvent(own.rows, 1, { 'proc.pidns_init_start_ts': precise + initStart }, 'precise boot: param + boot');
  assert.is(own.summary.bootCalibrated, false);
});

test('clone without a boot time: pid-namespace start stays missing (host and container child)', async () => {
  const { rows } = await decode(scap([
    childClone(T0, 300n, 100n),
    childClone(T0 + 1n, 301n, 100n, { flags: PPM_CL.PPM_CL_CLONE_NEWPID, vtid: 1n, vpid: 1n, pidns_init_start_ts: PIDNS_BOOT_NS }),
  ], { pl: [INIT, BASH], boot: null }));
  expectEvent(rows, 1, { 'proc.name': 'bash', 'proc.pidns_init_start_ts': null }, 'host child');
  expectEvent(rows, 2, { 'proc.name': 'bash', 'proc.pidns_init_start_ts': null, 'thread.vtid': 1n }, 'container child');
});

// ---------------------------------------------------------------------------------------------
// vfork and CLONE_VFORK: the child's events may come before the parent's return

const VFORK_CASES: { name: string; type: number; flags: number }[] = [
  { name: 'vfork (by event id)', type: PPME.PPME_SYSCALL_VFORK_20_X, flags: PPM_CL.PPM_CL_CLONE_VM },
  { name: 'clone with CLONE_VFORK', type: PPME.PPME_SYSCALL_CLONE_20_X, flags: PPM_CL.PPM_CL_CLONE_VM | PPM_CL.PPM_CL_CLONE_VFORK },
  { name: 'clone3 with CLONE_VFORK', type: PPME.PPME_SYSCALL_CLONE3_X, flags: PPM_CL.PPM_CL_CLONE_VM | PPM_CL.PPM_CL_CLONE_VFORK },
];

for (const c of VFORK_CASES) {
  test(`${c.name}: child events before the parent's return keep the right state; the return does not re-add it`, async () => {
    const ctime = T0 - 5n * SEC;
    const { rows, summary } = await decode(scap([
      [1, childClone(T0 + 10n, 400n, 100n, { flags: c.flags }, c.type)],
      [1, openat(T0 + 20n, 400n)],
      [1, execve(T0 + 30n, 400n, { exe_ino: 2222, exe_ino_ctime: ctime })],
      [1, procexit(T0 + 40n, 400n)],
      [0, callerClone(T0 + 50n, 100n, 400n, { flags: c.flags }, c.type)],
      [1, openat(T0 + 60n, 400n)],
    ], { pl: [INIT, BASH] }));
    assert.is(summary.events, 6);
    expectEvent(rows, 2, { 'proc.name': 'bash', 'proc.pid': 400n, 'proc.ppid': 100n, 'proc.pid.ts': T0 + 10n, 'proc.exe_ino': 1111n }, 'child before exec');
    const exec: Row = {
      'proc.name': 'true', 'proc.exepath': '/usr/bin/true', 'proc.exe_ino': 2222n, 'proc.exe_ino.ctime': ctime,
      'proc.exe_ino.ctime_duration_proc_start': T0 + 10n - ctime, 'proc.pid.ts': T0 + 10n,
    };
    expectEvent(rows, 3, exec, 'execve of the child');
    expectEvent(rows, 4, exec, 'procexit still shows the thread');
    expectEvent(rows, 5, { 'thread.tid': 100n, 'proc.name': 'bash' }, "parent's return");
    expectEvent(rows, 6, NO_THREAD, 'not re-added by the caller side');
  });
}

// Fixed rule: libsinsp's savefile converter (libscap engine/savefile/converter/table.cpp) turns the older
// vfork exits (PPME_SYSCALL_VFORK_X, PPME_SYSCALL_VFORK_17_X) into PPME_SYSCALL_VFORK_20_X before
// parsing, so its vfork rule (by event id; vfork exits carry no PPM_CL_CLONE_VFORK flag) covers
// them too. scapdrift special-cases only id PPME_SYSCALL_VFORK_20_X (setVforkType in ts/pipeline/wasm.ts,
// isVfork in assembly/lifecycle.ts): the parent's return re-adds a child that already exited.
for (const c of [
  { name: 'PPME_SYSCALL_VFORK_17_X', type: PPME.PPME_SYSCALL_VFORK_17_X },
  { name: 'PPME_SYSCALL_VFORK_X', type: PPME.PPME_SYSCALL_VFORK_X },
]) {
  test(`older vfork (${c.name}): the parent's return does not re-add an exited child`, async () => {
    const { rows } = await decode(scap([
      [1, childClone(T0 + 10n, 420n, 100n, { flags: PPM_CL.PPM_CL_CLONE_VM }, c.type)],
      [1, procexit(T0 + 20n, 420n)],
      [0, callerClone(T0 + 30n, 100n, 420n, { flags: PPM_CL.PPM_CL_CLONE_VM }, c.type)],
      [1, openat(T0 + 40n, 420n)],
    ], { pl: [INIT, BASH] }));
    expectEvent(rows, 1, { 'proc.name': 'bash', 'proc.pid': 420n, 'proc.ppid': 100n }, 'child side');
    assert.is(rows[3]!['proc.name'], null, `${c.name} is not treated as vfork: the parent's return re-added the exited child`);
  });
}

// Fixed rule: libsinsp (parsers.cpp parse_clone_exit_caller, "CHILD RECENTLY EXITED") does not re-add a
// child whose procexit came before the caller's clone return (non-vfork case, within 2 s, keyed by
// (ptid, tid)); scapdrift's cloneCallerSide (assembly/lifecycle.ts) has no recently-exited record
// and builds the child again.
test('clone (no vfork): a child that exited before the caller returns is not re-added (recently exited)', async () => {
  const { rows, summary } = await decode(scap([
    [1, childClone(T0 + 10n, 410n, 100n)],
    [1, procexit(T0 + 20n, 410n)],
    [0, callerClone(T0 + 30n, 100n, 410n)],
    [1, openat(T0 + 40n, 410n)],
  ], { pl: [INIT, BASH] }));
  assert.is(rows[3]!['proc.name'], null, "the caller's clone return re-added a child that had already exited (libsinsp has_recently_exited)");
  assert.is(summary.threads, 2);
});

test('thread clone (CLONE_THREAD): same pid, the caller\'s parent; from either side', async () => {
  const flags = PPM_CL.PPM_CL_CLONE_THREAD | PPM_CL.PPM_CL_CLONE_VM | PPM_CL.PPM_CL_CLONE_FILES;
  const { rows } = await decode(scap([
    callerClone(T0, 100n, 101n, { flags }),
    openat(T0 + 1n, 101n),
    [1, childClone(T0 + 2n, 102n, 1n, { flags, pid: 100n, vpid: 100n, comm: 'worker' })],
    [1, openat(T0 + 3n, 102n)],
  ], { pl: [INIT, BASH] }));
  const thread: Row = {
    'proc.pid': 100n, 'proc.ppid': 1n, 'proc.vpid': 100n, 'proc.exepath': '/usr/bin/bash', 'proc.exe_ino': 1111n,
    'proc.cwd': '/home/u', 'proc.pidns_init_start_ts': BOOT,
  };
  expectEvent(rows, 2, { ...thread, 'thread.tid': 101n, 'thread.vtid': 101n, 'proc.pid.ts': T0 }, 'caller-side thread');
  expectEvent(rows, 4, { ...thread, 'thread.tid': 102n, 'thread.vtid': 102n, 'proc.pid.ts': T0 + 2n, 'proc.name': 'worker' }, 'child-side thread');
});

test('execve by a non-leader thread: the leader\'s exit comes first, the execve on its tid keeps the leader\'s start (de_thread)', async () => {
  const flags = PPM_CL.PPM_CL_CLONE_THREAD | PPM_CL.PPM_CL_CLONE_VM | PPM_CL.PPM_CL_CLONE_FILES;
  const ctime = T0 - 10n * SEC;
  const { rows, summary } = await decode(scap([
    callerClone(T0, 100n, 600n),
    callerClone(T0 + SEC, 600n, 601n, { ...cloneParams(600n, 600n, 100n), res: 601n, flags }),
    procexit(T0 + 2n * SEC, 600n), // the leader, ended by the kernel for the thread's exec
    execve(T0 + 2n * SEC + 1000n, 600n, { ptid: 100n, exe_ino_ctime: ctime }),
    // A leader that exited 2 s or more before: nothing to resurrect (a missed clone).
    callerClone(T0, 100n, 610n),
    procexit(T0 + SEC, 610n),
    execve(T0 + 3n * SEC, 610n, { ptid: 100n }),
  ], { pl: [INIT, BASH] }));
  expectEvent(rows, 4, {
    'thread.tid': 600n, 'proc.pid': 600n, 'proc.ppid': 100n, 'proc.pid.ts': T0, 'proc.cwd': '/home/u',
    'proc.pidns_init_start_ts': BOOT, 'proc.exe_ino.ctime_duration_proc_start': T0 - ctime, 'proc.name': 'true',
  }, "the thread's execve on the leader's tid");
  expectEvent(rows, 7, { 'thread.tid': 610n, 'proc.pid.ts': null, 'proc.exe_ino.ctime_duration_proc_start': null }, 'no recent leader');
  // init, bash, 600 (resurrected), 601 (the exec-ing thread's old tid: its exit never comes), 610.
  assert.is(summary.threads, 5);
});

test('clone replaces a stale entry of the same tid (missed exit): caller side, and child side over a PL entry', async () => {
  const stale = (tid: bigint): ProcessEntry => ({ ...INIT, tid, pid: tid, ptid: 1n, vtid: tid, vpid: tid, comm: 'stale', exe: 'stale', exeIno: 5n });
  const { rows } = await decode(scap([
    openat(T0 - 1n, 200n),
    callerClone(T0, 100n, 200n),
    openat(T0 + 1n, 200n),
    childClone(T0 + 2n, 201n, 100n, { comm: 'new' }), // PL entry: no clone ts, so not "recent"
    openat(T0 + 3n, 201n),
  ], { pl: [INIT, BASH, stale(200n), stale(201n)] }));
  expectEvent(rows, 1, { 'proc.name': 'stale', 'proc.exe_ino': 5n }, 'before');
  expectEvent(rows, 3, { 'proc.name': 'bash', 'proc.pid.ts': T0, 'proc.ppid': 100n, 'proc.exe_ino': 1111n }, 'caller side replaced it');
  expectEvent(rows, 5, { 'proc.name': 'new', 'proc.pid.ts': T0 + 2n, 'proc.ppid': 100n, 'proc.exe_ino': 1111n }, 'child side replaced it');
});

test('clone with PPM_CL_CLONE_PARENT: the caller side leaves the child to its own exit', async () => {
  const { rows } = await decode(scap([
    callerClone(T0, 100n, 230n, { flags: PPM_CL.PPM_CL_CLONE_PARENT }),
    openat(T0 + 1n, 230n),
    childClone(T0 + 2n, 230n, 1n, { flags: PPM_CL.PPM_CL_CLONE_PARENT, comm: 'sib' }),
    openat(T0 + 3n, 230n),
  ], { pl: [INIT, BASH] }));
  expectEvent(rows, 2, NO_THREAD, 'not built by the caller');
  expectEvent(rows, 4, { 'proc.name': 'sib', 'proc.ppid': 1n, 'proc.pid.ts': T0 + 2n, 'proc.pidns_init_start_ts': BOOT, 'proc.exepath': '/usr/lib/systemd/systemd' }, 'child side, parent = init');
});

test('older and shortened clone frames: roles by name, absent ones empty', async () => {
  const short = childClone(T0 + 1n, 241n, 100n, { comm: 'short' });
  short.params.length = 16; // up to flags: no uid, gid, vtid, vpid, pidns_init_start_ts
  const { rows } = await decode(scap([
    callerClone(T0, 100n, 240n, { exe: '/bin/sh' }, PPME.PPME_SYSCALL_CLONE_11_X),
    openat(T0 + 1n, 240n),
    short,
  ], { pl: [INIT, BASH] }));
  // CLONE_11_X has no comm: the name is the exe (libsinsp's rule).
  expectEvent(rows, 2, { 'proc.name': '/bin/sh', 'proc.exe': '/bin/sh', 'proc.pid': 240n, 'proc.ppid': 100n, 'proc.pid.ts': T0, 'proc.exe_ino': 1111n }, 'clone 11');
  expectEvent(rows, 3, { 'proc.name': 'short', 'thread.vtid': 241n, 'proc.vpid': null, 'user.uid': null, 'proc.pidns_init_start_ts': BOOT }, 'short clone 20');
});

// Fixed rule: libsinsp passes only the proc-start delta on at clone (parse_clone_exit_caller/_child copy
// m_exe_ino_ctime_duration_clone_ts, never m_exe_ino_ctime_duration_pidns_start), so a child
// shows proc.exe_ino.ctime_duration_pidns_start = <NA> until its own execve. scapdrift's
// inheritExe (assembly/lifecycle.ts) copies HAS_CTIME_DURATION_PIDNS_START and the value too; for
// a child in a NEW pid namespace that value was computed against the parent's namespace start.
test('clone does not pass the pidns delta on (it belongs to the parent\'s namespace and exec)', async () => {
  const ctime = T0 - 10n * SEC;
  const { rows } = await decode(scap([
    callerClone(T0, 100n, 250n),
    execve(T0 + 1n, 250n, { exe_ino_ctime: ctime }),
    callerClone(T0 + 2n, 250n, 251n, { pid: 250n, ptid: 100n }),
    openat(T0 + 3n, 251n),
    childClone(T0 + 4n, 252n, 250n, { flags: PPM_CL.PPM_CL_CLONE_NEWPID, vtid: 1n, vpid: 1n, pidns_init_start_ts: PIDNS_BOOT_NS }),
  ], { pl: [INIT, BASH] }));
  expectEvent(rows, 2, { 'proc.exe_ino.ctime_duration_pidns_start': ctime - BOOT, 'proc.exe_ino.ctime_duration_proc_start': T0 - ctime }, 'parent after exec');
  expectEvent(rows, 4, { 'proc.exe_ino.ctime': ctime, 'proc.exe_ino.ctime_duration_proc_start': T0 - ctime }, 'host child inherits the proc-start delta');
  expectEvent(rows, 5, { 'proc.pidns_init_start_ts': PIDNS_BOOT_NS + BOOT }, 'pidns child');
  assert.is(rows[4]!['proc.exe_ino.ctime_duration_pidns_start'], null,
    `a child in a new pid namespace shows the parent's pidns delta ${String(rows[4]!['proc.exe_ino.ctime_duration_pidns_start'])} (libsinsp: <NA>)`);
  assert.is(rows[3]!['proc.exe_ino.ctime_duration_pidns_start'], null,
    `a forked child shows the parent's pidns delta ${String(rows[3]!['proc.exe_ino.ctime_duration_pidns_start'])} (libsinsp: <NA> until its execve)`);
});

test('the thread table grows past its initial slots and survives many removals', async () => {
  const n = 10_000; // grows at half load: 8,192 of 16,384 slots
  const events: EventFrame[] = [];
  for (let i = 0; i < n; i++) events.push(callerClone(T0 + BigInt(i), 100n, 10_000n + BigInt(i) * 7n, { comm: `c${i}` }));
  for (let i = 0; i < n; i += 3) events.push(procexit(T0 + BigInt(n + i), 10_000n + BigInt(i) * 7n));
  for (let i = 0; i < n; i++) events.push(openat(T0 + BigInt(2 * n + i), 10_000n + BigInt(i) * 7n));
  const name = resolveField('proc.name')!;
  const names: FieldValue[] = [];
  const summary = await new Decoder({ types: ['openat'] }).run(chunks(scap(events, { pl: [INIT, BASH] }), 1 << 16), {
    onEvent(v) { names.push(extractField(v, name)); },
  });
  assert.is(names.length, n);
  const wrong: string[] = [];
  for (let i = 0; i < n; i++) {
    const expected = i % 3 === 0 ? null : `c${i}`;
    if (names[i] !== expected) wrong.push(`tid ${10_000 + i * 7}: ${String(names[i])} (expected ${String(expected)})`);
  }
  assert.equal(wrong.slice(0, 5), [], `${wrong.length} wrong`);
  assert.is(summary.threads, 2 + n - Math.ceil(n / 3));
});

test('a second section header empties the table, whether it stayed in its first slots or grew past them', async () => {
  // The first table is static and left unwritten by a fresh instance's reset (assembly/thread_table.ts
  // INITIAL_TABLE): every later reset must clear it, also when the threads had moved to a grown table.
  const name = resolveField('proc.name')!;
  for (const n of [300, 3000]) {
    const tids = Array.from({ length: n }, (_, i) => 10_000n + BigInt(i) * 7n);
    const first = scap(tids.map((tid, i) => callerClone(T0 + BigInt(i), 100n, tid, { comm: `c${i}` })), { pl: [INIT, BASH] });
    const second = scap(tids.map((tid, i) => openat(T0 + BigInt(n + i), tid)), { pl: [INIT, BASH] });
    const names: FieldValue[] = [];
    const summary = await new Decoder({ types: ['openat'] }).run(chunks(new Uint8Array([...first, ...second]), 1 << 16), {
      onEvent(v) { names.push(extractField(v, name)); },
    });
    assert.is(names.length, n);
    const kept = names.filter((x) => x !== null);
    assert.equal(kept.slice(0, 3), [], `${n} threads: ${kept.length} of the first section's threads survived its end`);
    assert.is(summary.threads, 2, 'the second section\'s process list only');
  }
});

// ---------------------------------------------------------------------------------------------
// execve

test('execve replaces the exe identity and computes the deltas once', async () => {
  const ctime = T0 - 10n * SEC;
  const mtime = T0 - 20n * SEC;
  const { rows } = await decode(scap([
    callerClone(T0, 100n, 500n),
    execve(T0 + SEC, 500n, {
      exe: '/tmp/dropped', args: ['-l'], comm: 'dropped', trusted_exepath: '/tmp/dropped', uid: 1001, loginuid: 1000,
      flags: PPM_EXE.PPM_EXE_WRITABLE | PPM_EXE.PPM_EXE_UPPER_LAYER, exe_ino: 9999, exe_ino_ctime: ctime, exe_ino_mtime: mtime,
    }),
    openat(T0 + 2n * SEC, 500n),
  ], { pl: [INIT, BASH] }));
  const exec: Row = {
    'proc.pid': 500n, 'proc.ppid': 100n, 'proc.name': 'dropped', 'proc.exe': '/tmp/dropped', 'proc.exepath': '/tmp/dropped',
    'proc.args': '-l', 'proc.cwd': '/home/u', 'proc.pid.ts': T0, 'user.uid': 1001, 'user.loginuid': 1000,
    'proc.exe_ino': 9999n, 'proc.exe_ino.ctime': ctime, 'proc.exe_ino.mtime': mtime,
    'proc.exe_ino.ctime_duration_proc_start': T0 - ctime, 'proc.exe_ino.ctime_duration_pidns_start': ctime - BOOT,
    'proc.pidns_init_start_ts': BOOT, 'proc.is_exe_writable': true, 'proc.is_exe_upper_layer': true,
    'proc.is_exe_lower_layer': false, 'proc.is_exe_from_memfd': false,
  };
  expectEvent(rows, 2, exec, 'execve exit');
  expectEvent(rows, 3, exec, 'later event');
});

test('execve: ctime after the clone gives a NEGATIVE proc-start delta', async () => {
  const ctime = T0 + SEC / 2n; // the file changed after the process started
  const { rows } = await decode(scap([
    callerClone(T0, 100n, 501n),
    execve(T0 + SEC, 501n, { exe_ino_ctime: ctime }),
  ], { pl: [INIT, BASH] }));
  expectEvent(rows, 2, {
    'proc.exe_ino.ctime_duration_proc_start': -(SEC / 2n), 'proc.exe_ino.ctime_duration_pidns_start': ctime - BOOT,
  }, 'negative delta');
});

test('execve: the pidns delta only when ctime is later than the namespace start', async () => {
  const start = PIDNS_BOOT_NS + BOOT;
  const inNs = (tid: bigint): EventFrame => childClone(T0, tid, 100n, { flags: PPM_CL.PPM_CL_CLONE_NEWPID, vtid: 1n, vpid: 1n, pidns_init_start_ts: PIDNS_BOOT_NS });
  const { rows } = await decode(scap([
    inNs(510n), execve(T0 + 1n, 510n, { exe_ino_ctime: start - SEC }),
    inNs(511n), execve(T0 + 2n, 511n, { exe_ino_ctime: start }),
    inNs(512n), execve(T0 + 3n, 512n, { exe_ino_ctime: start + SEC }),
    childClone(T0, 513n, 100n), execve(T0 + 4n, 513n, { exe_ino_ctime: BOOT - SEC }), // host, file older than boot
  ], { pl: [INIT, BASH] }));
  expectEvent(rows, 2, { 'proc.exe_ino.ctime_duration_pidns_start': null, 'proc.exe_ino.ctime_duration_proc_start': T0 - (start - SEC) }, 'ctime before ns start');
  expectEvent(rows, 4, { 'proc.exe_ino.ctime_duration_pidns_start': null }, 'ctime equal to ns start');
  expectEvent(rows, 6, { 'proc.exe_ino.ctime_duration_pidns_start': SEC, 'proc.pidns_init_start_ts': start }, 'ctime after ns start');
  expectEvent(rows, 8, { 'proc.exe_ino.ctime_duration_pidns_start': null, 'proc.exe_ino.ctime_duration_proc_start': T0 - BOOT + SEC }, 'host, file older than boot');
});

test('execve: a ctime past 2^63 ns (libs\' driver on kernels >= 6.11) is kept, but no duration wraps: both missing', async () => {
  // A misread inode time, as libs' driver can write on 6.11+ kernels (8 bytes read over a u32
  // nanosecond field): the top bit set, past 2^63 ns.
  const misread = (1n << 63n) + T0;
  const start = PIDNS_BOOT_NS + BOOT;
  const { rows } = await decode(scap([
    callerClone(T0, 100n, 540n),
    execve(T0 + SEC, 540n, { exe_ino_ctime: misread }),
    childClone(T0, 541n, 100n, { flags: PPM_CL.PPM_CL_CLONE_NEWPID, vtid: 1n, vpid: 1n, pidns_init_start_ts: PIDNS_BOOT_NS }),
    execve(T0 + SEC, 541n, { exe_ino_ctime: misread }),
    // A namespace start that would overflow when the boot time is added: missing, not wrapped.
    childClone(T0, 542n, 100n, { flags: PPM_CL.PPM_CL_CLONE_NEWPID, vtid: 1n, vpid: 1n, pidns_init_start_ts: (1n << 64n) - 1n }),
    execve(T0 + SEC, 542n, { exe_ino_ctime: T0 - SEC }),
  ], { pl: [INIT, BASH] }));
  const none = { 'proc.exe_ino.ctime_duration_proc_start': null, 'proc.exe_ino.ctime_duration_pidns_start': null };
  expectEvent(rows, 2, { 'proc.exe_ino.ctime': misread, 'proc.pid.ts': T0, 'proc.pidns_init_start_ts': BOOT, ...none }, 'host, ctime past 2^63');
  expectEvent(rows, 4, { 'proc.exe_ino.ctime': misread, 'proc.pidns_init_start_ts': start, ...none }, 'new namespace, ctime past 2^63');
  expectEvent(rows, 6, {
    'proc.pidns_init_start_ts': null, 'proc.exe_ino.ctime_duration_pidns_start': null,
    'proc.exe_ino.ctime_duration_proc_start': SEC,
  }, 'namespace start past 2^63');
  // The filter VM computes the same: a wrapped value would match one of these.
  for (const cond of ['proc.exe_ino.ctime_duration_pidns_start < 0', 'proc.exe_ino.ctime_duration_proc_start > 0 and proc.exe_ino.ctime > 9223372036854775807']) {
    const matched: number[] = [];
    await new Decoder({ programs: [compileFilter(cond, EMPTY_ENV)] }).run(chunks(scap([callerClone(T0, 100n, 540n), execve(T0 + SEC, 540n, { exe_ino_ctime: misread })], { pl: [INIT, BASH] }), 1 << 20), {
      onEvent(v) { matched.push(v.num); },
    });
    assert.equal(matched, [], cond);
  }
});

test('execve: inode, ctime and mtime of 0 are missing, and so are the deltas', async () => {
  const { rows } = await decode(scap([
    callerClone(T0, 100n, 520n),
    openat(T0 + 1n, 520n),
    execve(T0 + 2n, 520n, { exe_ino: 0, exe_ino_ctime: 0, exe_ino_mtime: 0 }),
  ], { pl: [INIT, BASH] }));
  expectEvent(rows, 2, { 'proc.exe_ino': 1111n }, 'inherited before exec');
  expectEvent(rows, 3, {
    'proc.exe_ino': null, 'proc.exe_ino.ctime': null, 'proc.exe_ino.mtime': null,
    'proc.exe_ino.ctime_duration_proc_start': null, 'proc.exe_ino.ctime_duration_pidns_start': null, 'proc.name': 'true',
  }, 'zeros are missing');
});

test('execve with res < 0 changes nothing', async () => {
  const { rows } = await decode(scap([
    callerClone(T0, 100n, 530n),
    execve(T0 + 1n, 530n, { exe: '/tmp/a', comm: 'a', trusted_exepath: '/tmp/a', exe_ino: 3333 }),
    execve(T0 + 2n, 530n, { res: -2, exe: '/nope', comm: 'nope', args: ['z'], trusted_exepath: '/nope', exe_ino: 7777, exe_ino_ctime: T0, flags: PPM_EXE.PPM_EXE_FROM_MEMFD, uid: 0 }),
    openat(T0 + 3n, 530n),
  ], { pl: [INIT, BASH] }));
  const kept: Row = {
    'proc.name': 'a', 'proc.exe': '/tmp/a', 'proc.exepath': '/tmp/a', 'proc.args': '', 'proc.exe_ino': 3333n,
    'proc.exe_ino.ctime': T0 - 5n * SEC, 'proc.is_exe_from_memfd': false, 'user.uid': 1000,
  };
  expectEvent(rows, 2, kept, 'successful execve');
  expectEvent(rows, 3, kept, 'failed execve exit');
  expectEvent(rows, 4, kept, 'after the failed execve');
});

const OLD_EXECVE: { name: string; type: number; nparams: number }[] = [
  { name: 'PPME_SYSCALL_EXECVE_18_X', type: PPME.PPME_SYSCALL_EXECVE_18_X, nparams: 17 },
  { name: 'PPME_SYSCALL_EXECVE_16_X', type: PPME.PPME_SYSCALL_EXECVE_16_X, nparams: 16 },
];

for (const c of OLD_EXECVE) {
  test(`older execve (${c.name}, ${c.nparams} params) updates exe, args and comm; drift fields stay missing`, async () => {
    // The parent (from a PL entry without exe identity) passes nothing on.
    const parent: ProcessEntry = { ...BASH, tid: 600n, pid: 600n, vtid: 600n, vpid: 600n, exeIno: 0n, exeInoCtimeEpochNs: 0n, exeInoMtimeEpochNs: 0n };
    const frame = execve(T0 + 1n, 601n, { exe: '/bin/old', args: ['a', 'b'], comm: 'old', ptid: 600n }, c.type);
    assert.is(frame.params.length, c.nparams);
    const { rows } = await decode(scap([callerClone(T0, 600n, 601n), frame, openat(T0 + 2n, 601n)], { pl: [INIT, parent] }));
    const after: Row = {
      'proc.exe': '/bin/old', 'proc.name': 'old', 'proc.args': 'a b', 'proc.pid': 601n, 'proc.pid.ts': T0,
      'proc.exe_ino': null, 'proc.exe_ino.ctime': null, 'proc.exe_ino.mtime': null,
      'proc.exe_ino.ctime_duration_proc_start': null, 'proc.exe_ino.ctime_duration_pidns_start': null,
      'proc.pidns_init_start_ts': BOOT,
    };
    expectEvent(rows, 2, after, 'execve exit');
    expectEvent(rows, 3, after, 'later event');
  });
}

test('oldest execve (PPME_SYSCALL_EXECVE_8_X, no comm): comm is the exe', async () => {
  const frame = execve(T0 + 1n, 602n, { exe: 'oldest', args: ['q'] }, PPME.PPME_SYSCALL_EXECVE_8_X);
  assert.is(frame.params.length, 8);
  const { rows } = await decode(scap([callerClone(T0, 100n, 602n), frame], { pl: [INIT, BASH] }));
  expectEvent(rows, 2, { 'proc.exe': 'oldest', 'proc.name': 'oldest', 'proc.args': 'q', 'proc.exe_ino': 1111n }, 'execve 8');
});

test('extra trailing parameters beyond the table are tolerated (clone and execve)', async () => {
  const clone = callerClone(T0, 100n, 610n);
  clone.params.push(u64(1n), str('future'));
  const exec = execve(T0 + 1n, 610n, { exe_ino: 4444, comm: 'ext' });
  exec.params.push(i64(-1n)); // 32: PPM_MAX_EVENT_PARAMS
  assert.is(exec.params.length, 32);
  const { rows, summary } = await decode(scap([clone, exec, openat(T0 + 2n, 610n)], { pl: [INIT, BASH] }));
  assert.is(summary.events, 3);
  expectEvent(rows, 2, { 'proc.pid': 610n, 'proc.pid.ts': T0, 'proc.name': 'ext', 'proc.exe_ino': 4444n }, 'extended execve');
  expectEvent(rows, 3, { 'proc.name': 'ext', 'proc.exe_ino': 4444n }, 'after');
});

// ---------------------------------------------------------------------------------------------
// procexit

test('orphans get the reaper as parent (libsinsp remove_thread / find_new_reaper): the kernel\'s reaper_tid, else a thread of the group, a process that reaped before, the init', async () => {
  const CLONE_THREAD = 1 << 13;
  const { rows } = await decode(scap([
    callerClone(T0, 100n, 200n), callerClone(T0 + 1n, 200n, 300n),
    procexit(T0 + 2n, 200n, null), // not said: no thread left, bash is no reaper, the init is
    openat(T0 + 3n, 300n),
    callerClone(T0 + 4n, 100n, 400n), callerClone(T0 + 5n, 400n, 500n),
    procexit(T0 + 6n, 400n, 100n), // the kernel names bash (a subreaper)
    openat(T0 + 7n, 500n),
    callerClone(T0 + 8n, 500n, 600n),
    procexit(T0 + 9n, 500n, null), // not said: bash reaped before, so it is a reaper
    openat(T0 + 10n, 600n),
    callerClone(T0 + 11n, 100n, 700n), callerClone(T0 + 12n, 700n, 701n, { flags: CLONE_THREAD }),
    callerClone(T0 + 13n, 700n, 800n),
    procexit(T0 + 14n, 700n, null), // the leader ends, thread 701 lives on and inherits 800
    openat(T0 + 15n, 800n),
    callerClone(T0 + 16n, 900n, 901n, { ptid: 5555n }), // 900's parent is unknown
    procexit(T0 + 17n, 900n, null),
    openat(T0 + 18n, 901n),
  ], { pl: [{ ...INIT, ptid: 1n }, BASH] }), { types: ['openat'] }); // an init that is its own parent is still found
  const parent = (tid: bigint): FieldValue => rows.find((r) => r['thread.tid'] === tid)!['proc.ppid'];
  assert.equal([parent(300n), parent(500n), parent(600n), parent(800n), parent(901n)], [1n, 100n, 100n, 700n, null]);
});

test('procexit: the event still shows the thread, the next event of that tid does not', async () => {
  const events = [
    callerClone(T0, 100n, 700n),
    openat(T0 + 1n, 700n),
    procexit(T0 + 2n, 700n),
    openat(T0 + 3n, 700n),
    openat(T0 + 4n, 100n),
  ];
  const { rows, summary } = await decode(scap(events, { pl: [INIT, BASH] }));
  expectEvent(rows, 2, { 'proc.name': 'bash', 'proc.pid': 700n }, 'before exit');
  expectEvent(rows, 3, { 'evt.type': 'procexit', 'proc.name': 'bash', 'proc.pid': 700n, 'proc.pid.ts': T0 }, 'procexit event');
  expectEvent(rows, 4, NO_THREAD, 'after exit');
  expectEvent(rows, 5, { 'proc.name': 'bash', 'proc.pid': 100n }, 'parent untouched');
  assert.is(summary.threads, 2);
  // When procexit is not delivered (type filter) the thread still goes.
  const filtered = await decode(scap(events, { pl: [INIT, BASH] }), { types: ['openat'] });
  assert.equal(filtered.rows.map((r) => [r['evt.num'], r['proc.name']]), [[2, 'bash'], [4, null], [5, 'bash']]);
});

// ---------------------------------------------------------------------------------------------
// container.id from cgroups

const CONTAINER_CASES: { name: string; cgroups: (id: string) => string[]; host?: boolean }[] = [
  { name: 'docker cgroupfs', cgroups: (id) => ['cpu,cpuacct=/', `cpuset=/docker/${id}`] },
  { name: 'docker systemd', cgroups: (id) => [`0::/system.slice/docker-${id}.scope`] },
  {
    name: 'cri-containerd systemd',
    cgroups: (id) => [`0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod3b4c5d6e_1f2a_4b3c_8d9e_0a1b2c3d4e5f.slice/cri-containerd-${id}.scope`],
  },
  {
    name: 'cri-o systemd',
    cgroups: (id) => [`0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod3b4c5d6e_1f2a_4b3c_8d9e_0a1b2c3d4e5f.slice/crio-${id}.scope`],
  },
  { name: 'podman libpod', cgroups: (id) => [`0::/machine.slice/libpod-${id}.scope`] },
  { name: 'kubepods cgroupfs', cgroups: (id) => [`cpu,cpuacct=/kubepods/burstable/pod3b4c5d6e-1f2a-4b3c-8d9e-0a1b2c3d4e5f/${id}`] },
  { name: 'host session scope', cgroups: () => HOST_CGROUPS, host: true },
  { name: 'a 63-digit run is no id', cgroups: (id) => [`cpuset=/docker/${id.slice(1)}`], host: true },
];

for (const c of CONTAINER_CASES) {
  test(`container.id from cgroups: ${c.name}`, async () => {
    const id = fullId(c.name);
    const ts = T0 + 100n;
    const { rows } = await decode(scap([
      childClone(T0, 800n, 100n, { flags: PPM_CL.PPM_CL_CLONE_NEWPID, vtid: 1n, vpid: 1n, pidns_init_start_ts: PIDNS_BOOT_NS, cgroups: c.cgroups(id) }),
      openat(ts, 800n),
    ], { pl: [INIT, BASH] }));
    const start = PIDNS_BOOT_NS + BOOT;
    expectEvent(rows, 2, c.host
      ? { 'container.id': 'host', 'container.start_ts': null, 'container.duration': null, 'proc.pidns_init_start_ts': start }
      : { 'container.id': id.slice(0, 12), 'container.start_ts': start, 'container.duration': ts - start }, c.name);
  });
}

test('container.id: from the process list, and replaced by the cgroups of an execve', async () => {
  const id1 = fullId('pl');
  const id2 = fullId('exec');
  const ctr: ProcessEntry = { ...BASH, tid: 850n, pid: 850n, vtid: 1n, vpid: 1n, cgroups: [`0::/system.slice/docker-${id1}.scope`], pidnsInitStartTsEpochNs: BOOT + 7n };
  const { rows } = await decode(scap([
    openat(T0, 850n),
    execve(T0 + 1n, 850n, { cgroups: [`cpuset=/docker/${id2}`] }),
    execve(T0 + 2n, 850n, { cgroups: HOST_CGROUPS }),
  ], { pl: [INIT, BASH, ctr] }));
  expectEvent(rows, 1, { 'container.id': id1.slice(0, 12), 'proc.pidns_init_start_ts': BOOT + 7n, 'container.start_ts': BOOT + 7n, 'container.duration': T0 - BOOT - 7n }, 'PL');
  expectEvent(rows, 2, { 'container.id': id2.slice(0, 12) }, 'execve');
  expectEvent(rows, 3, { 'container.id': 'host', 'container.start_ts': null }, 'execve to host cgroups');
});

// ---------------------------------------------------------------------------------------------
// Robustness: unknown ids and extra parameters do not stop the stream

test('unknown event ids are walked and skipped (counted, not numbered, as libscap); extra params are tolerated', async () => {
  const extra = openat(T0 + 3n, 100n);
  extra.params.push(u64(7n), str('x'));
  const { rows, summary } = await decode(scap([
    openat(T0, 100n),
    { ts: T0 + 1n, tid: 100n, type: 1000, params: [u64(1n), null, str('?')] },
    { ts: T0 + 2n, tid: 100n, type: 5000, params: [] },
    extra,
    callerClone(T0 + 4n, 100n, 950n),
    openat(T0 + 5n, 950n),
  ], { pl: [INIT, BASH] }));
  assert.is(summary.events, 4);
  assert.is(summary.unknownEvents, 2);
  assert.equal(rows.map((r) => [r['evt.num'], r['evt.type']]), [
    [1, 'openat'], [2, 'openat'], [3, 'clone'], [4, 'openat'],
  ]);
  expectEvent(rows, 4, { 'proc.name': 'bash', 'proc.pid': 950n, 'proc.pid.ts': T0 + 4n }, 'state still applied after them');
});

test('the same capture fed in 7-byte chunks gives the same rows', async () => {
  const bytes = scap([
    callerClone(T0, 100n, 500n),
    execve(T0 + SEC, 500n, { exe: '/tmp/x', exe_ino: 9, exe_ino_ctime: T0 - SEC }),
    procexit(T0 + 2n * SEC, 500n),
    openat(T0 + 3n * SEC, 500n),
  ], { pl: [INIT, BASH] });
  const whole = await decode(bytes);
  const small = await decode(bytes, { chunkBytes: 7 });
  assert.equal(small.rows, whole.rows);
  assert.is(whole.rows.length, 4);
});

test.run();
