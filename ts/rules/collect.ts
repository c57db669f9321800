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
  /** Written without fields in an append: adds values to an exception of the same name. */
  appendOnly?: boolean;
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
const RULE_REPLACE = new Set(['condition', 'output', 'desc', 'priority', 'capture', 'capture_duration', 'tags', 'exceptions', 'enabled', 'warn_evttypes', 'skip-if-unknown-filter']);

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
  /** Fails at the value of `key` (the item's place when it has none). */
  failAt(key: string, detail: string): never {
    throw new RulesError(this.at(key), detail);
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
  /**
   * The `override:` map (key → append|replace), checked as Falco's reader does
   * (rule_loader_reader.cpp decode_overrides): each key allowed for its operation and present,
   * every other overridable key of the item listed too, and no `append: true` beside it.
   */
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
    if (out.size > 0 && this.bool('append')) this.fail(RULES_MSG.OVERRIDE_AND_APPEND);
    for (const key of Object.keys(this.v)) {
      if ((append.has(key) || replace.has(key)) && !out.has(key)) throw new RulesError(this.at(key), RULES_MSG.OVERRIDE_UNLISTED(key));
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
  // `items: replace` defines the list, whether or not one came before (Falco's reader).
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
  // `condition: replace` defines the macro, whether or not one came before (Falco's reader).
  defs.macros.set(name, { name, condition, place: item.place });
}

/** The values of `x` when it is a string or a list of strings (YAML scalars). */
function isScalarList(x: unknown): boolean {
  return Array.isArray(x) && x.every((e) => e !== null && typeof e !== 'object');
}

/**
 * The exceptions of a rule item, as Falco reads and checks them (rule_loader_reader.cpp
 * read_rule_exceptions, rule_loader_collector.cpp validate_exception_info): a name; fields
 * (optional when appending); comps defaulting to `in` for one field (then one of in, pmatch,
 * intersects) and to `=` per field for a list (of the same length, each an operator).
 */
function exceptionsOf(item: Item, appending = false): ExceptionDef[] {
  const x = item.v.exceptions;
  if (x === undefined || x === null) return [];
  if (!Array.isArray(x)) item.fail(RULES_MSG.BAD_EXCEPTION('exceptions must be a list'));
  return x.map((e: unknown) => {
    const o = e as Partial<ExceptionDef> | null;
    if (!o || typeof o !== 'object' || typeof o.name !== 'string') return item.fail(RULES_MSG.BAD_EXCEPTION('each needs a name'));
    const bad = (detail: string): never => item.fail(RULES_MSG.BAD_EXCEPTION(`${o.name}: ${detail}`));
    if (o.values !== undefined && o.values !== null && !Array.isArray(o.values)) bad('values must be a list');
    const values = Array.isArray(o.values) ? o.values : [];
    if (o.fields === undefined || o.fields === null) {
      if (!appending) bad('it needs fields');
      if (o.comps !== undefined) bad('comps without fields');
      return { name: o.name, fields: [], values, appendOnly: true };
    }
    if (Array.isArray(o.fields)) {
      if (!isScalarList(o.fields)) bad('fields must be a string or a list of strings');
      const comps = o.comps === undefined ? o.fields.map(() => '=') : o.comps;
      if (!Array.isArray(comps) || !isScalarList(comps)) return bad('Fields and comps lists must have equal length');
      if (comps.length !== o.fields.length) bad('Fields and comps lists must have equal length');
      for (const c of comps) if (!EXCEPTION_COMPS.has(String(c).trim())) bad(`'${String(c)}' is not a supported comparison operator`);
      return { name: o.name, fields: o.fields.map(String), comps: comps.map((c) => String(c).trim()), values };
    }
    if (typeof o.fields === 'object') bad('fields must be a string or a list of strings');
    if (Array.isArray(o.comps)) bad('Fields and comps must both be strings');
    const comp = o.comps === undefined ? 'in' : String(o.comps).trim();
    if (!SINGLE_FIELD_COMPS.has(comp)) bad('When fields is a single value, comps must be one of (in, pmatch, intersects)');
    return { name: o.name, fields: String(o.fields), comps: comp, values };
  });
}

/** Operators an exception may use (libsinsp parser::supported_operators). */
const EXCEPTION_COMPS = new Set(['exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch']);
const SINGLE_FIELD_COMPS = new Set(['in', 'pmatch', 'intersects']);

/**
 * Appends exceptions as Falco's collector does: to one of the same name only values (not fields
 * or comps); a new one needs fields and values.
 */
function appendExceptions(item: Item, into: ExceptionDef[], more: ExceptionDef[]): void {
  for (const e of more) {
    const same = into.find((x) => x.name === e.name);
    if (same) {
      if (!e.appendOnly) item.fail(RULES_MSG.BAD_EXCEPTION(`${e.name}: Can not append exception fields to existing exception, only values`));
      same.values.push(...e.values);
    } else {
      if (e.appendOnly) item.fail(RULES_MSG.BAD_EXCEPTION(`${e.name}: Rule exception must have fields property with a list of fields`));
      if (e.values.length === 0) item.fail(RULES_MSG.BAD_EXCEPTION(`${e.name}: Rule exception must have values property with a list of values`));
      into.push(e);
    }
  }
}

function priorityOf(item: Item): string {
  const p = item.str('priority', true)!;
  return parsePriority(p) ?? item.failAt('priority', `rule '${String(item.v.rule)}': ${RULES_MSG.BAD_PRIORITY(p)}`);
}

function collectRule(item: Item, defs: Definitions): void {
  const name = item.str('rule', true)!;
  const overrides = item.overrides(RULE_APPEND, RULE_REPLACE);
  if (overrides.size > 0) {
    const old = previous(item, defs.rules, 'rule', name);
    for (const [key, how] of overrides) overrideRule(item, old, key, how);
    return;
  }
  if (item.bool('append')) {
    // Falco's `append: true` reads only condition and exceptions.
    const old = previous(item, defs.rules, 'rule', name);
    if (!item.has('condition') && !item.has('exceptions')) item.fail(RULES_MSG.APPEND_NOTHING);
    if (item.has('condition')) old.condition = joined(old.condition, item.str('condition')!);
    appendExceptions(item, old.exceptions, exceptionsOf(item, true));
    return;
  }
  if (!['condition', 'output', 'desc', 'priority'].some((k) => item.has(k))) {
    // A rule item without any of them switches an earlier rule on or off (Falco's reader).
    if (!item.has('enabled')) item.fail(RULES_MSG.MISSING_KEY('enabled'));
    const old = defs.rules.get(name) ?? item.fail(RULES_MSG.ENABLE_UNDEFINED(name));
    old.enabled = item.bool('enabled')!;
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
    // warn_evttypes: accepted; scapdrift warns about event types on its own terms (rulesNeverFiring).
    case 'skip-if-unknown-filter': rule.skipIfUnknownFilter = item.bool(key)!; break;
    case 'capture': rule.capture = item.bool(key)!; break;
    case 'capture_duration': rule.captureDurationMs = item.num(key)!; break;
    case 'exceptions':
      if (append) appendExceptions(item, rule.exceptions, exceptionsOf(item, true));
      else rule.exceptions = exceptionsOf(item);
  }
}
