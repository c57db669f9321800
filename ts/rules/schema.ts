/**
 * The schema of one item of a Falco rules file, as Falco checks it (the keys and value types of
 * falcosecurity/falco userspace/engine/rule_json_schema.h): a map of known keys only, each with
 * its type. Validated with Ajv (JSON Schema); the first violation is returned with the path of
 * the offending value or key, so the reader can name its line.
 */
import { Ajv, type ErrorObject } from 'ajv';

const OVERRIDE_HOW = { enum: ['append', 'replace'] };
const STRINGS = { type: 'array', items: { type: 'string' } };

/** JSON Schema of a rules-file item (rule, macro, list, required_engine_version, required_plugin_versions). */
export const RULES_ITEM_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // Falco's schema says string; a bare number (`required_engine_version: 9`, the old form) is read as 0.9.0.
    required_engine_version: { type: ['string', 'integer'] },
    required_plugin_versions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'version'],
        properties: {
          name: { type: 'string' },
          version: { type: 'string' },
          alternatives: {
            type: 'array',
            items: { type: 'object', additionalProperties: false, required: ['name', 'version'], properties: { name: { type: 'string' }, version: { type: 'string' } } },
          },
        },
      },
    },
    macro: { type: 'string' },
    list: { type: 'string' },
    items: { type: 'array', items: { type: ['string', 'integer'] } },
    rule: { type: 'string' },
    condition: { type: 'string' },
    desc: { type: 'string' },
    output: { type: 'string' },
    priority: { type: 'string' },
    enabled: { type: 'boolean' },
    append: { type: 'boolean' },
    source: { type: 'string' },
    tags: STRINGS,
    exceptions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string' }, fields: {}, comps: {}, values: {} },
      },
    },
    override: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: Object.fromEntries(['items', 'desc', 'condition', 'output', 'priority', 'enabled', 'exceptions', 'capture',
        'capture_duration', 'capture_events', 'capture_filesize', 'tags', 'warn_evttypes', 'skip-if-unknown-filter'].map((k) => [k, OVERRIDE_HOW])),
    },
    warn_evttypes: { type: 'boolean' },
    'skip-if-unknown-filter': { type: 'boolean' },
    capture: { type: 'boolean' },
    capture_duration: { type: 'integer' },
    capture_events: { type: 'integer' },
    capture_filesize: { type: 'integer' },
  },
} as const;

/** The first violation of one item: where (path of keys/indexes inside the item) and what. */
export interface SchemaViolation {
  /** Path to the offending value; for an unknown key, to that key. */
  path: (string | number)[];
  /** True when `path` ends at a key that is not allowed there. */
  unknownKey: boolean;
  message: string;
}

let validate: ReturnType<Ajv['compile']> | undefined;

/** The first schema violation of item `value`, or undefined when it conforms. */
export function checkItem(value: unknown): SchemaViolation | undefined {
  validate ??= new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, verbose: true }).compile(RULES_ITEM_SCHEMA);
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
