/**
 * Loads Falco rules files into compiled rules, as Falco does: collects the items of every
 * file (collect.ts; a directory stands for its files in name order), expands lists, parses
 * every macro, then compiles every rule — enabled or not — condition into a VM program and
 * output into a `-p` format. A rule naming a field scapdrift does not have (in its condition,
 * a macro it uses, or its output) refuses the files, naming the rule, the field and
 * FILE:LINE:COLUMN of the condition or output — unless the rule says
 * `skip-if-unknown-filter: true`: then it is skipped with a one-line warning. A rule of another
 * event source is skipped with a warning. The enabled rules that pass the priority and tag
 * selection (Falco's `priority`, `-t`, `-T`) run.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readRulesFile } from './yaml_file.js';
import { collect, emptyDefinitions, type Definitions, type ListDef, type RuleDef } from './collect.js';
import { withExceptions } from './exceptions.js';
import { RulesError, placeText } from './rules_error.js';
import { RULES_MSG } from './messages.js';
import { priorityRank } from './priority.js';
import { parseCondition, compileProgram, FilterError, type FilterEnv, type Program } from '../filter/index.js';
import type { Expr } from '../filter/ast.js';
import { compileFormat, FormatError, type FormatPart } from '../output/render.js';
import { escapeText } from '../fields/escape.js';
import { ScapdriftError, ErrorCode } from '../errors.js';

/** A rule ready to run. */
export interface LoadedRule {
  name: string;
  desc: string;
  /** Printed form ("Critical"). */
  priority: string;
  /** Unique and sorted, as Falco keeps them (a std::set). */
  tags: string[];
  source: string;
  output: FormatPart[];
  /** The condition with exceptions applied, parsed (macros not yet expanded). */
  expr: Expr;
  program: Program;
  /** Falco `capture`: its alerts start a capture-on-alert file in mode `rules`. */
  capture: boolean;
  /** Falco `capture_duration`, ms (absent: the default duration). */
  captureDurationMs?: number;
}

/** A rule skipped for a field scapdrift does not have. */
export interface UnknownFieldSkip { rule: string; field: string }

export interface RuleSet {
  /** Enabled, selected rules in definition order. */
  rules: LoadedRule[];
  /** One line per skipped rule. */
  warnings: string[];
  /** The rules skipped for an unknown field (skip-if-unknown-filter), with that field. */
  unknownFields: UnknownFieldSkip[];
  /** The macros and lists of the files. */
  env: FilterEnv;
}

/** Which rules run (Falco's `priority` setting and its `-t`/`-T` options), and how unknown fields are met. */
export interface RuleSelection {
  /** The least severe priority that runs (e.g. "warning": Warning and more severe); default all. */
  minPriority?: string;
  /** `-t`: only rules with one of these tags run. */
  enableTags?: readonly string[];
  /** `-T`: no rule with one of these tags runs. */
  disableTags?: readonly string[];
  /**
   * Every rule is treated as if it said `skip-if-unknown-filter: true`: what a rules file needs
   * beyond scapdrift's fields is listed in `unknownFields` instead of refusing the files.
   */
  skipUnknownFields?: boolean;
}

/**
 * The rules files of `paths`: a file stands for itself, a directory for its regular files named
 * `*.yaml` or `*.yml` (not its subdirectories, not a LICENSE or README beside them), in name order,
 * as Falco reads a rules directory (falco_configuration::read_rules_file_directory).
 */
export function rulesFiles(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      throw new ScapdriftError(ErrorCode.IO, RULES_MSG.READ(p, (e as Error).message), { cause: e });
    }
    if (!isDir) return [p];
    return readdirSync(p, { withFileTypes: true })
      .filter((d) => d.isFile() || (d.isSymbolicLink() && statSync(join(p, d.name)).isFile()))
      .map((d) => d.name)
      .filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((name) => join(p, name));
  });
}

/** Loads the rules files (or directories) at `paths`, in order (later files append to or override earlier ones). */
export function loadRules(paths: readonly string[], selection: RuleSelection = {}): RuleSet {
  const defs = emptyDefinitions();
  for (const p of rulesFiles(paths)) collect(readRulesFile(p), defs);
  return buildRuleSet(defs, selection);
}

