/**
 * Collects the items of rules files into definitions, as Falco does:
 * - an item whose name was defined before replaces it (in place), unless it
 *   has `append: true` (condition/items appended) or `override:` (per key:
 *   `append` or `replace`);
 * - a rule item with only `rule` and `enabled` switches an existing rule;
 * - `required_engine_version` is checked against FALCO_ENGINE_VERSION (engine_version.ts);
 *   `required_plugin_versions` is accepted (scapdrift has no plugins).
 * Throws {@link RulesError} naming the item's FILE:LINE:COLUMN.
 */
import type { RulesItem } from './yaml_file.js';
import { RulesError, type Place } from './rules_error.js';
import { RULES_MSG } from './messages.js';
import { parsePriority } from './priority.js';
import { FALCO_ENGINE_VERSION, engineSatisfies, parseEngineVersion } from './engine_version.js';

/** One Falco exception of a rule (fields, comps and values as written). */
export interface ExceptionDef {
  name: string;
  fields: string | string[];
  comps?: string | string[];
  values: unknown[];
}

export interface RuleDef {
  name: string;
  desc: string;
  condition: string;
  output: string;
  /** Printed form ("Warning"). */
  priority: string;
  enabled: boolean;
  tags: string[];
  source: string;
  exceptions: ExceptionDef[];
  /** Skip the rule with a warning (instead of refusing the file) when it names an unknown field. */
  skipIfUnknownFilter: boolean;
  /** Falco `capture`: a capture-on-alert file is written for its alerts (ts/alerts/alert_capture.ts, mode `rules`). */
  capture: boolean;
  /** Falco `capture_duration`, ms; undefined: the default duration. */
  captureDurationMs: number | undefined;
  place: Place;
  /** Where its condition and output start (messages about them). */
  conditionPlace: Place;
  outputPlace: Place;
}
export interface MacroDef { name: string; condition: string; place: Place }
export interface ListDef { name: string; items: string[]; place: Place }

/** Everything the files defined, in definition order. */
export interface Definitions {
  rules: Map<string, RuleDef>;
  macros: Map<string, MacroDef>;
  lists: Map<string, ListDef>;
}

export function emptyDefinitions(): Definitions {
  return { rules: new Map(), macros: new Map(), lists: new Map() };
}

/** Accepted and not acted on: scapdrift has no plugins (its container fields are built in). */
const IGNORED_ITEMS = ['required_plugin_versions'];
/** Keys `override` may append to / replace, per item kind (Falco's rules-file schema). */
const RULE_APPEND = new Set(['condition', 'output', 'desc', 'tags', 'exceptions']);
const RULE_REPLACE = new Set(['condition', 'output', 'desc', 'priority', 'tags', 'exceptions', 'enabled', 'source', 'skip-if-unknown-filter', 'capture', 'capture_duration']);

