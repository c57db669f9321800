/**
 * The fd table (assembly/fd_table.ts, fd_events.ts) and the fd.* fields it feeds, against
 * libsinsp's own values: every row of ../shared/captures/reference/falco/*.falco_fields.tsv.gz
 * on the 13 fd columns and evt.category, evt.info's rendering of fds, sinsp-example (when built) on a capture written here with the
 * changes no shared capture holds (dup, fcntl, pipes, sockets, fork, close-on-exec, chdir),
 * and the table's bounds on a hostile capture.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openByteSource } from '../ts/scap/byte_source.js';
import { Decoder } from '../ts/pipeline/decoder.js';
import { resolveField, fieldText, type FieldRef } from '../ts/fields/fields.js';
import { ORACLE, oracle, readReference, captureFile, sinsp, ours, OTHER_EVENT } from './helpers/falco_reference.js';
import { ScapWriter, frameByName, type EventFrame } from '../ts/scap/writer.js';
import type { ProcessEntry } from '../ts/scap/process_list.js';
import { PPM_CL, PPME, PT } from '../ts/events/ppm_constants.js';

if (!oracle) console.warn(`\n  SKIPPED sinsp-example checks of the fd table: no ${ORACLE} (build it with ../shared/tools/build-oracle.sh, or set SCAPDRIFT_ORACLE)\n`);

/** The fd columns of the reference files (reference/falco/README.md). */
const COLUMNS = [
  'fd.num', 'fd.type', 'fd.typechar', 'fd.name', 'fd.directory', 'fd.filename', 'fd.ino', 'fd.dev', 'fd.sip', 'fd.sport',
  'fd.cip', 'fd.cport', 'fd.l4proto',
];

/**
 * Rows of the old captures where the event agrees but an fd column does not: the event is an
 * exit whose old version carries no fd (it was in the enter event, which libscap merges into it).
 */
const OLD_EXIT: Record<string, number> = {
  drop_exec: 0, memfd_exec: 0, busy: 0, curl_google: 23, curl_google_comments: 23, single_ipv6_conn: 0, test_ipv6_client: 0,
};

/**
 * evt.category of I/O events depends on the fd (file, net, ipc, unknown): rows of the old captures
 * where the event agrees and the category does not — old exits without their fd (as OLD_EXIT).
 */
const CATEGORY_OLD_EXIT: Record<string, number> = {
  drop_exec: 0, memfd_exec: 0, busy: 0, curl_google: 6, curl_google_comments: 6, single_ipv6_conn: 0, test_ipv6_client: 0,
};

for (const name of Object.keys(OTHER_EVENT)) {
  test(`${name}: the 13 fd columns and evt.category equal libsinsp's on every row`, async () => {
    const ref = await readReference(name, [...COLUMNS, 'evt.type', 'evt.dir', 'evt.category']);
    const refs = COLUMNS.map((c) => resolveField(c)!) as FieldRef[];
    const category = resolveField('evt.category')!;
    let categoryOld = 0;
    const type = resolveField('evt.type')!;
    const dir = resolveField('evt.dir')!;
    const mismatches: string[] = [];
    let rows = 0;
    let otherEvent = 0;
    let oldExit = 0;
    await new Decoder().run(await openByteSource(captureFile(name)), {
      onEvent(v) {
        const want = ref.get(String(v.num));
        if (!want) return;
        rows++;
        const n = COLUMNS.length;
        if (fieldText(v, type) !== want[n] || fieldText(v, dir) !== want[n + 1]) { otherEvent++; return; }
        if (fieldText(v, category) !== want[n + 2]) {
          if (CATEGORY_OLD_EXIT[name]! !== 0) categoryOld++;
          else mismatches.push(`evt.num ${v.num} ${want[n]} evt.category: ours ${fieldText(v, category)} libsinsp ${want[n + 2]}`);
        }
        const bad = refs.map((r, i) => [COLUMNS[i]!, fieldText(v, r), want[i]!] as const).filter(([, mine, theirs]) => mine !== theirs);
        if (bad.length === 0) return;
        if (OLD_EXIT[name]! !== 0) { oldExit++; if (process.env.FD_DEBUG) console.log(v.num, bad.map((b) => b.join('|')).join(' ; ')); return; }
        for (const [col, mine, theirs] of bad) mismatches.push(`evt.num ${v.num} ${want[n]} ${col}: ours ${mine.slice(0, 80)} libsinsp ${theirs.slice(0, 80)}`);
      },
    });
    assert.is(rows, ref.size, 'every reference row was decoded');
    assert.equal(mismatches.slice(0, 10), [], `${mismatches.length} mismatches`);
    assert.is(otherEvent, OTHER_EVENT[name], 'rows where libsinsp numbers another event (old enter/exit pairs merged)');
    assert.is(oldExit, OLD_EXIT[name], 'rows of old exit events without their fd');
    assert.is(categoryOld, CATEGORY_OLD_EXIT[name], 'evt.category of old exit events without their fd');
  });
}

