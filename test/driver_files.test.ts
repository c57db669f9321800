/**
 * The live driver's file events (issue 7), for real: as root, load the eBPF
 * programs, drop and run a binary and a `#!` script, rename, write in a loop, start
 * a pid namespace, then read the capture through the public API and compare with
 * stat(), realpath() and the pids of the processes this test spawned. A second,
 * short capture checks the process table's pid-namespace start for a namespace
 * born in the first. Without root (or without a built driver) the suite says why,
 * loudly, and checks nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture, type CaptureEvent } from '../ts/api/index.js';
import { liveCaptureUnavailable, startLoader, type RunningLoader } from '../ts/live/index.js';

const MS = 1_000_000n;
const FILE_EVENTS = ['open', 'openat', 'openat2', 'creat', 'write', 'pwrite', 'writev', 'pwritev', 'copy_file_range',
  'sendfile', 'chmod', 'fchmodat', 'fchmod', 'rename', 'renameat', 'renameat2', 'link', 'linkat', 'memfd_create', 'dup', 'dup2', 'dup3'];
const WRITES = new Set(['write', 'pwrite', 'writev', 'pwritev', 'copy_file_range', 'sendfile']);
const FIELDS = [
  'evt.type', 'evt.rawtime', 'evt.rawres', 'thread.tid', 'thread.vtid', 'proc.pid', 'proc.name',
  'proc.exepath', 'proc.exe_ino', 'proc.exe_ino.ctime', 'proc.exe_ino.mtime', 'proc.pidns_init_start_ts',
  'container.start_ts', 'evt.rawarg.fd', 'evt.rawarg.fdout', 'evt.rawarg.out_fd', 'evt.rawarg.name', 'evt.rawarg.flags',
  'evt.rawarg.mode', 'evt.rawarg.dev', 'evt.rawarg.ino', 'evt.rawarg.filename', 'evt.rawarg.oldpath', 'evt.rawarg.newpath',
  'evt.rawarg.trusted_exepath', 'evt.rawarg.size', 'evt.rawarg.oldfd', 'evt.rawarg.newfd',
  'drift.exe_writer.pid', 'drift.exe_writer.name', 'drift.exe_written_ts', 'drift.exe_written_duration',
  'drift.exe_chmod.pid', 'drift.exe_chmod.name', 'drift.exe_chmod_ts', 'drift.exe_chmod_duration',
  'proc.is_exe_script', 'proc.exe_interpreter',
];
// libs' PPM_O_* and scapdrift's exec flag (driver/include/scapdrift_abi.h)
const PPM_O_WRONLY = 1 << 1;
const PPM_O_CREAT = 1 << 2;
const PPM_O_F_CREATED = 1 << 14;
const SD_PPM_EXE_SCRIPT = 2 ** 31;
const LOOP_WRITES = 10_000;

/** Runs a command, insists it succeeded, returns its pid. */
function run(cmd: string, args: string[]): number {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.is(r.status, 0, `${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
  return r.pid!;
}

interface Stat { ino: bigint; dev: bigint; ctimeNs: bigint; mtimeNs: bigint }
function stat(path: string): Stat {
  const st = statSync(path, { bigint: true });
  return { ino: st.ino, dev: st.dev, ctimeNs: st.ctimeNs, mtimeNs: st.mtimeNs };
}

async function readEvents(file: string, types: string[]): Promise<{ events: CaptureEvent[]; boot: bigint }> {
  const cap = openCapture(file, { types, fields: FIELDS });
  const events: CaptureEvent[] = [];
  for await (const ev of cap) events.push(ev);
  return { events, boot: cap.machineInfo?.bootTsEpochNs ?? 0n };
}

async function stopped(loader: RunningLoader): Promise<void> {
  const exit = await loader.stop();
  assert.is(exit.code, 0, `the loader stops cleanly: ${exit.stderr}`);
  assert.match(exit.stderr, /counters: events=\d+ drop_ringbuf_full=0 drop_no_scratch=0 drop_too_large=0/, 'nothing dropped');
}

/** The pid of the only child of `pid` (from /proc), waiting for it to appear. */
async function childOf(pid: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    if (kids) return Number(kids.split(' ')[0]);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no child of ${pid}`);
}