/** Reads typed values of one item, failing with the item's place. */
class Item {
  constructor(readonly v: Record<string, unknown>, readonly place: Place, readonly keyPlaces: Record<string, Place> = {}) {}
  /** Where the value of `key` starts (the item's place when it has none). */
  at(key: string): Place {
    return this.keyPlaces[key] ?? this.place;
  }
  fail(detail: string): never {
    throw new RulesError(this.place, detail);
  }
  has(key: string): boolean {
    return this.v[key] !== undefined && this.v[key] !== null;
  }
  str(key: string, required = false): string | undefined {
    const x = this.v[key];
    if (x === undefined || x === null) return required ? this.fail(RULES_MSG.MISSING_KEY(key)) : undefined;
    if (typeof x === 'string') return x;
    if (typeof x === 'number' || typeof x === 'boolean') return String(x);
    return this.fail(RULES_MSG.NOT_A_STRING(key));
  }
  bool(key: string): boolean | undefined {
    const x = this.v[key];
    if (x === undefined || x === null) return undefined;
    return typeof x === 'boolean' ? x : this.fail(RULES_MSG.NOT_A_BOOL(key));
  }
  /** A number (the schema has checked its type). */
  num(key: string): number | undefined {
    const x = this.v[key];
    if (x === undefined || x === null) return undefined;
    return typeof x === 'number' ? x : this.fail(RULES_MSG.NOT_A_NUMBER(key));
  }
  strList(key: string): string[] | undefined {
    const x = this.v[key];
    if (x === undefined || x === null) return undefined;
    if (!Array.isArray(x) || x.some((e) => typeof e === 'object' && e !== null)) return this.fail(RULES_MSG.NOT_A_STRING_LIST(key));
    return x.map(String);
  }
  /** The `override:` map (key → append|replace), checked against what the kind allows. */
  overrides(append: Set<string>, replace: Set<string>): Map<string, 'append' | 'replace'> {
    const o = this.v.override;
    const out = new Map<string, 'append' | 'replace'>();
    if (o === undefined || o === null) return out;
    if (typeof o !== 'object' || Array.isArray(o)) return this.fail(RULES_MSG.BAD_OVERRIDE('override', String(o)));
    for (const [key, how] of Object.entries(o as Record<string, unknown>)) {
      if (how !== 'append' && how !== 'replace') this.fail(RULES_MSG.BAD_OVERRIDE(key, String(how)));
      if (!(how === 'append' ? append : replace).has(key)) this.fail(RULES_MSG.OVERRIDE_NOT_ALLOWED(key, how));
      if (!this.has(key)) this.fail(RULES_MSG.OVERRIDE_WITHOUT_VALUE(key));
      out.set(key, how);
    }
    return out;
  }
}

/** Adds the items of one file to `defs`. */
export function collect(items: readonly RulesItem[], defs: Definitions): void {
  for (const { value, place, keyPlaces } of items) {
    const item = new Item(value, place, keyPlaces);
    if ('rule' in value) collectRule(item, defs);
    else if ('macro' in value) collectMacro(item, defs);
    else if ('list' in value) collectList(item, defs);
    else if ('required_engine_version' in value) checkEngineVersion(item);
    else if (!IGNORED_ITEMS.some((k) => k in value)) item.fail(RULES_MSG.UNKNOWN_ITEM(Object.keys(value).join(', ')));
  }
}

/** Refuses a file that requires a later Falco engine than scapdrift's (engine_version.ts). */
function checkEngineVersion(item: Item): void {
  const v = item.v.required_engine_version as string | number;
  const required = parseEngineVersion(v);
  if (!required) throw new RulesError(item.at('required_engine_version'), RULES_MSG.BAD_ENGINE_VERSION(String(v)));
  if (!engineSatisfies(required)) throw new RulesError(item.at('required_engine_version'), RULES_MSG.ENGINE_TOO_OLD(String(v), FALCO_ENGINE_VERSION));
}

function previous<T>(item: Item, map: Map<string, T>, what: string, name: string): T {
  return map.get(name) ?? item.fail(RULES_MSG.APPEND_UNDEFINED(what, name));
}

const joined = (a: string, b: string): string => `${a} ${b}`;

function collectList(item: Item, defs: Definitions): void {
  const name = item.str('list', true)!;
  const items = item.strList('items') ?? item.fail(RULES_MSG.MISSING_KEY('items'));
  const how = item.overrides(new Set(['items']), new Set(['items'])).get('items') ?? (item.bool('append') ? 'append' : undefined);
  if (how === 'append') {
    previous(item, defs.lists, 'list', name).items.push(...items);
    return;
  }
  if (how === 'replace') previous(item, defs.lists, 'list', name);
  defs.lists.set(name, { name, items, place: item.place });
}

function collectMacro(item: Item, defs: Definitions): void {
  const name = item.str('macro', true)!;
  const condition = item.str('condition', true)!;
  const how = item.overrides(new Set(['condition']), new Set(['condition'])).get('condition') ?? (item.bool('append') ? 'append' : undefined);
  if (how === 'append') {
    const old = previous(item, defs.macros, 'macro', name);
    old.condition = joined(old.condition, condition);
    return;
  }
  if (how === 'replace') previous(item, defs.macros, 'macro', name);
  defs.macros.set(name, { name, condition, place: item.place });
}

