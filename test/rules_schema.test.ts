/**
 * The rules-file item validator generated at build time (scripts/gen_rules_validator.mjs →
 * dist/ts/rules/item_validate.js) is the schema of ts/rules/item_schema.ts: on items that break
 * every key of it, and on sound ones, it gives the verdict and the first error of the same schema
 * compiled by Ajv now, with the same options — a stale or hand-edited validator fails here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv } from 'ajv';
import validate from '../ts/rules/item_validate.js';
import { RULES_ITEM_SCHEMA, VALIDATOR_OPTIONS } from '../ts/rules/item_schema.js';
import { checkItem } from '../ts/rules/schema.js';

const compiled = new Ajv({ ...VALIDATOR_OPTIONS }).compile(RULES_ITEM_SCHEMA);

/** Values of the wrong type for every key, unknown keys, bad nested shapes, and sound items. */
const ITEMS: unknown[] = [
  ...Object.keys(RULES_ITEM_SCHEMA.properties).flatMap((k) => [{ [k]: { nested: true } }, { [k]: 1.5 }, { [k]: 'text' }, { [k]: [] }, { [k]: false }]),
  { rule: 'r', condition: 'evt.type = execve', bogus: 1 },
  { override: {} },
  { override: { condition: 'merge' } },
  { required_plugin_versions: [{ name: 'container' }] },
  { required_plugin_versions: [{ name: 'container', version: '0.1.0', alternatives: [{ name: 'x' }] }] },
  { exceptions: [{ name: 'e', extra: 1 }] },
  { items: [1, 'a', true] },
  { rule: 'ok', desc: 'd', condition: 'c', output: 'o', priority: 'WARNING', tags: ['a'], enabled: true },
  { list: 'l', items: ['a', 2] },
  { macro: 'm', condition: 'c' },
  { required_engine_version: 9 },
  'not an object',
  null,
];

test('the generated validator agrees with the schema compiled now: verdict and first error of every item', () => {
  let rejected = 0;
  for (const item of ITEMS) {
    const want = compiled(item);
    assert.is(validate(item), want, JSON.stringify(item));
    assert.equal(validate.errors?.[0] ?? null, compiled.errors?.[0] ?? null, JSON.stringify(item));
    if (!want) rejected++;
  }
  assert.ok(rejected > ITEMS.length / 2, `${rejected} of ${ITEMS.length} items rejected`);
});

test('checkItem names the key and the value from the generated validator', () => {
  assert.equal(checkItem({ rule: 'r', bogus: 1 })?.path, ['bogus']);
  assert.ok(checkItem({ rule: 'r', bogus: 1 })?.unknownKey);
  assert.match(checkItem({ rule: 'r', bogus: 1 })!.message, /^unknown key 'bogus'; expected one of required_engine_version, /);
  assert.equal(checkItem({ tags: ['a', 3] }), { path: ['tags', 1], unknownKey: false, message: "'tags.1' must be string" });
  assert.equal(checkItem({ override: { condition: 'merge' } }), { path: ['override', 'condition'], unknownKey: false, message: "'override.condition' must be one of append, replace" });
  assert.is(checkItem({ rule: 'ok', condition: 'c', output: 'o', priority: 'INFO', desc: 'd' }), undefined);
});

test.run();
