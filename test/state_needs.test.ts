/**
 * What state a plan keeps (ts/pipeline/state_needs.ts, ts/pipeline/plan.ts): the fd table only
 * when a field reads it, the emit mask narrowed to the event types the conditions and rules can
 * match. The decisive check is on real captures: every field that is said not to read the fd
 * table prints the same bytes on every event whether the decoder keeps the table or not (adding
 * %fd.num to the format is what turns it on), and the narrowed plans select the same events.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIELDS } from '../ts/fields/fields.js';
import { readsFdTable, conditionFields } from '../ts/pipeline/state_needs.js';
import { compilePrintPlan, planNeedsFdTable } from '../ts/pipeline/plan.js';
import { parseCondition, EMPTY_ENV, type FilterEnv } from '../ts/filter/index.js';
import { runCli, CLI } from './helpers/cli.js';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture } from './helpers/captures.js';

const noWarn = (line: string): void => assert.unreachable(`warning: ${line}`);

test('readsFdTable: fd.*, fs.path.*, the std fds, the cwd, fd-naming event fields; not the others', () => {
  for (const n of ['fd.name', 'fd.num', 'fd.types', 'fs.path.name', 'proc.stdin.name', 'proc.cwd', 'proc.fdopencount', 'evt.info', 'evt.args', 'evt.arg.fd', 'evt.arg[0]', 'evt.category']) {
    assert.ok(readsFdTable(n), n);
  }
  for (const n of ['proc.name', 'proc.exepath', 'proc.exe_ino.ctime_duration_proc_start', 'drift.exe_writer.name', 'evt.type', 'evt.res', 'evt.rawarg.res', 'user.name', 'container.id']) {
    assert.not.ok(readsFdTable(n), n);
  }
  assert.ok(readsFdTable('no.such.field'), 'an unknown name counts as reading it');
});

test('conditionFields: both sides of checks, through nested macros, a macro cycle adds nothing more', () => {
  const macros: Record<string, string> = { a: 'proc.name = x and b', b: 'fd.name contains y or a', c: 'proc.pname = val(proc.name)' };
  const env: FilterEnv = { macro: (n) => (macros[n] ? parseCondition(macros[n]!) : undefined), list: () => undefined };
  assert.equal([...conditionFields(parseCondition('evt.type = execve and not a'), env)].sort(), ['evt.type', 'fd.name', 'proc.name']);
  assert.equal([...conditionFields(parseCondition('c'), env)].sort(), ['proc.name', 'proc.pname']);
  assert.equal([...conditionFields(parseCondition('proc.aname[2] = bash'), EMPTY_ENV)], ['proc.aname']);
});

test('plans: the issue filter with the default line keeps no fd table and emits execve only; fd fields and the default JSON keep it', async () => {
  const issue = await compilePrintPlan({ filter: 'evt.type=execve and proc.exe_ino.ctime_duration_proc_start > 1000000000' }, noWarn);
  assert.is(issue.fdTable, false);
  assert.equal(issue.types, ['execve']);
  assert.is((await compilePrintPlan({ filter: 'evt.type=execve' , print: '%proc.name %fd.name' }, noWarn)).fdTable, true);
  assert.is((await compilePrintPlan({ filter: 'fd.name startswith /etc' }, noWarn)).fdTable, true);
  assert.is((await compilePrintPlan({ json: true }, noWarn)).fdTable, true, 'the default JSON has proc.cwd');
  const plain = await compilePrintPlan({}, noWarn);
  assert.is(plain.fdTable, false);
  assert.is(plain.types, undefined, 'no condition: every type');
  // -t and the condition: what both allow; != lists and checks of other fields leave every type.
  assert.equal((await compilePrintPlan({ type: 'execve,openat', filter: 'evt.type in (openat, clone)' }, noWarn)).types, ['openat']);
  assert.is((await compilePrintPlan({ filter: 'evt.type != execve' }, noWarn)).types, undefined);
  assert.is((await compilePrintPlan({ filter: 'evt.type = execve or proc.name = x' }, noWarn)).types, undefined);
  assert.equal((await compilePrintPlan({ filter: 'evt.type = execve and evt.type = clone' }, noWarn)).types, []);
  // `not` narrows only an exact check: `not evt.type startswith open` still matches openat's
  // neighbours and every other type (a superset is all the mask may be).
  for (const f of ['not evt.type startswith open', 'not evt.type contains open', 'proc.name = x and not evt.type icontains execve', 'not evt.type = execve']) {
    assert.is((await compilePrintPlan({ filter: f }, noWarn)).types, undefined, f);
  }
  assert.equal((await compilePrintPlan({ filter: 'evt.type in (execve, clone) and not evt.type = clone' }, noWarn)).types, ['execve']);
  assert.is(planNeedsFdTable(['proc.name'], { kind: 'events', fields: ['evt.num', 'proc.cwd'], jsonSafe: false }), true);
  assert.is(planNeedsFdTable(['proc.name'], { kind: 'events', fields: ['evt.num'], jsonSafe: false }), false);
});

test('plans: the default rules emit only their event types; each of them is one a rule names', async () => {
  const plan = await compilePrintPlan({ defaultRules: true }, () => {});
  assert.ok(plan.types && plan.types.length > 0 && plan.types.length < 20, `${plan.types}`);
  assert.ok(plan.types!.includes('execve'));
});

/** Every field that reads no fd state and needs no argument, as one `-p` format. */
const NO_FD_FORMAT = FIELDS.filter((d) => !d.takesArg && !d.keyArg && !readsFdTable(d.name)).map((d) => `${d.name}=%${d.name}`).join(' ');
const FD_MARK = ' @@FD=%fd.num';

