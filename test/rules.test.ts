/**
 * Falco rules files: loading (lists, macros, append/override, exceptions,
 * enabled, required_engine_version), skipping rules with fields scapdrift does
 * not have, errors with FILE:LINE:COLUMN, and alerts in Falco's text and JSON
 * forms from the CLI on the real captures.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture } from './helpers/captures.js';
import { runCli } from './helpers/cli.js';
import { loadRules } from '../ts/rules/load.js';
import { DEFAULT_RULES_PATH } from '../ts/rules/default_rules.js';
import { isScapdriftError } from '../ts/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'scapdrift-rules-'));
let fileNo = 0;
function rulesFile(text: string): string {
  const p = join(dir, `rules${++fileNo}.yaml`);
  writeFileSync(p, text);
  return p;
}
function loadError(text: string): string {
  try {
    loadRules([rulesFile(text)]);
  } catch (e) {
    assert.ok(isScapdriftError(e), String(e));
    return (e as Error).message;
  }
  throw new Error('expected the load to fail');
}

/** Shaped like Falco's own drift rules (falco_rules.yaml), written here; only supported fields. */
const FALCO_SHAPED = `
- required_engine_version: 0.31.0

- list: known_drop_and_execute_paths
  items: []

- list: shell_binaries
  items: [ash, bash, csh, ksh, sh, tcsh, zsh, dash]

- macro: spawned_process
  condition: (evt.type in (execve, execveat) and evt.dir=< and evt.arg.res=0)

- macro: container
  condition: (container.id != host)

- macro: known_drop_and_execute_activities
  condition: (never_true)

- macro: never_true
  condition: (evt.num=0)

- rule: Drop and execute new binary in container
  desc: >
    Detect if an executable not belonging to the base image of a container is being executed.
  condition: >
    spawned_process
    and container
    and proc.is_exe_upper_layer=true
    and not proc.exepath in (known_drop_and_execute_paths)
    and not known_drop_and_execute_activities
  output: Executing binary not part of base image (proc_exe=%proc.exe proc_cmdline=%proc.cmdline exe_flags=%evt.arg.flags)
  priority: CRITICAL
  tags: [maturity_stable, container, process, mitre_persistence, TA0003]

- rule: Fileless execution via memfd_create
  desc: >
    Detect if a binary is executed from memory using the memfd_create technique.
  condition: >
    spawned_process
    and proc.is_exe_from_memfd=true
    and not known_drop_and_execute_activities
  output: Fileless execution via memfd_create (container_start_ts=%container.start_ts proc_cwd=%proc.cwd evt_res=%evt.res proc_exe=%proc.exe)
  priority: CRITICAL
  tags: [maturity_stable, host, container, process, mitre_defense_evasion, T1620]
  exceptions:
    - name: known_memfd_users
      fields: [proc.name, proc.exepath]
      comps: [=, startswith]
      values:
        - [runc, "memfd:runc_cloned"]

- rule: Shell spawned from a dropped binary
  desc: a shell whose parent is unknown
  condition: spawned_process and proc.name in (shell_binaries) and proc.pid < 0
  output: Shell (proc.name=%proc.name)
  priority: NOTICE
  enabled: false
`;

test('a file shaped like Falco\'s drift rules loads unchanged', () => {
  const set = loadRules([rulesFile(FALCO_SHAPED)]);
  assert.equal(set.warnings, []);
  assert.equal(set.rules.map((r) => [r.name, r.priority]), [
    ['Drop and execute new binary in container', 'Critical'],
    ['Fileless execution via memfd_create', 'Critical'],
  ]);
  // Sorted as Falco keeps them (a std::set: byte order, upper case first).
  assert.equal(set.rules[1]!.tags, ['T1620', 'container', 'host', 'maturity_stable', 'mitre_defense_evasion', 'process']);
});

