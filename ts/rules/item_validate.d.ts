/**
 * The validator of a rules-file item, generated at build time by scripts/gen_rules_validator.mjs
 * (Ajv standalone code of RULES_ITEM_SCHEMA, ts/rules/item_schema.ts) into
 * dist/ts/rules/item_validate.js: true when `value` conforms; else false, with the first
 * violation in `errors` (Ajv's error objects, `verbose`: with the parent schema).
 */
import type { ErrorObject } from 'ajv';

declare const validate: {
  (value: unknown): boolean;
  errors?: ErrorObject[] | null;
};
export default validate;
