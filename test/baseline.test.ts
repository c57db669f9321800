/**
 * Issue 13, learned baselines, from files: `scapdrift learn` → profile → `read --baseline` (also
 * with --workers N), the name-allowlist rule it replaces, `baseline merge`, and profiles that are
 * corrupt or hostile. The recordings are the project's own (the driver's benign workload: gcc,
 * dpkg, tar, git, npm; the sample of drift cases). The live cases — a CI build run twice, a
 * dropped binary, a binary replaced under a known path, a known binary from an unknown parent,
 * with real hashes — are in baseline_live.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCli, CLI, type CliResult } from './helpers/cli.js';
import { parseProfile, mergeProfiles, PROFILE_VERSION, type Profile } from '../ts/baseline/profile.js';
import { workloadOf } from '../ts/baseline/facts.js';

const BENIGN = resolve(process.cwd(), 'test', 'fixtures', 'benign_workload.scap.gz');
const SAMPLE = resolve(process.cwd(), 'samples', 'live_drift.scap.gz');
const RULE = "Executable not in its workload's learned baseline";
const dir = mkdtempSync(join(tmpdir(), 'scapdrift-baseline-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function learn(out: string, ...args: string[]): Profile {
  const r = runCli(['learn', ...args, '-o', out]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /^scapdrift: learned \d+ workloads, \d+ executables from \d+ execs; /);
  return parseProfile(readFileSync(out, 'utf8'), out);
}

/** The baseline alerts of `read FILE --baseline PROFILE --json`. */
function alerts(file: string, profile: string): { rule: string; output_fields: Record<string, unknown> }[] {
  const r = runCli(['read', file, '-q', '--baseline', profile, '--json']);
  assert.is(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { rule: string; output_fields: Record<string, unknown> });
}

test('learn the benign workload (gcc, dpkg, tar, git, npm): the profile holds its execs; detecting on it raises nothing', () => {
  const out = join(dir, 'benign.json');
  const p = learn(out, BENIGN);
  assert.is(p.version, PROFILE_VERSION);
  const host = p.workloads.find((w) => w.workload === 'host');
  assert.ok(host, 'the host workload');
  const byPath = new Map(host!.executables.map((e) => [e.path, e]));
  for (const path of ['/usr/bin/dpkg', '/usr/bin/tar', '/usr/bin/git', '/usr/bin/x86_64-linux-gnu-gcc-12']) assert.ok(byPath.has(path), path);
  // The compiled program: written at run time by the linker, named by its executable (not "ld").
  const built = [...byPath.values()].find((e) => e.path.endsWith('/t'));
  assert.ok(built, 'the compiled ./t');
  assert.equal(built!.origins, ['runtime']);
  assert.equal(built!.writers.map((w) => w.path), ['/usr/bin/x86_64-linux-gnu-ld.bfd']);
  assert.ok(byPath.get('/usr/bin/tar')!.parents.length > 0, 'parents learned');
  assert.is(readFileSync(out, 'utf8'), JSON.stringify(JSON.parse(readFileSync(out, 'utf8')), null, 2) + '\n', 'indented JSON, for people');
  assert.equal(alerts(BENIGN, out), [], 'nothing raised once learned');
});

test('detect: what the profile never saw is raised with its reason; fields name the verdict', () => {
  const benign = join(dir, 'benign.json');
  learn(benign, BENIGN);
  const a = alerts(SAMPLE, benign);
  assert.ok(a.length > 0, 'the sample runs binaries the benign workload never ran');
  assert.ok(a.every((x) => x.rule === RULE));
  const dropped = a.find((x) => String(x.output_fields['proc.exepath']).endsWith('/dropped_true'));
  assert.ok(dropped, 'the dropped binary');
  assert.is(dropped!.output_fields['drift.baseline.reason'], 'new path');
  assert.is(dropped!.output_fields['drift.baseline.profile'], 'host');
  // A path both ran, from another parent: new parent.
  const reasons = new Set(a.map((x) => x.output_fields['drift.baseline.reason']));
  assert.ok([...reasons].every((r) => ['new path', 'new hash for a known path', 'new parent', 'new writer'].includes(String(r))), [...reasons].join());
});

