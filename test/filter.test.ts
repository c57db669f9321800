/**
 * The filter VM against an independent evaluation: every event of the real
 * captures is read once with plain field extraction (openCapture), each
 * condition's predicate is applied in JavaScript, and the set of evt.num must
 * equal what the Wasm VM lets through. Missing values (null) never match a
 * comparison, `!=` included; `exists` tests them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolve } from 'node:path';
import { capture as sharedCapture } from './helpers/captures.js';
import { openCapture, type CaptureEvent } from '../ts/api/index.js';
import { Decoder } from '../ts/pipeline/decoder.js';
import { openByteSource } from '../ts/scap/byte_source.js';
import { compileFilter, EMPTY_ENV, type FilterEnv } from '../ts/filter/index.js';
import { parseCondition } from '../ts/filter/parser.js';

/** A shared capture by name, or the project's own driver sample (samples/...). */
const capture = (name: string): string => (name.startsWith('samples/') ? resolve(process.cwd(), name) : sharedCapture(name));
const LIVE = 'samples/live_drift.scap.gz';

const FIELDS = [
  'evt.num', 'evt.type', 'evt.dir', 'evt.cpu', 'evt.res', 'evt.rawres', 'evt.rawtime', 'evt.rawarg.flags', 'evt.rawarg.res',
  'evt.rawarg[0]', 'evt.rawarg.exe', 'thread.tid', 'proc.pid', 'proc.ppid', 'proc.vpid', 'proc.name', 'proc.exe',
  'proc.exepath', 'proc.args', 'proc.cmdline', 'proc.cwd', 'proc.pid.ts', 'user.uid', 'user.loginuid',
  'proc.exe_ino', 'proc.exe_ino.ctime', 'proc.exe_ino.mtime', 'proc.exe_ino.ctime_duration_proc_start',
  'proc.exe_ino.ctime_duration_pidns_start', 'proc.pidns_init_start_ts', 'proc.is_exe_writable',
  'proc.is_exe_upper_layer', 'proc.is_exe_from_memfd', 'container.id', 'container.duration',
  'proc.is_exe_script', 'drift.exe_writer.name', 'drift.exe_chmod.name',
];

type Ev = CaptureEvent;
type Pred = (e: Ev) => boolean;

async function readAll(file: string, types?: string[]): Promise<Ev[]> {
  const out: Ev[] = [];
  for await (const e of openCapture(file, { fields: FIELDS, ...(types ? { types } : {}) })) out.push(e);
  return out;
}

async function vmNums(file: string, condition: string, env: FilterEnv = EMPTY_ENV, types?: string[]): Promise<number[]> {
  const d = new Decoder({ programs: [compileFilter(condition, env)], ...(types ? { types } : {}) });
  const nums: number[] = [];
  await d.run(await openByteSource(file), { onEvent: (v) => { nums.push(v.num); } });
  return nums;
}

// Predicate helpers: null (missing) never matches.
const n = (e: Ev, f: string): bigint | null => (typeof e[f] === 'number' || typeof e[f] === 'bigint' ? BigInt(e[f] as number | bigint) : null);
const s = (e: Ev, f: string): string | null => (typeof e[f] === 'string' ? (e[f] as string) : null);
const numCmp = (f: string, test: (v: bigint) => boolean): Pred => (e) => { const v = n(e, f); return v !== null && test(v); };
const strCmp = (f: string, test: (v: string) => boolean): Pred => (e) => { const v = s(e, f); return v !== null && test(v); };
const isTrue = (f: string): Pred => (e) => e[f] === true;
const isFalse = (f: string): Pred => (e) => e[f] === false;
const exists = (f: string): Pred => (e) => e[f] !== null && e[f] !== undefined;
const and = (...ps: Pred[]): Pred => (e) => ps.every((p) => p(e));
const or = (...ps: Pred[]): Pred => (e) => ps.some((p) => p(e));
const not = (p: Pred): Pred => (e) => !p(e);
const type = (...names: string[]): Pred => (e) => names.includes(e['evt.type'] as string);
const num = (lo: number, hi: number): Pred => (e) => (e['evt.num'] as number) >= lo && (e['evt.num'] as number) <= hi;
const glob = (g: string): RegExp => new RegExp(`^${g.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.').replace(/\[!/g, '[^')}$`, 's');
/** Falco pmatch: every component of the prefix equals the path's component at that depth. */
const pmatch = (path: string, prefix: string): boolean => {
  const p = prefix.split('/').filter(Boolean);
  const v = path.split('/').filter(Boolean);
  return p.length <= v.length && p.every((c, i) => glob(c).test(v[i]!));
};