test('Falco-shaped rules fire on memfd_exec exactly where the execs from a memfd are', () => {
  const r = runCli(['read', capture('memfd_exec.scap'), '-q', '-r', rulesFile(FALCO_SHAPED), '-r', rulesFile(`
- rule: Fileless execution via memfd_create
  output: "%evt.num"
  override:
    output: append
`)]);
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.is(lines.length, 2);
  assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{9}: Critical Fileless execution via memfd_create \(container_start_ts=<NA> proc_cwd=\S+ evt_res=SUCCESS proc_exe=memfd_true_procpath\) 2370$/);
  assert.match(lines[1]!, /proc_exe=memfd_true_fexecve\) 2423$/);
});

test('append and override: lists, macros and rules as Falco defines them', () => {
  const base = rulesFile(`
- list: names
  items: [ls]
- macro: is_exec
  condition: evt.type = clone
- rule: R
  desc: d
  condition: is_exec and proc.name in (names)
  output: "%evt.num"
  priority: INFO
  tags: [a]
- rule: Off
  desc: d
  condition: evt.num = 1
  output: x
  priority: debug
`);
  const more = rulesFile(`
- list: names
  items: [id]
  append: true
- macro: is_exec
  condition: evt.type = execve and evt.dir = <
  override:
    condition: replace
- rule: R
  condition: and evt.res = SUCCESS
  tags: [b]
  priority: error
  override:
    condition: append
    tags: append
    priority: replace
- rule: Off
  enabled: false
`);
  const set = loadRules([base, more]);
  assert.equal(set.rules.map((r) => r.name), ['R']);
  assert.equal(set.rules[0]!.tags, ['a', 'b']);
  assert.is(set.rules[0]!.priority, 'Error');
  const r = runCli(['read', capture('drop_exec.scap'), '-q', '-r', base, '-r', more]);
  assert.is(r.status, 0, r.stderr);
  // execve exits of ls (3346) and id (3520) as in reference/drop_exec.tsv.
  assert.equal(r.stdout.trimEnd().split('\n').map((l) => l.split(' ').pop()), ['3346', '3520']);
});

test('legacy append: true appends to a rule condition and a macro', () => {
  const set = loadRules([rulesFile(`
- macro: m
  condition: evt.num > 1
- macro: m
  condition: and evt.num < 3
  append: true
- rule: R
  desc: d
  condition: m
  output: o
  priority: WARNING
- rule: R
  condition: and evt.num = 2
  append: true
`)]);
  assert.is(set.rules.length, 1);
});

test('a rule naming a field scapdrift does not have refuses the file, naming rule, field and FILE:LINE:COLUMN, as Falco', () => {
  const head = '- rule: Kept\n  desc: d\n  condition: evt.type = execve\n  output: o\n  priority: WARNING\n';
  assert.match(loadError(`${head}- rule: Uses image\n  desc: d\n  condition: nosuch.repository = nginx\n  output: o\n  priority: WARNING\n`),
    /rules\d+\.yaml:8:14: rule 'Uses image': condition: unknown field nosuch\.repository at 1$/);
  // In a macro: the rule's condition, and the macro's own place.
  assert.match(loadError(`${head}- macro: m\n  condition: nosuch.aname = bash\n- rule: Uses macro\n  desc: d\n  condition: evt.type = execve and m\n  output: o\n  priority: WARNING\n`),
    /rules\d+\.yaml:10:14: rule 'Uses macro': condition: macro 'm' \(\S+rules\d+\.yaml:6:3\): unknown field nosuch\.aname at 1$/);
  // In the output.
  assert.match(loadError(`${head}- rule: Output\n  desc: d\n  condition: evt.type = execve\n  output: user=%nosuch.name\n  priority: WARNING\n`),
    /rules\d+\.yaml:9:11: rule 'Output': output: unknown field nosuch\.name at character 6 of the format$/);
  // A disabled rule is compiled too (Falco compiles every rule).
  assert.match(loadError(`${head}- rule: Off\n  desc: d\n  condition: nosuch.x = 1\n  output: o\n  priority: WARNING\n  enabled: false\n`),
    /rule 'Off': condition: unknown field nosuch\.x/);
});

