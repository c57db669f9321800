/**
 * The `regex` operator: libsinsp compiles its value with RE2 in POSIX mode
 * (`re2::RE2::POSIX`: posix_syntax, longest_match) and matches the whole value
 * (`ANCHOR_BOTH`) against the field's text, invalid UTF-8 replaced first
 * (userspace/libsinsp/sinsp_filtercheck.cpp add_filter_value, matches_rhs_regex).
 *
 * scapdrift evaluates it with a JavaScript RegExp, and only for the part of
 * RE2's POSIX syntax where both engines give the same answer; everything else is
 * refused at compile time with the offset and the reason, never run with another
 * meaning:
 *
 * - accepted: literals, `.`, `[...]` / `[^...]` with ranges and `[:alpha:]`-style
 *   classes, `( )`, `|`, `* + ?`, `{n}` `{n,}` `{n,m}` (a `?` after a repetition is
 *   RE2-POSIX's `(x*)?`, JavaScript's lazy `x*?`: the same set of whole matches),
 *   `^` `$` (RE2-POSIX: at a line start/end, `\n` only), escapes of punctuation,
 *   `\n \t \r \f \v`, `\xHH`;
 * - refused as RE2-POSIX refuses them (libsinsp fails to load the rule too):
 *   `(?` groups and flags, `\d \s \w \b \B \A \z \p \Q \C` and back references;
 * - refused because JavaScript differs and scapdrift does not translate them:
 *   stacked repetitions (`a**`), octal escapes, `\x{...}`, `\a`, `\e`.
 *
 * Why not RE2 itself: the maintained binding (npm `re2`) is a native addon that
 * builds RE2 and Abseil from source whenever its prebuilt binary cannot be
 * downloaded (every install here), and the RE2 Wasm builds on npm are unmaintained
 * and do not offer RE2's POSIX mode, so neither gives libsinsp's syntax.
 */

/** A pattern outside the subset above: `offset` is 0-based in the pattern. */
export class RegexSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

/** RE2's POSIX classes ([:name:]) as JavaScript class members (ASCII, as RE2 defines them). */
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7f', blank: '\\t ', cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ', upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

const UNREPEATABLE: Record<string, string> = { '|': '|', '^': '(?<![^\\n])', '$': '(?![^\\n])' };
const SIMPLE_ESCAPES: Record<string, string> = { n: '\\n', t: '\\t', r: '\\r', f: '\\f', v: '\\v' };
/** Escapes RE2's POSIX syntax rejects (libsinsp fails the rule with "invalid regex pattern"). */
const RE2_POSIX_REFUSED = new Set(['d', 'D', 's', 'S', 'w', 'W', 'b', 'B', 'A', 'z', 'p', 'P', 'Q', 'E', 'C', 'G', 'K', 'k', 'X', 'R', 'h', 'H', 'N', 'V', 'Z']);
const RE2_MAX_REPEAT = 1000;

/** JavaScript text of one literal code point (escaped when the 'u' flag needs it). */
function literal(c: string): string {
  return /[\\^$.|?*+()[\]{}/]/.test(c) ? `\\${c}` : c;
}

class Translator {
  private i = 0;
  private out = '';
  /** Whether the last item can take a repetition (and whether it already has one). */
  private repeatable = false;
  private repeated = false;
  private depth = 0;

  constructor(private readonly p: string) {}

  fail(message: string, offset = this.i): never {
    throw new RegexSyntaxError(message, offset);
  }

  run(): string {
    while (this.i < this.p.length) this.item();
    if (this.depth > 0) this.fail(`missing ): ${this.p}`, this.p.length);
    return this.out;
  }

  private atom(js: string): void {
    this.out += js;
    this.repeatable = true;
    this.repeated = false;
  }

