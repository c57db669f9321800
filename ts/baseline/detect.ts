/**
 * `--baseline FILE` on `read` and `capture`, on the main thread: {@link compileBaseline} loads
 * the profile (profile.ts: Ajv-checked, refused whole when bad) and makes the rule it raises,
 * whose program selects the successful exec exits (and the user's filter, if any). The profile
 * travels in the plan (ts/pipeline/plan.ts) as data, to every decoder's judge (judge.ts).
 */
import type { Expr } from '../filter/ast.js';
import { parseCondition, compileProgram } from '../filter/index.js';
import { compileFormat } from '../output/render.js';
import type { LoadedRule } from '../rules/load.js';
import { loadProfile, type Profile } from './profile.js';

/** The execs a baseline judges. */
const CONDITION = 'evt.type in (execve, execveat) and evt.dir = < and evt.rawres = 0';

/** Name of the rule a baseline raises. */
export const BASELINE_RULE_NAME = "Executable not in its workload's learned baseline";

/**
 * Loads the profile at `path` (throws E_IO / E_OPTION before any capture is read) and makes
 * its rule: condition CONDITION and `filter`, priority Warning, output naming the verdict.
 */
export function compileBaseline(path: string, filter: Expr | undefined): { profile: Profile; rule: LoadedRule } {
  const profile = loadProfile(path);
  const own = parseCondition(CONDITION);
  const expr: Expr = filter ? { kind: 'and', children: [own, filter], pos: 1 } : own;
  return {
    profile,
    rule: {
      name: BASELINE_RULE_NAME,
      desc: 'A process runs an executable its workload was not seen running while the baseline was learned: a new path, other bytes under a known path (not a rebuild by a known writer), a new parent, or a new writer.',
      priority: 'Warning',
      tags: ['baseline', 'container', 'drift', 'host', 'process'],
      source: 'syscall',
      output: compileFormat('Executable not in its workload\'s learned baseline (reason=%drift.baseline.reason profile=%drift.baseline.profile'
        + ' proc.exepath=%proc.exepath proc.exe_sha256=%proc.exe_sha256 proc.pexepath=%proc.pexepath proc.cmdline=%proc.cmdline'
        + ' proc.pid=%proc.pid drift.exe_writer.pid=%drift.exe_writer.pid container.id=%container.id)'),
      expr,
      program: compileProgram(expr),
      // Its alerts are drift: capture-on-alert keeps the seconds around them (mode `rules`).
      capture: true,
    },
  };
}

/** The default rules' allowlist of writers by name (comm, which a process can set): rules/scapdrift_rules.yaml. */
export const NAME_ALLOWLIST_MACRO = 'drift_made_by_trusted_writer';

function namesMacro(e: Expr, name: string): boolean {
  switch (e.kind) {
    case 'and': case 'or': return e.children.some((c) => namesMacro(c, name));
    case 'not': return namesMacro(e.child, name);
    case 'macro': return e.name === name;
    default: return false;
  }
}

/**
 * The indexes of the `rules` whose condition excepts writers by name (NAME_ALLOWLIST_MACRO):
 * with a baseline loaded, the baseline replaces them for every exec of a workload it knows
 * (their alerts are dropped there; a workload the profile does not know keeps them).
 */
export function replacedByBaseline(rules: readonly LoadedRule[]): number[] {
  return rules.flatMap((r, i) => (namesMacro(r.expr, NAME_ALLOWLIST_MACRO) ? [i] : []));
}
