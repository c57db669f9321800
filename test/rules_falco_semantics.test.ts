/**
 * `append: true`, `override:` and `exceptions:` as Falco's rule loader treats them (issue 16):
 * the cases of Falco's own unit tests (falcosecurity/falco unit_tests/engine/test_rule_loader.cpp,
 * the test named with each case), with the outcome Falco asserts there: the file loads or is
 * refused with Falco's reason, and the rule ends with the condition Falco compiles (compared
 * after macros and lists are expanded and and/or chains flattened, as Falco prints them).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture } from './helpers/captures.js';
import { runCli } from './helpers/cli.js';
import { loadRules, type RuleSet } from '../ts/rules/load.js';
import { parseCondition, type FilterEnv } from '../ts/filter/index.js';
import type { Expr } from '../ts/filter/ast.js';
import { isScapdriftError } from '../ts/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'scapdrift-falco-rules-'));
let fileNo = 0;
function file(text: string): string {
  const p = join(dir, `rules${++fileNo}.yaml`);
  writeFileSync(p, text);
  return p;
}
function load(text: string): RuleSet {
  return loadRules([file(text)]);
}
function loadError(text: string): string {
  try {
    load(text);
  } catch (e) {
    assert.ok(isScapdriftError(e), String(e));
    return (e as Error).message;
  }
  throw new Error('expected the load to fail');
}

/** A condition as Falco prints a compiled one: macros and lists expanded, and/or chains flat. */
function canon(e: Expr, env: FilterEnv): string {
  const flat = (kind: 'and' | 'or', x: Expr): Expr[] => {
    if (x.kind === 'macro') return flat(kind, env.macro(x.name)!);
    return x.kind === kind ? x.children.flatMap((c) => flat(kind, c)) : [x];
  };
  switch (e.kind) {
    case 'and': case 'or': return `(${flat(e.kind, e).map((c) => canon(c, env)).join(` ${e.kind} `)})`;
    case 'not': return `not ${canon(e.child, env)}`;
    case 'macro': return canon(env.macro(e.name)!, env);
    case 'check': {
      const o = e.operand;
      const items = (xs: string[]): string => `(${xs.flatMap((x) => env.list(x) ?? [x]).map((x) => (/\s/.test(x) ? `"${x}"` : x)).join(', ')})`;
      const rhs = !o ? '' : o.kind === 'value' ? ` ${/\s/.test(o.value.text) ? `"${o.value.text}"` : o.value.text}`
        : o.kind === 'list' ? ` ${items(o.items.map((i) => i.text))}` : o.kind === 'listref' ? ` ${items([o.name])}` : ` val(${o.field})`;
      return `${e.field} ${e.op}${rhs}`;
    }
  }
}
function condition(set: RuleSet, name: string): string {
  return canon(set.rules.find((r) => r.name === name)!.expr, set.env);
}
function falcoCompiled(text: string, env: FilterEnv): string {
  return canon(parseCondition(text), env);
}

const BASE = `
- rule: legit_rule
  desc: legit rule description
  condition: evt.type=open
  output: user=%user.name command=%proc.cmdline
  priority: INFO
`;

test('list_append, condition_append: override append of a list and a macro', () => {
  const lists = load(`
- list: shell_binaries
  items: [ash, bash, csh, ksh, sh, tcsh, zsh, dash]
- rule: legit_rule
  desc: legit rule description
  condition: evt.type=open and proc.name in (shell_binaries)
  output: user=%user.name command=%proc.cmdline
  priority: INFO
- list: shell_binaries
  items: [pwsh]
  override:
    items: append
`);
  assert.is(condition(lists, 'legit_rule'), falcoCompiled('(evt.type = open and proc.name in (ash, bash, csh, ksh, sh, tcsh, zsh, dash, pwsh))', lists.env));
  const macros = load(`
- macro: interactive
  condition: >
    ((proc.aname=sshd and proc.name != sshd) or
    proc.name=systemd-logind or proc.name=login)
- rule: legit_rule
  desc: legit rule description
  condition: evt.type=open and interactive
  output: user=%user.name command=%proc.cmdline
  priority: INFO
- macro: interactive
  condition: or proc.name = ssh
  override:
    condition: append
`);
  assert.is(condition(macros, 'legit_rule'), falcoCompiled('(evt.type = open and (((proc.aname = sshd and proc.name != sshd) or proc.name = systemd-logind or proc.name = login) or proc.name = ssh))', macros.env));
});

