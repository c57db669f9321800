/**
 * Falco rule exceptions as condition text (Falco rule_loader_compiler.cpp
 * build_rule_exception_infos). An exception with one field and a list of values
 * reads `field comp (v1, v2)` (comp defaults to `in`); one with several fields
 * has tuples of values, each `(f1 c1 v1 and f2 c2 v2)` (comps default to `=`;
 * a tuple item that is a list reads `(a, b)`, a single value under a list
 * operator `(v)`, so it may name a list), joined with `or`. The rule's
 * condition becomes `(condition) and not (exception) and not ...`.
 * Values are quoted (and escaped) unless bare: Falco quotes only values with a
 * blank, so a value with a backslash and a blank reads differently there.
 */
import type { ExceptionDef } from './collect.js';
import { RulesError, type Place } from './rules_error.js';
import { RULES_MSG } from './messages.js';

const BARE = /^[^()"'\s=,]+$/;

/** A value as condition text: bare when it can be, else double-quoted; a list as `(a, b)`. */
function valueText(v: unknown): string {
  if (Array.isArray(v)) return `(${v.map(valueText).join(', ')})`;
  const s = String(v);
  return BARE.test(s) ? s : `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

/** Operators whose right side is a list (libsinsp parser::supported_operators(true)). */
const LIST_OPS = new Set(['in', 'intersects', 'pmatch']);

function exceptionText(e: ExceptionDef, place: Place, rule: string): string | undefined {
  if (e.values.length === 0) return undefined;
  const fail = (detail: string): never => { throw new RulesError(place, RULES_MSG.EXCEPTION_VALUES(e.name, detail), { kind: 'rule', name: rule }); };
  if (!Array.isArray(e.fields)) {
    const comp = typeof e.comps === 'string' ? e.comps : 'in';
    if (e.values.some(Array.isArray)) fail('Expected values array to contain a list of strings');
    return `${e.fields} ${comp} ${valueText(e.values)}`;
  }
  const fields = e.fields;
  const comps = Array.isArray(e.comps) ? e.comps : fields.map(() => '=');
  const tuples = e.values.map((tuple) => {
    const vals = Array.isArray(tuple) ? tuple : [tuple];
    if (vals.length !== fields.length) fail('Fields and values lists must have equal length');
    return `(${fields.map((f, i) => {
      const v = vals[i];
      const text = LIST_OPS.has(comps[i]!) && !Array.isArray(v) ? `(${valueText(v)})` : valueText(v);
      return `${f} ${comps[i]} ${text}`;
    }).join(' and ')})`;
  });
  return tuples.join(' or ');
}

/** `condition` of rule `rule` with its exceptions applied; RulesError at `place` for values that do not fit the fields. */
export function withExceptions(condition: string, exceptions: readonly ExceptionDef[], place: Place, rule: string): string {
  const parts = exceptions.map((e) => exceptionText(e, place, rule)).filter((t): t is string => t !== undefined);
  return parts.length === 0 ? condition : `(${condition}) ${parts.map((p) => `and not (${p})`).join(' ')}`;
}
