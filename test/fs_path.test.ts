/**
 * The fs.path.* fields (assembly/filter/fspath_fields.ts; libs sinsp_filtercheck_fspath.cpp)
 * against libsinsp's own values: sinsp-example on every shared capture (every event where any
 * fs.path field exists, in a condition and in output), and on a capture written here with the
 * dirfd and cwd cases no shared capture holds (mkdirat, unlinkat, renameat, renameat2, linkat,
 * symlinkat, the chmod and chown families, open, mount, umount2, chdir).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORACLE, oracle, sinsp, ours, captureFile } from './helpers/falco_reference.js';
import { runCli } from './helpers/cli.js';
import { escapeBytes } from '../ts/fields/escape.js';
import { ScapWriter, frameByName, type EventFrame } from '../ts/scap/writer.js';
import type { ProcessEntry } from '../ts/scap/process_list.js';
import { PPME } from '../ts/events/ppm_constants.js';

if (!oracle) console.warn(`\n  SKIPPED sinsp-example checks of fs.path.*: no ${ORACLE} (build it with ../shared/tools/build-oracle.sh, or set SCAPDRIFT_ORACLE)\n`);

const FS = ['fs.path.name', 'fs.path.nameraw', 'fs.path.source', 'fs.path.sourceraw', 'fs.path.target', 'fs.path.targetraw'];
const FIELDS = ['evt.num', 'evt.type', ...FS];
const ANY = FS.map((f) => `${f} exists`).join(' or ');

/** sinsp-example's rows, each cell escaped as scapdrift escapes kernel text (a "\" doubled, controls as \xNN). */
function theirs(file: string, filter: string, fields: string[]): string[] {
  return sinsp(file, filter, fields).map((r) => r.split('|').map((c) => (c === '<NA>' ? c : escapeBytes(Buffer.from(c, 'utf8')))).join('|'));
}
const withoutNum = (r: string): string => r.slice(r.indexOf('|') + 1);

/**
 * Old sysdig captures (enter and exit events): libscap merges each old enter/exit pair into one
 * event before libsinsp numbers it, so the same open has another evt.num there (as in
 * test/fd_table.test.ts). The values agree on every row; the rows whose evt.num differs, counted.
 */
const OTHER_NUM: Record<string, number> = {
  drop_exec: 0, memfd_exec: 0, busy: 0, curl_google: 47, curl_google_comments: 47, single_ipv6_conn: 0, test_ipv6_client: 2,
};

for (const name of Object.keys(OTHER_NUM)) {
  test(`${name}: fs.path.* equal libsinsp's on every event that has one (condition and values)`, async () => {
    if (!oracle) return;
    let file = captureFile(name);
    if (name === 'busy') {
      // sinsp-example reads plain files only.
      file = join(tmpdir(), `scapdrift-fspath-busy-${process.pid}.scap`);
      await pipeline(createReadStream(captureFile(name)), createGunzip(), createWriteStream(file));
    }
    try {
      const want = theirs(file, ANY, FIELDS);
      const got = await ours(file, ANY, FIELDS);
      assert.equal(got.map(withoutNum), want.map(withoutNum), 'the same values in the same order');
      const nums = new Set(want.map((r) => r.split('|')[0]));
      assert.is(got.filter((r) => !nums.has(r.split('|')[0])).length, OTHER_NUM[name], 'rows numbered otherwise (old enter/exit pairs merged by libscap)');
      if (name === 'busy') assert.ok(want.length > 150_000, `${want.length} rows`);
    } finally {
      if (name === 'busy') rmSync(file, { force: true });
    }
  });
}

// A capture written by the project's own writer: every resolution case of libsinsp's fspath check.
const SEC = 1_000_000_000n;
const BOOT = 1_700_000_000n * SEC;
const T0 = BOOT + 1000n * SEC;
const PL: ProcessEntry[] = [
  { tid: 1n, pid: 1n, ptid: 0n, comm: 'systemd', exe: '/sbin/init', exepath: '/usr/lib/systemd/systemd', args: [], cwd: '/', fdlimit: 1024n, flags: 0, uid: 0, gid: 0, vtid: 1n, vpid: 1n },
  { tid: 100n, pid: 100n, ptid: 1n, comm: 'bash', exe: '-bash', exepath: '/usr/bin/bash', args: [], cwd: '/home/u/', fdlimit: 1024n, flags: 0, uid: 1000, gid: 1000, vtid: 100n, vpid: 100n },
];
const PPM_O_RDONLY = 1;
const PPM_O_DIRECTORY = 1 << 10;
const AT_FDCWD = -100;