/** Compiles collected definitions; the selected enabled rules run. */
export function buildRuleSet(defs: Definitions, selection: RuleSelection = {}): RuleSet {
  if (selection.enableTags?.length && selection.disableTags?.length) {
    throw new ScapdriftError(ErrorCode.OPTION, RULES_MSG.TAGS_BOTH);
  }
  const minRank = selection.minPriority === undefined ? Infinity : priorityRank(selection.minPriority);
  if (minRank === undefined) throw new ScapdriftError(ErrorCode.OPTION, RULES_MSG.BAD_PRIORITY(selection.minPriority!));
  const env = environment(defs);
  const set: RuleSet = { rules: [], warnings: [], unknownFields: [], env };
  let insns = 0;
  for (const def of defs.rules.values()) {
    if (def.source !== 'syscall') { set.warnings.push(RULES_MSG.SKIPPED_SOURCE(def.name, def.source)); continue; }
    // Falco compiles every rule, the disabled ones too: a bad one refuses the files either way.
    const rule = compileRule(def, env, set, selection.skipUnknownFields === true);
    if (!rule || !def.enabled || !selected(rule, minRank, selection)) continue;
    insns += rule.program.length;
    if (insns > MAX_RULESET_INSNS) throw new RulesError(def.place, RULES_MSG.RULES_TOO_LARGE(def.name, MAX_RULESET_INSNS), { kind: 'rule', name: def.name });
    set.rules.push(rule);
  }
  return set;
}

function selected(rule: LoadedRule, minRank: number, s: RuleSelection): boolean {
  if (priorityRank(rule.priority)! > minRank) return false;
  if (s.enableTags?.length && !rule.tags.some((t) => s.enableTags!.includes(t))) return false;
  return !rule.tags.some((t) => s.disableTags?.includes(t));
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
    if (total > MAX_LIST_ITEMS) throw new RulesError(at.place, RULES_MSG.LIST_TOO_LARGE(at.name, MAX_LIST_ITEMS), { kind: 'list', name: at.name });
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
      if (e instanceof FilterError) throw new RulesError(m.place, RULES_MSG.CONDITION('macro', m.name, e.message), { kind: 'macro', name: m.name });
      throw e;
    }
  }
  return {
    macro: (n) => macros.get(n),
    list: (n) => lists.get(n),
    where: (n) => { const m = defs.macros.get(n); return m ? placeText(m.place) : undefined; },
  };
}

function compileRule(def: RuleDef, env: FilterEnv, set: RuleSet, skipUnknown: boolean): LoadedRule | undefined {
  const unknown = (field: string, where: RulesError): undefined => {
    if (!def.skipIfUnknownFilter && !skipUnknown) throw where;
    set.warnings.push(RULES_MSG.SKIPPED_FIELD(def.name, field, where.message));
    set.unknownFields.push({ rule: def.name, field });
    return undefined;
  };
  let expr: Expr;
  let program: Program;
  try {
    expr = parseCondition(withExceptions(def.condition, def.exceptions, def.place, def.name));
    program = compileProgram(expr, env);
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
    const error = new RulesError(def.conditionPlace, RULES_MSG.CONDITION('rule', def.name, e.message), { kind: 'rule', name: def.name });
    if (e.unsupportedField === undefined) throw error;
    return unknown(e.unsupportedField, error);
  }
  let output: FormatPart[];
  try {
    // The output's own text comes from the rules file: escaped like kernel strings.
    output = compileFormat(def.output.trim()).map((part) => (typeof part === 'string' ? escapeText(part) : part));
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    const error = new RulesError(def.outputPlace, RULES_MSG.OUTPUT(def.name, e.message), { kind: 'rule', name: def.name });
    if (e.unknownField === undefined) throw error;
    return unknown(e.unknownField, error);
  }
  const tags = [...new Set(def.tags)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    name: def.name, desc: def.desc, priority: def.priority, tags, source: def.source, output, expr, program,
    capture: def.capture, ...(def.captureDurationMs !== undefined ? { captureDurationMs: def.captureDurationMs } : {}),
  };
}

/** The programs of `set`, one per rule in order; with `filter`, each is `filter and rule`. */
export function rulePrograms(set: RuleSet, filter?: Expr): Program[] {
  if (!filter) return set.rules.map((r) => r.program);
  return set.rules.map((r) => compileProgram({ kind: 'and', children: [filter, r.expr], pos: 1 }, set.env));
}
