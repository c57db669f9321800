/**
 * Users and groups live (issue 16): the loader writes the host's users and groups as a UL
 * block, as libscap does (from NSS, or $HOST_ROOT/etc/passwd and /etc/group), so user.name,
 * user.homedir, user.shell and group.name read the host's values live, in a `-w` recording,
 * and in libsinsp reading that recording. Needs root and the built driver; without them the
 * suite says why, loudly, and checks nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveCaptureUnavailable } from '../ts/live/index.js';
import { CLI, runCli } from './helpers/cli.js';
import { startCli, exitsWithin } from './helpers/live_cli.js';

const ORACLE = process.env.SCAPDRIFT_ORACLE ?? '/opt/oracle/bin/sinsp-example';
/** The uid and gid the child runs as (nobody/nogroup on Debian). */
const ID = 65534;
const FIELDS = '%user.uid %user.name %user.homedir %user.shell %group.gid %group.name';
const FILTER = `evt.type = execve and evt.dir = < and user.uid = ${ID} and proc.name = true`;

/** passwd/group fields of `id` as the host's NSS gives them (getent). */
function getent(db: 'passwd' | 'group', id: number): string[] {
  const r = spawnSync('getent', [db, String(id)], { encoding: 'utf8' });
  assert.is(r.status, 0, `getent ${db} ${id}`);
  return r.stdout.trim().split(':');
}

/** Runs /bin/true as uid/gid ID once the capture is attached, waits for the capture to end. */
async function captureOne(shellPrefix: string, file: string): Promise<string> {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const r = startCli([], `${shellPrefix} exec ${q(process.execPath)} ${q(CLI)} capture --duration 3 -w ${q(file)} -f ${q(FILTER)} -p ${q(FIELDS)}`);
  await r.capturing;
  const run = spawnSync('setpriv', [`--reuid=${ID}`, `--regid=${ID}`, '--clear-groups', '/bin/true']);
  assert.is(run.status, 0, `setpriv: ${run.stderr}`);
  const { code } = await exitsWithin(r, 60_000);
  assert.is(code, 0, r.stderr());
  return r.stdout();
}

const why = liveCaptureUnavailable();
if (why) {
  console.warn(`\n  SKIPPED live users tests (nothing checked): ${why}\n`);
  test(`live users: skipped, ${why}`, () => {});
} else {
  let dir: string;
  test.before(() => { dir = mkdtempSync(join(tmpdir(), 'scapdrift-users-')); });
  test.after(() => { rmSync(dir, { recursive: true, force: true }); });

  test('live and in the recording, user.* and group.* are the host\'s; libsinsp reads the same from the recording', async () => {
    const [name, , , , , home, shell] = getent('passwd', ID);
    const [group] = getent('group', ID);
    const want = `${ID} ${name} ${home} ${shell} ${ID} ${group}`;
    const file = join(dir, 'users.scap');
    const live = await captureOne('', file);
    assert.equal(live.trim().split('\n'), [want], 'live');
    const read = runCli(['read', file, '-f', FILTER, '-p', FIELDS]);
    assert.is(read.status, 0, read.stderr);
    assert.equal(read.stdout.trim().split('\n'), [want], 'read back');
    if (!existsSync(ORACLE)) {
      console.warn(`\n  SKIPPED libsinsp check of the recording's users: no ${ORACLE} (build it with ../shared/tools/build-oracle.sh)\n`);
      return;
    }
    const sinsp = spawnSync(ORACLE, ['-s', file, '-f', FILTER, '-o', FIELDS], { encoding: 'utf8' });
    assert.is(sinsp.status, 0, sinsp.stderr);
    assert.equal(sinsp.stdout.split('\n').filter((l) => l.startsWith(`${ID} `)), [want], 'sinsp-example -s on the recording');
  });

  test('HOST_ROOT: the users and groups come from $HOST_ROOT/etc/passwd and /etc/group, as libscap reads them', async () => {
    const root = join(dir, 'host');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', 'passwd'), `root:x:0:0:root:/root:/bin/bash\nhostuser:x:${ID}:${ID}:A host user:/home/hostuser:/bin/zsh\n`);
    writeFileSync(join(root, 'etc', 'group'), `root:x:0:\nhostgroup:x:${ID}:\n`);
    const file = join(dir, 'host_root.scap');
    const live = await captureOne(`HOST_ROOT='${root}'`, file);
    const want = `${ID} hostuser /home/hostuser /bin/zsh ${ID} hostgroup`;
    assert.equal(live.trim().split('\n'), [want]);
    // Without passwd in the host root, libscap writes no list: the names are missing.
    rmSync(join(root, 'etc', 'passwd'));
    const none = await captureOne(`HOST_ROOT='${root}'`, join(dir, 'no_passwd.scap'));
    assert.equal(none.trim().split('\n'), [`${ID} <NA> <NA> <NA> ${ID} <NA>`]);
  });
}

test.run();