/** Param types libsinsp resolves from state other than the fd table (threads, users, cwd). */
const OTHER_STATE = new Set<number>([PT.PT_PID, PT.PT_UID, PT.PT_GID, PT.PT_FSRELPATH, PT.PT_FSPATH, PT.PT_FDLIST, PT.PT_DYN]);

for (const name of ['drop_exec', 'memfd_exec']) {
  test(`${name}: evt.info renders fds as libsinsp does (3(<f>/etc/passwd), 4(<6t>::1:5->::1:80)) on every event with an fd parameter`, async () => {
    const ref = await readReference(name, ['evt.type', 'evt.dir', 'evt.info']);
    const info = resolveField('evt.info')!;
    let compared = 0;
    const diff: string[] = [];
    await new Decoder().run(await openByteSource(captureFile(name)), {
      onEvent(v) {
        const want = ref.get(String(v.num));
        const params = v.info?.params ?? [];
        if (!want || !params.some((p) => p.type === PT.PT_FD) || params.some((p) => OTHER_STATE.has(p.type))) return;
        compared++;
        const mine = fieldText(v, info);
        if (mine !== want[2]) diff.push(`${v.num} ${want[0]}: ${mine.slice(0, 100)} | libsinsp ${want[2]!.slice(0, 100)}`);
      },
    });
    assert.ok(compared > 800, `${compared} rows compared`);
    assert.equal(diff.slice(0, 10), []);
  });
}

// A capture written by the project's own writer, with the fd changes no shared capture holds.
const SEC = 1_000_000_000n;
const BOOT = 1_700_000_000n * SEC;
const T0 = BOOT + 3600n * SEC;
const PL: ProcessEntry[] = [
  { tid: 1n, pid: 1n, ptid: 0n, comm: 'systemd', exe: '/sbin/init', exepath: '/usr/lib/systemd/systemd', args: [], cwd: '/', fdlimit: 1024n, flags: 0, uid: 0, gid: 0, vtid: 1n, vpid: 1n },
  { tid: 100n, pid: 100n, ptid: 1n, comm: 'bash', exe: '-bash', exepath: '/usr/bin/bash', args: [], cwd: '/home/u/', fdlimit: 1024n, flags: 0, uid: 1000, gid: 1000, vtid: 100n, vpid: 100n },
  // A thread of bash, sharing its fds (PPM_CL_CLONE_THREAD | PPM_CL_CLONE_FILES).
  { tid: 101n, pid: 100n, ptid: 1n, comm: 'bash', exe: '-bash', exepath: '/usr/bin/bash', args: [], cwd: '/home/u/', fdlimit: 1024n, flags: PPM_CL.PPM_CL_CLONE_THREAD | PPM_CL.PPM_CL_CLONE_FILES, uid: 1000, gid: 1000, vtid: 101n, vpid: 100n },
  // A thread without CLONE_FILES: libsinsp gives it a table of its own.
  { tid: 102n, pid: 100n, ptid: 1n, comm: 'bash', exe: '-bash', exepath: '/usr/bin/bash', args: [], cwd: '/home/u/', fdlimit: 1024n, flags: PPM_CL.PPM_CL_CLONE_THREAD, uid: 1000, gid: 1000, vtid: 102n, vpid: 100n },
];
const PPM_O_RDONLY = 1;
const PPM_O_CLOEXEC = 1 << 12;
/** PT_SOCKTUPLE of an IPv4 connection: family PPM_AF_INET, source address and port, destination address and port. */
function tuple4(sip: number[], sport: number, dip: number[], dport: number): Uint8Array {
  const b = new Uint8Array(13);
  const dv = new DataView(b.buffer);
  b[0] = 2;
  b.set(sip, 1); dv.setUint16(5, sport, true);
  b.set(dip, 7); dv.setUint16(11, dport, true);
  return b;
}