/** Output of `read FILE -q -p FORMAT` (plus `args`), one line per event. */
function lines(file: string, format: string, args: string[] = []): string[] {
  const r = runCli(['read', file, '-q', '-p', format, ...args]);
  assert.is(r.status, 0, r.stderr);
  return r.stdout.split('\n');
}

test('a negated inexact type check selects what it selected before the mask was narrowed: not evt.type startswith open on curl_google', () => {
  const all = lines(capture('curl_google.scap'), '%evt.num %evt.type', ['-f', 'proc.name = curl']);
  const kept = lines(capture('curl_google.scap'), '%evt.num %evt.type', ['-f', 'proc.name = curl and not evt.type startswith open']);
  assert.ok(kept.length > 1000, `${kept.length} lines`);
  assert.equal(kept, all.filter((l) => !/ open\S*$/.test(l)));
});

test("capture-on-alert keeps the fd events: the cwd in a cut file's thread snapshot is the stream's (runuser chdir in drop_exec)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'scapdrift-state-needs-'));
  try {
    // Read from a pipe: its small chunks give the block boundaries where snapshots are taken.
    const r = spawnSync('bash', ['-c', 'cat "$1" | "$2" "$3" read /dev/stdin -q -r rules/scapdrift_rules.yaml --alert-capture "$4" --alert-capture-mode all_rules --alert-capture-before 1',
      'sh', capture('drop_exec.scap'), process.execPath, CLI, join(dir, 'ac')], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const whole = new Map(lines(capture('drop_exec.scap'), '%evt.rawtime %thread.tid %proc.cwd').map((l) => [l.split(' ').slice(0, 2).join(' '), l]));
    const files = readdirSync(dir);
    assert.ok(files.length > 0, 'files written');
    let compared = 0;
    for (const f of files) {
      for (const l of lines(join(dir, f), '%evt.rawtime %thread.tid %proc.cwd')) {
        const full = whole.get(l.split(' ').slice(0, 2).join(' '));
        if (full === undefined || l === '') continue;
        assert.is(l, full);
        compared++;
      }
    }
    assert.ok(compared > 500, `${compared} events compared`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const name of ['drop_exec.scap', 'memfd_exec.scap', 'curl_google.scap', 'single_ipv6_conn.scap', 'test_ipv6_client.scap']) {
  test(`every field that reads no fd state prints the same with and without the fd table: ${name}, every event`, () => {
    const without = lines(capture(name), NO_FD_FORMAT);
    const withTable = lines(capture(name), NO_FD_FORMAT + FD_MARK).map((l) => l.replace(/ @@FD=.*$/, ''));
    assert.ok(without.length > 100, `${without.length} lines`);
    assert.equal(without, withTable);
  });
}

test('the same on busy.scap (1.6 M events): every process event with every such field, every event with the event fields, and the issue filter selects the same events either way', () => {
  const busy = capture('busy.scap.gz');
  const processEvents = ['-f', 'evt.type in (execve, execveat, clone, clone3, fork, vfork, procexit, chdir, fchdir)'];
  const without = lines(busy, NO_FD_FORMAT, processEvents);
  const withTable = lines(busy, NO_FD_FORMAT + FD_MARK, processEvents).map((l) => l.replace(/ @@FD=.*$/, ''));
  assert.ok(without.length > 1_000, `${without.length} lines`);
  assert.equal(without, withTable);
  const events = '%evt.num %evt.type %evt.dir %evt.res %evt.rawres %evt.failed %evt.is_open_read %evt.is_open_write %proc.pid %proc.exepath %drift.exe_writer.pid';
  const digest = (format: string): { lines: number; sha: string } => {
    const r = spawnSync(process.execPath, [CLI, 'read', busy, '-q', '-p', format], { maxBuffer: 1 << 30 });
    assert.is(r.status, 0, String(r.stderr));
    const out = format.endsWith(FD_MARK) ? Buffer.from(r.stdout.toString('latin1').replace(/ @@FD=[^\n]*/g, ''), 'latin1') : r.stdout;
    return { lines: out.toString('latin1').split('\n').length - 1, sha: createHash('sha256').update(out).digest('hex') };
  };
  const every = digest(events);
  assert.ok(every.lines > 1_500_000, `${every.lines} lines`);
  assert.equal(digest(events + FD_MARK), every);
  const issue = ['-f', 'evt.type=execve and proc.exe_ino.ctime_duration_proc_start > 1000000000'];
  const a = lines(busy, '%evt.num %proc.exepath %drift.exe_writer.name', issue);
  const b = lines(busy, '%evt.num %proc.exepath %drift.exe_writer.name %fd.num', issue).map((l) => l.replace(/ \S*$/, ''));
  assert.ok(a.length > 500, `${a.length} lines`);
  assert.equal(a, b);
});

test.run();