const ENV: FilterEnv = (() => {
  const macros = new Map([
    ['spawned_process', parseCondition('evt.type in (execve, execveat) and evt.dir = < and evt.res = SUCCESS')],
    ['non_root', parseCondition('user.uid != 0')],
    ['spawned_as_user', parseCondition('spawned_process and non_root')],
  ]);
  const lists = new Map([['shells', ['bash', 'sh', 'dash']], ['core_tools', ['ls', 'id', 'date']]]);
  return { macro: (m) => macros.get(m), list: (l) => lists.get(l) };
})();
const spawned = and(type('execve', 'execveat'), (e) => e['evt.dir'] === '<', (e) => e['evt.res'] === 'SUCCESS');

/** [capture, condition, predicate]. */
const TABLE: [string, string, Pred][] = [
  ['drop_exec.scap', 'evt.type = execve', type('execve')],
  ['drop_exec.scap', 'evt.type in (execve, clone)', type('execve', 'clone')],
  ['drop_exec.scap', 'evt.type != execve and evt.num < 300', and(not(type('execve')), num(0, 299))],
  // evt.type values must be event or syscall names whatever the operator, as in libsinsp ('exec' is refused).
  ['drop_exec.scap', 'evt.type startswith execve and evt.dir = <', and((e) => (e['evt.type'] as string).startsWith('execve'), (e) => e['evt.dir'] === '<')],
  ['drop_exec.scap', 'evt.num >= 100 and evt.num <= 110', num(100, 110)],
  ['drop_exec.scap', 'evt.num > 3000 and evt.num < 3010 or evt.num = 150', or(num(3001, 3009), num(150, 150))],
  ['drop_exec.scap', 'evt.num = 150 or evt.num > 3000 and evt.num < 3010', or(num(150, 150), num(3001, 3009))],
  ['drop_exec.scap', '(evt.num = 150 or evt.num > 3000) and evt.num < 3010', and(or(num(150, 150), num(3001, Infinity)), num(0, 3009))],
  ['drop_exec.scap', 'not evt.num > 120', num(0, 120)],
  ['drop_exec.scap', 'not not evt.num = 150', num(150, 150)],
  ['drop_exec.scap', 'not (evt.num > 120 and evt.num < 6000)', not(num(121, 5999))],
  ['drop_exec.scap', 'not(evt.num>120)and evt.num>100', num(101, 120)],
  ['drop_exec.scap', 'proc.name = ls', strCmp('proc.name', (v) => v === 'ls')],
  ['drop_exec.scap', 'proc.name == "dropped_ls"', strCmp('proc.name', (v) => v === 'dropped_ls')],
  ['drop_exec.scap', 'proc.name != bash and evt.type = clone', and(strCmp('proc.name', (v) => v !== 'bash'), type('clone'))],
  ['drop_exec.scap', 'proc.exepath contains bin and evt.type = execve', and(strCmp('proc.exepath', (v) => v.includes('bin')), type('execve'))],
  ['drop_exec.scap', 'proc.exepath icontains BIN/L', strCmp('proc.exepath', (v) => v.toLowerCase().includes('bin/l'))],
  ['drop_exec.scap', 'proc.exepath startswith /usr/bin/d and evt.type = clone', and(strCmp('proc.exepath', (v) => v.startsWith('/usr/bin/d')), type('clone'))],
  ['drop_exec.scap', "proc.exepath endswith '_ls'", strCmp('proc.exepath', (v) => v.endsWith('_ls'))],
  ['drop_exec.scap', 'proc.exepath glob "/usr/*/d?te"', strCmp('proc.exepath', (v) => glob('/usr/*/d?te').test(v))],
  ['drop_exec.scap', 'proc.exepath glob "/usr/bin/[a-c]*" and evt.type = execve', and(strCmp('proc.exepath', (v) => /^\/usr\/bin\/[a-c]/.test(v)), type('execve'))],
  ['drop_exec.scap', 'proc.exepath iglob "/USR/*/D?TE"', strCmp('proc.exepath', (v) => new RegExp(glob('/USR/*/D?TE').source, 'si').test(v))],
  ['drop_exec.scap', 'proc.name iglob "[A-C]*" and evt.type = execve', and(strCmp('proc.name', (v) => /^[a-c]/i.test(v)), type('execve'))],
  ['drop_exec.scap', 'proc.exepath bstartswith 2f746d70 and evt.type = execve', and(strCmp('proc.exepath', (v) => v.startsWith('/tmp')), type('execve'))],
  ['drop_exec.scap', 'proc.exepath bcontains 62696e2f6c', strCmp('proc.exepath', (v) => v.includes('bin/l'))],
  ['drop_exec.scap', 'evt.type in (newfstatat, rt_sigaction) and evt.num < 2000', and(type('newfstatat', 'rt_sigaction'), num(0, 1999))],
  ['drop_exec.scap', 'evt.type iglob "rt_sigaction"', (e) => e['evt.type'] === 'rt_sigaction'],
  ['drop_exec.scap', 'proc.exepath pmatch (/tmp, /usr/sbin)', strCmp('proc.exepath', (v) => pmatch(v, '/tmp') || pmatch(v, '/usr/sbin'))],
  ['drop_exec.scap', 'proc.exepath pmatch (/usr/*/ls)', strCmp('proc.exepath', (v) => pmatch(v, '/usr/*/ls'))],
  ['drop_exec.scap', 'proc.name in (ls, id, date)', strCmp('proc.name', (v) => ['ls', 'id', 'date'].includes(v))],
  ['drop_exec.scap', 'proc.name intersects (ls, id)', strCmp('proc.name', (v) => ['ls', 'id'].includes(v))],
  ['drop_exec.scap', 'proc.cmdline contains "/tmp" and evt.type = execve', and(strCmp('proc.cmdline', (v) => v.includes('/tmp')), type('execve'))],
  ['drop_exec.scap', 'proc.args = "" and evt.type = execve', and(strCmp('proc.args', (v) => v === ''), type('execve'))],
  ['drop_exec.scap', 'proc.exe_ino = 260601', numCmp('proc.exe_ino', (v) => v === 260601n)],
  ['drop_exec.scap', 'proc.exe_ino.ctime_duration_proc_start exists and evt.type = execve', and(exists('proc.exe_ino.ctime_duration_proc_start'), type('execve'))],
  ['drop_exec.scap', 'not proc.exe_ino exists and evt.type = clone', and(not(exists('proc.exe_ino')), type('clone'))],
  ['drop_exec.scap', 'proc.exe_ino != 260601 and evt.type = clone', and(numCmp('proc.exe_ino', (v) => v !== 260601n), type('clone'))],
  ['drop_exec.scap', 'proc.exe_ino.mtime > 10890000000000000000', numCmp('proc.exe_ino.mtime', (v) => v > 10890000000000000000n)],
  ['drop_exec.scap', 'proc.exe_ino.ctime_duration_proc_start > 200000000000000000', numCmp('proc.exe_ino.ctime_duration_proc_start', (v) => v > 200000000000000000n)],
  ['drop_exec.scap', 'proc.is_exe_writable = true and user.uid != 0 and evt.type = execve', and(isTrue('proc.is_exe_writable'), numCmp('user.uid', (v) => v !== 0n), type('execve'))],
  ['drop_exec.scap', 'proc.is_exe_upper_layer = false and evt.type = execve and evt.dir = <', and(isFalse('proc.is_exe_upper_layer'), type('execve'), (e) => e['evt.dir'] === '<')],
  ['drop_exec.scap', 'evt.res = SUCCESS and evt.type = execve', and((e) => e['evt.res'] === 'SUCCESS', type('execve'))],
  ['drop_exec.scap', 'evt.res != SUCCESS and evt.type = execve', and(strCmp('evt.res', (v) => v !== 'SUCCESS'), type('execve'))],
  ['drop_exec.scap', 'evt.res in (EACCES, ENOENT)', strCmp('evt.res', (v) => v === 'EACCES' || v === 'ENOENT')],
  ['drop_exec.scap', 'evt.rawres = -2', numCmp('evt.rawres', (v) => v === -2n)],
  ['drop_exec.scap', 'evt.rawarg.res = 0 and evt.type = execve', and(numCmp('evt.rawarg.res', (v) => v === 0n), type('execve'))],
  ['drop_exec.scap', 'evt.rawarg[0] < 0', numCmp('evt.rawarg[0]', (v) => v < 0n)],
  ['drop_exec.scap', 'evt.rawarg.flags exists and evt.type = clone', and(exists('evt.rawarg.flags'), type('clone'))],
  ['drop_exec.scap', 'evt.rawarg.exe = /tmp/dropped_ls', strCmp('evt.rawarg.exe', (v) => v === '/tmp/dropped_ls')],
  ['drop_exec.scap', 'container.id = host and evt.num < 200', and(strCmp('container.id', (v) => v === 'host'), num(0, 199))],
  ['drop_exec.scap', 'container.duration exists', exists('container.duration')],
  ['drop_exec.scap', 'proc.pid.ts > 1795978141549265526', numCmp('proc.pid.ts', (v) => v > 1795978141549265526n)],
  ['drop_exec.scap', 'proc.ppid = 14426', numCmp('proc.ppid', (v) => v === 14426n)],
  ['drop_exec.scap', 'user.loginuid = -1 and evt.type = execve', and(numCmp('user.loginuid', (v) => v === -1n), type('execve'))],
  ['drop_exec.scap', 'evt.cpu = 1 and evt.type = execve', and(numCmp('evt.cpu', (v) => v === 1n), type('execve'))],
  ['drop_exec.scap', 'thread.tid = 14429 and evt.rawtime > 1795978141550000000', and(numCmp('thread.tid', (v) => v === 14429n), numCmp('evt.rawtime', (v) => v > 1795978141550000000n))],
  ['drop_exec.scap', 'spawned_process', spawned],
  ['drop_exec.scap', 'spawned_as_user', and(spawned, numCmp('user.uid', (v) => v !== 0n))],
  ['drop_exec.scap', 'proc.name in (shells)', strCmp('proc.name', (v) => ['bash', 'sh', 'dash'].includes(v))],
  ['drop_exec.scap', 'proc.name in (shells, core_tools, cp) and not spawned_process', and(strCmp('proc.name', (v) => ['bash', 'sh', 'dash', 'ls', 'id', 'date', 'cp'].includes(v)), not(spawned))],
  ['drop_exec.scap', 'proc.name in core_tools', strCmp('proc.name', (v) => ['ls', 'id', 'date'].includes(v))],
  ['memfd_exec.scap', 'proc.is_exe_from_memfd = true', isTrue('proc.is_exe_from_memfd')],
  ['memfd_exec.scap', 'proc.exe_ino.ctime_duration_proc_start < 0', numCmp('proc.exe_ino.ctime_duration_proc_start', (v) => v < 0n)],
  ['memfd_exec.scap', 'proc.exepath startswith memfd: and evt.type = execve', and(strCmp('proc.exepath', (v) => v.startsWith('memfd:')), type('execve'))],
  ['memfd_exec.scap', 'proc.exe_ino.ctime_duration_pidns_start exists', exists('proc.exe_ino.ctime_duration_pidns_start')],
  ['memfd_exec.scap', 'proc.pidns_init_start_ts exists and proc.vpid exists and evt.type = clone', and(exists('proc.pidns_init_start_ts'), exists('proc.vpid'), type('clone'))],
  ['memfd_exec.scap', 'proc.cwd != "/" and spawned_process', and(strCmp('proc.cwd', (v) => v !== '/'), spawned)],
  ['memfd_exec.scap', 'proc.exe icontains MEMFD', strCmp('proc.exe', (v) => v.toLowerCase().includes('memfd'))],
  // The project's own driver capture: a new pid namespace (unshare), a dropped binary, a memfd exec,
  // a dropped script. 1795979270380946890 is its boot_ts_epoch, the host processes' pidns start.
  [LIVE, 'proc.vpid < 10 and proc.pidns_init_start_ts > 1795979270380946890', and(numCmp('proc.vpid', (v) => v < 10n), numCmp('proc.pidns_init_start_ts', (v) => v > 1795979270380946890n))],
  [LIVE, 'spawned_process and proc.exe_ino.ctime_duration_proc_start < 60000000000', and(spawned, numCmp('proc.exe_ino.ctime_duration_proc_start', (v) => v < 60000000000n))],
  [LIVE, 'proc.exepath pmatch (/tmp/*/dropped_true) or proc.is_exe_from_memfd = true', or(strCmp('proc.exepath', (v) => pmatch(v, '/tmp/*/dropped_true')), isTrue('proc.is_exe_from_memfd'))],
  [LIVE, 'proc.is_exe_script = true or (drift.exe_writer.name = cp and drift.exe_chmod.name exists)', or(isTrue('proc.is_exe_script'), and(strCmp('drift.exe_writer.name', (v) => v === 'cp'), exists('drift.exe_chmod.name')))],
];