function fdCapture(): Uint8Array {
  const w = new ScapWriter().sectionHeader();
  w.machineInfo({ numCpus: 1, memorySizeBytes: 1n << 30n, hostname: 'synthetic', bootTsEpochNs: BOOT });
  w.processList(PL);
  let ts = T0;
  const ev = (id: number, tid: bigint, params: Record<string, unknown>): void => {
    ts += 1000n;
    w.event(0, frameByName(id, ts, tid, params as never) as EventFrame);
  };
  const read = (tid: bigint, fd: number): void => ev(PPME.PPME_SYSCALL_READ_X, tid, { res: 1, data: new Uint8Array([0x41]), fd, size: 1 });
  ev(PPME.PPME_SYSCALL_OPENAT_2_X, 100n, { fd: 3, dirfd: -100, name: '/etc/passwd', flags: PPM_O_RDONLY | PPM_O_CLOEXEC, mode: 0, dev: 0xfe00, ino: 673 });
  ev(PPME.PPME_SYSCALL_OPENAT_2_X, 101n, { fd: 4, dirfd: -100, name: 'notes/../todo.txt', flags: PPM_O_RDONLY, mode: 0, dev: 0xfe00, ino: 674 });
  ev(PPME.PPME_SYSCALL_DUP2_X, 100n, { res: 5, oldfd: 3, newfd: 5 });
  ev(PPME.PPME_SYSCALL_PIPE2_X, 101n, { res: 0, fd1: 6, fd2: 7, ino: 9999, flags: 0 });
  ev(PPME.PPME_SOCKET_SOCKET_X, 100n, { fd: 8, domain: 2, type: 1, proto: 6, flags: 0 });
  ev(PPME.PPME_SOCKET_CONNECT_X, 100n, { res: 0, tuple: tuple4([10, 0, 0, 1], 40000, [93, 184, 216, 34], 80), fd: 8, addr: null });
  ev(PPME.PPME_SYSCALL_FCNTL_X, 100n, { res: 9, fd: 4, cmd: 26, arg: 0 }); // F_DUPFD_CLOEXEC
  ev(PPME.PPME_SYSCALL_OPENAT_2_X, 100n, { fd: -2, dirfd: 4, name: 'missing', flags: PPM_O_RDONLY, mode: 0, dev: 0, ino: 0 });
  ev(PPME.PPME_SYSCALL_CHDIR_X, 100n, { res: 0, path: '/tmp' });
  ev(PPME.PPME_SYSCALL_OPENAT_2_X, 101n, { fd: 10, dirfd: -100, name: 'x', flags: PPM_O_RDONLY, mode: 0, dev: 0xfe00, ino: 675 });
  for (const fd of [3, 4, 5, 6, 7, 8, 9, 10]) read(101n, fd); // the thread sees its process's fds
  read(102n, 3); // this one does not
  ev(PPME.PPME_SYSCALL_CLONE_20_X, 100n, {
    res: 200, exe: '-bash', args: [], tid: 100n, pid: 100n, ptid: 1n, cwd: null, fdlimit: 1024, pgft_maj: 0, pgft_min: 0, vm_size: 0,
    vm_rss: 0, vm_swap: 0, comm: 'bash', cgroups: [], flags: 0, uid: 1000, gid: 1000, vtid: 100n, vpid: 100n, pidns_init_start_ts: 0,
  });
  for (const fd of [3, 5, 8]) read(200n, fd); // the child has copies
  ev(PPME.PPME_SYSCALL_EXECVE_19_X, 200n, {
    res: 0, exe: '/usr/bin/cat', args: [], tid: 200n, pid: 200n, ptid: 100n, cwd: null, fdlimit: 1024, pgft_maj: 0, pgft_min: 0,
    vm_size: 0, vm_rss: 0, vm_swap: 0, comm: 'cat', cgroups: [], env: [], tty: 0, vpgid: 100, loginuid: 1000, flags: 0,
    cap_inheritable: 0, cap_permitted: 0, cap_effective: 0, exe_ino: 1, exe_ino_ctime: T0 - SEC, exe_ino_mtime: T0 - SEC, uid: 1000,
    trusted_exepath: '/usr/bin/cat', pgid: 100, gid: 1000,
  });
  for (const fd of [3, 5, 9]) read(200n, fd); // O_CLOEXEC fds are gone, dup2's copy is not
  ev(PPME.PPME_SYSCALL_CLOSE_X, 200n, { res: 0, fd: 5 });
  read(200n, 5);
  read(100n, 5); // the parent's is still open
  return w.finish();
}

