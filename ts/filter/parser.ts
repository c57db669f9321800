/**
 * Parser of Falco filter conditions (the grammar of libsinsp's
 * userspace/libsinsp/filter/parser.cpp):
 *
 *   or    := and ('or' and)*              'or' / 'and' need a blank or '(' after them
 *   and   := not ('and' not)*
 *   not   := ('not' blank)* ('not(' or ')' | check)
 *   check := '(' or ')' | (field | xf) condition | identifier (a macro)
 *   field := name [ '[' arg ']' ]
 *   xf    := ('tolower(' | 'toupper(' | 'b64(' | 'basename(' | 'len(') (xf | field) ')'
 *   rhs   := 'val(' field ')' | xf            a field of the same event (Falco 0.40+)
 *   condition := 'exists' | numop (rhs | number) | strop (rhs | string)
 *              | listop ('(' strings ')' | rhs | identifier)
 *
 * Field names have at least one dot (proc.name, evt.arg.flags); strings are
 * bare (no blanks, quotes, parentheses, '=' or ',') or quoted with ' or " and
 * unescaped as libsinsp does (filter/escaping.cpp: \b \f \n \r \t \\ \/ \xHH and
 * the quote itself; any other escape is an error).
 * Throws {@link FilterError} with the position and what was expected.
 */
import type { Expr, CheckNode, Literal, Operand, FieldOperand, Transformer } from './ast.js';
import { FilterError, filterError } from './filter_error.js';
import { MSG } from './messages.js';