test('rule_override_append, rule_append, rule_override_replace, rule_override_append_replace', () => {
  const appended = load(`${BASE}
- rule: legit_rule
  desc: with append
  condition: and proc.name = cat
  output: proc=%proc.name
  override:
    desc: append
    condition: append
    output: append
`);
  const r = appended.rules[0]!;
  assert.is(r.desc, 'legit rule description with append');
  assert.is(condition(appended, 'legit_rule'), falcoCompiled('evt.type=open and proc.name = cat', appended.env));
  assert.equal(r.output.map((p) => (typeof p === 'string' ? p : `%${p.text}`)).join(''), 'user=%user.name command=%proc.cmdline proc=%proc.name');
  const legacy = load(`${BASE}
- rule: legit_rule
  condition: and proc.name = cat
  append: true
`);
  assert.is(condition(legacy, 'legit_rule'), falcoCompiled('(evt.type = open and proc.name = cat)', legacy.env));
  const replaced = load(`${BASE}
- rule: legit_rule
  desc: a replaced legit description
  condition: evt.type = close and proc.name = cat
  priority: WARNING
  override:
    desc: replace
    condition: replace
    priority: replace
`);
  assert.is(replaced.rules[0]!.desc, 'a replaced legit description');
  assert.is(replaced.rules[0]!.priority, 'Warning');
  assert.is(condition(replaced, 'legit_rule'), falcoCompiled('evt.type = close and proc.name = cat', replaced.env));
});

test('refused as Falco refuses: wrong override type, override with append, missing or extra keys, no previous item', () => {
  const second = (body: string): string => `${BASE}\n- rule: legit_rule\n${body}`;
  assert.match(loadError(second('  desc: d\n  condition: and proc.name = cat\n  priority: WARNING\n  override:\n    desc: replace\n    condition: append\n    priority: append\n')), /'priority' cannot be overridden with 'append'/);
  assert.match(loadError(second('  desc: d\n  condition: and proc.name = cat\n  append: true\n  override:\n    desc: replace\n    condition: append\n')), /Keys 'override' and 'append: true' cannot be used together/);
  // rule_override_without_field
  assert.match(loadError(second('  desc: d\n  override:\n    desc: replace\n    condition: append\n')), /override names 'condition' but the item has no 'condition'/);
  // rule_override_extra_field
  assert.match(loadError(second('  desc: d\n  condition: and proc.name = cat\n  priority: WARNING\n  override:\n    desc: replace\n    condition: append\n')), /:\d+:13: Unexpected key 'priority': no corresponding entry under 'override' is defined\./);
  // missing_enabled_key_with_override
  assert.match(loadError(second('  desc: d\n  condition: and proc.name = cat\n  override:\n    condition: append\n    enabled: replace\n')), /override names 'enabled' but the item has no 'enabled'/);
  // rule_override_append_before_rule_definition, rule_override_replace_before_rule_definition, rule_append_before_rule_definition
  for (const how of ['override:\n    condition: append', 'override:\n    condition: replace', 'append: true']) {
    assert.match(loadError(`- rule: test_rule\n  condition: and proc.name = cat\n  ${how}\n`), /rule 'test_rule' has 'append' or 'override' but no rule of that name was defined before/);
  }
  // macro/list append before the definition
  assert.match(loadError('- macro: m\n  condition: and evt.num = 1\n  override:\n    condition: append\n'), /macro 'm' has 'append' or 'override' but no macro/);
  assert.match(loadError('- list: l\n  items: [a]\n  override:\n    items: append\n'), /list 'l' has 'append' or 'override' but no list/);
  // An appended rule with neither condition nor exceptions.
  assert.match(loadError(second('  output: more\n  append: true\n')), /Appended rule must have exceptions or condition property/);
  // A rule item with only `enabled` for a rule that does not exist.
  assert.match(loadError('- rule: nosuch\n  enabled: false\n'), /Rule 'nosuch' has 'enabled' key but no rule by that name already exists/);
});

test('macro_override_replace_before_macro_definition, list_override_replace_before_list_definition: replace defines', () => {
  const set = load(`
- macro: open_event
  condition: evt.type in (open, openat)
  override:
    condition: replace
- list: names
  items: [cat]
  override:
    items: replace
- rule: test_rule
  desc: d
  condition: open_event and proc.name in (names)
  output: o
  priority: INFO
`);
  assert.is(condition(set, 'test_rule'), falcoCompiled('(evt.type in (open, openat) and proc.name in (cat))', set.env));
});