interface Recording {
  dir: string;
  events: CaptureEvent[];
  /** Events of the second capture (the long-lived namespace's init in its process table). */
  later: CaptureEvent[];
  x: string; xStat: Stat; cpPid: number; chmodPid: number; xPid: number;
  renamed: { from: string; to: string; mvPid: number };
  script: string; scriptStat: Stat; scriptPid: number;
  movedScript: string; movedScriptStat: Stat; movedScriptPid: number;
  oldScript: string; oldScriptPid: number;
  loop: string; loopStat: Stat; loopPid: number;
  memfdPid: number;
  y: string; yPid: number; shPid: number;
  unsharePid: number; reaperPid: number;
  longUnsharePid: number; longReaperPid: number;
}

async function record(): Promise<Recording> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'scapdrift-files-')));
  const file = join(dir, 'files.scap');
  const laterFile = join(dir, 'later.scap');
  let loader: RunningLoader | undefined;
  let longLived: ChildProcess | undefined;
  // A script that exists before the capture: the driver never saw it written.
  const oldScript = join(dir, 'old.sh');
  writeFileSync(oldScript, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  try {
    loader = startLoader({ writeFile: file, forwardStderr: false });
    await loader.ready;

    // Drop and execute.
    const x = join(dir, 'x');
    const cpPid = run('cp', ['/bin/true', x]);
    const chmodPid = run('chmod', ['+x', x]);
    const xPid = run(x, []);
    const xStat = stat(x);

    // Rename.
    const from = join(dir, 'a.tmp');
    const to = join(dir, 'b');
    writeFileSync(from, 'data');
    const mvPid = run('mv', [from, to]);

    // A script, run directly; another written under a temporary name and renamed into place.
    const script = join(dir, 's.sh');
    writeFileSync(script, '#!/bin/sh\nexit 0\n');
    chmodSync(script, 0o755);
    const scriptPid = run(script, []);
    const scriptStat = stat(script);
    const movedScript = join(dir, 'moved.sh');
    writeFileSync(`${movedScript}.part`, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    run('mv', [`${movedScript}.part`, movedScript]);
    const movedScriptPid = run(movedScript, []);
    const movedScriptStat = stat(movedScript);
    const oldScriptPid = run(oldScript, []);

    // 10,000 small writes to one file opened once.
    const loop = join(dir, 'loop');
    const loopPid = run('perl', ['-e', `open(my $f, '>', $ARGV[0]) or die; syswrite($f, 'x') for 1..${LOOP_WRITES}; close $f`, loop]);
    const loopStat = stat(loop);

    // memfd_create(2) and a write to the memfd.
    const memfdPid = run('perl', ['-e', 'my $name = "sd_files"; my $fd = syscall(319, $name, 1); die "memfd_create: $!" if $fd < 0;'
      + ' open(my $m, ">&=", $fd) or die; syswrite($m, "x") or die;']);

    // A binary dropped by a shell redirection: the shell opens the file and dup2s it onto fd 1,
    // then cat (forked from it) writes it through fd 1.
    const y = join(dir, 'y');
    const shPid = run('sh', ['-c', `cat /bin/true > ${y}`]);
    run('chmod', ['+x', y]);
    const yPid = run(y, []);

    // A pid namespace: its init (the reaper) is unshare's child.
    const unshare = spawn('unshare', ['-pf', '--mount-proc', 'sh', '-c', 'sleep 0.2'], { stdio: 'ignore' });
    const unsharePid = unshare.pid!;
    const reaperPid = await childOf(unsharePid);
    await new Promise((r) => unshare.once('exit', r));

    // A namespace still alive when the second capture starts.
    longLived = spawn('unshare', ['-pf', '--mount-proc', 'sleep', '60'], { stdio: 'ignore' });
    const longUnsharePid = longLived.pid!;
    const longReaperPid = await childOf(longUnsharePid);
    await new Promise((r) => setTimeout(r, 50));

    await stopped(loader);
    const { events } = await readEvents(file, [...FILE_EVENTS, 'execve', 'clone', 'fork', 'vfork', 'clone3', 'procexit']);

    // Second capture: the namespace's init comes from the process table; its exit ends it.
    loader = startLoader({ writeFile: laterFile, forwardStderr: false });
    await loader.ready;
    const gone = new Promise((r) => longLived!.once('exit', r));
    process.kill(longReaperPid, 'SIGKILL');
    await gone;
    await stopped(loader);
    const later = (await readEvents(laterFile, ['procexit'])).events;

    return {
      dir, events, later, x, xStat, cpPid, chmodPid, xPid, renamed: { from, to, mvPid },
      script, scriptStat, scriptPid, movedScript, movedScriptStat, movedScriptPid, oldScript, oldScriptPid, loop, loopStat, loopPid, memfdPid,
      y, yPid, shPid,
      unsharePid, reaperPid, longUnsharePid, longReaperPid,
    };
  } finally {
    await loader?.stop();
    if (longLived && longLived.exitCode === null && longLived.signalCode === null) longLived.kill('SIGKILL');
  }
}

const of = (r: Recording, pid: number, types: string | Set<string>) => r.events.filter((e) =>
  e['proc.pid'] === BigInt(pid) && (typeof types === 'string' ? e['evt.type'] === types : types.has(String(e['evt.type']))));

/** The open exits (open, openat, openat2, creat) of `pid` naming `path`. */
function opensOf(r: Recording, pid: number, path: string): CaptureEvent[] {
  return of(r, pid, new Set(['open', 'openat', 'openat2', 'creat'])).filter((e) => e['evt.rawarg.name'] === path);
}

function execOf(r: Recording, pid: number): CaptureEvent {
  const ev = r.events.find((e) => e['evt.type'] === 'execve' && e['evt.rawres'] === 0n && e['thread.tid'] === BigInt(pid));
  assert.ok(ev, `the execve exit of pid ${pid}`);
  return ev!;
}

const why = liveCaptureUnavailable();
if (why) {
  console.warn(`\n  SKIPPED driver file-event tests (nothing checked): ${why}\n`);
  test(`driver files: skipped, ${why}`, () => {});
} else {
  let r: Recording;
  test.before(async () => {
    r = await record();
  });
  test.after(() => {
    if (r) rmSync(r.dir, { recursive: true, force: true });
  });

  test('drop: cp opens the new file for writing, with the kernel path, inode and dev of stat()', () => {
    const opens = opensOf(r, r.cpPid, r.x);
    assert.is(opens.length, 1, 'one open exit of the copy target');
    const ev = opens[0]!;
    assert.is(ev['evt.rawarg.ino'], r.xStat.ino);
    assert.is(BigInt(ev['evt.rawarg.dev'] as number), r.xStat.dev, 'dev: the superblock dev as libs encodes it (= st_dev)');
    const flags = ev['evt.rawarg.flags'] as number;
    assert.ok((flags & PPM_O_WRONLY) && (flags & PPM_O_CREAT), `flags ${flags}: O_WRONLY|O_CREAT`);
    assert.ok(flags & PPM_O_F_CREATED, `flags ${flags}: O_F_CREATED, the call created the file`);
    assert.ok((ev['evt.rawarg.fd'] as bigint) >= 0n);
  });

  test('drop: the first write of cp to that descriptor, and only that one', () => {
    const fd = opensOf(r, r.cpPid, r.x)[0]!['evt.rawarg.fd'];
    const writes = of(r, r.cpPid, WRITES);
    // cp (coreutils >= 9) copies with copy_file_range(2), others with write(2): the first of either is reported.
    assert.is(writes.length, 1, `one write-family exit of cp, got ${writes.map((e) => e['evt.type']).join(', ')}`);
    const w = writes[0]!;
    assert.is(w['evt.rawarg.fd'] ?? w['evt.rawarg.fdout'] ?? w['evt.rawarg.out_fd'], fd, 'to the descriptor of the open');
    assert.ok((w['evt.rawres'] as bigint) > 0n);
  });

  test('drop: chmod +x reports the absolute path and the mode', () => {
    const evs = of(r, r.chmodPid, new Set(['chmod', 'fchmodat']));
    assert.is(evs.length, 1, 'one chmod/fchmodat exit');
    assert.is(evs[0]!['evt.rawarg.filename'], r.x);
    assert.is(evs[0]!['evt.rawarg.mode'], 0o755, 'PPM_S_* bits of rwxr-xr-x');
    assert.is(evs[0]!['evt.rawres'], 0n);
  });

  test('drop: the exec of the dropped file carries its inode', () => {
    const ev = execOf(r, r.xPid);
    assert.is(ev['proc.exe_ino'], r.xStat.ino);
    assert.is(ev['proc.exe_ino.ctime'], r.xStat.ctimeNs);
    assert.is(ev['evt.rawarg.filename'], r.x);
  });

  test('drop, decoded: the exec names cp as writer and chmod as chmod author, with their times', () => {
    const ev = execOf(r, r.xPid);
    const write = of(r, r.cpPid, WRITES)[0]!;
    const chmod = of(r, r.chmodPid, new Set(['chmod', 'fchmodat']))[0]!;
    const at = ev['evt.rawtime'] as bigint;
    assert.equal(
      [ev['drift.exe_writer.pid'], ev['drift.exe_writer.name'], ev['drift.exe_written_ts'], ev['drift.exe_written_duration']],
      [BigInt(r.cpPid), 'cp', write['evt.rawtime'], at - (write['evt.rawtime'] as bigint)],
    );
    assert.equal(
      [ev['drift.exe_chmod.pid'], ev['drift.exe_chmod.name'], ev['drift.exe_chmod_ts'], ev['drift.exe_chmod_duration']],
      [BigInt(r.chmodPid), 'chmod', chmod['evt.rawtime'], at - (chmod['evt.rawtime'] as bigint)],
    );
    assert.ok((ev['drift.exe_chmod_duration'] as bigint) > 0n && (ev['drift.exe_written_duration'] as bigint) > (ev['drift.exe_chmod_duration'] as bigint));
  });

  test('shell redirection, decoded: the dup2 onto fd 1 is sent, and cat (which wrote the file through it) is the writer, not the shell', () => {
    const opens = opensOf(r, r.shPid, r.y);
    assert.is(opens.length, 1, 'the shell opens the file');
    const dups = of(r, r.shPid, new Set(['dup2', 'dup3']));
    assert.equal(dups.map((e) => [e['evt.rawres'], e['evt.rawarg.oldfd'], e['evt.rawarg.newfd']]), [[1n, opens[0]!['evt.rawres'], 1n]], 'one dup2 of the opened fd onto 1');
    const ev = execOf(r, r.yPid);
    assert.is(ev['drift.exe_writer.name'], 'cat');
    const writer = Number(ev['drift.exe_writer.pid']);
    assert.is.not(writer, r.shPid, 'not the shell that opened the file');
    const write = of(r, writer, WRITES)[0];
    assert.ok(write, `a write event of the writer (pid ${writer})`);
    assert.is(write!['evt.rawarg.fd'] ?? write!['evt.rawarg.fdout'] ?? write!['evt.rawarg.out_fd'], 1n, 'through fd 1');
    assert.is(ev['drift.exe_written_ts'], write!['evt.rawtime']);
  });

  test('script, decoded: exepath is the script, the interpreter resolved, written and chmod-ed by this test', () => {
    const ev = execOf(r, r.scriptPid);
    assert.equal(
      [ev['proc.exepath'], ev['proc.exe_interpreter'], ev['proc.is_exe_script'], ev['drift.exe_writer.pid'], ev['drift.exe_chmod.pid']],
      [r.script, realpathSync('/bin/sh'), true, BigInt(process.pid), BigInt(process.pid)],
    );
    const plain = execOf(r, r.xPid);
    assert.equal([plain['proc.is_exe_script'], plain['proc.exe_interpreter']], [false, null]);
  });

  test('rename: mv reports both absolute paths', () => {
    const evs = of(r, r.renamed.mvPid, new Set(['rename', 'renameat', 'renameat2']));
    assert.is(evs.length, 1, 'one rename-family exit');
    assert.is(evs[0]!['evt.rawarg.oldpath'], r.renamed.from);
    assert.is(evs[0]!['evt.rawarg.newpath'], r.renamed.to);
    assert.is(evs[0]!['evt.rawres'], 0n);
  });

  test('script: the exec describes the script file, the interpreter stays trusted_exepath', () => {
    const ev = execOf(r, r.scriptPid);
    const flags = ev['evt.rawarg.flags'] as number;
    assert.ok(flags >= SD_PPM_EXE_SCRIPT, `flags ${flags}: SD_PPM_EXE_SCRIPT (bit 31)`);
    assert.is(ev['proc.exe_ino'], r.scriptStat.ino, 'exe_ino of the script');
    assert.is(ev['proc.exe_ino.ctime'], r.scriptStat.ctimeNs);
    assert.is(ev['proc.exe_ino.mtime'], r.scriptStat.mtimeNs);
    assert.is(ev['evt.rawarg.trusted_exepath'], realpathSync('/bin/sh'));
    assert.is(ev['evt.rawarg.filename'], r.script);
  });

  test('script: written under another name and renamed into place, still known by its inode', () => {
    const ev = execOf(r, r.movedScriptPid);
    assert.ok((ev['evt.rawarg.flags'] as number) >= SD_PPM_EXE_SCRIPT);
    assert.is(ev['proc.exe_ino'], r.movedScriptStat.ino);
    assert.is(ev['evt.rawarg.filename'], r.movedScript);
  });

  test('script: one the driver never saw written is described from its own file (stat() identity)', () => {
    const ev = execOf(r, r.oldScriptPid);
    assert.ok(((ev['evt.rawarg.flags'] as number) & SD_PPM_EXE_SCRIPT) !== 0, 'the script bit');
    const st = stat(r.oldScript);
    assert.is(ev['proc.exe_ino'], st.ino);
    assert.is(ev['proc.exe_ino.ctime'], st.ctimeNs);
    assert.is(ev['evt.rawarg.filename'], r.oldScript);
    assert.is(ev['evt.rawarg.trusted_exepath'], realpathSync('/bin/sh'));
  });

  test('non-script execs do not have the script bit', () => {
    assert.ok((execOf(r, r.xPid)['evt.rawarg.flags'] as number) < SD_PPM_EXE_SCRIPT);
  });

  test(`${LOOP_WRITES} writes to a file opened once: one write event`, () => {
    assert.is(r.loopStat.ino, opensOf(r, r.loopPid, r.loop)[0]?.['evt.rawarg.ino'], 'the open of the file');
    const writes = of(r, r.loopPid, WRITES);
    assert.is(writes.length, 1, `write events of the loop: ${writes.length}`);
    assert.is(writes[0]!['evt.type'], 'write');
    assert.is(writes[0]!['evt.rawarg.size'], 1);
  });

  test('memfd_create: the kernel name of the memfd, then its first write', () => {
    const evs = of(r, r.memfdPid, 'memfd_create');
    assert.is(evs.length, 1);
    assert.is(evs[0]!['evt.rawarg.name'], 'memfd:sd_files', 'the name an exec of it would have as trusted_exepath');
    assert.is(evs[0]!['evt.rawarg.flags'], 1, 'MFD_CLOEXEC');
    const writes = of(r, r.memfdPid, 'write');
    assert.is(writes.length, 1);
    assert.is(writes[0]!['evt.rawarg.fd'], evs[0]!['evt.rawarg.fd']);
  });

  test('pid namespace: pidns_init_start_ts is the reaper start, within 10 ms of its clone', () => {
    const parentSide = r.events.find((e) => e['evt.rawres'] === BigInt(r.reaperPid) && e['thread.tid'] === BigInt(r.unsharePid)
      && ['clone', 'fork', 'vfork', 'clone3'].includes(String(e['evt.type'])));
    const childSide = r.events.find((e) => e['evt.rawres'] === 0n && e['thread.tid'] === BigInt(r.reaperPid)
      && ['clone', 'fork', 'vfork', 'clone3'].includes(String(e['evt.type'])));
    assert.ok(parentSide && childSide, 'both sides of the clone that made the reaper');
    assert.is(childSide!['thread.vtid'], 1n, 'the reaper is pid 1 in its namespace');
    const start = childSide!['proc.pidns_init_start_ts'] as bigint;
    const cloneTs = parentSide!['evt.rawtime'] as bigint;
    assert.ok(start <= cloneTs && cloneTs - start < 10n * MS,
      `start ${start} ns-exact before the parent's clone exit ${cloneTs} (${cloneTs - start} ns)`);
    const inside = r.events.filter((e) => e['proc.pid'] === BigInt(r.reaperPid) && e['evt.type'] === 'execve' && e['evt.rawres'] === 0n);
    assert.ok(inside.length > 0, 'an exec inside the namespace');
    for (const ev of inside) assert.is(ev['proc.pidns_init_start_ts'], start, `${String(ev['proc.name'])}: same namespace start`);
  });

  test('pid namespace alive at capture start: the process table has the same ns-exact start', () => {
    const first = r.events.find((e) => e['evt.rawres'] === 0n && e['thread.tid'] === BigInt(r.longReaperPid)
      && ['clone', 'fork', 'vfork', 'clone3'].includes(String(e['evt.type'])));
    assert.ok(first, 'the clone of the long-lived reaper in the first capture');
    const exit = r.later.find((e) => e['thread.tid'] === BigInt(r.longReaperPid));
    assert.ok(exit, 'its procexit in the second capture');
    const fromTable = exit!['proc.pidns_init_start_ts'] as bigint;
    const fromClone = first!['proc.pidns_init_start_ts'] as bigint;
    // Two loaders, two boot_ts_epoch samples: equal up to their jitter, far below a clock tick.
    const d = fromTable > fromClone ? fromTable - fromClone : fromClone - fromTable;
    assert.ok(d < MS / 10n, `process table ${fromTable} vs clone ${fromClone}: ${d} ns apart`);
  });
}

test.run();
