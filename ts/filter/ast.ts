/**
 * The syntax tree of a Falco condition, as ts/filter/parser.ts builds it.
 * Every node carries `pos`: the 1-based character index of its first
 * character in the text it was parsed from.
 */

/** A literal as written: a bare or quoted (unescaped) string. */
export interface Literal { text: string; pos: number }

/** Transformers Falco 0.40+ applies to a field (libsinsp sinsp_filter_transformers/). */
export type Transformer = 'tolower' | 'toupper' | 'b64' | 'basename' | 'len';

/**
 * A field on the right side of a check: `val(proc.pname)` or a transformer of a field
 * (`tolower(proc.pname)`), compared with the left side's value of the same event.
 */
export interface FieldOperand {
  kind: 'field';
  field: string;
  bracketArg?: string;
  /** Transformers, innermost first (`tolower(basename(F))`: basename, tolower). */
  transforms: Transformer[];
  pos: number;
}

/** The right side of a check: one literal, a parenthesised list, a list name, or a field. */
export type Operand =
  | { kind: 'value'; value: Literal }
  | { kind: 'list'; items: Literal[]; pos: number }
  | { kind: 'listref'; name: string; pos: number }
  | FieldOperand;

export interface CheckNode {
  kind: 'check';
  /** Field name as written, with `.NAME` argument if any (evt.arg.flags). */
  field: string;
  /** The bracket argument of `field[ARG]`, if any. */
  bracketArg?: string;
  /** Transformers applied to the field, innermost first; absent for none. */
  transforms?: Transformer[];
  /** Operator, e.g. "=", "contains", "in", "exists". */
  op: string;
  /** Absent for `exists`. */
  operand?: Operand;
  pos: number;
  /** Position of the operator. */
  opPos: number;
}

export type Expr =
  | { kind: 'and' | 'or'; children: Expr[]; pos: number }
  | { kind: 'not'; child: Expr; pos: number }
  | CheckNode
  /** A bare identifier: a macro reference. */
  | { kind: 'macro'; name: string; pos: number };
