/**
 * The live driver, for real: as root, load the eBPF programs, run the scenarios of
 * issue 3 while the loader writes a capture, then read that capture through the
 * public API and compare with stat() and the clock. Without root (or without a
 * built driver) the suite says why and checks nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture, type CaptureEvent } from '../ts/index.js';
import { liveCaptureUnavailable, startLoader } from '../ts/capture/index.js';
import { runCli } from './helpers/cli.js';

const NS_PER_S = 1_000_000_000n;
const FIELDS = [
  'evt.num', 'evt.type', 'evt.rawtime', 'evt.rawres', 'thread.tid', 'thread.vtid', 'proc.name', 'proc.exepath',
  'evt.arg.filename', 'proc.exe_ino', 'proc.exe_ino.ctime', 'proc.exe_ino.mtime',
  'proc.exe_ino.ctime_duration_proc_start', 'proc.pidns_init_start_ts', 'proc.is_exe_writable',
  'proc.is_exe_upper_layer', 'proc.is_exe_lower_layer', 'proc.is_exe_from_memfd',
];

/** Runs a command and insists it succeeded. */
function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.is(r.status, 0, `${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
}

/** Executes /bin/true from a memfd, via /proc/self/fd/N (perl is in every Debian: perl-base). */
const MEMFD_EXEC = 'my $name = "scapdrift_memfd"; my $fd = syscall(319, $name, 0); die "memfd_create: $!" if $fd < 0;'
  + ' open(my $in, "<:raw", "/bin/true") or die; open(my $out, ">&=", $fd) or die; binmode $out;'
  + ' { local $/; print $out scalar(<$in>); } close $in; $out->flush;'
  + ' exec {"/proc/self/fd/$fd"} "memfd_true" or die "exec: $!"';

interface Scenario {
  dir: string;
  file: string;
  boot: bigint;
  dropped: string;
  trueReal: string;
  upper: string;
  lower: string;
  unshareStartNs: bigint;
  events: CaptureEvent[];
  /** stat() of the files after they ran. */
  stats: Map<string, { ino: bigint; ctimeNs: bigint; mtimeNs: bigint }>;
}

function statNs(path: string): { ino: bigint; ctimeNs: bigint; mtimeNs: bigint } {
  const st = statSync(path, { bigint: true });
  return { ino: st.ino, ctimeNs: st.ctimeNs, mtimeNs: st.mtimeNs };
}

/** Loads the driver, runs every scenario once, stops the loader and reads the capture. */
async function record(): Promise<Scenario> {
  const dir = mkdtempSync(join(tmpdir(), 'scapdrift-driver-'));
  const file = join(dir, 'live.scap');
  const loader = startLoader({ writeFile: file, forwardStderr: false });
  const stats = new Map<string, { ino: bigint; ctimeNs: bigint; mtimeNs: bigint }>();
  const ovl = join(dir, 'ovl');
  let mounted = false;
  let unshareStartNs = 0n;
  try {
    await loader.ready;

    // Drop and execute.
    const dropped = join(dir, 'dropped_true');
    copyFileSync('/bin/true', dropped);
    chmodSync(dropped, 0o755);
    run(dropped, []);
    stats.set(dropped, statNs(dropped));
    // The same binary from the image.
    run('/bin/true', []);
    stats.set(realpathSync('/bin/true'), statNs('/bin/true'));

    // Fileless.
    run('perl', ['-e', MEMFD_EXEC]);

    // Overlayfs: one binary from the lower layer, one dropped into the merged dir.
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(ovl, d), { recursive: true });
    copyFileSync('/bin/true', join(ovl, 'lower', 'lower_true'));
    chmodSync(join(ovl, 'lower', 'lower_true'), 0o755);
    run('mount', ['-t', 'overlay', 'overlay', '-o',
      `lowerdir=${join(ovl, 'lower')},upperdir=${join(ovl, 'upper')},workdir=${join(ovl, 'work')}`, join(ovl, 'merged')]);
    mounted = true;
    const upper = join(ovl, 'merged', 'upper_true');
    const lower = join(ovl, 'merged', 'lower_true');
    copyFileSync('/bin/true', upper);
    chmodSync(upper, 0o755);
    run(upper, []);
    run(lower, []);
    stats.set(upper, statNs(upper));
    stats.set(lower, statNs(lower));

    // A new pid namespace.
    unshareStartNs = BigInt(Date.now()) * 1_000_000n;
    run('unshare', ['--fork', '--pid', '/bin/true']);

    const exit = await loader.stop();
    assert.is(exit.code, 0, `the loader stops cleanly on SIGTERM: ${exit.stderr}`);
    assert.match(exit.stderr, /counters: events=\d+ drop_ringbuf_full=0/, 'counters on stderr at exit, nothing dropped');

    const cap = openCapture(file, { types: ['execve', 'clone', 'fork', 'vfork', 'clone3'], fields: FIELDS });
    const events: CaptureEvent[] = [];
    for await (const ev of cap) events.push(ev);
    const boot = cap.machineInfo?.bootTsEpochNs;
    assert.ok(boot !== undefined && boot > 0n, 'the machine-info block carries boot_ts_epoch');
    return { dir, file, boot: boot!, dropped, trueReal: realpathSync('/bin/true'), upper, lower, unshareStartNs, events, stats };
  } finally {
    await loader.stop();
    if (mounted) spawnSync('umount', [join(ovl, 'merged')]);
  }
}

/** The successful execve exit of `path` (its trusted exe path). */
function execOf(s: Scenario, path: string): CaptureEvent {
  const ev = s.events.find((e) => e['evt.type'] === 'execve' && e['evt.rawres'] === 0n && e['proc.exepath'] === path);
  assert.ok(ev, `an execve exit of ${path} in the capture`);
  return ev!;
}

const why = liveCaptureUnavailable();
if (why) {
  test(`driver: skipped, ${why}`, () => {});
} else {
  let s: Scenario;
  test.before(async () => {
    s = await record();
  });
  test.after(() => {
    if (s) rmSync(s.dir, { recursive: true, force: true });
  });

  test('drop and execute: exe_ino, ctime and mtime equal stat() to the nanosecond', () => {
    const ev = execOf(s, s.dropped);
    const st = s.stats.get(s.dropped)!;
    assert.is(ev['proc.exe_ino'], st.ino);
    assert.is(ev['proc.exe_ino.ctime'], st.ctimeNs);
    assert.is(ev['proc.exe_ino.mtime'], st.mtimeNs);
    assert.is(ev['evt.arg.filename'], s.dropped);
    const d = ev['proc.exe_ino.ctime_duration_proc_start'] as bigint;
    assert.ok(typeof d === 'bigint' && d >= 0n && d <= 10n * NS_PER_S, `ctime_duration_proc_start ${d} within 0-10 s`);
    assert.is(ev['proc.is_exe_writable'], true, 'root may write its own file');
    assert.is(ev['proc.is_exe_from_memfd'], false);
  });

  test('/bin/true from the image: stat() values, ctime far in the past', () => {
    const ev = execOf(s, s.trueReal);
    const st = s.stats.get(s.trueReal)!;
    assert.is(ev['proc.exe_ino'], st.ino);
    assert.is(ev['proc.exe_ino.ctime'], st.ctimeNs);
    assert.is(ev['proc.exe_ino.mtime'], st.mtimeNs);
    const d = ev['proc.exe_ino.ctime_duration_proc_start'] as bigint;
    assert.ok(d > 60n * NS_PER_S, `ctime ${d} ns before the process start`);
  });

  test('fileless: executing a memfd sets proc.is_exe_from_memfd', () => {
    const ev = s.events.find((e) => e['evt.type'] === 'execve' && e['evt.rawres'] === 0n && e['proc.exepath'] === 'memfd:scapdrift_memfd');
    assert.ok(ev, 'the memfd execve');
    assert.is(ev!['proc.is_exe_from_memfd'], true);
    assert.is(ev!['proc.is_exe_upper_layer'], false);
  });

  test('overlayfs: a binary dropped into the merged dir is upper layer, one from the lower dir lower layer', () => {
    const up = execOf(s, s.upper);
    const low = execOf(s, s.lower);
    assert.equal([up['proc.is_exe_upper_layer'], up['proc.is_exe_lower_layer']], [true, false]);
    assert.equal([low['proc.is_exe_upper_layer'], low['proc.is_exe_lower_layer']], [false, true]);
    assert.is(up['proc.exe_ino'], s.stats.get(s.upper)!.ino);
    assert.is(low['proc.exe_ino'], s.stats.get(s.lower)!.ino);
    assert.is(up['proc.exe_ino.ctime'], s.stats.get(s.upper)!.ctimeNs);
  });

  test('pid namespace: unshare children get the namespace start, host processes the boot time', () => {
    const inner = s.events.find((e) => e['evt.type'] === 'execve' && e['proc.exepath'] === s.trueReal && e['thread.vtid'] !== e['thread.tid']);
    assert.ok(inner, 'the /bin/true execve inside the new pid namespace');
    const start = inner!['proc.pidns_init_start_ts'] as bigint;
    const delta = start - s.unshareStartNs;
    assert.ok(delta >= -NS_PER_S && delta <= NS_PER_S, `pidns_init_start_ts ${start} within 1 s of the unshare start (${delta} ns)`);
    assert.is.not(start, s.boot);
    assert.is(execOf(s, s.dropped)['proc.pidns_init_start_ts'], s.boot, 'a host process: the boot time');
  });

  test('the written capture reads back with `scapdrift read` to the same values', () => {
    const r = runCli(['read', s.file, '-q', '--json', '-t', 'execve', '-p', '%proc.exepath %proc.exe_ino %proc.exe_ino.ctime %proc.exe_ino.mtime']);
    assert.is(r.status, 0, r.stderr);
    const row = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((x) => x['proc.exepath'] === s.dropped);
    const st = s.stats.get(s.dropped)!;
    // JSON numbers are exact in the text; compare them as text.
    assert.ok(row, 'the dropped binary in `read` output');
    const line = r.stdout.split('\n').find((l) => l.includes(`"${s.dropped}"`))!;
    assert.ok(line.includes(`"proc.exe_ino.ctime":${st.ctimeNs}`), line);
    assert.ok(line.includes(`"proc.exe_ino.mtime":${st.mtimeNs}`), line);
    assert.ok(line.includes(`"proc.exe_ino":${st.ino}`), line);
  });
}

test.run();
