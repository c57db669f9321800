/**
 * Loads Falco rules files into compiled rules: collects the items of every
 * file (collect.ts), expands lists, parses every macro, then compiles each
 * enabled rule's condition into a VM program and its output into a `-p`
 * format. A rule that uses a field scapdrift does not have (in its condition,
 * a macro it uses, or its output) or another event source is skipped with a
 * one-line warning; anything else wrong fails the load with FILE:LINE:COLUMN.
 */
import { readRulesFile } from './yaml_file.js';
import { collect, emptyDefinitions, type Definitions, type ListDef, type RuleDef } from './collect.js';
import { withExceptions } from './exceptions.js';
import { RulesError, placeText } from './rules_error.js';
import { RULES_MSG } from './messages.js';
import { parseCondition, compileProgram, FilterError, type FilterEnv, type Program } from '../filter/index.js';
import type { Expr } from '../filter/ast.js';
import { compileFormat, type FormatPart } from '../output.js';
import { escapeText } from '../escape.js';

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
  let insns = 0;
  for (const def of defs.rules.values()) {
    if (!def.enabled) continue;
    if (def.source !== 'syscall') { warnings.push(RULES_MSG.SKIPPED_SOURCE(def.name, def.source)); continue; }
    const rule = compileRule(def, env, warnings);
    if (!rule) continue;
    insns += rule.program.length;
    if (insns > MAX_RULESET_INSNS) throw new RulesError(def.place, RULES_MSG.RULES_TOO_LARGE(def.name, MAX_RULESET_INSNS));
    rules.push(rule);
  }
  return { rules, warnings, env };
}

/**
 * Most list items once nested lists are expanded, over all lists: a chain of lists that each
 * name the previous one grows quadratically.
 */
export const MAX_LIST_ITEMS = 1_000_000;
/** Most instructions of all rules' programs together (each is bounded by MAX_PROGRAM_INSNS). */
export const MAX_RULESET_INSNS = 2_000_000;

/**
 * Every list with the lists it names expanded, as Falco does (a list that names itself, or one
 * being expanded, stays a plain item). Iterative, each list expanded once; throws RulesError at
 * the list whose expansion passes MAX_LIST_ITEMS over all lists.
 */
function expandLists(defs: Definitions): Map<string, string[]> {
  const done = new Map<string, string[]>();
  let total = 0;
  const add = (into: string[], items: readonly string[], at: ListDef): void => {
    total += items.length;
    if (total > MAX_LIST_ITEMS) throw new RulesError(at.place, RULES_MSG.LIST_TOO_LARGE(at.name, MAX_LIST_ITEMS));
    for (const it of items) into.push(it);
  };
  for (const root of defs.lists.values()) {
    if (done.has(root.name)) continue;
    const stack = [{ def: root, next: 0, items: [] as string[] }];
    const open = new Set([root.name]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next === top.def.items.length) {
        stack.pop();
        open.delete(top.def.name);
        done.set(top.def.name, top.items);
        if (stack.length > 0) add(stack[stack.length - 1]!.items, top.items, stack[stack.length - 1]!.def);
        continue;
      }
      const item = top.def.items[top.next++]!;
      const nested = defs.lists.get(item);
      const expanded = done.get(item);
      if (!nested || open.has(item)) add(top.items, [item], top.def);
      else if (expanded) add(top.items, expanded, top.def);
      else {
        stack.push({ def: nested, next: 0, items: [] });
        open.add(item);
      }
    }
  }
  return done;
}

function environment(defs: Definitions): FilterEnv {
  const lists = expandLists(defs);
  const macros = new Map<string, Expr>();
  for (const m of defs.macros.values()) {
    try {
      macros.set(m.name, parseCondition(m.condition));
    } catch (e) {
      if (e instanceof FilterError) throw new RulesError(m.place, RULES_MSG.CONDITION('macro', m.name, e.message));
      throw e;
    }
  }
  return {
    macro: (n) => macros.get(n),
    list: (n) => lists.get(n),
    where: (n) => { const m = defs.macros.get(n); return m ? placeText(m.place) : undefined; },
  };
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
    // The output's own text comes from the rules file: escaped like kernel strings.
    output = compileFormat(def.output.trim()).map((part) => (typeof part === 'string' ? escapeText(part) : part));
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
