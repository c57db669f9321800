/**
 * The event types a rule can match, as Falco computes them for its rules (libsinsp
 * filter/ast.cpp ppm_event_codes: `evt.type = X` / `in (…)` give their names, `!=` all but
 * them, `and` intersects, `or` joins, `not evt.type …` complements; any other check, and `not`
 * of anything else, allows every type: a superset of what the rule can match),
 * and the rules a live capture can never fire because scapdrift's driver does not send any
 * of their event types.
 */
import type { Expr } from '../filter/ast.js';
import type { FilterEnv } from '../filter/compiler.js';
import type { RuleSet } from './load.js';
import { RULES_MSG } from './messages.js';

/** A set of event type names, or all types but those (`except`). */
export interface TypeSet { names: ReadonlySet<string>; except: boolean }

const ALL: TypeSet = { names: new Set(), except: true };

function intersect(a: TypeSet, b: TypeSet): TypeSet {
  if (a.except && b.except) return { names: new Set([...a.names, ...b.names]), except: true };
  if (a.except) return { names: new Set([...b.names].filter((n) => !a.names.has(n))), except: false };
  if (b.except) return intersect(b, a);
  return { names: new Set([...a.names].filter((n) => b.names.has(n))), except: false };
}
const complement = (a: TypeSet): TypeSet => ({ names: a.names, except: !a.except });
const union = (a: TypeSet, b: TypeSet): TypeSet => complement(intersect(complement(a), complement(b)));

/** The operators whose evt.type check gives exactly the types it matches (eventTypes). */
const EXACT_TYPE_OPS: ReadonlySet<string> = new Set(['=', '==', 'in', '!=']);

/** Whether `expr` is a check of evt.type whose types eventTypes gives exactly, not as a superset. */
function isExactTypeCheck(expr: Expr): boolean {
  return expr.kind === 'check' && expr.field === 'evt.type' && EXACT_TYPE_OPS.has(expr.op) && !expr.transforms && expr.operand !== undefined && expr.operand.kind !== 'field';
}

/** The event types `expr` can match, macros expanded from `env` (a macro seen again: every type). */
export function eventTypes(expr: Expr, env: FilterEnv, expanding: ReadonlySet<string> = new Set()): TypeSet {
  switch (expr.kind) {
    case 'and': return expr.children.map((c) => eventTypes(c, env, expanding)).reduce(intersect);
    case 'or': return expr.children.map((c) => eventTypes(c, env, expanding)).reduce(union);
    // The complement only of an exact check of evt.type itself (=, in, !=: exactly the types named
    // or all others): `not (evt.type = open and p)` still matches open events (where p is false),
    // and `not evt.type contains open` matches types the superset of `contains` holds, so any
    // other child allows every type.
    case 'not': return isExactTypeCheck(expr.child) ? complement(eventTypes(expr.child, env, expanding)) : ALL;
    case 'macro': {
      const body = env.macro(expr.name);
      return body && !expanding.has(expr.name) ? eventTypes(body, env, new Set([...expanding, expr.name])) : ALL;
    }
    case 'check': {
      if (expr.field !== 'evt.type' || !expr.operand || expr.transforms || expr.operand.kind === 'field') return ALL;
      const o = expr.operand;
      const names = o.kind === 'value' ? [o.value.text]
        : o.kind === 'listref' ? [...env.list(o.name) ?? []]
        : o.items.flatMap((i) => env.list(i.text) ?? [i.text]);
      if (expr.op === '=' || expr.op === '==' || expr.op === 'in') return { names: new Set(names), except: false };
      if (expr.op === '!=') return { names: new Set(names), except: true };
      return ALL;
    }
  }
}

/**
 * The event types some program of a selection can match: those of any rule (none: no rule)
 * that `filter` (absent: every type) allows too; a superset, as {@link eventTypes}. What the
 * decoder's emit mask may be narrowed to (ts/pipeline/plan.ts).
 */
export function selectionTypes(rules: readonly Expr[] | undefined, filter: Expr | undefined, env: FilterEnv): TypeSet {
  const ruleTypes = rules ? rules.map((r) => eventTypes(r, env)).reduce(union, complement(ALL)) : ALL;
  return filter ? intersect(ruleTypes, eventTypes(filter, env)) : ruleTypes;
}

/**
 * One warning per rule of `set` that can never fire on a live capture: none of its event types
 * is one that `captured` (the event names scapdrift's driver sends) holds.
 */
export function rulesNeverFiring(set: RuleSet, captured: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const r of set.rules) {
    const t = eventTypes(r.expr, set.env);
    if (t.except || [...t.names].some((n) => captured.has(n))) continue;
    out.push(RULES_MSG.NEVER_FIRES_LIVE(r.name, [...t.names].sort(), [...captured].sort()));
  }
  return out;
}
