/**
 * Checks one item of a Falco rules file against its schema (ts/rules/item_schema.ts) with the
 * validator Ajv generated from it at build time (dist/ts/rules/item_validate.js: no schema is
 * compiled at run time, and Ajv itself is not loaded); the first violation is returned with the
 * path of the offending value or key, so the reader can name its line.
 */
import type { ErrorObject } from 'ajv';
import validate from './item_validate.js';

/** The first violation of one item: where (path of keys/indexes inside the item) and what. */
export interface SchemaViolation {
  /** Path to the offending value; for an unknown key, to that key. */
  path: (string | number)[];
  /** True when `path` ends at a key that is not allowed there. */
  unknownKey: boolean;
  message: string;
}

/** The first schema violation of item `value`, or undefined when it conforms. */
export function checkItem(value: unknown): SchemaViolation | undefined {
  if (validate(value)) return undefined;
  const e = validate.errors![0]!;
  return violation(e);
}

function violation(e: ErrorObject): SchemaViolation {
  const path: (string | number)[] = e.instancePath.split('/').slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const where = path.length > 0 ? `'${path.join('.')}' ` : '';
  if (e.keyword === 'additionalProperties') {
    const key = String((e.params as { additionalProperty: string }).additionalProperty);
    const allowed = Object.keys(e.parentSchema?.properties ?? {}).join(', ');
    return { path: [...path, key], unknownKey: true, message: `unknown key '${key}'${path.length > 0 ? ` in ${where.trim()}` : ''}; expected one of ${allowed}` };
  }
  if (e.keyword === 'enum') {
    return { path, unknownKey: false, message: `${where}must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` };
  }
  return { path, unknownKey: false, message: `${where}${e.message ?? 'is not valid'}` };
}