test('skip-if-unknown-filter: true skips such a rule with one warning naming it; the others load', () => {
  const set = loadRules([rulesFile(`
- rule: Uses image
  desc: d
  condition: nosuch.repository = nginx
  output: o
  priority: WARNING
  skip-if-unknown-filter: true
- macro: ancestor_is_shell
  condition: nosuch.aname[2] = bash
- rule: Uses macro with ancestors
  desc: d
  condition: evt.type = execve and ancestor_is_shell
  output: o
  priority: WARNING
  skip-if-unknown-filter: true
- rule: Output with user name
  desc: d
  condition: evt.type = execve
  output: user=%nosuch.name
  priority: WARNING
  skip-if-unknown-filter: true
- rule: Kept
  desc: d
  condition: evt.type = execve
  output: o
  priority: WARNING
  skip-if-unknown-filter: true
- rule: Other source
  desc: d
  condition: ka.verb = get
  output: o
  priority: WARNING
  source: k8s_audit
`)]);
  assert.equal(set.rules.map((r) => r.name), ['Kept']);
  assert.equal(set.unknownFields, [
    { rule: 'Uses image', field: 'nosuch.repository' }, { rule: 'Uses macro with ancestors', field: 'nosuch.aname[2]' },
    { rule: 'Output with user name', field: 'nosuch.name' },
  ]);
  assert.is(set.warnings.length, 4);
  assert.match(set.warnings[0]!, /^rule 'Uses image' skipped \(skip-if-unknown-filter\): field nosuch\.repository is not supported by scapdrift \(\S+:4:14: /);
  assert.match(set.warnings[1]!, /^rule 'Uses macro with ancestors' skipped \(skip-if-unknown-filter\): field nosuch\.aname\[2\]/);
  assert.match(set.warnings[2]!, /^rule 'Output with user name' skipped \(skip-if-unknown-filter\): field nosuch\.name .*output: unknown field/);
  assert.match(set.warnings[3]!, /^rule 'Other source' skipped: source 'k8s_audit'/);
  assert.ok(set.warnings.every((w) => !w.includes('\n')));
});

test('errors name FILE:LINE:COLUMN and what is wrong', () => {
  assert.match(loadError('- rule: a\n  desc: [\n'), /rules\d+\.yaml:\d+:\d+: invalid YAML: /);
  assert.match(loadError('- list: a\n  items: !!js/function "x"\n'), /rules\d+\.yaml:2:\d+: YAML tag tag:yaml.org,2002:js\/function is not allowed/);
  assert.match(loadError('- list: a\n  items: !custom [x]\n'), /YAML tag !custom is not allowed/);
  assert.match(loadError('rule: a\n'), /rules\d+\.yaml:1:1: a rules file is a YAML list/);
  assert.match(loadError('- rule: a\n  desc: d\n  condition: evt.num = 1\n  output: o\n  priority: loud\n'), /:5:13: rule 'a': invalid priority 'loud'/);
  assert.match(loadError('- rule: a\n  desc: d\n  condition: evt.num = 1\n  priority: info\n'), /:1:3: missing required key 'output'/);
  assert.match(loadError('\n- rule: a\n  desc: d\n  condition: evt.num = 1 and (proc.name = x\n  output: o\n  priority: info\n'),
    /rules\d+\.yaml:4:14: rule 'a': condition: expected a '\)' token at 31$/);
  assert.match(loadError('- rule: a\n  desc: d\n  condition: proc.exe_ino = abc\n  output: o\n  priority: info\n'),
    /rule 'a': condition: expected a number for proc.exe_ino, found 'abc' at 16/);
  assert.match(loadError('- macro: m\n  condition: proc.name = \n'), /:1:3: macro 'm': condition: expected a string value at 12/);
  assert.match(loadError('- rule: a\n  desc: d\n  condition: undefined_macro\n  output: o\n  priority: info\n'), /undefined macro 'undefined_macro'/);
  assert.match(loadError('- list: a\n  items: [x]\n  append: true\n'), /list 'a' has 'append' or 'override' but no list of that name was defined before/);
  assert.match(loadError('- rule: a\n  condition: x\n  override:\n    condition: prepend\n'), /:4:16: rule 'a': 'override.condition' must be one of append, replace$/);
  assert.match(loadError('- foo: bar\n'), /:1:3: item: unknown key 'foo'; expected one of /);
});

test('the CLI prints one line and exits 1 on a bad rules file or condition, never a stack trace', () => {
  const bad = rulesFile('- rule: a\n  desc: d\n  condition: evt.num = = 1\n  output: o\n  priority: info\n');
  const r = runCli(['read', capture('drop_exec.scap'), '-r', bad]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /^scapdrift: \S+rules\d+\.yaml:3:14: rule 'a': condition: expected a string value at 11\n$/);
  const c = runCli(['read', capture('drop_exec.scap'), 'evt.type=execve and proc.exe_inode = 3']);
  assert.is(c.status, 1);
  assert.is(c.stderr, 'scapdrift: unknown field proc.exe_inode at 21; did you mean proc.exe_ino?\n');
  const f = runCli(['read', capture('drop_exec.scap'), '-f', 'proc.name in (a, b']);
  assert.is(f.stderr, "scapdrift: expected a ')' token at 19\n");
  const missing = runCli(['read', capture('drop_exec.scap'), '-r', join(dir, 'nope.yaml')]);
  assert.is(missing.status, 1);
  assert.match(missing.stderr, /^scapdrift: cannot read rules file .*nope\.yaml: ENOENT/);
});

test('skipped rules warn on stderr; alerts still print', () => {
  const f = rulesFile('- rule: U\n  desc: d\n  condition: nosuch.name = x\n  output: o\n  priority: info\n  skip-if-unknown-filter: true\n- rule: K\n  desc: d\n  condition: evt.type = execve and proc.name = dropped_ls\n  output: "%evt.num"\n  priority: info\n');
  const r = runCli(['read', capture('drop_exec.scap'), '-q', '-r', f]);
  assert.is(r.status, 0);
  assert.match(r.stderr, /^scapdrift: warning: rule 'U' skipped \(skip-if-unknown-filter\): field nosuch.name is not supported by scapdrift/);
  assert.match(r.stdout, /^\d\d:\d\d:\d\d\.\d{9}: Informational 3177\n$/);
});

test('default rules: load without warnings, each with a description of its benign triggers', () => {
  const set = loadRules([DEFAULT_RULES_PATH]);
  assert.equal(set.warnings, []);
  assert.is(set.rules.length, 6);
  for (const r of set.rules) assert.match(r.desc, /benign triggers/i, r.name);
});

test('default rules on drop_exec: the binary dropped in /tmp, run by the unprivileged user who made it', () => {
  const r = runCli(['read', capture('drop_exec.scap'), '-q', '--default-rules']);
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.is(lines.length, 2);
  // One exec, two rules, in rules-file order (test/drift_origin.test.ts checks the writer fields).
  assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{9}: Warning Non-root user runs an executable it can write \(proc\.exepath=\/tmp\/dropped_ls proc\.cmdline=dropped_ls \/tmp proc\.pid=14429 proc\.ppid=14426 user\.uid=1001 /);
  assert.match(lines[1]!, /^\d\d:\d\d:\d\d\.\d{9}: Critical Binary written and made executable during the capture, then run \(proc\.exepath=\/tmp\/dropped_ls /);
});

test('default rules on memfd_exec, JSON: fileless execution twice, shaped like Falco alerts', () => {
  const r = runCli(['read', capture('memfd_exec.scap'), '-q', '--default-rules', '--json']);
  assert.is(r.status, 0, r.stderr);
  const alerts = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const fileless = alerts.filter((a) => a.rule === 'Fileless execution');
  assert.is(fileless.length, 2);
  const a = fileless[0]!;
  assert.equal(Object.keys(a), ['hostname', 'output', 'output_fields', 'priority', 'rule', 'source', 'tags', 'time']);
  assert.is(a.priority, 'Critical');
  assert.is(a.source, 'syscall');
  assert.is(a.hostname, 'vm');
  assert.match(a.time as string, /^2026-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  assert.match(a.output as string, /^\d\d:\d\d:\d\d\.\d{9}: Critical Fileless execution \(proc\.exepath=memfd:memfd_true /);
  const fields = a.output_fields as Record<string, unknown>;
  assert.is(fields['proc.exepath'], 'memfd:memfd_true');
  assert.is(fields['proc.is_exe_from_memfd'], true);
  assert.is(typeof fields['evt.time'], 'number');
  // The memfd was written after the process started: the negative ctime delta.
  assert.ok(alerts.some((x) => x.rule === 'Executable changed shortly before its process started'));
});

test("default rules on the project's own driver sample: the dropped binaries, the memfd exec and the dropped script", () => {
  // Recorded by scripts/record_sample.sh: D=/tmp/tmp.ldJEkhDpId.
  const r = runCli(['read', 'samples/live_drift.scap.gz', '-q', '--default-rules', '--json']);
  assert.is(r.status, 0, r.stderr);
  const alerts = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { rule: string; output_fields: Record<string, unknown> });
  const changed = 'Executable changed shortly before its process started';
  const written = 'Binary written and made executable during the capture, then run';
  assert.equal(alerts.map((a) => [a.rule, a.output_fields['proc.exepath']]), [
    // cp /bin/true $D/dropped_true; chmod +x; run.
    [changed, '/tmp/tmp.ldJEkhDpId/dropped_true'],
    [written, '/tmp/tmp.ldJEkhDpId/dropped_true'],
    // perl: memfd_create("fileless"), write, execve of /proc/self/fd/3. No chmod: not the sixth rule.
    ['Fileless execution', 'memfd:fileless'],
    [changed, 'memfd:fileless'],
    // Dropped inside a fake container (docker-<id>.scope cgroup, new pid namespace) 0.1 s after it
    // started: too young for "changed after its container started" (window 60 s).
    [changed, '/tmp/tmp.ldJEkhDpId/ctr_true'],
    [written, '/tmp/tmp.ldJEkhDpId/ctr_true'],
    // A #!/bin/sh script written by tee, chmod +x, run: the script is the exe, not /bin/sh.
    [changed, '/tmp/tmp.ldJEkhDpId/dropped_script'],
    [written, '/tmp/tmp.ldJEkhDpId/dropped_script'],
  ]);
  // Who made each one: the writer and the chmod author, by name, and before the exec.
  const origins = alerts.filter((a) => a.rule === written).map((a) => {
    const f = a.output_fields;
    assert.ok((f['drift.exe_written_duration'] as number) > 0 && (f['drift.exe_chmod_duration'] as number) > 0, JSON.stringify(f));
    assert.ok((f['drift.exe_written_duration'] as number) > (f['drift.exe_chmod_duration'] as number), 'written, then chmod-ed');
    return [f['drift.exe_writer.name'], f['drift.exe_chmod.name'], f['container.id']];
  });
  assert.equal(origins, [['cp', 'chmod', 'host'], ['cp', 'chmod', '65c0d2f43600'], ['tee', 'chmod', 'host']]);
});

test('a trailing condition narrows the rules: both must match', () => {
  const r = runCli(['read', capture('memfd_exec.scap'), '-q', '--default-rules', 'proc.exe = memfd_true_fexecve']);
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.is(lines.length, 1);
  assert.match(lines[0]!, /Critical Fileless execution .*proc\.exe=memfd_true_fexecve/);
});

test.run();
