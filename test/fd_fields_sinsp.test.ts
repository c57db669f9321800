/**
 * The fd.* fields added after the fd table (fd.types, fd.uid, fd.containername,
 * fd.containerdirectory, fd.cproto/sproto/lproto/rproto, fd.proto, fd.dev.major/minor,
 * fd.is_upper_layer/lower_layer) and bind naming its socket, against sinsp-example itself on every
 * fd event of every shared capture, and on a capture written here with the binds, listening
 * sockets and connections no shared capture holds. Without sinsp-example these checks are skipped
 * loudly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { rmSync, writeFileSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORACLE, oracle, captureFile, sinsp, ours, OTHER_EVENT } from './helpers/falco_reference.js';
import { escapeBytes } from '../ts/fields/escape.js';
import { runCli } from './helpers/cli.js';
import { ScapWriter, frameByName, type EventFrame } from '../ts/scap/writer.js';
import type { ProcessEntry } from '../ts/scap/process_list.js';
import { PPME } from '../ts/events/ppm_constants.js';

if (!oracle) console.warn(`\n  SKIPPED sinsp-example checks of fd.types, fd.uid, fd.*proto, fd.container*, fd.dev.*: no ${ORACLE} (build it with ../shared/tools/build-oracle.sh, or set SCAPDRIFT_ORACLE)\n`);

const FIELDS = [
  'evt.num', 'evt.type', 'evt.dir', 'fd.types', 'fd.types[0]', 'fd.types[1]', 'fd.uid', 'fd.containername', 'fd.containerdirectory',
  'fd.dev.major', 'fd.dev.minor', 'fd.cproto', 'fd.sproto', 'fd.lproto', 'fd.rproto', 'fd.is_upper_layer', 'fd.is_lower_layer',
  // Process fields read from the thread table and the process's fd table (not on busy: its 1.2 million rows of
  // command lines would not fit in memory twice).
  'thread.nametid', 'proc.exeline', 'proc.ppid.ts', 'proc.fdopencount', 'proc.loginshellid', 'proc.stdin.type', 'proc.stdout.type',
  'proc.stderr.type', 'proc.stdin.name', 'proc.stdout.name', 'proc.stderr.name',
];
const FD_FIELD_COUNT = FIELDS.indexOf('thread.nametid');
const TYPES = FIELDS.indexOf('fd.types');
const PPID_TS = FIELDS.indexOf('proc.ppid.ts');
const NAMETID = FIELDS.indexOf('thread.nametid');

/**
 * Rows whose parent thread's start is unknown (a thread of the process list: the file holds no
 * clone time): libsinsp prints proc.ppid.ts 0, scapdrift missing (as proc.pid.ts). Exact counts.
 */
const PPID_TS_UNKNOWN: Record<string, number> = {
  busy: 0, drop_exec: 2470, memfd_exec: 2171, curl_google: 159, curl_google_comments: 159, single_ipv6_conn: 639, test_ipv6_client: 117,
};
/**
 * Rows of the old captures whose thread is not libsinsp's (test/process_state.test.ts OTHER_THREAD:
 * libsinsp's placeholder threads, and a concatenated capture whose sections it joins): no
 * process column can agree there. Exact counts.
 */
const OTHER_THREAD: Record<string, number> = {
  busy: 0, drop_exec: 0, memfd_exec: 0, curl_google: 4, curl_google_comments: 4, single_ipv6_conn: 739, test_ipv6_client: 53,
};

/**
 * Rows where fd.types lists the same types in another order. libsinsp lists them in the iteration
 * order of its fd table (a std::unordered_map: an artefact of libstdc++'s buckets and insertion
 * history); scapdrift by the lowest fd number of each type. Exact counts.
 */
const ORDER_ONLY: Record<string, number> = {
  busy: 265_803, drop_exec: 616, memfd_exec: 469, curl_google: 0, curl_google_comments: 0, single_ipv6_conn: 0, test_ipv6_client: 0,
};
/**
 * The old sysdig captures: at some evt.nums libsinsp has another event (OTHER_EVENT); where the
 * event agrees, the old exit carries no fd (the enter had it) or libsinsp's table is already past
 * a close that scapdrift applies later (OLD_EXIT: the 23 rows of test/fd_table.test.ts, one mmap
 * exit whose fd.types is () for libsinsp, (file) for scapdrift, and one whose proc.fdopencount differs so).
 */