const FD_FIELDS = ['evt.num', 'evt.type', 'thread.tid', ...COLUMNS, 'fd.nameraw', 'fd.sockfamily', 'fd.connected'];
/**
 * Local and remote: libsinsp asks the capture's interface list (IL block) whether an address is
 * this machine's; scapdrift takes the side that made the connection (connect: the source; accept:
 * the destination). This capture has no interface list, so libsinsp finds no address local.
 */
const SIDE_FIELDS = ['fd.lip', 'fd.lport', 'fd.rip', 'fd.rport', 'fd.is_server'];

test('open, dup2, pipe2, socket, connect, fcntl, chdir, clone, execve and close change the fd table as in libsinsp', async () => {
  const file = join(tmpdir(), `scapdrift-fd-table-${process.pid}.scap`);
  writeFileSync(file, fdCapture());
  try {
    const filter = 'evt.type in (openat, dup2, pipe2, socket, connect, fcntl, read, close)';
    const rows = await ours(file, filter, FD_FIELDS);
    const col = (row: string, f: string): string => row.split('|')[FD_FIELDS.indexOf(f)]!;
    const byNum = new Map(rows.map((r) => [col(r, 'evt.num'), r]));
    assert.is(rows.length, 27);
    // A relative open resolved against the process's cwd, with its raw name; a failed open names what it asked for.
    assert.is(col(byNum.get('2')!, 'fd.name'), '/home/u/todo.txt');
    assert.is(col(byNum.get('2')!, 'fd.nameraw'), 'notes/../todo.txt');
    assert.is(col(byNum.get('8')!, 'fd.name'), '/home/u/todo.txt/missing');
    assert.is(col(byNum.get('8')!, 'fd.num'), '-1');
    // After chdir(/tmp), a relative open of the thread lands in /tmp.
    assert.is(col(byNum.get('10')!, 'fd.name'), '/tmp/x');
    // The thread reads its process's fds: the dup, the pipe, the socket and its tuple.
    assert.equal(rows.filter((r) => col(r, 'evt.type') === 'read' && col(r, 'thread.tid') === '101').map((r) => `${col(r, 'fd.num')} ${col(r, 'fd.type')} ${col(r, 'fd.name')}`), [
      '3 file /etc/passwd', '4 file /home/u/todo.txt', '5 file /etc/passwd', '6 pipe ', '7 pipe ', '8 ipv4 10.0.0.1:40000->93.184.216.34:80',
      '9 file /home/u/todo.txt', '10 file /tmp/x',
    ]);
    assert.is(col(rows.find((r) => col(r, 'thread.tid') === '102')!, 'fd.type'), '<NA>', 'a thread without CLONE_FILES has its own fds');
    const sock = rows.find((r) => col(r, 'evt.type') === 'read' && col(r, 'fd.num') === '8')!;
    assert.is(['fd.sip', 'fd.sport', 'fd.cip', 'fd.cport', 'fd.l4proto', 'fd.connected'].map((f) => col(sock, f)).join(' '), '93.184.216.34 80 10.0.0.1 40000 tcp true');
    assert.equal(await ours(file, 'evt.type = connect', SIDE_FIELDS), ['10.0.0.1|40000|93.184.216.34|80|false']);
    // The child: copies before execve; after it, the close-on-exec fds are gone; close removes after the event.
    const child = rows.filter((r) => col(r, 'thread.tid') === '200').map((r) => `${col(r, 'evt.type')} ${col(r, 'fd.num')} ${col(r, 'fd.name')}`);
    assert.equal(child, [
      'read 3 /etc/passwd', 'read 5 /etc/passwd', 'read 8 10.0.0.1:40000->93.184.216.34:80',
      'read 3 ', 'read 5 /etc/passwd', 'read 9 ', 'close 5 /etc/passwd', 'read 5 ',
    ]);
    assert.is(col(rows.at(-1)!, 'fd.name'), '/etc/passwd', 'the parent keeps its fd 5');
    if (oracle) assert.equal(rows, sinsp(file, filter, FD_FIELDS), 'sinsp-example on the same file');
  } finally {
    rmSync(file, { force: true });
  }
});

