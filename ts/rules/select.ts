/**
 * What `read` selects, from its options: a filter condition (the trailing
 * argument and/or -f, both must match) and rules files (-r, --default-rules).
 * With rules, each event some rule matched becomes one alert per matched rule
 * (ts/rules/alert.ts); rule warnings go to `warn`, once.
 */
import { hostname as osHostname } from 'node:os';
import type { Expr } from '../filter/ast.js';
import type { FilterEnv, Program } from '../filter/index.js';
import type { LoadedRule, RuleSet } from './load.js';
import { DEFAULT_RULES_PATH } from './default_rules.js';
import type { Profile } from '../baseline/profile.js';
import { conditionFields } from '../pipeline/state_needs.js';
import { selectionTypes, type TypeSet } from './event_types.js';

/** What selects events: conditions, rules files and which of their rules run. */
export interface SelectOptions {
  /** Falco condition (trailing argument). */
  condition?: string;
  /** Falco condition (-f); both given: both must match. */
  filter?: string;
  /** Rules files or directories (-r): print alerts instead of events. */
  rules?: string[];
  /** Load rules/scapdrift_rules.yaml first. */
  defaultRules?: boolean;
  /** The least severe rule priority that runs (Falco's `priority` setting). */
  priority?: string;
  /** `-t`: only rules with one of these tags run (Falco's -t). */
  tag?: string[];
  /** `-T`: rules with one of these tags do not run (Falco's -T). */
  disableTag?: string[];
  /** A learned baseline profile (ts/baseline/): execs outside it raise its rule, after the rules'. */
  baseline?: string;
}

export interface Selection {
  /** Programs for the decoder; undefined: every event. With rules, program i is rule i's. */
  programs?: Program[];
  /** With rules: the rules, in program order. */
  rules?: LoadedRule[];
  /** With rules: the loaded set (its macros and lists, for what a rule can match). */
  ruleSet?: RuleSet;
  /** With a baseline: its profile (its rule is the last of `rules`) and the rules it replaces (ts/baseline/detect.ts). */
  baseline?: { profile: Profile; replaced: number[] };
  /** The fields the programs' conditions read, as written (ts/pipeline/state_needs.ts); absent with no program. */
  fieldsRead?: string[];
  /** The event types some program can match (a superset: ts/rules/event_types.ts); absent with no program. */
  eventTypes?: TypeSet;
}

/** The host name for alerts when the capture names none. */
export function hostnameOfThisMachine(): string {
  return osHostname();
}

/**
 * Builds the selection: the conditions compiled, the rules files read and compiled once (the
 * rules loader and its YAML parser are loaded only when there are rules files). Throws E_OPTION
 * naming the position of a bad condition, a RulesError naming FILE:LINE:COLUMN.
 */
export async function selectEvents(opts: SelectOptions, warn: (line: string) => void): Promise<Selection> {
  if (opts.condition === undefined && opts.filter === undefined && !opts.rules?.length && !opts.defaultRules && opts.baseline === undefined) return {};
  // The filter compiler is loaded only when something is to be compiled (start-up, README).
  const { parseCondition, compileProgram, EMPTY_ENV } = await import('../filter/index.js');
  const conditions = [opts.condition, opts.filter].filter((c): c is string => c !== undefined).map((c) => parseCondition(c));
  const filter: Expr | undefined = conditions.length > 1 ? { kind: 'and', children: conditions, pos: 1 } : conditions[0];
  const files = [...(opts.defaultRules ? [DEFAULT_RULES_PATH] : []), ...(opts.rules ?? [])];
  // The profile is read and checked before any rules file or capture (a bad one fails first).
  const detect = opts.baseline === undefined ? undefined : await import('../baseline/detect.js');
  const baseline = detect?.compileBaseline(opts.baseline!, filter);
  if (files.length === 0 && !baseline) {
    return filter ? { programs: [compileProgram(filter)], ...whatConditionsNeed(filter, undefined, EMPTY_ENV) } : {};
  }
  let selection: Selection = { programs: [], rules: [] };
  if (files.length > 0) {
    const { loadRules, rulePrograms } = await import('./load.js');
    const set = loadRules(files, {
      ...(opts.priority !== undefined ? { minPriority: opts.priority } : {}),
      ...(opts.tag ? { enableTags: opts.tag } : {}),
      ...(opts.disableTag ? { disableTags: opts.disableTag } : {}),
    });
    for (const w of set.warnings) warn(w);
    selection = { programs: rulePrograms(set, filter), rules: set.rules, ruleSet: set };
  }
  if (baseline) {
    selection = {
      ...selection,
      programs: [...selection.programs!, baseline.rule.program],
      rules: [...selection.rules!, baseline.rule],
      baseline: { profile: baseline.profile, replaced: detect!.replacedByBaseline(selection.rules!) },
    };
  }
  return { ...selection, ...whatConditionsNeed(filter, selection.rules!.map((r) => r.expr), selection.ruleSet?.env ?? EMPTY_ENV) };
}

/**
 * The fields the condition `filter` and the rules' conditions read, and the event types they can
 * match, macros and lists of `env` expanded. `rules` undefined: no rules (the filter alone
 * selects); an empty list: rules of which none runs (nothing is selected).
 */
function whatConditionsNeed(filter: Expr | undefined, rules: Expr[] | undefined, env: FilterEnv): Pick<Selection, 'fieldsRead' | 'eventTypes'> {
  const read = new Set<string>();
  if (filter) conditionFields(filter, env, read);
  for (const expr of rules ?? []) conditionFields(expr, env, read);
  return { fieldsRead: [...read], eventTypes: selectionTypes(rules, filter, env) };
}