const OLD_EXIT: Record<string, number> = {
  busy: 0, drop_exec: 0, memfd_exec: 0, curl_google: 25, curl_google_comments: 25, single_ipv6_conn: 0, test_ipv6_client: 0,
};

/** sinsp-example's lines for `fields` on `file`, streamed (busy prints 1.2 million), escaped as scapdrift escapes text. */
async function sinspLines(file: string, filter: string, fields: string[], onLine: (line: string) => void): Promise<void> {
  const child = spawn(ORACLE, ['-a', '-s', file, '-f', filter, '-o', `*${fields.map((f) => `%${f}`).join('|')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
    if (/^\d+\|/.test(line)) onLine(escapeBytes(Buffer.from(line, 'utf8')));
  }
  assert.is(stderr.includes('ERROR'), false, stderr);
}

/** The types of a printed list, sorted: "(pipe,file)" → "file,pipe". */
const typeSet = (s: string): string => (s.startsWith('(') ? s.slice(1, -1).split(',').sort().join(',') : s);

for (const name of Object.keys(ORDER_ONLY)) {
  test(`${name}: fd.types, fd.uid, fd.container*, fd.*proto, fd.dev.*, fd.is_*_layer, thread.nametid, proc.exeline, proc.ppid.ts, proc.fdopencount, proc.loginshellid, proc.std* equal sinsp-example's on every fd event`, async () => {
    if (!oracle) return;
    let file = captureFile(name);
    if (file.endsWith('.gz')) {
      const plain = join(tmpdir(), `scapdrift-fd-fields-${process.pid}.scap`);
      await pipeline(createReadStream(file), createGunzip(), createWriteStream(plain));
      file = plain;
    }
    try {
      // busy: its 1.2 million fd events; the others: every event (the old captures number events otherwise, test/fd_table.test.ts).
      const filter = name === 'busy' ? 'fd.num >= -1' : 'evt.num > 0';
      const fields = name === 'busy' ? FIELDS.slice(0, FD_FIELD_COUNT) : FIELDS;
      const mine = await ours(file, filter, fields);
      const num = (l: string): number => Number(l.slice(0, l.indexOf('|')));
      let at = 0;
      let compared = 0;
      let otherEvent = 0;
      let orderOnly = 0;
      let oldExit = 0;
      let otherThread = 0;
      let ppidTsUnknown = 0;
      const bad: string[] = [];
      await sinspLines(file, filter, fields, (theirs) => {
        const n = num(theirs);
        while (at < mine.length && num(mine[at]!) < n) at++;
        if (at >= mine.length || num(mine[at]!) !== n) return; // an event scapdrift numbers otherwise (old captures)
        const row = mine[at]!;
        const a = row.split('|');
        const b = theirs.split('|');
        if (a[1] !== b[1] || a[2] !== b[2]) { otherEvent++; return; }
        compared++;
        if (row === theirs) return;
        if (name !== 'busy' && a[NAMETID] !== b[NAMETID]) { otherThread++; return; }
        let differ = a.map((_, i) => i).filter((i) => a[i] !== b[i]);
        if (differ.includes(TYPES) && typeSet(a[TYPES]!) === typeSet(b[TYPES]!)) orderOnly++;
        if (a[PPID_TS] === '<NA>' && b[PPID_TS] === '0') ppidTsUnknown++;
        differ = differ.filter((i) => !(i === TYPES && typeSet(a[i]!) === typeSet(b[i]!)) && !(i === PPID_TS && a[i] === '<NA>' && b[i] === '0'));
        if (differ.length === 0) return;
        if (OLD_EXIT[name]! > 0) { oldExit++; return; }
        bad.push(`evt.num ${n}: ${differ.map((i) => `${fields[i]} ours ${a[i]} libsinsp ${b[i]}`).join('; ')}`);
      });
      if (name === 'busy') assert.is(compared, 1_233_401, 'every fd event of busy');
      else assert.ok(compared > 150, `${compared} rows compared`);
      assert.equal(bad.slice(0, 10), [], `${bad.length} rows differ`);
      assert.is(orderOnly, ORDER_ONLY[name], 'rows where only the order of fd.types differs');
      assert.is(oldExit, OLD_EXIT[name], 'rows of old exit events without their fd');
      assert.is(ppidTsUnknown, PPID_TS_UNKNOWN[name], 'rows whose parent thread has no known start');
      assert.is(otherThread, OTHER_THREAD[name], 'rows of the old captures on another thread than libsinsp\'s');
      assert.is(otherEvent, OTHER_EVENT[name], 'rows where libsinsp numbers another event (old enter/exit pairs merged)');
    } finally {
      if (file !== captureFile(name)) rmSync(file, { force: true });
    }
  });
}

