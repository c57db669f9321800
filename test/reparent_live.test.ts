/**
 * An orphan's parent, live: `(setsid sh -c 'sleep 0.3; exec /bin/sleep 1' &)` — the subshell
 * forks and exits, the kernel gives its child to a reaper (the init of the pid namespace, or a
 * subreaper), and the child's exec comes after. proc.ppid / proc.pname of that exec must be the
 * reaper the kernel names (/proc/PID/status PPid, read while it runs) and what libsinsp's
 * sinsp-example reads from the same recording (libs thread_manager.cpp remove_thread →
 * find_new_reaper / the procexit's reaper_tid). Recorded as root with the project's driver.
 * Without root (or a built driver) the suite says why, loudly, and checks nothing; without
 * sinsp-example, the comparison with libsinsp says why and is skipped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture, type CaptureEvent } from '../ts/api/index.js';
import { liveCaptureUnavailable, startLoader } from '../ts/live/index.js';
import { runCli } from './helpers/cli.js';

/** libsinsp's sinsp-example (../shared/tools/build-oracle.sh puts it there). */
const ORACLE = process.env.SCAPDRIFT_ORACLE ?? '/opt/oracle/bin/sinsp-example';
const FIELDS = ['evt.type', 'evt.rawres', 'thread.tid', 'proc.pid', 'proc.ppid', 'proc.pname', 'proc.exepath'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Recording { dir: string; file: string; events: CaptureEvent[]; orphan: number; kernelPpid: number; reaperComm: string }

async function record(): Promise<Recording> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'scapdrift-reparent-')));
  const file = join(dir, 'orphan.scap');
  const pidFile = join(dir, 'orphan.pid');
  const loader = startLoader({ writeFile: file, forwardStderr: false });
  let orphan = 0, kernelPpid = 0, reaperComm = '';
  try {
    await loader.ready;
    const r = spawnSync('sh', ['-c', `(setsid sh -c 'sleep 0.3; exec /bin/sleep 1' & echo $! > ${pidFile})`], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    orphan = Number(readFileSync(pidFile, 'utf8').trim());
    await sleep(650); // past the exec of /bin/sleep, before it ends
    kernelPpid = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${orphan}/status`, 'utf8'))![1]);
    reaperComm = readFileSync(`/proc/${kernelPpid}/comm`, 'utf8').trim();
    await sleep(900);
  } finally {
    const exit = await loader.stop();
    assert.is(exit.code, 0, `the loader stops cleanly: ${exit.stderr}`);
  }
  const events: CaptureEvent[] = [];
  for await (const ev of openCapture(file, { types: ['execve'], fields: FIELDS })) events.push(ev);
  return { dir, file, events, orphan, kernelPpid, reaperComm };
}

/** The exec of /bin/sleep by the orphan (after its parent exited). */
function orphanExec(r: Recording): CaptureEvent {
  const ev = r.events.find((e) => e['evt.rawres'] === 0n && e['thread.tid'] === BigInt(r.orphan) && e['proc.exepath'] === '/usr/bin/sleep');
  assert.ok(ev, `the execve exit of /bin/sleep by pid ${r.orphan}`);
  return ev!;
}

const why = liveCaptureUnavailable();
if (why) {
  console.warn(`\n  SKIPPED orphan reparenting tests (nothing checked): ${why}\n`);
  test(`reparenting: skipped, ${why}`, () => {});
} else {
  let r: Recording;
  test.before(async () => {
    r = await record();
  });
  test.after(() => {
    if (r) rmSync(r.dir, { recursive: true, force: true });
  });

  test('an orphan\'s exec: proc.ppid and proc.pname are the reaper the kernel gave it', () => {
    const ev = orphanExec(r);
    assert.ok(r.kernelPpid > 0);
    assert.equal([ev['proc.ppid'], ev['proc.pname']], [BigInt(r.kernelPpid), r.reaperComm]);
  });

  test('a filter on proc.ppid selects the orphan\'s exec by the reaper\'s pid (proc.ppid = 1 on a host without subreaper)', () => {
    const out = runCli(['read', r.file, `evt.type = execve and proc.ppid = ${r.kernelPpid}`, '-p', '%proc.pid %proc.exepath']);
    assert.is(out.status, 0, out.stderr);
    assert.ok(out.stdout.split('\n').includes(`${r.orphan} /usr/bin/sleep`), out.stdout);
  });

  test('libsinsp (sinsp-example) reads the same proc.ppid and proc.pname from the recording', () => {
    if (!existsSync(ORACLE)) {
      console.warn(`\n  SKIPPED libsinsp comparison of the orphan's parent: no ${ORACLE} (build it with ../shared/tools/build-oracle.sh, or set SCAPDRIFT_ORACLE)\n`);
      return;
    }
    const filter = `evt.type = execve and evt.dir = < and proc.pid = ${r.orphan} and proc.exepath = /usr/bin/sleep`;
    const sinsp = spawnSync(ORACLE, ['-s', r.file, '-a', '-f', filter, '-o', '%proc.ppid %proc.pname'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.is(sinsp.status, 0, sinsp.stderr);
    const lines = sinsp.stdout.split('\n').filter((l) => /^\d+ \S+$/.test(l));
    const ev = orphanExec(r);
    assert.equal(lines, [`${ev['proc.ppid']} ${ev['proc.pname']}`]);
  });
}

test.run();
