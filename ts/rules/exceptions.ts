/**
 * Falco rule exceptions as condition text. An exception with one field and a
 * list of values reads `field comp (v1, v2)` (comp defaults to `in`); one with
 * several fields has tuples of values, each `(f1 c1 v1 and f2 c2 v2)` (comps
 * default to `=`), joined with `or`. The rule's condition becomes
 * `(condition) and not (exception) and not ...`.
 */
import type { ExceptionDef } from './collect.js';

const BARE = /^[^()"'\s=,]+$/;

/** A value as condition text: bare when it can be, else double-quoted; a list as `(a, b)`. */
function valueText(v: unknown): string {
  if (Array.isArray(v)) return `(${v.map(valueText).join(', ')})`;
  const s = String(v);
  return BARE.test(s) ? s : `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

function exceptionText(e: ExceptionDef): string | undefined {
  if (e.values.length === 0) return undefined;
  if (!Array.isArray(e.fields)) {
    const comp = typeof e.comps === 'string' ? e.comps : 'in';
    return `${e.fields} ${comp} ${valueText(e.values)}`;
  }
  const fields = e.fields;
  const comps = Array.isArray(e.comps) ? e.comps : fields.map(() => '=');
  const tuples = e.values.map((tuple) => {
    const vals = Array.isArray(tuple) ? tuple : [tuple];
    return `(${fields.map((f, i) => `${f} ${comps[i] ?? '='} ${valueText(vals[i])}`).join(' and ')})`;
  });
  return tuples.join(' or ');
}

/** `condition` with the rule's exceptions applied. */
export function withExceptions(condition: string, exceptions: readonly ExceptionDef[]): string {
  const parts = exceptions.map(exceptionText).filter((t): t is string => t !== undefined);
  return parts.length === 0 ? condition : `(${condition}) ${parts.map((p) => `and not (${p})`).join(' ')}`;
}