test('drop_exec: fd.types in a condition is a list (in: every type, intersects: one, exists; fd.types[N]) as in libsinsp', () => {
  const file = captureFile('drop_exec');
  const counts: Record<string, number> = {
    'fd.types intersects (pipe)': 2480, 'fd.types in (file, pipe)': 2283, 'fd.types in (file)': 0, 'fd.types[0] in (file)': 2359,
    'fd.types exists': 2480, 'fd.types[1] intersects (pipe, x)': 726, 'not fd.types intersects (file)': 3918,
  };
  for (const [filter, n] of Object.entries(counts)) {
    const r = runCli(['read', file, '-p', '%evt.num', '-f', filter]);
    assert.is(r.status, 0, r.stderr);
    const mine = r.stdout.split('\n').filter(Boolean);
    assert.is(mine.length, n, filter);
    if (oracle) assert.equal(mine, sinsp(file, filter, ['evt.num']), `${filter}: sinsp-example's events`);
  }
  // Only in, intersects and exists compare a list (libsinsp flt_is_comparable_any_list); no transformers.
  const eq = runCli(['read', file, '-f', 'fd.types = file']);
  assert.is.not(eq.status, 0);
  assert.match(eq.stderr, "'=' operator not supported for list filters at 10");
  assert.match(runCli(['read', file, '-f', 'tolower(fd.types) in (file)']).stderr, "field 'fd.types' does not support transformers");
  // In JSON the list is an array (libsinsp tojson), in text "(a,b)".
  const json = runCli(['read', file, '-j', '-p', '%evt.num %fd.types %fd.types[1]', '-f', 'evt.num = 103']);
  assert.equal(JSON.parse(json.stdout), { 'evt.num': 103, 'fd.types': ['file', 'pipe'], 'fd.types[1]': ['file'] });
  assert.is(runCli(['read', file, '-p', '%fd.types %fd.types[1] %fd.types[99]', '-f', 'evt.num = 103']).stdout, '(file,pipe) (file) <NA>\n');
});

// A capture written by the project's own writer: binds, listening sockets, an accepted and a connected socket, a file of an overlay upper layer.
const SEC = 1_000_000_000n;
const BOOT = 1_700_000_000n * SEC;
const T0 = BOOT + 3600n * SEC;
const PL: ProcessEntry[] = [
  { tid: 1n, pid: 1n, ptid: 0n, comm: 'systemd', exe: '/sbin/init', exepath: '/usr/lib/systemd/systemd', args: [], cwd: '/', fdlimit: 1024n, flags: 0, uid: 0, gid: 0, vtid: 1n, vpid: 1n },
  { tid: 300n, pid: 300n, ptid: 1n, comm: 'srv', exe: 'srv', exepath: '/usr/bin/srv', args: [], cwd: '/', fdlimit: 1024n, flags: 0, uid: 0, gid: 0, vtid: 300n, vpid: 300n },
];
const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
/** PT_SOCKADDR: family, then an IPv4 address and port, an IPv6 address and port, or a NUL-terminated path. */
function sockaddr(family: number, ip: number[] | string, port = 0): Uint8Array {
  if (typeof ip === 'string') return Uint8Array.from([family, ...Buffer.from(`${ip}\0`)]);
  const b = new Uint8Array(1 + ip.length + 2);
  b[0] = family;
  b.set(ip, 1);
  new DataView(b.buffer).setUint16(1 + ip.length, port, true);
  return b;
}
function tuple4(sip: number[], sport: number, dip: number[], dport: number): Uint8Array {
  const b = new Uint8Array(13);
  const dv = new DataView(b.buffer);
  b[0] = AF_INET;
  b.set(sip, 1); dv.setUint16(5, sport, true);
  b.set(dip, 7); dv.setUint16(11, dport, true);
  return b;
}
const V6_LOOPBACK = [...new Array(15).fill(0), 1];
const V4_MAPPED = [...new Array(10).fill(0), 0xff, 0xff, 127, 0, 0, 1];
const PPM_FD_UPPER_LAYER = 1 << 15;

