/**
 * An orphan's parent, live: `(setsid sh -c 'sleep 0.3; exec /bin/sleep 1' &)` — the subshell
 * forks and exits, the kernel gives its child to a reaper (the init of the pid namespace, or a
 * subreaper: run a second time under perl made one with prctl), and the child's exec comes after.
 * proc.ppid / proc.pname of that exec must be the
 * reaper the kernel names (/proc/PID/status PPid, read while it runs) and what libsinsp's
 * sinsp-example reads from the same recording (libs thread_manager.cpp remove_thread →
 * find_new_reaper / the procexit's reaper_tid). Recorded as root with the project's driver.
 * Without root (or a built driver) the suite says why, loudly, and checks nothing; without
 * sinsp-example, the comparison with libsinsp says why and is skipped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture, type CaptureEvent } from '../ts/api/index.js';
import { startLoader } from '../ts/live/index.js';
import { liveSuite } from './helpers/live_suite.js';
import { runCli } from './helpers/cli.js';

/** libsinsp's sinsp-example (../shared/tools/build-oracle.sh puts it there). */
const ORACLE = process.env.SCAPDRIFT_ORACLE ?? '/opt/oracle/bin/sinsp-example';
const FIELDS = ['evt.type', 'evt.rawres', 'thread.tid', 'proc.pid', 'proc.ppid', 'proc.pname', 'proc.exepath'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An orphan's exec: its pid, and its parent as the kernel tells while it runs. */
interface Orphan { pid: number; kernelPpid: number; reaperComm: string }

interface Recording { dir: string; file: string; events: CaptureEvent[]; orphan: Orphan; subreaped: Orphan; subreaper: number }

/**
 * PR_SET_CHILD_SUBREAPER (include/uapi/linux/prctl.h) and x86-64's prctl syscall number: perl
 * (perl-base, in every Debian) becomes a subreaper, then runs the orphan-making shell line.
 */
const PR_SET_CHILD_SUBREAPER = 36;
const SYS_PRCTL_X86_64 = 157;

/** The shell line that makes an orphan: the subshell forks and exits; the child execs /bin/sleep after 0.3 s. */
const orphanLine = (pidFile: string): string => `(setsid sh -c 'sleep 0.3; exec /bin/sleep 1' & echo $! > ${pidFile})`;

/** The orphan whose pid `pidFile` will hold, and its parent read from /proc while it runs /bin/sleep. */
async function watch(pidFile: string): Promise<Orphan> {
  for (let i = 0; i < 200 && !existsSync(pidFile); i++) await sleep(10);
  await sleep(700); // past the exec (0.3 s), before the end (1.3 s)
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const kernelPpid = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return { pid, kernelPpid, reaperComm: readFileSync(`/proc/${kernelPpid}/comm`, 'utf8').trim() };
}

async function record(): Promise<Recording> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'scapdrift-reparent-')));
  const file = join(dir, 'orphan.scap');
  const loader = startLoader({ writeFile: file, forwardStderr: false });
  let orphan: Orphan | undefined, subreaped: Orphan | undefined, subreaper = 0;
  try {
    await loader.ready;
    for (const sub of [false, true]) {
      const pidFile = join(dir, sub ? 'subreaped.pid' : 'orphan.pid');
      const child = sub
        ? spawn('perl', ['-e', `syscall(${SYS_PRCTL_X86_64}, ${PR_SET_CHILD_SUBREAPER}, 1, 0, 0, 0) == 0 or die "prctl: $!"; system("sh", "-c", $ARGV[0]) == 0 or die; sleep 2;`, orphanLine(pidFile)])
        : spawn('sh', ['-c', orphanLine(pidFile)]);
      const done = new Promise<number | null>((res) => child.on('exit', res));
      const o = await watch(pidFile);
      assert.is(await done, 0, `${sub ? 'perl' : 'sh'}: the orphan-making line ran`);
      if (sub) { subreaped = o; subreaper = child.pid!; } else orphan = o;
    }
    await sleep(800);
  } finally {
    const exit = await loader.stop();
    assert.is(exit.code, 0, `the loader stops cleanly: ${exit.stderr}`);
  }
  const events: CaptureEvent[] = [];
  for await (const ev of openCapture(file, { types: ['execve'], fields: FIELDS })) events.push(ev);
  return { dir, file, events, orphan: orphan!, subreaped: subreaped!, subreaper };
}

/** The exec of /bin/sleep by orphan `o` (after its parent exited). */
function orphanExec(r: Recording, o: Orphan): CaptureEvent {
  const ev = r.events.find((e) => e['evt.rawres'] === 0n && e['thread.tid'] === BigInt(o.pid) && e['proc.exepath'] === '/usr/bin/sleep');
  assert.ok(ev, `the execve exit of /bin/sleep by pid ${o.pid}`);
  return ev!;
}

liveSuite('orphan reparenting tests', record, (get) => {
  test('an orphan\'s exec: proc.ppid and proc.pname are the reaper the kernel gave it', () => {
    const r = get();
    const ev = orphanExec(r, r.orphan);
    assert.ok(r.orphan.kernelPpid > 0);
    assert.equal([ev['proc.ppid'], ev['proc.pname']], [BigInt(r.orphan.kernelPpid), r.orphan.reaperComm]);
  });

  test('under a child subreaper (prctl PR_SET_CHILD_SUBREAPER): the subreaper, as the kernel says', () => {
    const r = get();
    const ev = orphanExec(r, r.subreaped);
    assert.is(r.subreaped.kernelPpid, r.subreaper, 'the kernel gave the orphan to perl');
    assert.equal([ev['proc.ppid'], ev['proc.pname']], [BigInt(r.subreaper), 'perl']);
  });

  test('a filter on proc.ppid selects the orphan\'s exec by the reaper\'s pid (proc.ppid = 1 on a host without subreaper)', () => {
    const r = get();
    const out = runCli(['read', r.file, `evt.type = execve and proc.ppid = ${r.orphan.kernelPpid}`, '-p', '%proc.pid %proc.exepath']);
    assert.is(out.status, 0, out.stderr);
    assert.ok(out.stdout.split('\n').includes(`${r.orphan.pid} /usr/bin/sleep`), out.stdout);
  });

  test('libsinsp (sinsp-example) reads the same proc.ppid and proc.pname from the recording, for both', () => {
    const r = get();
    if (!existsSync(ORACLE)) {
      console.warn(`\n  SKIPPED libsinsp comparison of the orphans' parents: no ${ORACLE} (build it with ../shared/tools/build-oracle.sh, or set SCAPDRIFT_ORACLE)\n`);
      return;
    }
    for (const o of [r.orphan, r.subreaped]) {
      const filter = `evt.type = execve and evt.dir = < and proc.pid = ${o.pid} and proc.exepath = /usr/bin/sleep`;
      const sinsp = spawnSync(ORACLE, ['-s', r.file, '-a', '-f', filter, '-o', '%proc.ppid %proc.pname'], { encoding: 'utf8', maxBuffer: 1 << 26 });
      assert.is(sinsp.status, 0, sinsp.stderr);
      const lines = sinsp.stdout.split('\n').filter((l) => /^\d+ \S+$/.test(l));
      const ev = orphanExec(r, o);
      assert.equal(lines, [`${ev['proc.ppid']} ${ev['proc.pname']}`]);
    }
  });
});

test.run();