test('rule_override_with_enabled, rule_enabled_is_ignored_by_append, rewrite_rule, a rule item with only enabled', () => {
  const off = `${BASE}  enabled: false\n`;
  assert.is(load(`${off}
- rule: legit_rule
  desc: correct override
  condition: and proc.name = cat
  enabled: true
  override:
    desc: replace
    condition: append
    enabled: replace
`).rules.length, 1);
  assert.is(load(`${off}
- rule: legit_rule
  condition: and proc.name = cat
  append: true
  enabled: true
`).rules.length, 0);
  const rewritten = load(`${off}
- rule: legit_rule
  desc: redefined rule syntax
  condition: proc.name = cat
  output: o
  priority: WARNING
  enabled: true
`);
  assert.is(condition(rewritten, 'legit_rule'), 'proc.name = cat');
  // Falco's reader: none of condition/output/desc/priority makes it an enable item (tags ignored).
  assert.is(load(`${off}\n- rule: legit_rule\n  enabled: true\n  tags: [x]\n`).rules.length, 1);
});

test('exceptions: built as Falco builds them (exceptions_condition, rule_override_exceptions_required_fields)', () => {
  const set = load(`
- rule: test_rule
  desc: test rule
  condition: proc.cmdline contains curl or proc.cmdline contains wget
  output: command=%proc.cmdline
  priority: INFO
  exceptions:
    - name: test_exception
      fields: [proc.cmdline]
      comps: [contains]
      values:
        - [curl 127.0.0.1]
`);
  assert.is(condition(set, 'test_rule'), falcoCompiled('((proc.cmdline contains curl or proc.cmdline contains wget) and not proc.cmdline contains "curl 127.0.0.1")', set.env));
  const withEx = `
- list: allowed
  items: [bash]
- rule: test_rule
  desc: test rule description
  condition: evt.type = execve
  output: o
  priority: INFO
  exceptions:
    - name: test_exception
      fields: proc.name
      comps: in
      values: [cat]
    - name: pair
      fields: [proc.name, proc.pname]
      comps: [=, in]
      values:
        - [ls, allowed]
        - [id, [sudo, su]]
`;
  // Appending values to an existing exception needs no fields; a tuple item under `in` is a list (or names one).
  const appended = load(`${withEx}
- rule: test_rule
  exceptions:
    - name: test_exception
      values: [echo]
  override:
    exceptions: append
`);
  assert.is(condition(appended, 'test_rule'), falcoCompiled(
    '(evt.type = execve and not (proc.name in (cat, echo)) and not (((proc.name = ls and proc.pname in (allowed)) or (proc.name = id and proc.pname in (sudo, su)))))', appended.env));
  // Replacing needs whole exceptions.
  assert.match(loadError(`${withEx}
- rule: test_rule
  exceptions:
    - name: test_exception
      values: [id]
  override:
    exceptions: replace
`), /invalid exception: test_exception: it needs fields/);
  // Appending fields to an existing exception, or a new exception without values, is refused.
  assert.match(loadError(`${withEx}
- rule: test_rule
  exceptions:
    - name: test_exception
      fields: proc.name
      values: [id]
  append: true
`), /Can not append exception fields to existing exception, only values/);
  assert.match(loadError(`${withEx}
- rule: test_rule
  exceptions:
    - name: new_one
      fields: proc.name
  append: true
`), /new_one: Rule exception must have values property with a list of values/);
  // validate_exception_info
  const rule = (ex: string): string => `- rule: r\n  desc: d\n  condition: evt.num = 1\n  output: o\n  priority: INFO\n  exceptions:\n${ex}`;
  assert.match(loadError(rule('    - name: e\n      fields: proc.name\n      comps: "="\n      values: [a]\n')), /When fields is a single value, comps must be one of \(in, pmatch, intersects\)/);
  assert.match(loadError(rule('    - name: e\n      fields: [proc.name, proc.pid]\n      comps: [=]\n      values: [[a, 1]]\n')), /Fields and comps lists must have equal length/);
  assert.match(loadError(rule('    - name: e\n      fields: [proc.name]\n      comps: [is]\n      values: [[a]]\n')), /'is' is not a supported comparison operator/);
  assert.match(loadError(rule('    - name: e\n      fields: [proc.name, proc.pid]\n      values: [[a]]\n')), /Fields and values lists must have equal length/);
});

test('an exception excepts the events Falco excepts on a real capture', () => {
  // drop_exec's execve exits of ls (3346) and id (3520), both run by sh: the pair (ls, sh) removes ls only.
  const rules = file(`
- rule: Exec
  desc: d
  condition: evt.type = execve and evt.dir = < and proc.name in (ls, id)
  output: "%evt.num"
  priority: INFO
  exceptions:
    - name: not_ls_from_sh
      fields: [proc.name, proc.pname]
      comps: [=, in]
      values:
        - [ls, sh]
`);
  const r = runCli(['read', capture('drop_exec.scap'), '-q', '-r', rules]);
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trimEnd().split('\n').map((l) => l.split(' ').pop()), ['3520']);
});

test.run();