function bindCapture(): Uint8Array {
  const w = new ScapWriter().sectionHeader();
  w.machineInfo({ numCpus: 1, memorySizeBytes: 1n << 30n, hostname: 'synthetic', bootTsEpochNs: BOOT });
  w.processList(PL);
  let ts = T0;
  const ev = (id: number, params: Record<string, unknown>): void => {
    ts += 1000n;
    w.event(0, frameByName(id, ts, 300n, params as never) as EventFrame);
  };
  const socket = (fd: number, domain: number, type: number, proto: number): void => ev(PPME.PPME_SOCKET_SOCKET_X, { fd, domain, type, proto, flags: 0 });
  const bind = (fd: number, addr: Uint8Array, res = 0): void => ev(PPME.PPME_SOCKET_BIND_X, { res, addr, fd });
  const listen = (fd: number): void => ev(PPME.PPME_SOCKET_LISTEN_X, { res: 0, fd, backlog: 16 });
  socket(3, AF_INET, 1, 6);
  bind(3, sockaddr(AF_INET, [0, 0, 0, 0], 8080));
  listen(3);
  ev(PPME.PPME_SOCKET_ACCEPT4_6_X, { fd: 4, tuple: tuple4([10, 0, 0, 2], 51000, [10, 0, 0, 1], 8080), queuepct: 0, queuelen: 0, queuemax: 16, flags: 0 });
  listen(4);
  socket(5, AF_INET6, 2, 17);
  bind(5, sockaddr(AF_INET6, V6_LOOPBACK, 53));
  listen(5);
  socket(6, AF_INET6, 1, 6);
  bind(6, sockaddr(AF_INET6, V4_MAPPED, 9000));
  listen(6);
  socket(7, AF_INET, 2, 17);
  bind(7, sockaddr(AF_INET, [0, 0, 0, 0], 0)); // no port: named, not listening
  listen(7);
  socket(8, AF_UNIX, 1, 0);
  bind(8, sockaddr(AF_UNIX, '/run/srv.sock'));
  listen(8);
  socket(9, AF_INET, 1, 6);
  bind(9, sockaddr(AF_INET, [0, 0, 0, 0], 80), -98); // EADDRINUSE: nothing changes
  listen(9);
  socket(10, AF_INET, 1, 6);
  ev(PPME.PPME_SOCKET_CONNECT_X, { res: 0, tuple: tuple4([10, 0, 0, 1], 40000, [93, 184, 216, 34], 443), fd: 10, addr: null });
  listen(10);
  ev(PPME.PPME_SYSCALL_OPENAT_2_X, { fd: 11, dirfd: -100, name: '/etc/app.conf', flags: 1 | PPM_FD_UPPER_LAYER, mode: 0, dev: 0x1234567, ino: 42 });
  listen(11);
  ev(PPME.PPME_SYSCALL_CREAT_X, { fd: 12, name: '/tmp/new', mode: 0o644, dev: 0x800, ino: 43, creat_flags: 2 }); // PPM_FD_LOWER_LAYER_CREAT
  listen(12);
  return w.finish();
}

const BIND_FIELDS = [
  'evt.num', 'evt.type', 'fd.num', 'fd.type', 'fd.name', 'fd.name_changed', 'fd.sip', 'fd.sport', 'fd.l4proto', 'fd.is_server', 'fd.types',
  'fd.uid', 'fd.cproto', 'fd.sproto', 'fd.lproto', 'fd.rproto', 'fd.containername', 'fd.dev', 'fd.dev.major', 'fd.dev.minor', 'fd.is_upper_layer',
  'fd.is_lower_layer',
];