test('--workers N: the same alerts as one thread; writers named by execs in other workers\' batches', () => {
  const benign = join(dir, 'benign.json');
  learn(benign, BENIGN);
  // Batches of 4 KiB: the linker's exec and the exec of what it wrote fall in different batches.
  const run = (file: string, workers: number): CliResult => {
    const r = spawnSync(process.execPath, [CLI, 'read', file, '-q', '--baseline', benign, '--json', '--workers', String(workers)], { encoding: 'utf8', env: { ...process.env, SCAPDRIFT_BATCH_BYTES: '4096' } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const one = run(SAMPLE, 1);
  assert.is(one.status, 0, one.stderr);
  assert.ok(one.stdout.split('\n').length > 2, 'alerts on the sample');
  for (const n of [2, 3]) {
    const many = run(SAMPLE, n);
    assert.is(many.status, 0, many.stderr);
    assert.is(many.stdout, one.stdout, `--workers ${n}`);
    const benignMany = run(BENIGN, n);
    assert.is(benignMany.status, 0, benignMany.stderr);
    assert.is(benignMany.stdout, '', `--workers ${n}: the learned workload raises nothing (./t's writer, the linker, known from another batch)`);
  }
});

test('with --default-rules, the baseline replaces the rule that excepts writers by name, in the workloads it knows', () => {
  const benign = join(dir, 'benign.json');
  learn(benign, BENIGN);
  const WRITTEN = 'Binary written and made executable during the capture, then run';
  const rules = (args: string[]): { rule: string; output_fields: Record<string, unknown> }[] => {
    const r = runCli(['read', SAMPLE, '-q', '--default-rules', '--json', ...args]);
    assert.is(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { rule: string; output_fields: Record<string, unknown> });
  };
  const written = (alerts: ReturnType<typeof rules>): string[] => alerts.filter((a) => a.rule === WRITTEN).map((a) => String(a.output_fields['proc.exepath']).replace(/^.*\//, '')).sort();
  const without = rules([]);
  assert.equal(written(without), ['ctr_true', 'dropped_script', 'dropped_true'], 'name allowlist rule alone');
  const withBaseline = rules(['--baseline', benign]);
  assert.equal(written(withBaseline), ['ctr_true'], 'only in the container, a workload the profile does not know');
  const judged = withBaseline.filter((a) => a.rule === RULE).map((a) => String(a.output_fields['proc.exepath']).replace(/^.*\//, ''));
  assert.ok(judged.includes('dropped_true') && judged.includes('dropped_script'), judged.join());
  assert.ok(!judged.includes('ctr_true'), 'the container is not judged');
  const others = (alerts: ReturnType<typeof rules>): string[] => alerts.filter((a) => a.rule !== WRITTEN && a.rule !== RULE).map((a) => `${a.rule} ${a.output_fields['proc.exepath']}`);
  assert.equal(others(withBaseline), others(without), 'the other default rules as before');
});

test('learn and baseline merge: usage errors are one line', () => {
  const noOut = runCli(['learn', BENIGN]);
  assert.is(noOut.status, 1);
  assert.is(noOut.stderr, 'scapdrift: learn: -o/--output FILE (the profile to write) is required\n');
  const noFiles = runCli(['learn', '-o', join(dir, 'x.json')]);
  assert.is(noFiles.status, 1);
  assert.is(noFiles.stderr, 'scapdrift: learn: give capture files, or --live\n');
  const both = runCli(['learn', BENIGN, '--live', '-o', join(dir, 'x.json')]);
  assert.is(both.stderr, 'scapdrift: learn: give capture files or --live, not both\n');
  const bad = runCli(['learn', BENIGN, '--window', 'soon', '-o', join(dir, 'x.json')]);
  assert.is(bad.stderr, 'scapdrift: --window must be a non-negative number, got soon\n');
  const merge = runCli(['baseline', 'merge', '-o', join(dir, 'x.json')]);
  assert.is(merge.status, 1);
  assert.match(merge.stderr, /^scapdrift: missing required argument 'profiles'/);
  const help = runCli(['--help']);
  assert.match(help.stdout, /\n  baseline merge \[options\] <profiles\.\.\.> +combine the profiles/);
  assert.match(help.stdout, /\n  learn \[options\] \[files\.\.\.\] +learn each workload/);
});

test('merge: two hosts\' profiles give one that knows both', () => {
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  learn(a, BENIGN);
  learn(b, SAMPLE);
  assert.ok(alerts(SAMPLE, a).length > 0 && alerts(BENIGN, b).length > 0, 'each alone does not know the other');
  const merged = join(dir, 'merged.json');
  const r = runCli(['baseline', 'merge', a, b, '-o', merged]);
  assert.is(r.status, 0, r.stderr);
  assert.equal(alerts(SAMPLE, merged), [], 'the merged profile knows the sample');
  assert.equal(alerts(BENIGN, merged), [], 'and the benign workload');
  const pa = parseProfile(readFileSync(a, 'utf8'), a);
  const pb = parseProfile(readFileSync(b, 'utf8'), b);
  assert.equal(parseProfile(readFileSync(merged, 'utf8'), merged), mergeProfiles([pb, pa]), 'the same whatever the order');
});

test('a corrupt or hostile profile: one clear line, exit 1, nothing read from the capture', () => {
  const good = JSON.parse(readFileSync(join(dir, 'benign.json'), 'utf8')) as Profile;
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"schema": "scapdrift-baseline", ', /is not JSON/],
    ['another version', JSON.stringify({ ...good, version: 2 }), /\/version must be equal to constant/],
    ['another kind of file', JSON.stringify({ rules: [] }), /not a scapdrift baseline/],
    ['an unknown key (e.g. a $ref to fetch)', JSON.stringify({ ...good, $ref: 'http://example.invalid/x.json' }), /must NOT have additional properties/],
    ['a prototype key', JSON.stringify(good).replace('"workloads":[', '"__proto__":{"polluted":1},"workloads":['), /must NOT have additional properties/],
    ['a digest that is not hex', JSON.stringify({ ...good, workloads: [{ workload: 'host', executables: [{ path: '/x', sha256: ['zz'], parents: [], interpreters: [], origins: [], writers: [], count: 1 }] }] }), /\/workloads\/0\/executables\/0\/sha256\/0 must match pattern/],
    ['a repeated workload', JSON.stringify({ ...good, workloads: [{ workload: 'host', executables: [] }, { workload: 'host', executables: [] }] }), /\/workloads\/1 repeats workload "host"/],
    ['a path too long', JSON.stringify({ ...good, workloads: [{ workload: 'host', executables: [{ path: 'x'.repeat(5000), sha256: [], parents: [], interpreters: [], origins: [], writers: [], count: 1 }] }] }), /must NOT have more than 4096 characters/],
  ];
  for (const [what, text, re] of cases) {
    const f = join(dir, 'bad.json');
    writeFileSync(f, text);
    const r = runCli(['read', BENIGN, '--baseline', f]);
    assert.is(r.status, 1, `${what}: exit 1`);
    assert.is(r.stdout, '', `${what}: nothing printed`);
    assert.match(r.stderr, /^scapdrift: baseline .*\n$/, `${what}: one line: ${r.stderr}`);
    assert.match(r.stderr, re, what);
  }
  assert.is(({} as Record<string, unknown>).polluted, undefined, 'no prototype touched');
  const d = join(dir, 'a_dir');
  mkdirSync(d);
  const r = runCli(['read', BENIGN, '--baseline', d]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /^scapdrift: baseline .* is not a regular file\n$/);
  const m = runCli(['baseline', 'merge', join(dir, 'benign.json'), join(dir, 'bad.json'), '-o', join(dir, 'm.json')]);
  assert.is(m.status, 1, 'merge refuses a bad input');
});

test('workloads: container id, systemd unit, scope (numbers out), else host', () => {
  assert.is(workloadOf('3ad7b26ded6d', 'cpuset=/docker/3ad7b26ded6d'), 'container:3ad7b26ded6d');
  assert.is(workloadOf('host', 'cpuset=/.cpu=/.memory=/system.slice/cron.service'), 'unit:cron.service');
  assert.is(workloadOf('host', 'cpu=/system.slice/ssh.service.memory=/system.slice/ssh.service'), 'unit:ssh.service');
  assert.is(workloadOf('host', '0::/user.slice/user-1000.slice/session-42.scope'), 'scope:session-*.scope');
  assert.is(workloadOf('host', 'cpuset=/.memory=/process_api/9e8e366a'), 'host');
  assert.is(workloadOf(null, null), 'host');
});

test.run();