function fsCapture(): Uint8Array {
  const w = new ScapWriter().sectionHeader();
  w.machineInfo({ numCpus: 1, memorySizeBytes: 1n << 30n, hostname: 'synthetic', bootTsEpochNs: BOOT });
  w.processList(PL);
  let ts = T0;
  const ev = (id: number, params: Record<string, unknown>, tid = 100n): void => {
    ts += 1000n;
    w.event(0, frameByName(id, ts, tid, params as never) as EventFrame);
  };
  const dir = (fd: number, name: string): void => ev(PPME.PPME_SYSCALL_OPENAT_2_X, { fd, dirfd: AT_FDCWD, name, flags: PPM_O_RDONLY | PPM_O_DIRECTORY, mode: 0, dev: 0xfe00, ino: 10 + fd });
  dir(3, '/tmp'); // 1
  dir(4, 'proj'); // 2: /home/u/proj
  ev(PPME.PPME_SYSCALL_OPENAT_2_X, { fd: 5, dirfd: AT_FDCWD, name: '/etc/passwd', flags: PPM_O_RDONLY, mode: 0, dev: 0xfe00, ino: 673 }); // 3
  ev(PPME.PPME_SYSCALL_MKDIRAT_X, { res: 0, dirfd: 3, path: 'a', mode: 0o755 }); // 4: /tmp/a
  ev(PPME.PPME_SYSCALL_MKDIRAT_X, { res: 0, dirfd: AT_FDCWD, path: 'b', mode: 0o755 }); // 5: AT_FDCWD is no fd: <UNKNOWN>b
  ev(PPME.PPME_SYSCALL_MKDIRAT_X, { res: -17, dirfd: 3, path: 'a', mode: 0o755 }); // 6: failed
  ev(PPME.PPME_SYSCALL_MKDIR_2_X, { res: 0, path: 'c/./d/', mode: 0o755 }); // 7: /home/u/c/d
  ev(PPME.PPME_SYSCALL_UNLINKAT_2_X, { res: 0, dirfd: 4, name: '../x', flags: 0 }); // 8: /home/u/x
  ev(PPME.PPME_SYSCALL_UNLINKAT_2_X, { res: 0, dirfd: 9, name: 'y', flags: 0 }); // 9: unknown dirfd
  ev(PPME.PPME_SYSCALL_UNLINKAT_2_X, { res: 0, dirfd: 5, name: 'y', flags: 0 }); // 10: a file, not a directory
  ev(PPME.PPME_SYSCALL_UNLINK_2_X, { res: 0, path: '/tmp//a/./b/../c' }); // 11: /tmp/a/c
  ev(PPME.PPME_SYSCALL_RENAMEAT2_X, { res: 0, olddirfd: 3, oldpath: 'a', newdirfd: AT_FDCWD, newpath: 'z', flags: 0 }); // 12
  ev(PPME.PPME_SYSCALL_RENAMEAT2_X, { res: 0, olddirfd: 4, oldpath: '/abs/p', newdirfd: 8, newpath: 'q', flags: 0 }); // 13
  ev(PPME.PPME_SYSCALL_RENAMEAT_X, { res: 0, olddirfd: 3, oldpath: 'a', newdirfd: 4, newpath: 'q' }); // 14: the cwd, whatever the dirfds
  ev(PPME.PPME_SYSCALL_RENAME_X, { res: 0, oldpath: 'r1', newpath: '/tmp/r2' }); // 15
  ev(PPME.PPME_SYSCALL_LINKAT_2_X, { res: 0, olddir: 3, oldpath: 'f', newdir: 4, newpath: 'g', flags: 0 }); // 16
  ev(PPME.PPME_SYSCALL_LINK_2_X, { res: 0, oldpath: '/etc/hosts', newpath: 'h' }); // 17
  ev(PPME.PPME_SYSCALL_SYMLINKAT_X, { res: 0, target: '../etc/passwd', linkdirfd: 4, linkpath: 'l' }); // 18
  ev(PPME.PPME_SYSCALL_SYMLINKAT_X, { res: 0, target: '/etc/passwd', linkdirfd: AT_FDCWD, linkpath: 'l2' }); // 19
  ev(PPME.PPME_SYSCALL_SYMLINK_X, { res: 0, target: 'rel', linkpath: '/tmp/s' }); // 20
  ev(PPME.PPME_SYSCALL_CHMOD_X, { res: 0, filename: 'm', mode: 0o755 }); // 21
  ev(PPME.PPME_SYSCALL_CHMOD_X, { res: -1, filename: 'm', mode: 0o755 }); // 22: failed
  ev(PPME.PPME_SYSCALL_FCHMODAT_X, { res: 0, dirfd: 4, filename: 'k', mode: 0o700 }); // 23
  ev(PPME.PPME_SYSCALL_FCHMOD_X, { res: 0, fd: 5, mode: 0o600 }); // 24: fd.name
  ev(PPME.PPME_SYSCALL_FCHMOD_X, { res: 0, fd: 77, mode: 0o600 }); // 25: an fd not in the table
  ev(PPME.PPME_SYSCALL_FCHOWN_X, { res: 0, fd: 5, uid: 0, gid: 0 }); // 26
  ev(PPME.PPME_SYSCALL_FCHOWNAT_X, { res: 0, dirfd: 3, pathname: 'o', uid: 0, gid: 0, flags: 0 }); // 27
  ev(PPME.PPME_SYSCALL_CHOWN_X, { res: 0, path: null, uid: 0, gid: 0 }); // 28: an empty parameter reads <NA> (libsinsp's legacy null)
  ev(PPME.PPME_SYSCALL_CHDIR_X, { res: 0, path: '/var' }); // 29
  ev(PPME.PPME_SYSCALL_MKDIR_2_X, { res: 0, path: 'e', mode: 0o755 }); // 30: /var/e
  ev(PPME.PPME_SYSCALL_OPEN_X, { fd: -2, name: 'nope', flags: PPM_O_RDONLY, mode: 0, dev: 0, ino: 0 }); // 31: ENOENT passes fd != -1
  ev(PPME.PPME_SYSCALL_OPEN_X, { fd: -1, name: 'eperm', flags: PPM_O_RDONLY, mode: 0, dev: 0, ino: 0 }); // 32: -1 does not
  ev(PPME.PPME_SYSCALL_OPENAT_2_X, { fd: -2, dirfd: 3, name: 'missing', flags: PPM_O_RDONLY, mode: 0, dev: 0, ino: 0 }); // 33
  ev(PPME.PPME_SYSCALL_OPENAT_2_X, { fd: 6, dirfd: 3, name: 'w', flags: PPM_O_RDONLY, mode: 0, dev: 0xfe00, ino: 99 }); // 34
  ev(PPME.PPME_SYSCALL_MOUNT_X, { res: 0, dev: 'tmpfs', dir: 'mnt', type: 'tmpfs', flags: 0 }); // 35
  ev(PPME.PPME_SYSCALL_UMOUNT2_X, { res: 0, name: '/mnt/../mnt/', flags: 0 }); // 36
  ev(PPME.PPME_SYSCALL_MKDIR_2_X, { res: 0, path: 'zz', mode: 0o755 }, 999n); // 37: a thread not in the table
  return w.finish();
}

