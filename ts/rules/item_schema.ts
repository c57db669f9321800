/**
 * The schema of one item of a Falco rules file, as Falco checks it (the keys and value types of
 * falcosecurity/falco userspace/engine/rule_json_schema.h): a map of known keys only, each with
 * its type. The one definition: the build compiles it with Ajv into a standalone validator
 * (scripts/gen_rules_validator.mjs → dist/ts/rules/item_validate.js), so that loading rules
 * compiles no schema at run time; test/rules_schema.test.ts checks the two agree.
 */

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

/** The Ajv options the validator is generated with (the first violation only, as Falco reports one). */
export const VALIDATOR_OPTIONS = { allErrors: false, strict: true, allowUnionTypes: true, verbose: true } as const;