const cache = new Map<string, Promise<Ev[]>>();
const eventsOf = (file: string): Promise<Ev[]> => {
  if (!cache.has(file)) cache.set(file, readAll(capture(file)));
  return cache.get(file)!;
};

test(`the table covers ${TABLE.length} conditions`, () => {
  assert.ok(TABLE.length >= 30);
});

for (const [file, condition, pred] of TABLE) {
  test(`${file}: ${condition}`, async () => {
    const expected = (await eventsOf(file)).filter(pred).map((e) => e['evt.num'] as number);
    const got = await vmNums(capture(file), condition, ENV);
    assert.equal(got, expected);
  });
}

test('the table is not trivial: most conditions select some events and none selects all', async () => {
  let nonEmpty = 0;
  for (const [file, , pred] of TABLE) {
    const all = await eventsOf(file);
    const hits = all.filter(pred).length;
    if (hits > 0) nonEmpty++;
    assert.ok(hits < all.length);
  }
  assert.ok(nonEmpty >= TABLE.length - 4, `${nonEmpty} of ${TABLE.length} select events`);
});

test('hand-checked: memfd_exec execs from a memfd are 2370 and 2423 (reference memfd_exec.tsv)', async () => {
  assert.equal(await vmNums(capture('memfd_exec.scap'), 'proc.is_exe_from_memfd = true and evt.type = execve'), [2370, 2423]);
});