  private item(): void {
    const p = this.p;
    const c = p[this.i]!;
    const cp = String.fromCodePoint(p.codePointAt(this.i)!);
    switch (c) {
      case '(':
        if (p[this.i + 1] === '?') this.fail('RE2 in POSIX mode (libsinsp) has no (? groups or flags: missing argument to repetition operator: ?', this.i + 1);
        this.i++;
        this.depth++;
        this.out += '(';
        this.repeatable = false;
        return;
      case ')':
        if (this.depth === 0) this.fail(`unexpected ): ${p}`);
        this.i++;
        this.depth--;
        this.atom(')');
        return;
      case '|': case '^': case '$':
        // Nothing repeats these: an alternation, or (RE2-POSIX) a line start/end at '\n' only.
        this.i++;
        this.out += UNREPEATABLE[c];
        this.repeatable = false;
        return;
      case '.':
        this.i++;
        this.atom('[^\\n]');
        return;
      case '*': case '+': case '?':
        this.repetition(c, 1);
        return;
      case '{': {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(this.i));
        if (!m) { this.i++; this.atom('\\{'); return; } // not a repetition: a literal, as in RE2
        const lo = Number(m[1]);
        const hi = m[3] === undefined || m[3] === '' ? lo : Number(m[3]);
        if (lo > RE2_MAX_REPEAT || hi > RE2_MAX_REPEAT || (m[3] !== undefined && m[3] !== '' && hi < lo)) this.fail(`bad repetition operator: ${m[0]}`);
        this.repetition(m[0], m[0].length);
        return;
      }
      case '[':
        this.charClass();
        return;
      case '\\':
        this.atom(this.escape(false));
        return;
      default:
        this.i += cp.length;
        this.atom(literal(cp));
    }
  }

  private repetition(op: string, len: number): void {
    if (!this.repeatable) this.fail(`missing argument to repetition operator: ${op}`);
    if (this.repeated) {
      // RE2-POSIX reads `x*?` as `(x*)?`, JavaScript as lazy `x*`: the same whole matches.
      if (op !== '?') this.fail(`stacked repetition ${op} after a repetition: scapdrift does not translate it`);
      this.i += len;
      this.out += '?';
      this.repeatable = false;
      return;
    }
    this.i += len;
    this.out += op;
    this.repeated = true;
  }

  /** An escape at `i` ('\'), as JavaScript text; inside a class when `inClass`. */
  private escape(inClass: boolean): string {
    const start = this.i;
    const e = this.p[this.i + 1];
    if (e === undefined) this.fail('trailing \\', start);
    this.i += 2;
    if (SIMPLE_ESCAPES[e]) return SIMPLE_ESCAPES[e]!;
    if (e === 'x') {
      const h = /^[0-9a-fA-F]{2}/.exec(this.p.slice(this.i));
      if (!h) this.fail('\\x needs two hex digits here (\\x{...} is not translated by scapdrift)', start);
      this.i += 2;
      return `\\x${h[0]}`;
    }
    if (/[0-9]/.test(e)) this.fail(`\\${e}: RE2 has no back references and scapdrift does not translate octal escapes`, start);
    if (RE2_POSIX_REFUSED.has(e)) this.fail(`\\${e} is not in RE2's POSIX syntax (libsinsp compiles regex with RE2::POSIX)`, start);
    if (/[!-/:-@[-`{-~]/.test(e)) return inClass && e === '-' ? '\\-' : literal(e);
    this.fail(`\\${e} is not an escape scapdrift translates`, start);
  }

  private charClass(): void {
    const start = this.i;
    let js = '[';
    this.i++;
    if (this.p[this.i] === '^') { js += '^'; this.i++; }
    let first = true;
    for (;;) {
      if (this.i >= this.p.length) this.fail(`missing ]: ${this.p.slice(start)}`, start);
      const c = this.p[this.i]!;
      if (c === ']' && !first) { this.i++; break; }
      first = false;
      const cls = /^\[:(\^?)([a-z]+):\]/.exec(this.p.slice(this.i));
      if (cls) {
        const members = POSIX_CLASSES[cls[2]!];
        if (!members) this.fail(`invalid character class range: ${cls[0]}`);
        if (cls[1]) this.fail(`negated POSIX class ${cls[0]}: scapdrift does not translate it`);
        js += members;
        this.i += cls[0].length;
        continue;
      }
      const lo = this.classChar();
      if (this.p[this.i] === '-' && this.p[this.i + 1] !== undefined && this.p[this.i + 1] !== ']') {
        this.i++;
        const hi = this.classChar();
        js += `${lo}-${hi}`;
      } else {
        js += lo;
      }
    }
    this.atom(`${js}]`);
  }

  /** One member of a class, as JavaScript text. */
  private classChar(): string {
    const c = this.p[this.i]!;
    if (c === '\\') return this.escape(true);
    const cp = String.fromCodePoint(this.p.codePointAt(this.i)!);
    this.i += cp.length;
    return /[\\\]^[-]/.test(cp) ? `\\${cp}` : cp === '/' ? '\\/' : cp;
  }
}

/**
 * The JavaScript source (for the 'u' flag) that matches a whole text exactly when
 * RE2-POSIX's full match of `pattern` does. Throws {@link RegexSyntaxError}.
 */
export function translateRegex(pattern: string): string {
  return `^(?:${new Translator(pattern).run()})$`;
}

/** A compiled `regex` value; the text must be what libsinsp matches (UTF-8 decoded with replacement). */
export function compileRegex(pattern: string): RegExp {
  return new RegExp(translateRegex(pattern), 'u');
}
