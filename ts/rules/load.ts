/**
 * Loads Falco rules files into compiled rules: collects the items of every
 * file (collect.ts), expands lists, parses every macro, then compiles each
 * enabled rule's condition into a VM program and its output into a `-p`
 * format. A rule that uses a field scapdrift does not have (in its condition,
 * a macro it uses, or its output) or another event source is skipped with a
 * one-line warning; anything else wrong fails the load with FILE:LINE:COLUMN.
 */
import { readRulesFile } from './yaml_file.js';
import { collect, emptyDefinitions, type Definitions, type RuleDef } from './collect.js';
import { withExceptions } from './exceptions.js';
import { RulesError } from './rules_error.js';
import { RULES_MSG } from './messages.js';
import { parseCondition, compileProgram, FilterError, type FilterEnv, type Program } from '../filter/index.js';
import type { Expr } from '../filter/ast.js';
import { compileFormat, type FormatPart } from '../output.js';

/** A rule ready to run. */
export interface LoadedRule {
  name: string;
  desc: string;
  /** Printed form ("Critical"). */
  priority: string;
  tags: string[];
  source: string;
  output: FormatPart[];
  /** The condition with exceptions applied, parsed (macros not yet expanded). */
  expr: Expr;
  program: Program;
}

export interface RuleSet {
  /** Enabled, supported rules in definition order. */
  rules: LoadedRule[];
  /** One line per skipped rule. */
  warnings: string[];
  /** The macros and lists of the files. */
  env: FilterEnv;
}

/** Loads the rules files at `paths`, in order (later files append to or override earlier ones). */
export function loadRules(paths: readonly string[]): RuleSet {
  const defs = emptyDefinitions();
  for (const p of paths) collect(readRulesFile(p), defs);
  return buildRuleSet(defs);
}

/** Compiles collected definitions. */
export function buildRuleSet(defs: Definitions): RuleSet {
  const env = environment(defs);
  const warnings: string[] = [];
  const rules: LoadedRule[] = [];
  for (const def of defs.rules.values()) {
    if (!def.enabled) continue;
    if (def.source !== 'syscall') { warnings.push(RULES_MSG.SKIPPED_SOURCE(def.name, def.source)); continue; }
    const rule = compileRule(def, env, warnings);
    if (rule) rules.push(rule);
  }
  return { rules, warnings, env };
}

function environment(defs: Definitions): FilterEnv {
  const lists = new Map<string, string[]>();
  const expand = (name: string, seen: Set<string>): string[] => {
    const def = defs.lists.get(name)!;
    seen.add(name);
    return def.items.flatMap((it) => (defs.lists.has(it) && !seen.has(it) ? expand(it, seen) : [it]));
  };
  for (const name of defs.lists.keys()) lists.set(name, expand(name, new Set()));
  const macros = new Map<string, Expr>();
  for (const m of defs.macros.values()) {
    try {
      macros.set(m.name, parseCondition(m.condition));
    } catch (e) {
      if (e instanceof FilterError) throw new RulesError(m.place, RULES_MSG.CONDITION('macro', m.name, e.message));
      throw e;
    }
  }
  return { macro: (n) => macros.get(n), list: (n) => lists.get(n) };
}

function compileRule(def: RuleDef, env: FilterEnv, warnings: string[]): LoadedRule | undefined {
  let expr: Expr;
  let program: Program;
  try {
    expr = parseCondition(withExceptions(def.condition, def.exceptions));
    program = compileProgram(expr, env);
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
    if (e.unsupportedField === undefined) throw new RulesError(def.place, RULES_MSG.CONDITION('rule', def.name, e.message));
    warnings.push(RULES_MSG.SKIPPED_FIELD(def.name, e.unsupportedField, e.message));
    return undefined;
  }
  let output: FormatPart[];
  try {
    output = compileFormat(def.output.trim());
  } catch (e) {
    warnings.push(RULES_MSG.SKIPPED_OUTPUT(def.name, (e as Error).message));
    return undefined;
  }
  return { name: def.name, desc: def.desc, priority: def.priority, tags: def.tags, source: def.source, output, expr, program };
}

/** The programs of `set`, one per rule in order; with `filter`, each is `filter and rule`. */
export function rulePrograms(set: RuleSet, filter?: Expr): Program[] {
  if (!filter) return set.rules.map((r) => r.program);
  return set.rules.map((r) => compileProgram({ kind: 'and', children: [filter, r.expr], pos: 1 }, set.env));
}