test('hand-checked: drop_exec failed execve attempts of runuser are 2758..2765 (reference drop_exec.tsv)', async () => {
  assert.equal(await vmNums(capture('drop_exec.scap'), 'evt.type = execve and evt.dir = < and evt.res != SUCCESS'), [2758, 2759, 2760, 2761, 2762, 2763, 2764, 2765]);
});

test('hand-checked: the dropped binary runs once, as uid 1001, writable (drop_exec 3177)', async () => {
  assert.equal(await vmNums(capture('drop_exec.scap'), 'spawned_as_user and proc.is_exe_writable = true', ENV), [3177]);
  assert.equal(await vmNums(capture('drop_exec.scap'), "evt.type=execve and proc.exepath pmatch (/tmp) and proc.name='dropped_ls'"), [3177]);
});

test('filter and --type mask combine: both must select the event', async () => {
  assert.equal(await vmNums(capture('drop_exec.scap'), 'proc.name = dropped_ls', EMPTY_ENV, ['execve']), [3177]);
});

test('openCapture filter option: only matching events, with their fields', async () => {
  const rows: CaptureEvent[] = [];
  for await (const e of openCapture(capture('memfd_exec.scap'), { filter: 'proc.is_exe_from_memfd = true and evt.dir = <', fields: ['evt.num', 'evt.type', 'proc.exepath'], types: ['execve'] })) rows.push(e);
  assert.equal(rows, [
    { 'evt.num': 2370, 'evt.type': 'execve', 'proc.exepath': 'memfd:memfd_true' },
    { 'evt.num': 2423, 'evt.type': 'execve', 'proc.exepath': 'memfd:memfd_true' },
  ]);
});

test('busy.scap.gz: exec filter over 1.6 M events equals the JS evaluation of every exec', async () => {
  const types = ['execve', 'execveat'];
  const cond = 'evt.dir = < and evt.res = SUCCESS and (proc.exepath pmatch (/usr/bin) or proc.name glob "c*") and not proc.name in (sh, dash)';
  const pred = and((e) => e['evt.dir'] === '<', (e) => e['evt.res'] === 'SUCCESS',
    or(strCmp('proc.exepath', (v) => pmatch(v, '/usr/bin')), strCmp('proc.name', (v) => v.startsWith('c'))),
    not(strCmp('proc.name', (v) => v === 'sh' || v === 'dash')));
  const expected = (await readAll(capture('busy.scap.gz'), types)).filter(pred).map((e) => e['evt.num'] as number);
  assert.ok(expected.length > 100);
  assert.equal(await vmNums(capture('busy.scap.gz'), cond, EMPTY_ENV, types), expected);
});

test.run();