const RX_NOT_BLANK = /not[ \t\b\r\n]+/y;
const RX_IDENTIFIER = /[a-zA-Z]+[a-zA-Z0-9_]*/y;
const RX_FIELD_NAME = /[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+/y;
const RX_FIELD_ARG = /[^\]["'\s]+/y;
const RX_HEX = /0[xX][0-9a-fA-F]+/y;
const RX_NUMBER = /[+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?/y;
const RX_BARE = /[^()"'\s=,]+/y;

/** libsinsp's escapes with a fixed meaning; `\ ` stands for a backslash there too (kept for old rules). */
const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', ' ': '\\', '\\': '\\', '/': '/' };

const UNARY_OPS = ['exists'];
const NUM_OPS = ['<=', '<', '>=', '>'];
/** Operators needing a blank after them end with a space, as in libsinsp. */
const STR_OPS = ['==', '=', '!=', 'glob ', 'iglob ', 'contains ', 'icontains ', 'bcontains ', 'startswith ', 'bstartswith ', 'endswith ', 'regex '];
const LIST_OPS = ['intersects', 'in', 'pmatch'];
const TRANSFORMERS: readonly Transformer[] = ['tolower', 'toupper', 'b64', 'basename', 'len'];
/** Transformers of libs newer than Falco 0.40 that scapdrift parses but does not evaluate. */
const UNSUPPORTED_TRANSFORMERS = ['join', 'concat', 'getopt'];
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
    if (field !== undefined) return this.condition({ kind: 'field', field, ...this.bracketArg(), transforms: [], pos }, pos);
    const xf = this.transformer();
    if (xf) return this.condition(xf, pos);
    const name = this.rx(RX_IDENTIFIER);
    if (name !== undefined) return { kind: 'macro', name, pos };
    throw this.fail(MSG.CHECK);
  }

  /** `[ARG]` after a field name, if any. */
  private bracketArg(): { bracketArg?: string } {
    if (!this.str('[')) return {};
    const bracketArg = this.quoted() ?? this.rx(RX_FIELD_ARG);
    if (bracketArg === undefined) throw this.fail(MSG.FIELD_ARG);
    if (!this.str(']')) throw this.fail(MSG.CLOSE_BRACKET);
    return { bracketArg };
  }

  /** `xf(...)` at the cursor (transformers nest), or undefined when none starts here. */
  private transformer(): FieldOperand | undefined {
    const pos = this.i + 1;
    const name = [...TRANSFORMERS, ...UNSUPPORTED_TRANSFORMERS].find((t) => this.s.startsWith(`${t}(`, this.i));
    if (name === undefined) return undefined;
    if (!TRANSFORMERS.includes(name as Transformer)) throw this.fail(MSG.UNSUPPORTED_TRANSFORMER(name));
    this.str(`${name}(`);
    this.enter();
    this.blank();
    const fieldPos = this.i + 1;
    const field = this.rx(RX_FIELD_NAME);
    const inner = field !== undefined ? { kind: 'field' as const, field, ...this.bracketArg(), transforms: [], pos: fieldPos } : this.transformer();
    if (!inner) throw this.fail(MSG.TRANSFORMER_ARG);
    this.blank();
    if (!this.str(')')) throw this.fail(MSG.CLOSE_TRANSFORMER);
    this.depth--;
    return { ...inner, transforms: [...inner.transforms, name as Transformer], pos };
  }

  /** A field as a value: `val(field)` or a transformer; undefined when neither starts here. */
  private fieldValue(): FieldOperand | undefined {
    const pos = this.i + 1;
    if (!this.str('val(')) return this.transformer();
    this.blank();
    const field = this.rx(RX_FIELD_NAME);
    if (field === undefined) throw this.fail(MSG.VAL_FIELD);
    const operand: FieldOperand = { kind: 'field', field, ...this.bracketArg(), transforms: [], pos };
    this.blank();
    if (!this.str(')')) throw this.fail(MSG.CLOSE_TRANSFORMER);
    return operand;
  }

  private condition(left: FieldOperand, pos: number): CheckNode {
    this.blank();
    const opPos = this.i + 1;
    const base = {
      kind: 'check' as const, field: left.field, pos, opPos,
      ...(left.bracketArg !== undefined ? { bracketArg: left.bracketArg } : {}),
      ...(left.transforms.length > 0 ? { transforms: left.transforms } : {}),
    };
    const unary = this.operator(UNARY_OPS);
    if (unary) return { ...base, op: unary };
    const numOp = this.operator(NUM_OPS);
    if (numOp) {
      this.blank();
      return { ...base, op: numOp, operand: this.fieldValue() ?? { kind: 'value', value: this.number() } };
    }
    const strOp = this.operator(STR_OPS);
    if (strOp) {
      this.blank();
      return { ...base, op: strOp, operand: this.fieldValue() ?? { kind: 'value', value: this.stringValue() } };
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

  /**
   * A quoted string, or undefined when none starts here. As libsinsp's lex_quoted_str, it ends
   * at the first quote not preceded by a backslash, then it is unescaped (escaping.cpp unescape_str).
   */
  private quoted(): string | undefined {
    const q = this.s[this.i];
    if (q !== '"' && q !== "'") return undefined;
    for (let j = this.i + 1; j < this.s.length; j++) {
      if (this.s[j] === q && this.s[j - 1] !== '\\') {
        const start = this.i;
        this.last = this.s.slice(start, j + 1);
        this.i = j + 1;
        return this.unescape(start, j);
      }
    }
    return undefined;
  }

  /** The text between the quotes at `open` and `close`, unescaped as libsinsp's unescape_str. */
  private unescape(open: number, close: number): string {
    const q = this.s[open]!;
    let out = '';
    for (let j = open + 1; j < close; j++) {
      const c = this.s[j]!;
      if (c !== '\\') { out += c; continue; }
      const e = this.s[++j]!;
      const simple = ESCAPES[e];
      if (simple !== undefined) { out += simple; continue; }
      if (e === '"' || e === "'") {
        if (e !== q) throw this.fail(MSG.QUOTE_ESCAPE(e, q), j);
        out += e;
      } else if (e === 'x') {
        if (j + 2 >= close) throw this.fail(MSG.HEX_ESCAPE_TRUNCATED, j);
        const hex = this.s.slice(j + 1, j + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw this.fail(MSG.HEX_ESCAPE(hex), j);
        out += String.fromCharCode(parseInt(hex, 16));
        j += 2;
      } else {
        throw this.fail(MSG.STRING_ESCAPE(e), j);
      }
    }
    return out;
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
    const field = this.fieldValue();
    if (field) return field;
    const name = this.rx(RX_IDENTIFIER);
    if (name !== undefined) return { kind: 'listref', name, pos };
    throw this.fail(MSG.LIST_VALUE);
  }
}
