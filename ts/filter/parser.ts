/**
 * Parser of Falco filter conditions (the grammar of libsinsp's
 * userspace/libsinsp/filter/parser.cpp):
 *
 *   or    := and ('or' and)*              'or' / 'and' need a blank or '(' after them
 *   and   := not ('and' not)*
 *   not   := ('not' blank)* ('not(' or ')' | check)
 *   check := '(' or ')' | field [ '[' arg ']' ] condition | identifier (a macro)
 *   condition := 'exists' | numop number | strop string | listop ('(' strings ')' | identifier)
 *
 * Field names have at least one dot (proc.name, evt.arg.flags); strings are
 * bare (no blanks, quotes, parentheses, '=' or ',') or quoted with ' or ".
 * Throws {@link FilterError} with the position and what was expected.
 */
import type { Expr, CheckNode, Literal, Operand } from './ast.js';
import { FilterError, filterError } from './filter_error.js';
import { MSG } from './messages.js';

const RX_NOT_BLANK = /not[ \t\b\r\n]+/y;
const RX_IDENTIFIER = /[a-zA-Z]+[a-zA-Z0-9_]*/y;
const RX_FIELD_NAME = /[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+/y;
const RX_FIELD_ARG = /[^\]["'\s]+/y;
const RX_HEX = /0[xX][0-9a-fA-F]+/y;
const RX_NUMBER = /[+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?/y;
const RX_BARE = /[^()"'\s=,]+/y;

const UNARY_OPS = ['exists'];
const NUM_OPS = ['<=', '<', '>=', '>'];
/** Operators needing a blank after them end with a space, as in libsinsp. */
const STR_OPS = ['==', '=', '!=', 'glob ', 'iglob ', 'contains ', 'icontains ', 'bcontains ', 'startswith ', 'bstartswith ', 'endswith ', 'regex '];
const LIST_OPS = ['intersects', 'in', 'pmatch'];
/** Falco operators scapdrift parses but does not evaluate. */
const UNSUPPORTED_OPS = new Set(['regex']);
const ALL_OPS = [...UNARY_OPS, ...NUM_OPS, ...STR_OPS, ...LIST_OPS].map((o) => o.trim());
/** Nesting deeper than this is refused (libsinsp's default is 100 too). */
const MAX_DEPTH = 100;

/** Parses `text` into a tree; positions are 1-based indexes into `text`. */
export function parseCondition(text: string): Expr {
  return new Parser(text).parse();
}

class Parser {
  private i = 0;
  private last = '';
  private depth = 0;

  constructor(private readonly s: string) {}

  parse(): Expr {
    if (this.s.trim().length === 0) throw filterError(MSG.EMPTY, 1);
    const e = this.parseOr();
    this.blank();
    if (this.i !== this.s.length) throw this.fail(MSG.TRAILING(this.last));
    return e;
  }

  private fail(message: string, pos = this.i + 1): FilterError {
    return filterError(message, pos);
  }

  private enter(): void {
    if (++this.depth >= MAX_DEPTH) throw this.fail(MSG.TOO_DEEP(MAX_DEPTH));
  }

  private blank(): boolean {
    const start = this.i;
    while (this.i < this.s.length && ' \t\b\r\n'.includes(this.s[this.i]!)) this.i++;
    return this.i > start;
  }

  private str(token: string): boolean {
    if (!this.s.startsWith(token, this.i)) return false;
    this.last = token;
    this.i += token.length;
    return true;
  }

  private rx(re: RegExp): string | undefined {
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (!m) return undefined;
    this.last = m[0];
    this.i += m[0].length;
    return m[0];
  }

  /** One operator of `ops`; those ending in a space need a blank after them. */
  private operator(ops: readonly string[]): string | undefined {
    for (const op of ops) {
      const word = op.trimEnd();
      const save = this.i;
      if (!this.str(word)) continue;
      if (word === op || this.blank()) return word;
      this.i = save;
    }
    return undefined;
  }

  /** and/or chains share this shape; `next` parses one operand. */
  private chain(kind: 'and' | 'or', next: () => Expr): Expr {
    this.enter();
    this.blank();
    const pos = this.i + 1;
    const children = [next()];
    this.blank();
    while (this.str(kind)) {
      if (this.blank()) children.push(next());
      else if (this.str('(')) children.push(this.embedded());
      else throw this.fail(MSG.BLANK_AFTER(kind));
      this.blank();
    }
    this.depth--;
    return children.length === 1 ? children[0]! : { kind, children, pos };
  }

  private parseOr(): Expr {
    return this.chain('or', () => this.parseAnd());
  }

  private parseAnd(): Expr {
    return this.chain('and', () => this.parseNot());
  }

  private parseNot(): Expr {
    this.blank();
    const pos = this.i + 1;
    let negate = false;
    while (this.rx(RX_NOT_BLANK) !== undefined) negate = !negate;
    let child: Expr;
    if (this.str('not(')) {
      negate = !negate;
      child = this.embedded();
    } else {
      child = this.parseCheck();
    }
    return negate ? { kind: 'not', child, pos } : child;
  }

  /** The rest of a parenthesised expression, after its '('. */
  private embedded(): Expr {
    this.enter();
    this.blank();
    const e = this.parseOr();
    this.blank();
    if (!this.str(')')) throw this.fail(MSG.CLOSE_PAREN);
    this.depth--;
    return e;
  }

  private parseCheck(): Expr {
    this.blank();
    const pos = this.i + 1;
    if (this.str('(')) return this.embedded();
    const field = this.rx(RX_FIELD_NAME);
    if (field !== undefined) return this.condition(field, pos);
    const name = this.rx(RX_IDENTIFIER);
    if (name !== undefined) return { kind: 'macro', name, pos };
    throw this.fail(MSG.CHECK);
  }

  private condition(field: string, pos: number): CheckNode {
    let bracketArg: string | undefined;
    if (this.str('[')) {
      bracketArg = this.quoted() ?? this.rx(RX_FIELD_ARG);
      if (bracketArg === undefined) throw this.fail(MSG.FIELD_ARG);
      if (!this.str(']')) throw this.fail(MSG.CLOSE_BRACKET);
    }
    this.blank();
    const opPos = this.i + 1;
    const base = { kind: 'check' as const, field, pos, opPos, ...(bracketArg !== undefined ? { bracketArg } : {}) };
    const unary = this.operator(UNARY_OPS);
    if (unary) return { ...base, op: unary };
    const numOp = this.operator(NUM_OPS);
    if (numOp) return { ...base, op: numOp, operand: { kind: 'value', value: this.number() } };
    const strOp = this.operator(STR_OPS);
    if (strOp) {
      if (UNSUPPORTED_OPS.has(strOp)) throw this.fail(MSG.UNSUPPORTED_OP(strOp), opPos);
      this.blank();
      return { ...base, op: strOp, operand: { kind: 'value', value: this.stringValue() } };
    }
    const listOp = this.operator(LIST_OPS);
    if (listOp) return { ...base, op: listOp, operand: this.listValue() };
    throw this.fail(MSG.OPERATOR(ALL_OPS));
  }

  private number(): Literal {
    this.blank();
    const pos = this.i + 1;
    const text = this.rx(RX_HEX) ?? this.rx(RX_NUMBER);
    if (text === undefined) throw this.fail(MSG.NUMBER_VALUE);
    return { text, pos };
  }

  private stringValue(): Literal {
    const pos = this.i + 1;
    const text = this.quoted() ?? this.rx(RX_BARE);
    if (text === undefined) throw this.fail(MSG.STRING_VALUE);
    return { text, pos };
  }

  /** A quoted string, unescaped (\\, \" and \'), or undefined when none starts here. */
  private quoted(): string | undefined {
    const q = this.s[this.i];
    if (q !== '"' && q !== "'") return undefined;
    let out = '';
    for (let j = this.i + 1; j < this.s.length; j++) {
      const c = this.s[j]!;
      if (c === '\\' && j + 1 < this.s.length && '\\"\''.includes(this.s[j + 1]!)) {
        out += this.s[++j];
      } else if (c === q) {
        this.last = this.s.slice(this.i, j + 1);
        this.i = j + 1;
        return out;
      } else {
        out += c;
      }
    }
    return undefined;
  }

  private listValue(): Operand {
    this.blank();
    const pos = this.i + 1;
    if (this.str('(')) {
      const items: Literal[] = [];
      this.blank();
      if (!this.str(')')) {
        for (;;) {
          this.blank();
          items.push(this.stringValue());
          this.blank();
          if (this.str(')')) break;
          if (!this.str(',')) throw this.fail(MSG.CLOSE_PAREN);
        }
      }
      return { kind: 'list', items, pos };
    }
    const name = this.rx(RX_IDENTIFIER);
    if (name !== undefined) return { kind: 'listref', name, pos };
    throw this.fail(MSG.LIST_VALUE);
  }
}
