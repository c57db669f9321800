/** Error and warning texts of the rules loader (positions are FILE:LINE:COLUMN, 1-based). */

export const RULES_MSG = {
  YAML: (detail: string) => `invalid YAML: ${detail}`,
  TAG: (tag: string) => `YAML tag ${tag} is not allowed in a rules file`,
  NOT_A_LIST: 'a rules file is a YAML list of rule, macro and list items',
  ITEM_NOT_A_MAP: 'expected a map with one of rule, macro, list, required_engine_version',
  UNKNOWN_ITEM: (keys: string) => `unknown item (keys: ${keys}); expected rule, macro, list or required_engine_version`,
  NOT_A_STRING: (key: string) => `'${key}' must be a string`,
  NOT_A_BOOL: (key: string) => `'${key}' must be true or false`,
  NOT_A_STRING_LIST: (key: string) => `'${key}' must be a list of strings`,
  MISSING_KEY: (key: string) => `missing required key '${key}'`,
  BAD_PRIORITY: (p: string) => `invalid priority '${p}'; expected one of emergency, alert, critical, error, warning, notice, informational, debug`,
  APPEND_UNDEFINED: (what: string, name: string) => `${what} '${name}' has 'append' or 'override' but no ${what} of that name was defined before`,
  BAD_OVERRIDE: (key: string, how: string) => `override of '${key}' must be 'append' or 'replace', found '${how}'`,
  OVERRIDE_NOT_ALLOWED: (key: string, how: string) => `'${key}' cannot be overridden with '${how}'`,
  OVERRIDE_WITHOUT_VALUE: (key: string) => `override names '${key}' but the item has no '${key}'`,
  BAD_EXCEPTION: (detail: string) => `invalid exception: ${detail}`,
  CONDITION: (what: string, name: string, detail: string) => `${what} '${name}': condition: ${detail}`,
  SKIPPED_FIELD: (name: string, field: string, where: string) => `rule '${name}' skipped: field ${field} is not supported by scapdrift (${where})`,
  SKIPPED_OUTPUT: (name: string, detail: string) => `rule '${name}' skipped: output: ${detail}`,
  SKIPPED_SOURCE: (name: string, source: string) => `rule '${name}' skipped: source '${source}' is not supported (only syscall)`,
  READ: (file: string, detail: string) => `cannot read rules file ${file}: ${detail}`,
} as const;
