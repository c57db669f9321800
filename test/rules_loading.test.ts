/**
 * Rules loading as Falco does it: the item schema (unknown keys, wrong types) refused with the
 * line, required_engine_version against FALCO_ENGINE_VERSION, -r DIR in name order, the priority
 * and tag selection (--priority, -t, -T), tags sorted in alerts; and the upstream Falco rules
 * files (../shared/falco-rules/), with the exact set of fields they still need.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadRules } from '../ts/rules/load.js';
import { FALCO_ENGINE_VERSION } from '../ts/rules/engine_version.js';
import { capture } from './helpers/captures.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scapdrift-rules-loading-'));
let n = 0;
function rulesFile(text: string, name = `r${n++}.yaml`, where = dir): string {
  const path = join(where, name);
  writeFileSync(path, text);
  return path;
}
function loadError(text: string): string {
  try {
    loadRules([rulesFile(text)]);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('loaded');
}
/** The execve exits of drop_exec, counted by a plain filter. */
const EXEC_EXITS = runCli(['read', capture('drop_exec.scap'), '-q', '-p', '%evt.num', 'evt.type = execve and evt.dir = <']).stdout.trimEnd().split('\n').length;
const rule = (name: string, extra = '', condition = 'evt.type = execve and evt.dir = <'): string =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: "%proc.name"\n  priority: WARNING\n${extra}`;

test('unknown keys and wrong types are refused with their line and column', () => {
  assert.match(loadError('- rule: a\n  desc: d\n  condtion: evt.num = 1\n  output: o\n  priority: info\n'),
    /r\d+\.yaml:3:3: rule 'a': unknown key 'condtion'; expected one of .*condition/);
  assert.match(loadError(`${rule('a')}  enabled: yes\n`), /:6:12: rule 'a': 'enabled' must be boolean$/);
  assert.match(loadError('- list: l\n  items: [a, [b]]\n'), /:2:14: list 'l': 'items.1' must be string,integer$/);
  assert.match(loadError(`${rule('a')}  exceptions:\n    - name: e\n      feilds: [proc.name]\n`), /:8:7: rule 'a': unknown key 'feilds' in 'exceptions\.0'; expected one of name, fields, comps, values$/);
  assert.match(loadError('- macro: m\n  condition: evt.num = 1\n  tags: 3\n'), /:3:9: macro 'm': 'tags' must be array$/);
});

test(`required_engine_version is checked against Falco engine version ${FALCO_ENGINE_VERSION}`, () => {
  assert.is(FALCO_ENGINE_VERSION, '0.57.0');
  assert.match(loadError('- required_engine_version: 99.0.0\n'),
    /r\d+\.yaml:1:28: rules require engine version 99\.0\.0, but scapdrift implements Falco engine version 0\.57\.0$/);
  assert.match(loadError('- required_engine_version: 0.57.1\n'), /require engine version 0\.57\.1/);
  assert.match(loadError('- required_engine_version: not.a.version\n'), /:1:28: invalid required_engine_version 'not\.a\.version'/);
  for (const ok of ['0.57.0', '0.26.0', '9']) {
    assert.is(loadRules([rulesFile(`- required_engine_version: ${ok}\n${rule('a')}`)]).rules.length, 1, ok);
  }
});

test('-r DIR loads the *.yaml and *.yml files of the directory in name order, as Falco', () => {
  const rules = join(dir, 'rules.d');
  mkdirSync(rules);
  mkdirSync(join(rules, 'sub.yaml')); // not a file: ignored
  // 20 appends to what 10 defines, 30 disables a rule of 20: only the name order works.
  rulesFile('- macro: m\n  condition: evt.type = execve\n', '10_base.yaml', rules);
  rulesFile('- macro: m\n  condition: and evt.dir = <\n  append: true\n' + rule('Exec', '', 'm') + rule('Other'), '20_more.yaml', rules);
  rulesFile('- rule: Other\n  enabled: false\n', '30_off.yml', rules);
  rulesFile('Apache License\n  Version 2.0: not YAML rules\n', 'LICENSE', rules); // a rules checkout: skipped, as Falco
  rulesFile('- rule: Broken\n', '40_notes.yaml.orig', rules);
  const set = loadRules([rules]);
  assert.equal(set.rules.map((r) => r.name), ['Exec']);
  const r = runCli(['read', capture('drop_exec.scap'), '-q', '-r', rules]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trimEnd().split('\n').length, EXEC_EXITS);
  const missing = runCli(['read', capture('drop_exec.scap'), '-q', '-r', join(dir, 'nope')]);
  assert.match(missing.stderr, /^scapdrift: cannot read rules file \S+nope: ENOENT/);
});

test('-p with rules appends its format to every alert after a space, as Falco\'s -p; JSON output_fields name a field once', () => {
  const f = rulesFile(rule('Exec').replace('"%proc.name"', '"exe=%proc.exepath pid=%proc.pid"'));
  const plain = runCli(['read', capture('drop_exec.scap'), '-q', '-r', f]).stdout.trimEnd().split('\n');
  const r = runCli(['read', capture('drop_exec.scap'), '-q', '-r', f, '-p', 'extra pid=%proc.pid num=%evt.num']);
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.is(lines.length, EXEC_EXITS);
  lines.forEach((l, i) => {
    const m = / pid=(\d+) extra pid=(\d+) num=\d+$/.exec(l);
    assert.ok(m && m[1] === m[2], l);
    assert.ok(l.startsWith(plain[i]! + ' extra pid='), l);
  });
  const json = runCli(['read', capture('drop_exec.scap'), '-q', '-r', f, '--json', '-p', 'extra pid=%proc.pid']).stdout.trimEnd().split('\n');
  for (const l of json) {
    assert.equal(Object.keys(JSON.parse(l).output_fields), ['evt.time', 'proc.exepath', 'proc.pid']);
    assert.equal((l.match(/"proc\.pid":/g) ?? []).length, 1, 'one key');
  }
});

test('--priority, -t and -T select rules as Falco does; tags print sorted and unique', () => {
  const f = rulesFile(
    rule('Crit', '  tags: [zeta, Alpha, zeta, beta]\n').replace('WARNING', 'CRITICAL') +
    rule('Warn', '  tags: [beta]\n') +
    rule('Note', '  tags: [gamma]\n').replace('WARNING', 'NOTICE'));
  const names = (sel: Parameters<typeof loadRules>[1]): string[] => loadRules([f], sel).rules.map((r) => r.name);
  assert.equal(names({}), ['Crit', 'Warn', 'Note']);
  assert.equal(names({ minPriority: 'warning' }), ['Crit', 'Warn']);
  assert.equal(names({ minPriority: 'CRITICAL' }), ['Crit']);
  assert.equal(names({ enableTags: ['beta'] }), ['Crit', 'Warn']);
  assert.equal(names({ disableTags: ['beta'] }), ['Note']);
  assert.throws(() => names({ enableTags: ['a'], disableTags: ['b'] }), /cannot be both enabled by tag \(-t\) and disabled by tag \(-T\)/);
  assert.throws(() => names({ minPriority: 'loud' }), /invalid priority 'loud'/);

  const json = runCli(['read', capture('drop_exec.scap'), '-q', '--json', '-r', f, '--priority', 'critical']);
  assert.is(json.status, 0, json.stderr);
  const alerts = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { rule: string; tags: string[] });
  assert.is(alerts.length, EXEC_EXITS);
  assert.ok(alerts.every((a) => a.rule === 'Crit'));
  assert.equal(alerts[0]!.tags, ['Alpha', 'beta', 'zeta']);
  const tagged = runCli(['read', capture('drop_exec.scap'), '-q', '--json', '-r', f, '-t', 'gamma', '-t', 'zeta']);
  assert.equal([...new Set(tagged.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { rule: string }).rule))], ['Crit', 'Note']);
  const off = runCli(['read', capture('drop_exec.scap'), '-q', '--json', '-r', f, '-T', 'beta']);
  assert.equal([...new Set(off.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { rule: string }).rule))], ['Note']);
});

// ---- The upstream Falco rules files ----

const FALCO = resolve(process.cwd(), '..', 'shared', 'falco-rules');
const STABLE = join(FALCO, 'falco_rules.yaml');
const INCUBATING = join(FALCO, 'falco-incubating_rules.yaml');
const SANDBOX = join(FALCO, 'falco-sandbox_rules.yaml');

const SETS: [string, string[], number][] = [['stable', [STABLE], 25], ['incubating', [STABLE, INCUBATING], 56], ['sandbox', [STABLE, SANDBOX], 62]];

for (const [name, files, rules] of SETS) {
  test(`upstream ${name} rules: every item passes the schema and every field is known: all rules load, none skipped`, () => {
    const set = loadRules(files);
    assert.equal(set.unknownFields, []);
    // The enabled ones run (the rest are compiled too: Falco refuses a file with a bad disabled rule).
    assert.ok(set.rules.length > 0 && set.rules.length <= rules, `${set.rules.length} rules`);
  });
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
