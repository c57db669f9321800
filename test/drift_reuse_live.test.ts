/**
 * The user trial's false Critical alert, live: a file is written and chmod'ed 755, deleted, and
 * `cp /bin/true newtool` gets its inode number back (ext4 hands out a freed inode again); then
 * newtool runs. cp creates the file already executable and does no chmod, so the exec of newtool
 * names cp as writer, no chmod author, and the rule "Binary written and made executable during
 * the capture, then run" stays silent. The same for `mv` from a tmpfs (a copy: open O_CREAT|O_EXCL,
 * writes; the mode comes with the file, no chmod). Recorded as root with the project's driver, read back
 * through the public API and the CLI. Without root (or a built driver) the suite says why, loudly,
 * and checks nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture, type CaptureEvent } from '../ts/api/index.js';
import { startLoader } from '../ts/live/index.js';
import { liveSuite } from './helpers/live_suite.js';
import { runCli } from './helpers/cli.js';

const FIELDS = [
  'evt.type', 'evt.rawres', 'thread.tid', 'proc.exepath', 'proc.exe_ino', 'drift.exe_writer.pid', 'drift.exe_writer.name',
  'drift.exe_chmod.pid', 'drift.exe_chmod.name', 'drift.exe_chmod_ts', 'drift.exe_chmod_duration',
];
const RULE = 'Binary written and made executable during the capture, then run';
/** Tries at getting the deleted file's inode number for the copy (ext4 gives it back at once here). */
const REUSE_TRIES = 20;

/** Runs a command, insists it succeeded, returns its pid. */
function run(cmd: string, args: string[], cwd?: string): number {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd });
  assert.is(r.status, 0, `${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
  return r.pid!;
}

/** A file made at a deleted file's inode number, then run. */
interface Made { path: string; ino: bigint; makerPid: number; chmodPid: number; runPid: number }

interface Recording { dir: string; file: string; events: CaptureEvent[]; cp: Made; mv: Made }

/**
 * Writes and chmods 755 a file, deletes it and makes `path` with `make` (which returns its pid)
 * until `path` gets the deleted file's inode number, then runs it.
 */
function makeAtReusedInode(dir: string, path: string, make: () => number): Made {
  const old = join(dir, 'old_notes.txt');
  for (let i = 0; i < REUSE_TRIES; i++) {
    writeFileSync(old, 'hello\n');
    const chmodPid = run('chmod', ['755', old]);
    const oldIno = statSync(old, { bigint: true }).ino;
    rmSync(old);
    const makerPid = make();
    const ino = statSync(path, { bigint: true }).ino;
    if (ino === oldIno) return { path, ino, makerPid, chmodPid, runPid: run(path, []) };
    rmSync(path);
  }
  throw new Error(`${path} never got the deleted file's inode number in ${REUSE_TRIES} tries (filesystem of ${dir})`);
}

async function record(): Promise<Recording> {
  // Under /tmp, on the root filesystem (ext4 on this VM), not a tmpfs: tmpfs never reuses an inode number.
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'scapdrift-reuse-')));
  const file = join(dir, 'reuse.scap');
  const tool = join(dir, 'newtool');
  const moved = join(dir, 'movedtool');
  // The source of a move across filesystems (copy, then unlink): /dev/shm is a tmpfs.
  const shm = join('/dev/shm', `scapdrift-reuse-${process.pid}`);
  const loader = startLoader({ writeFile: file, forwardStderr: false });
  let cp: Made | undefined, mv: Made | undefined;
  try {
    await loader.ready;
    cp = makeAtReusedInode(dir, tool, () => run('cp', ['/bin/true', tool]));
    mv = makeAtReusedInode(dir, moved, () => {
      run('cp', ['/bin/true', shm]);
      return run('mv', [shm, moved]);
    });
  } finally {
    rmSync(shm, { force: true });
    const exit = await loader.stop();
    assert.is(exit.code, 0, `the loader stops cleanly: ${exit.stderr}`);
  }
  const events: CaptureEvent[] = [];
  for await (const ev of openCapture(file, { types: ['execve'], fields: FIELDS })) events.push(ev);
  return { dir, file, events, cp: cp!, mv: mv! };
}

/** The exec of `m` after it was made: writer `maker`, no chmod author. */
function checkExec(r: Recording, m: Made, maker: string): void {
  const ev = r.events.find((e) => e['evt.rawres'] === 0n && e['thread.tid'] === BigInt(m.runPid));
  assert.ok(ev, `the execve exit of ${m.path} (pid ${m.runPid})`);
  assert.is(ev!['proc.exepath'], m.path);
  assert.is(ev!['proc.exe_ino'], m.ino, 'the inode number the deleted file had');
  assert.equal([ev!['drift.exe_writer.pid'], ev!['drift.exe_writer.name']], [BigInt(m.makerPid), maker]);
  assert.equal([ev!['drift.exe_chmod.pid'], ev!['drift.exe_chmod.name'], ev!['drift.exe_chmod_ts'], ev!['drift.exe_chmod_duration']],
    [null, null, null, null], `chmod pid ${m.chmodPid} changed the deleted file, not ${m.path}`);
}

liveSuite('inode-reuse drift tests', record, (get) => {
  test('the exec of a copy at a deleted file\'s inode number: writer cp, no chmod author (the deleted file\'s chmod is not carried over)', () => {
    const r = get();
    checkExec(r, r.cp, 'cp');
  });

  test('the same for a move across filesystems (mv copies, then unlinks the source): writer mv, no chmod author', () => {
    const r = get();
    checkExec(r, r.mv, 'mv');
  });

  test('default rules on the recording: the chmod rule stays silent for both', () => {
    const r = get();
    const out = runCli(['read', r.file, '--default-rules', '-q']);
    assert.is(out.status, 0, out.stderr);
    assert.equal(out.stdout.split('\n').filter((l) => l.includes(RULE) && (l.includes(r.cp.path) || l.includes(r.mv.path))), []);
  });
});

test.run();