test('bind names the socket and makes a listening one (libsinsp parse_bind_exit); the new fd fields on it, as sinsp-example', async () => {
  const file = join(tmpdir(), `scapdrift-bind-${process.pid}.scap`);
  writeFileSync(file, bindCapture());
  try {
    const filter = 'evt.type in (bind, listen, accept4, connect)';
    const rows = await ours(file, filter, BIND_FIELDS);
    const col = (row: string, f: string): string => row.split('|')[BIND_FIELDS.indexOf(f)]!;
    const listens = rows.filter((r) => col(r, 'evt.type') === 'listen');
    const show = (fields: string[]): string[] => listens.map((r) => fields.map((f) => col(r, f)).join(' '));
    assert.equal(show(['fd.num', 'fd.type', 'fd.name', 'fd.sip', 'fd.sport', 'fd.is_server', 'fd.sproto', 'fd.cproto']), [
      '3 ipv4 0.0.0.0:8080 0.0.0.0 8080 true  ', // listening: fd.sproto and fd.cproto are empty, as libsinsp
      '4 ipv4 10.0.0.2:51000->10.0.0.1:8080 10.0.0.1 8080 true 8080 51000',
      '5 ipv6 ::1:53 ::1 53 true  ',
      '6 ipv4 ::ffff:127.0.0.1:9000 127.0.0.1 9000 true  ', // an IPv4-mapped address listens as IPv4, named as bound
      '7 ipv4 0.0.0.0:0 <NA> <NA> false <NA> <NA>', // no port: named only
      '8 unix /run/srv.sock <NA> <NA> false <NA> <NA>',
      '9 ipv4  <NA> <NA> false <NA> <NA>', // the failed bind changed nothing
      '10 ipv4 10.0.0.1:40000->93.184.216.34:443 93.184.216.34 443 false 443 40000',
      '11 file /etc/app.conf <NA> <NA> false <NA> <NA>',
      '12 file /tmp/new <NA> <NA> false <NA> <NA>',
    ]);
    const file11 = listens.at(-2)!;
    assert.is(['fd.types', 'fd.uid', 'fd.containername', 'fd.dev', 'fd.dev.major', 'fd.dev.minor', 'fd.is_upper_layer', 'fd.is_lower_layer'].map((f) => col(file11, f)).join(' '),
      '(ipv4,ipv6,unix,file) 30011 :/etc/app.conf 1234567 837 4711 true false');
    assert.is(['fd.dev.major', 'fd.dev.minor', 'fd.is_upper_layer', 'fd.is_lower_layer'].map((f) => col(listens.at(-1)!, f)).join(' '), '8 0 false true', 'a creat\'s layer from its creat_flags');
    assert.equal(show(['fd.lproto', 'fd.rproto']).slice(1, 2).concat(show(['fd.lproto', 'fd.rproto']).slice(7, 8)), ['8080 51000', '40000 443']);
    assert.equal(rows.filter((r) => col(r, 'evt.type') === 'bind').map((r) => col(r, 'fd.name_changed')), ['true', 'true', 'true', 'true', 'true', 'false']);
    // fd.proto compares as fd.port: either side.
    assert.equal(await ours(file, 'evt.type = listen and fd.proto = 443', ['fd.num']), ['10']);
    assert.equal(await ours(file, 'evt.type = listen and fd.proto in (53, 9000)', ['fd.num']), ['5', '6']);
    if (oracle) {
      // fd.types in libsinsp's order aside (as on the shared captures); fd.is_server, fd.lproto and fd.rproto
      // go by who connected (libsinsp asks the capture's interface list, which this one has not: test/fd_table.test.ts).
      const side = ['fd.is_server', 'fd.lproto', 'fd.rproto'].map((f) => BIND_FIELDS.indexOf(f));
      const types = BIND_FIELDS.indexOf('fd.types');
      const comparable = (r: string): string => r.split('|').map((v, i) => (side.includes(i) ? '' : i === types ? typeSet(v) : v)).join('|');
      assert.equal(rows.map(comparable), sinsp(file, filter, BIND_FIELDS).map(comparable), 'sinsp-example on the same file');
      assert.equal(await ours(file, 'evt.type = listen and fd.proto in (53, 9000, 443)', ['fd.num']), sinsp(file, 'evt.type = listen and fd.proto in (53, 9000, 443)', ['fd.num']));
    }
  } finally {
    rmSync(file, { force: true });
  }
});

test.run();