function exceptionsOf(item: Item): ExceptionDef[] {
  const x = item.v.exceptions;
  if (x === undefined || x === null) return [];
  if (!Array.isArray(x)) item.fail(RULES_MSG.BAD_EXCEPTION('exceptions must be a list'));
  return x.map((e: unknown) => {
    const o = e as Partial<ExceptionDef> | null;
    if (!o || typeof o.name !== 'string' || o.fields === undefined) item.fail(RULES_MSG.BAD_EXCEPTION('each needs a name and fields'));
    return { name: o.name, fields: o.fields, ...(o.comps !== undefined ? { comps: o.comps } : {}), values: Array.isArray(o.values) ? o.values : [] };
  });
}

/** Appends exceptions; one of the same name gets the new values. */
function appendExceptions(into: ExceptionDef[], more: ExceptionDef[]): void {
  for (const e of more) {
    const same = into.find((x) => x.name === e.name);
    if (same) same.values.push(...e.values);
    else into.push(e);
  }
}

function priorityOf(item: Item): string {
  const p = item.str('priority', true)!;
  return parsePriority(p) ?? item.fail(RULES_MSG.BAD_PRIORITY(p));
}

function collectRule(item: Item, defs: Definitions): void {
  const name = item.str('rule', true)!;
  const keys = Object.keys(item.v);
  if (keys.every((k) => k === 'rule' || k === 'enabled') && item.has('enabled')) {
    previous(item, defs.rules, 'rule', name).enabled = item.bool('enabled')!;
    return;
  }
  const overrides = item.overrides(RULE_APPEND, RULE_REPLACE);
  if (item.bool('append')) {
    const old = previous(item, defs.rules, 'rule', name);
    if (item.has('condition')) old.condition = joined(old.condition, item.str('condition')!);
    appendExceptions(old.exceptions, exceptionsOf(item));
    return;
  }
  if (overrides.size > 0) {
    const old = previous(item, defs.rules, 'rule', name);
    for (const [key, how] of overrides) overrideRule(item, old, key, how);
    return;
  }
  defs.rules.set(name, {
    name,
    desc: item.str('desc', true)!,
    condition: item.str('condition', true)!,
    output: item.str('output', true)!,
    priority: priorityOf(item),
    enabled: item.bool('enabled') ?? true,
    tags: item.strList('tags') ?? [],
    source: item.str('source') ?? 'syscall',
    exceptions: exceptionsOf(item),
    skipIfUnknownFilter: item.bool('skip-if-unknown-filter') ?? false,
    capture: item.bool('capture') ?? false,
    captureDurationMs: item.num('capture_duration'),
    place: item.place,
    conditionPlace: item.at('condition'),
    outputPlace: item.at('output'),
  });
}

function overrideRule(item: Item, rule: RuleDef, key: string, how: 'append' | 'replace'): void {
  const append = how === 'append';
  switch (key) {
    case 'condition': rule.condition = append ? joined(rule.condition, item.str(key)!) : item.str(key)!; break;
    case 'output': rule.output = append ? joined(rule.output, item.str(key)!) : item.str(key)!; break;
    case 'desc': rule.desc = append ? joined(rule.desc, item.str(key)!) : item.str(key)!; break;
    case 'tags': rule.tags = append ? [...new Set([...rule.tags, ...item.strList(key)!])] : item.strList(key)!; break;
    case 'priority': rule.priority = priorityOf(item); break;
    case 'enabled': rule.enabled = item.bool(key)!; break;
    case 'source': rule.source = item.str(key)!; break;
    case 'skip-if-unknown-filter': rule.skipIfUnknownFilter = item.bool(key)!; break;
    case 'capture': rule.capture = item.bool(key)!; break;
    case 'capture_duration': rule.captureDurationMs = item.num(key)!; break;
    case 'exceptions':
      if (append) appendExceptions(rule.exceptions, exceptionsOf(item));
      else rule.exceptions = exceptionsOf(item);
  }
}