test('the fd table is bounded: past 1,024 fds per process and 131,072 in all new fds are dropped, past 64 MiB names are, all counted', async () => {
  // 40 processes forking from bash, each opening 4,000 fds with 4 KiB names: 160,000 opens.
  const w = new ScapWriter().sectionHeader();
  w.machineInfo({ numCpus: 1, memorySizeBytes: 1n << 30n, hostname: 'synthetic', bootTsEpochNs: BOOT });
  w.processList(PL);
  let ts = T0;
  const long = 'x'.repeat(4000);
  const PROCS = 40;
  const PER = 4000;
  for (let p = 0; p < PROCS; p++) {
    const pid = BigInt(1000 + p);
    w.event(0, frameByName(PPME.PPME_SYSCALL_CLONE_20_X, ts += 1000n, pid, {
      res: 0, exe: 'x', args: [], tid: pid, pid, ptid: 1n, cwd: '/', fdlimit: 1 << 20, pgft_maj: 0, pgft_min: 0, vm_size: 0, vm_rss: 0,
      vm_swap: 0, comm: 'x', cgroups: [], flags: 0, uid: 0, gid: 0, vtid: pid, vpid: pid, pidns_init_start_ts: 0,
    }));
    for (let fd = 0; fd < PER; fd++) {
      w.event(0, frameByName(PPME.PPME_SYSCALL_OPENAT_2_X, ts += 1000n, pid, { fd: 10 + fd, dirfd: -100, name: `/${long}/${fd}`, flags: 1, mode: 0, dev: 1, ino: fd + 1 }));
    }
  }
  const file = join(tmpdir(), `scapdrift-fd-bound-${process.pid}.scap`);
  writeFileSync(file, w.finish());
  try {
    const summary = await new Decoder().run(await openByteSource(file), { onEvent() {} });
    // 1,024 kept per process; names of 4 KiB, twice (resolved and raw): 64 MiB hold about 8,400 of them.
    assert.is(summary.fds, PROCS * 1024, 'fds held');
    assert.is(summary.fds + summary.fdsDropped, PROCS * PER, 'every fd is held or counted as dropped');
    assert.ok(summary.fdNamesDropped > PROCS * 1024 - 8_500 && summary.fdNamesDropped < PROCS * 1024 - 8_000, `${summary.fdNamesDropped} names not kept`);
    // The CLI says so when it keeps the table (a field reads it) ...
    const r = spawnSync(process.execPath, ['dist/ts/cli/main.js', 'read', file, '--type', 'close', '-p', '%fd.name', '--quiet'], { encoding: 'utf8' });
    assert.match(r.stderr, new RegExp(`${summary.fdsDropped} fds were not tracked: the fd table was full`));
    assert.match(r.stderr, new RegExp(`${summary.fdNamesDropped} fds were tracked without their name`));
    // ... and keeps none, so drops none, when nothing reads it (ts/pipeline/state_needs.ts).
    const plain = spawnSync(process.execPath, ['dist/ts/cli/main.js', 'read', file, '--type', 'close', '--quiet'], { encoding: 'utf8' });
    assert.is(plain.status, 0, plain.stderr);
    assert.not.match(plain.stderr, /fds were not tracked|fds were tracked without/);
  } finally {
    rmSync(file, { force: true });
  }
});

test.run();
