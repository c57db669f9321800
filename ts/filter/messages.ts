/**
 * Error and warning texts of the filter compiler and the rules loader, in one
 * place. Parser texts follow libsinsp's (userspace/libsinsp/filter/parser.cpp);
 * positions are 1-based character indexes into the condition text.
 */

export const MSG = {
  EMPTY: 'filter input string is empty',
  TRAILING: (last: string) => `unexpected token after '${last}', expecting 'or', 'and'`,
  BLANK_AFTER: (kw: string) => `expected blank or '(' after '${kw}'`,
  CLOSE_PAREN: "expected a ')' token",
  CHECK: "expected a '(' token, a field check, or an identifier",
  OPERATOR: (ops: readonly string[]) => `expected a valid check operator: one of ${ops.map((o) => `'${o}'`).join(', ')}`,
  NUMBER_VALUE: 'expected a number value',
  STRING_VALUE: 'expected a string value',
  LIST_VALUE: 'expected a list or an identifier',
  FIELD_ARG: 'expected a valid field argument: a quoted string or a bare string',
  CLOSE_BRACKET: "expected a ']' token",
  UNSUPPORTED_TRANSFORMER: (name: string) => `transformer '${name}' is not supported by scapdrift (libs after Falco 0.40)`,
  TRANSFORMER_ARG: 'expected a field or a nested transformer',
  CLOSE_TRANSFORMER: "expected a ')' token closing the transformer",
  VAL_FIELD: "expected a field within 'val' transformer",
  NO_TRANSFORMERS: (name: string) => `field '${name}' does not support transformers`,
  TOO_MANY_TRANSFORMERS: (max: number) => `more than ${max} transformers nested`,
  TRANSFORMER_TYPE: (xf: string, type: string, name: string) => `type '${type}' is not supported by '${xf}' transformer applied on field '${name}'`,
  NO_RHS_FIELD: (name: string) => `field '${name}' doesn't support right-hand side fields`,
  NOT_RHS_FIELD: (name: string) => `field '${name}' can't be used as a right-hand side field`,
  OP_NO_RHS_FIELD: (op: string) => `operator '${op}' doesn't support right-hand side fields`,
  RHS_TYPE: (l: string, lt: string, r: string, rt: string) => `field '${l}' has type '${lt}' while the right-hand side field '${r}' has incompatible type '${rt}'`,
  BAD_REGEX: (detail: string) => `invalid regex pattern: ${detail}`,
  STRING_ESCAPE: (c: string) => `unsupported string escape sequence: \\${c}`,
  QUOTE_ESCAPE: (e: string, q: string) => `invalid \\${e} escape in ${q}-quoted string`,
  HEX_ESCAPE_TRUNCATED: 'truncated hex char escape sequence',
  HEX_ESCAPE: (hex: string) => `invalid hex char escape sequence: ${hex}`,
  NOT_HEX: (op: string, text: string) => `${op} needs a hexadecimal string (pairs of 0-9a-f), found '${text}'`,
  UNKNOWN_FIELD: (name: string, hint: string | undefined) => `unknown field ${name}${hint ? `; did you mean ${hint}?` : ''}`,
  FIELD_NOT_FILTERABLE: (name: string) => `field ${name} cannot be used in a filter`,
  FIELD_NEEDS_ARG: (name: string) => `field ${name} needs an argument (${name}.NAME or ${name}[N])`,
  OP_NOT_FOR_TYPE: (op: string, kind: string) => `'${op}' operator not supported for ${kind} filters`,
  NOT_A_NUMBER: (field: string, text: string) => `expected a number for ${field}, found '${text}'`,
  NOT_A_BOOL: (field: string, text: string) => `expected true or false for ${field}, found '${text}'`,
  NUMBER_RANGE: (field: string, text: string) => `${text} is out of range for ${field}`,
  UNKNOWN_EVENT_TYPE: (name: string) => `unknown event type ${name}`,
  UNKNOWN_DIR: (text: string) => `evt.dir is '<' or '>', found '${text}'`,
  UNKNOWN_RES: (text: string) => `evt.res is SUCCESS or an errno name (ENOENT), found '${text}'`,
  UNDEFINED_MACRO: (name: string) => `undefined macro '${name}' used in filter`,
  UNDEFINED_LIST: (name: string) => `undefined list '${name}' used in filter`,
  IN_MACRO: (name: string, where: string | undefined, message: string) => `macro '${name}'${where ? ` (${where})` : ''}: ${message}`,
  IN_MACRO_USE: (name: string, where: string | undefined, message: string) => `expanding macro '${name}'${where ? ` (${where})` : ''}: ${message}`,
  MACRO_LOOP: (name: string) => `macro '${name}' refers to itself`,
  TOO_DEEP: (max: number) => `exceeded max depth limit of ${max}`,
  MACRO_TOO_DEEP: (max: number, name: string) => `macros nested deeper than ${max} (at macro '${name}')`,
  TOO_LARGE: (limit: string) => `condition expands to more than ${limit} (macros are copied where they are used)`,
} as const;

/** "MESSAGE at POS" as the filter errors read. */
export function at(message: string, pos: number): string {
  const semi = message.indexOf('; did you mean');
  return semi < 0 ? `${message} at ${pos}` : `${message.slice(0, semi)} at ${pos}${message.slice(semi)}`;
}