test('a written capture: every dirfd/cwd case of mkdirat, unlinkat, rename*, link*, symlink*, chmod/chown families, open, mount equals sinsp-example', async () => {
  const file = join(tmpdir(), `scapdrift-fspath-${process.pid}.scap`);
  writeFileSync(file, fsCapture());
  try {
    const filter = 'evt.num > 3';
    const rows = await ours(file, filter, FIELDS);
    const at = (num: number): string => withoutNum(rows.find((r) => r.startsWith(`${num}|`))!);
    assert.is(rows.length, 34);
    assert.is(at(4), 'mkdirat|/tmp/a|a|<NA>|<NA>|<NA>|<NA>');
    assert.is(at(5), 'mkdirat|<UNKNOWN>b|b|<NA>|<NA>|<NA>|<NA>');
    assert.is(at(6), 'mkdirat|<NA>|<NA>|<NA>|<NA>|<NA>|<NA>');
    assert.is(at(7), 'mkdir|/home/u/c/d|c/./d/|<NA>|<NA>|<NA>|<NA>');
    assert.is(at(8), 'unlinkat|/home/u/x|../x|<NA>|<NA>|<NA>|<NA>');
    assert.is(at(10), 'unlinkat|<UNKNOWN>y|y|<NA>|<NA>|<NA>|<NA>');
    assert.is(at(12), 'renameat2|<NA>|<NA>|/tmp/a|a|/home/u/z|z');
    assert.is(at(14), 'renameat|<NA>|<NA>|/home/u/a|a|/home/u/q|q');
    assert.is(at(16), 'linkat|<NA>|<NA>|/home/u/g|g|/home/u/f|f');
    assert.is(at(18), 'symlinkat|<NA>|<NA>|/home/u/proj/l|l|<UNKNOWN>../etc/passwd|../etc/passwd');
    assert.is(at(24), 'fchmod|/etc/passwd|/etc/passwd|<NA>|<NA>|<NA>|<NA>');
    assert.is(at(28), 'chown|/home/u/<NA>|<NA>|<NA>|<NA>|<NA>|<NA>');
    assert.is(at(25), 'fchmod|||<NA>|<NA>|<NA>|<NA>', 'an fd not in the table: fd.name is empty, and so are both');
    assert.is(at(31), 'open|/var/nope|nope|<NA>|<NA>|<NA>|<NA>');
    assert.is(at(32), 'open|<NA>|<NA>|<NA>|<NA>|<NA>|<NA>');
    assert.is(at(33), 'openat|<UNKNOWN>|missing|<NA>|<NA>|<NA>|<NA>');
    assert.is(at(37), 'mkdir|<NA>|zz|<NA>|<NA>|<NA>|<NA>');
    if (oracle) {
      // Deliberate difference: for a thread it never saw, libsinsp makes a placeholder whose cwd is
      // "./" (fs.path.name "./zz"); scapdrift has no thread, and a resolved path is missing.
      const want = theirs(file, filter, FIELDS);
      assert.is(want.find((r) => r.startsWith('37|')), '37|mkdir|./zz|zz|<NA>|<NA>|<NA>|<NA>');
      assert.equal(rows.filter((r) => !r.startsWith('37|')), want.filter((r) => !r.startsWith('37|')), 'sinsp-example on the same file');
      for (const cond of [ANY, 'fs.path.name startswith /home/u', 'fs.path.target contains UNKNOWN', 'fs.path.sourceraw = a', 'fs.path.name glob "/tmp/*"', 'not fs.path.name exists and evt.num != 37']) {
        assert.equal((await ours(file, cond, ['evt.num'])), theirs(file, cond, ['evt.num']), cond);
      }
    }
    // The Wasm formatter prints the same (-p and JSON), and a rule can use them.
    const p = runCli(['read', file, '-f', 'evt.type = symlinkat', '-p', '%evt.num %fs.path.source %fs.path.target %fs.path.targetraw', '--quiet']);
    assert.is(p.stdout, '18 /home/u/proj/l <UNKNOWN>../etc/passwd ../etc/passwd\n19 <UNKNOWN>l2 /etc/passwd /etc/passwd\n', p.stderr);
    const rules = join(tmpdir(), `scapdrift-fspath-${process.pid}.yaml`);
    writeFileSync(rules, '- rule: Move out of tmp\n  desc: d\n  condition: evt.type = renameat2 and fs.path.source startswith /tmp/\n  output: moved %fs.path.source to %fs.path.target (%fs.path.name)\n  priority: WARNING\n');
    const j = runCli(['read', file, '-r', rules, '--json', '--quiet']);
    rmSync(rules, { force: true });
    const alerts = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as { output: string; output_fields: Record<string, unknown> });
    assert.is(alerts.length, 1, j.stderr);
    assert.match(alerts[0]!.output, /moved \/tmp\/a to \/home\/u\/z \(<NA>\)$/);
    assert.equal([alerts[0]!.output_fields['fs.path.source'], alerts[0]!.output_fields['fs.path.name']], ['/tmp/a', null]);
  } finally {
    rmSync(file, { force: true });
  }
});

test.run();
