/**
 * Compiles a condition tree into one VM program (instructions whose operands
 * are encoded constants; ts/filter/blob.ts lays programs out in a blob).
 * Macros and lists are expanded from a {@link FilterEnv}; every field, operator
 * and literal is checked here, so the VM never meets a malformed program.
 * Throws {@link FilterError} naming the position.
 */
import type { Expr, CheckNode, Literal, Transformer } from './ast.js';
import { FilterError, filterError } from './filter_error.js';
import { MSG, at } from './messages.js';
import { Op, Cmp, F, XF, MAX_TRANSFORMS, VAL_NUM, VAL_BIG, TYPE_BITMAP_BYTES, FILTER_EVENT_IDS, FILTER_SYSCALLS, SYSCALL_BITMAP_BYTES } from './layout.js';
import { filterField, argTable, rawresTable, bufferTable, type FilterField } from './field_map.js';
import { resolveField, suggestField, ancestorArg, type FieldRef, type FieldType } from '../fields/fields.js';
import { compileRegex, translateRegex, RegexSyntaxError } from './regex.js';
import { eventInfo, eventIdsByName, eventRow, EVENT_COUNT } from '../events/event_table.js';
import { isSyscallName, syscallName } from '../events/syscalls.js';
import { errnoText } from '../fields/errno.js';
import { OPEN_BITS, openKindIds, type OpenField } from '../fields/open_kind.js';
import { fdNetCheck, type NetEmitter } from './fd_net.js';

/** Macros and lists a condition may use (the rules loader provides them). */
export interface FilterEnv {
  /** The parsed condition of macro `name`, or undefined when there is none. */
  macro(name: string): Expr | undefined;
  /** The items of list `name` (nested lists already expanded), or undefined. */
  list(name: string): readonly string[] | undefined;
  /** Where macro `name` is defined (FILE:LINE:COLUMN), for errors. */
  where?(name: string): string | undefined;
}

/** No macros, no lists. */
export const EMPTY_ENV: FilterEnv = { macro: () => undefined, list: () => undefined };

/** One instruction before layout: jumps name an instruction index of the same program. */
export interface Insn {
  op: number;
  cmp: number;
  field: number;
  /** Jump target (instruction index) or a constant (a per-type parameter table). */
  aux?: number | Uint8Array;
  /** A value list or a type bitmap. */
  value?: Uint8Array;
}

/** A compiled program; the last instruction is Op.END. */
export type Program = Insn[];

const OPS: Record<string, number> = {
  '=': Cmp.EQ, '==': Cmp.EQ, '!=': Cmp.NE, '<': Cmp.LT, '<=': Cmp.LE, '>': Cmp.GT, '>=': Cmp.GE,
  contains: Cmp.CONTAINS, icontains: Cmp.ICONTAINS, startswith: Cmp.STARTSWITH, endswith: Cmp.ENDSWITH,
  glob: Cmp.GLOB, iglob: Cmp.IGLOB, pmatch: Cmp.PMATCH, in: Cmp.EQ, intersects: Cmp.EQ, exists: Cmp.EXISTS, regex: Cmp.REGEX,
  // The value is hex: the bytes it spells are looked for (libsinsp's bcontains, bstartswith).
  bcontains: Cmp.CONTAINS, bstartswith: Cmp.STARTSWITH,
};
const HEX_OPS = new Set(['bcontains', 'bstartswith']);
/** The comparisons of a list field (fd.types). */
const LIST_OPS: Record<string, number | undefined> = { in: Cmp.IN_ALL, intersects: Cmp.EQ, exists: Cmp.EXISTS };
const NUMERIC_OPS = new Set(['=', '==', '!=', '<', '<=', '>', '>=', 'in', 'intersects', 'exists']);
const EQUALITY_OPS = new Set(['=', '==', '!=', 'in', 'intersects', 'exists']);
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;
const enc = new TextEncoder();

/**
 * Most instructions one program may hold. A macro's body is copied wherever it is used, so a
 * chain of macros each using the previous one twice doubles per macro: compiling stops here.
 */
export const MAX_PROGRAM_INSNS = 100_000;
/** Most bytes of value lists one program may hold (a list of lists used in many checks). */
export const MAX_PROGRAM_VALUE_BYTES = 16 << 20;
/** Most macros expanded inside one another. */
export const MAX_MACRO_DEPTH = 64;

/** Compiles `expr` into a program. Throws FilterError past the limits above. */
export function compileProgram(expr: Expr, env: FilterEnv = EMPTY_ENV): Program {
  const c = new Compiler(env);
  c.compile(expr);
  c.code.push({ op: Op.END, cmp: 0, field: 0 });
  return c.code;
}

/** A limit of this file was reached: reported as it is, not once per enclosing macro. */
class LimitError extends FilterError {}

/** What is left to do, on an explicit stack: conditions nest and macros chain as deep as a file makes them. */
type Task =
  | { t: 'expr'; e: Expr }
  | { t: 'not' }
  | { t: 'jump'; op: number; jumps: Insn[] }
  | { t: 'patch'; jumps: Insn[] }
  | { t: 'leave' };

class Compiler {
  readonly code: Program = [];
  private valueBytes = 0;
  /** Macros being expanded, outermost first. */
  private readonly expanding: { name: string; pos: number }[] = [];

  constructor(private readonly env: FilterEnv) {}

  /** Compiles `root` without recursion; an error inside a macro names the macros it is in. */
  compile(root: Expr): void {
    const todo: Task[] = [{ t: 'expr', e: root }];
    try {
      while (todo.length > 0) {
        const task = todo.pop()!;
        switch (task.t) {
          case 'expr': this.node(task.e, todo); break;
          case 'not': this.emit(Op.NOT); break;
          case 'jump': task.jumps.push(this.emit(task.op)); break;
          case 'patch': for (const j of task.jumps) j.aux = this.code.length; break;
          case 'leave': this.expanding.pop();
        }
      }
    } catch (e) {
      if (!(e instanceof FilterError) || e instanceof LimitError || this.expanding.length === 0) throw e;
      // Positions inside a macro refer to the macro's own text: say which, innermost first.
      let message = e.message;
      for (let i = this.expanding.length - 1; i >= 0; i--) message = MSG.IN_MACRO(this.expanding[i]!.name, this.env.where?.(this.expanding[i]!.name), message);
      throw new FilterError(message, e.pos, e.unsupportedField);
    }
  }

  /** Schedules node `e` (tasks run last-pushed first) or compiles a check at once. */
  private node(e: Expr, todo: Task[]): void {
    switch (e.kind) {
      case 'and':
      case 'or': {
        // Short-circuit chain: each part but the last jumps to the end when it decides.
        const jumps: Insn[] = [];
        const op = e.kind === 'and' ? Op.JUMP_FALSE : Op.JUMP_TRUE;
        todo.push({ t: 'patch', jumps });
        for (let i = e.children.length - 1; i >= 0; i--) {
          todo.push({ t: 'expr', e: e.children[i]! });
          if (i > 0) todo.push({ t: 'jump', op, jumps });
        }
        return;
      }
      case 'not':
        todo.push({ t: 'not' }, { t: 'expr', e: e.child });
        return;
      case 'macro':
        todo.push({ t: 'leave' }, { t: 'expr', e: this.enterMacro(e.name, e.pos) });
        return;
      case 'check':
        this.check(e);
    }
  }

  /** A limit was reached: named at the outermost macro being expanded (its use in the condition). */
  private limit(detail: string): LimitError {
    const outer = this.expanding[0];
    const text = outer ? MSG.IN_MACRO_USE(outer.name, this.env.where?.(outer.name), detail) : detail;
    return new LimitError(at(text, outer?.pos ?? 1), outer?.pos ?? 1);
  }

  private enterMacro(name: string, pos: number): Expr {
    const body = this.env.macro(name);
    if (!body) throw filterError(MSG.UNDEFINED_MACRO(name), pos);
    if (this.expanding.some((m) => m.name === name)) throw filterError(MSG.MACRO_LOOP(name), pos);
    if (this.expanding.length >= MAX_MACRO_DEPTH) throw this.limit(MSG.MACRO_TOO_DEEP(MAX_MACRO_DEPTH, name));
    this.expanding.push({ name, pos });
    return body;
  }

  private emit(op: number, cmp = 0, field = 0, aux?: number | Uint8Array, value?: Uint8Array): Insn {
    if (this.code.length >= MAX_PROGRAM_INSNS) throw this.limit(MSG.TOO_LARGE(`${MAX_PROGRAM_INSNS} instructions`));
    this.valueBytes += value?.length ?? 0;
    if (this.valueBytes > MAX_PROGRAM_VALUE_BYTES) throw this.limit(MSG.TOO_LARGE(`${MAX_PROGRAM_VALUE_BYTES} bytes of values`));
    const insn: Insn = { op, cmp, field, ...(aux !== undefined ? { aux } : {}), ...(value ? { value } : {}) };
    this.code.push(insn);
    return insn;
  }

  /** Short-circuit chain: after each part but the last, `jump` to the end. */
  private chain(jump: number, parts: (() => void)[]): void {
    const jumps: Insn[] = [];
    parts.forEach((part, i) => {
      part();
      if (i < parts.length - 1) jumps.push(this.emit(jump));
    });
    for (const j of jumps) j.aux = this.code.length;
  }

  /** The literals of the check's operand, lists expanded. */
  private literals(c: CheckNode): Literal[] {
    const o = c.operand;
    if (!o) return [];
    if (o.kind === 'value') return [o.value];
    if (o.kind === 'field') return [];
    if (o.kind === 'listref') {
      const items = this.env.list(o.name);
      if (!items) throw filterError(MSG.UNDEFINED_LIST(o.name), o.pos);
      return items.map((text) => ({ text, pos: o.pos }));
    }
    // An item naming a list stands for its items (Falco expands lists inside lists).
    return o.items.flatMap((it) => this.env.list(it.text)?.map((text) => ({ text, pos: it.pos })) ?? [it]);
  }

  /** The field `name[bracketArg]` written at `pos`, resolved and filterable; throws FilterError. */
  private field(name: string, bracketArg: string | undefined, pos: number): { ref: FieldRef; field: FilterField } {
    const full = bracketArg !== undefined ? `${name}[${bracketArg}]` : name;
    const ref = resolveField(full);
    if (!ref) {
      const bare = resolveField(`${full}.x`);
      if (bare) throw filterError(MSG.FIELD_NEEDS_ARG(full), pos);
      throw filterError(MSG.UNKNOWN_FIELD(full, suggestField(full)), pos, full);
    }
    const field = filterField(ref.def.name);
    if (!field) throw filterError(MSG.FIELD_NOT_FILTERABLE(full), pos, full);
    return { ref, field };
  }

  private check(c: CheckNode): void {
    const { ref, field } = this.field(c.field, c.bracketArg, c.pos);
    if (c.transforms || c.operand?.kind === 'field') { this.transformedCheck(c, ref, field); return; }
    const values = this.literals(c);
    switch (field.kind) {
      case 'type':
      case 'dir':
        this.typeCheck(c, field.kind, values);
        return;
      case 'res':
        this.resCheck(c, values);
        return;
      case 'failed':
        this.failedCheck(c, values);
        return;
      case 'isopen':
        this.isOpenCheck(c, ref.def.name.slice('evt.is_open_'.length) as OpenField, values);
        return;
      case 'fdnet':
        fdNetCheck(this.netEmitter(), c, field.net!, values);
        return;
      case 'list':
        // libsinsp flt_is_comparable_any_list: in (every item), intersects (any item), exists.
        const cmp = LIST_OPS[c.op];
        if (cmp === undefined) throw filterError(MSG.OP_NOT_FOR_TYPE(c.op, 'list'), c.opPos);
        this.emit(Op.CHECK, cmp, field.id, fieldAux(field, ref.arg), encodeValues(values.map((v) => textValue(v.text, false))));
        return;
      default:
        this.fieldCheck(c, field, ref.arg, values);
    }
  }

  private opFor(c: CheckNode, allowed: Set<string>, kind: string): number {
    if (!allowed.has(c.op)) throw filterError(MSG.OP_NOT_FOR_TYPE(c.op, kind), c.opPos);
    return OPS[c.op]!;
  }

  private fieldCheck(c: CheckNode, field: FilterField, arg: string | undefined, values: Literal[]): void {
    let cmp: number;
    let encoded: Uint8Array;
    if (c.op === 'regex') {
      if (field.kind !== 'string' && field.kind !== 'param' && field.kind !== 'argtext') throw filterError(MSG.OP_NOT_FOR_TYPE(c.op, field.kind === 'bool' ? 'bool' : 'numeric'), c.opPos);
      cmp = Cmp.REGEX;
      encoded = encodeValues(values.map(regexValue));
    } else if (HEX_OPS.has(c.op)) {
      if (field.kind !== 'string' && field.kind !== 'param' && field.kind !== 'argtext') throw filterError(MSG.OP_NOT_FOR_TYPE(c.op, field.kind), c.opPos);
      cmp = OPS[c.op]!;
      encoded = encodeValues(values.map((v) => hexValue(c.op, v)));
    } else if (field.kind === 'argtext') {
      cmp = OPS[c.op]!;
      encoded = encodeValues(values.map((v) => textValue(v.text, false)));
    } else if (field.kind === 'string' || field.kind === 'param') {
      cmp = OPS[c.op]!;
      encoded = encodeValues(values.map((v) => textValue(v.text, field.kind === 'param')));
    } else {
      const kind = field.kind === 'bool' ? 'bool' : 'numeric';
      cmp = this.opFor(c, field.kind === 'bool' ? EQUALITY_OPS : NUMERIC_OPS, kind);
      encoded = encodeValues(values.map((v) => field.kind === 'bool' ? boolValue(c.field, v) : numberValue(c.field, v)));
    }
    this.emit(Op.CHECK, cmp, field.id, fieldAux(field, arg), encoded);
  }

  /**
   * A check with transformers on its field, or with a field on its right side (`val(F)`, or a
   * transformer of F), as libsinsp compiles it (sinsp_filtercheck.cpp add_filter_value,
   * check_rhs_field_type_consistency; sinsp_filter_transformer_*.cpp transform_type): both sides
   * must end with the same type; A* fields take neither; pmatch and regex take no field.
   */
  private transformedCheck(c: CheckNode, ref: FieldRef, field: FilterField): void {
    const name = ref.def.name;
    const lhsType = transformedType(name, ref.def.type, field, c.transforms ?? [], c.pos);
    const rhs = c.operand?.kind === 'field' ? c.operand : undefined;
    let rhsRef: { ref: FieldRef; field: FilterField } | undefined;
    if (rhs) {
      if (field.indexArg || !isValueKind(field)) throw filterError(MSG.NO_RHS_FIELD(name), c.pos);
      if (c.op === 'pmatch' || c.op === 'regex' || HEX_OPS.has(c.op)) throw filterError(MSG.OP_NO_RHS_FIELD(c.op), c.opPos);
      rhsRef = this.field(rhs.field, rhs.bracketArg, rhs.pos);
      if (rhsRef.field.indexArg || !isValueKind(rhsRef.field)) throw filterError(MSG.NOT_RHS_FIELD(rhsRef.ref.def.name), rhs.pos);
      const rhsType = transformedType(rhsRef.ref.def.name, rhsRef.ref.def.type, rhsRef.field, rhs.transforms, rhs.pos);
      if (rhsType !== lhsType) throw filterError(MSG.RHS_TYPE(name, lhsType, rhsRef.ref.def.name, rhsType), rhs.pos);
    }
    const kind = lhsType === 'string' ? 'string' : lhsType === 'bool' ? 'bool' : 'numeric';
    let cmp: number;
    let values: Value[] = [];
    if (kind === 'string') {
      cmp = OPS[c.op]!;
      if (!rhs) values = this.literals(c).map((v) => (c.op === 'regex' ? regexValue(v) : HEX_OPS.has(c.op) ? hexValue(c.op, v) : textValue(v.text, false)));
    } else {
      cmp = this.opFor(c, kind === 'bool' ? EQUALITY_OPS : NUMERIC_OPS, kind);
      if (!rhs) values = this.literals(c).map((v) => (kind === 'bool' ? boolValue(name, v) : numberValue(name, v)));
    }
    for (const t of c.transforms ?? []) this.emit(Op.XFORM, XF[t], 0);
    if (rhs && rhsRef) {
      for (const t of rhs.transforms) this.emit(Op.XFORM, XF[t], 1);
      this.emit(Op.RHS, 0, rhsRef.field.id, fieldAux(rhsRef.field, rhsRef.ref.arg));
    }
    this.emit(Op.CHECK, cmp, field.id, fieldAux(field, ref.arg), encodeValues(values));
  }

  /**
   * evt.type / evt.dir depend on the event id only: the check becomes a set of ids. A generic
   * exit's evt.type is its syscall's name (ts/events/syscalls.ts): for evt.type, a set of ppm_sc
   * codes decides those.
   */
  private typeCheck(c: CheckNode, kind: 'type' | 'dir', values: Literal[]): void {
    const cmp = OPS[c.op]!;
    const of = (id: number): string | undefined => {
      const row = id < EVENT_COUNT ? eventRow(id) : undefined; // no schema built per id
      return kind === 'type' ? row?.name : row?.direction;
    };
    // libsinsp turns every value of evt.type into event codes, whatever the operator: an unknown
    // name is refused even for contains, glob or regex.
    if (kind === 'type' || cmp === Cmp.EQ || cmp === Cmp.NE) {
      for (const v of values) {
        const known = kind === 'type' ? eventIdsByName(v.text).length > 0 || isSyscallName(v.text) : v.text === '<' || v.text === '>';
        if (!known) throw filterError(kind === 'type' ? MSG.UNKNOWN_EVENT_TYPE(v.text) : MSG.UNKNOWN_DIR(v.text), v.pos);
      }
    }
    const hit = (value: string): boolean => cmp === Cmp.EXISTS || (cmp === Cmp.NE
      ? values.every((v) => v.text !== value)
      : values.some((v) => stringOp(cmp, value, v.text)));
    const bitmap = new Uint8Array(TYPE_BITMAP_BYTES);
    for (const id of ids((id) => of(id) !== undefined)) {
      if (hit(of(id)!)) bitmap[id >> 3]! |= 1 << (id & 7);
    }
    let syscalls: Uint8Array | undefined;
    if (kind === 'type') {
      syscalls = new Uint8Array(SYSCALL_BITMAP_BYTES);
      for (let sc = 0; sc < FILTER_SYSCALLS; sc++) if (hit(syscallName(sc))) syscalls[sc >> 3]! |= 1 << (sc & 7);
    }
    this.emit(Op.TYPES, 0, 0, syscalls, bitmap);
  }

  /**
   * What a check of a bool field asks: `true` or `false`, 'any' (exists, or values allowing both),
   * 'none' (values allowing neither).
   */
  private boolTarget(c: CheckNode, values: Literal[]): boolean | 'any' | 'none' {
    const cmp = this.opFor(c, EQUALITY_OPS, 'bool');
    if (cmp === Cmp.EXISTS) return 'any';
    const wanted = values.map((v) => boolValue(c.field, v).num === 1n);
    // = and in: one of the values; !=: none of them.
    const can = (b: boolean): boolean => (cmp === Cmp.NE ? !wanted.includes(b) : wanted.includes(b));
    return can(true) && can(false) ? 'any' : can(true) ? true : can(false) ? false : 'none';
  }

  /** A check that is always `value` (a type bitmap of every id or of none). */
  private constant(value: boolean): void {
    this.emit(Op.TYPES, 0, 0, undefined, new Uint8Array(TYPE_BITMAP_BYTES).fill(value ? 0xff : 0));
  }

  /** evt.failed: the return value is negative; missing without one (rawres). */
  private failedCheck(c: CheckNode, values: Literal[]): void {
    const target = this.boolTarget(c, values);
    if (target === 'none') { this.constant(false); return; }
    if (target === 'any') { this.emit(Op.CHECK, Cmp.EXISTS, F.PARAM, rawresTable(), encodeValues([])); return; }
    this.emit(Op.CHECK, target ? Cmp.LT : Cmp.GE, F.PARAM, rawresTable(), encodeValues([{ flags: VAL_NUM, num: 0n, text: '0' }]));
  }

  /** evt.is_open_*: libsinsp's tests of the open flags and mode (ts/fields/open_kind.ts); never missing. */
  private isOpenCheck(c: CheckNode, field: OpenField, values: Literal[]): void {
    const target = this.boolTarget(c, values);
    if (target === 'any' || target === 'none') { this.constant(target === 'any'); return; }
    const bits = (arg: string, mask: number) => (): void => {
      this.emit(Op.CHECK, Cmp.BITS_ANY, F.PARAM, argTable(arg), encodeValues([{ flags: VAL_NUM, num: BigInt(mask), text: String(mask) }]));
    };
    const types = (ids: readonly number[]) => (): void => {
      const bitmap = new Uint8Array(TYPE_BITMAP_BYTES);
      for (const id of ids) bitmap[id >> 3]! |= 1 << (id & 7);
      this.emit(Op.TYPES, 0, 0, undefined, bitmap);
    };
    const execMode = bits('mode', OPEN_BITS.EXEC_MODE);
    const openIds = openKindIds('open');
    const byHandle = openIds.filter((id) => eventInfo(id)!.name === 'open_by_handle_at');
    switch (field) {
      case 'read': this.chain(Op.JUMP_FALSE, [types(openIds), bits('flags', OPEN_BITS.RDONLY)]); break;
      case 'write': this.chain(Op.JUMP_FALSE, [types(openIds), bits('flags', OPEN_BITS.WRONLY)]); break;
      case 'create':
        this.chain(Op.JUMP_FALSE, [types(openIds), () => this.chain(Op.JUMP_TRUE, [
          bits('flags', OPEN_BITS.F_CREATED),
          () => this.chain(Op.JUMP_FALSE, [bits('flags', OPEN_BITS.TMPFILE), () => { this.emit(Op.CHECK, Cmp.GE, F.PARAM, rawresTable(), encodeValues([{ flags: VAL_NUM, num: 0n, text: '0' }])); }]),
        ])]);
        break;
      case 'exec':
        this.chain(Op.JUMP_TRUE, [
          () => this.chain(Op.JUMP_FALSE, [types(openIds.filter((id) => !byHandle.includes(id))), bits('flags', OPEN_BITS.TMPFILE | OPEN_BITS.CREAT), execMode]),
          () => this.chain(Op.JUMP_FALSE, [types(openKindIds('creat')), execMode]),
        ]);
    }
    if (!target) this.emit(Op.NOT);
  }

  /** The emitting operations ts/filter/fd_net.ts builds its checks with. */
  private netEmitter(): NetEmitter {
    return {
      check: (cmp, field, n) => { this.emit(Op.CHECK, cmp, field, undefined, encodeValues(n === undefined ? [] : [{ flags: VAL_NUM, num: n, text: String(n) }])); },
      not: () => this.emit(Op.NOT),
      any: (parts) => this.chain(Op.JUMP_TRUE, parts),
      all: (parts) => this.chain(Op.JUMP_FALSE, parts),
    };
  }

  /**
   * evt.res is SUCCESS (rawres ≥ 0) or an errno name (rawres = -errno). A text operator
   * (`evt.res startswith E`, Falco's open_file_failed macro) selects the names it holds for.
   */
  private resCheck(c: CheckNode, values: Literal[]): void {
    const text = RES_TEXT_OPS[c.op];
    if (text) {
      const names = ['SUCCESS', ...ERRNO.keys()].filter((n) => values.some((v) => text(n, v.text)));
      this.chain(Op.JUMP_TRUE, names.map((n) => (): void => {
        if (n === 'SUCCESS') this.emit(Op.CHECK, Cmp.GE, F.PARAM, rawresTable(), encodeValues([{ flags: VAL_NUM, num: 0n, text: '0' }]));
        else this.emit(Op.CHECK, Cmp.EQ, F.PARAM, rawresTable(), encodeValues([{ flags: VAL_NUM, num: ERRNO.get(n)!, text: String(ERRNO.get(n)) }]));
      }));
      if (names.length === 0) this.emit(Op.CHECK, Cmp.LT, F.PARAM, rawresTable(), encodeValues([{ flags: VAL_NUM, num: -(1n << 62n), text: '' }]));
      return;
    }
    const cmp = this.opFor(c, EQUALITY_OPS, 'evt.res');
    const rawres = (op: number, n?: bigint): void => {
      this.emit(Op.CHECK, op, F.PARAM, rawresTable(), encodeValues(n === undefined ? [] : [{ flags: VAL_NUM, num: n, text: String(n) }]));
    };
    if (cmp === Cmp.EXISTS) { rawres(Cmp.EXISTS); return; }
    const one = (v: Literal) => (): void => {
      if (v.text === 'SUCCESS') { rawres(Cmp.GE, 0n); return; }
      const n = ERRNO.get(v.text) ?? (/^-\d+$/.test(v.text) ? BigInt(v.text) : undefined);
      if (n === undefined) throw filterError(MSG.UNKNOWN_RES(v.text), v.pos);
      rawres(Cmp.EQ, n);
    };
    if (cmp === Cmp.NE) {
      // Present and none of the values: exists and not (a or b ...).
      this.chain(Op.JUMP_FALSE, [() => rawres(Cmp.EXISTS), () => { this.chain(Op.JUMP_TRUE, values.map(one)); this.emit(Op.NOT); }]);
      return;
    }
    this.chain(Op.JUMP_TRUE, values.map(one));
  }
}

/** What a field's instruction points at: its parameter table, its ancestor index, or nothing. */
function fieldAux(field: FilterField, arg: string | undefined): Uint8Array | undefined {
  return field.kind === 'argtext' ? argTable(arg!, true)
    : field.kind === 'param' ? field.table?.() ?? (arg === undefined ? rawresTable() : argTable(arg))
    : field.indexArg ? ancestorIndex(arg) : undefined;
}

/** Field kinds whose value is text (transformers apply); evt.buffer is a 'param' of bytes. */
const TRANSFORMABLE = new Set(['string', 'argtext']);
const NUMERIC_KINDS = new Set(['unsigned', 'signed', 'bool']);

/** A field with one value of one type: it can be transformed or be either side of a field comparison. */
function isValueKind(field: FilterField): boolean {
  return TRANSFORMABLE.has(field.kind) || NUMERIC_KINDS.has(field.kind);
}

/**
 * The type of field `name` after `transforms` (innermost first): string transformers need text
 * (tolower, toupper, basename: strings; b64 and len: strings and evt.buffer), len gives u64.
 * Throws FilterError with libsinsp's reasons.
 */
function transformedType(name: string, type: FieldType, field: FilterField, transforms: readonly Transformer[], pos: number): FieldType {
  if (transforms.length === 0) return TRANSFORMABLE.has(field.kind) ? 'string' : type;
  const isBuffer = field.kind === 'param' && field.table === bufferTable;
  if (field.indexArg || (!isBuffer && !isValueKind(field))) throw filterError(MSG.NO_TRANSFORMERS(name), pos);
  if (transforms.length > MAX_TRANSFORMS) throw filterError(MSG.TOO_MANY_TRANSFORMERS(MAX_TRANSFORMS), pos);
  let t: FieldType | 'buffer' = isBuffer ? 'buffer' : TRANSFORMABLE.has(field.kind) ? 'string' : type;
  for (const x of transforms) {
    const ok = t === 'string' || (t === 'buffer' && (x === 'b64' || x === 'len'));
    if (!ok) throw filterError(MSG.TRANSFORMER_TYPE(x, t, name), pos);
    if (x === 'len') t = 'u64';
  }
  return t === 'buffer' ? 'string' : t;
}

/** A `regex` value, checked and translated here (ts/filter/regex.ts): refused with the reason. */
function regexValue(v: Literal): Value {
  try {
    translateRegex(v.text);
  } catch (e) {
    if (e instanceof RegexSyntaxError) throw filterError(MSG.BAD_REGEX(e.message), v.pos);
    throw e;
  }
  return { flags: 0, num: 0n, text: v.text };
}

/** The u32 constant an indexed field's instruction points at: the index, or ARG_ANY. */
function ancestorIndex(arg: string | undefined): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, ancestorArg(arg), true);
  return out;
}

/** Text operators on evt.res, evaluated over its possible values (SUCCESS and the errno names). */
const RES_TEXT_OPS: Record<string, ((value: string, operand: string) => boolean) | undefined> = {
  startswith: (v, o) => v.startsWith(o),
  endswith: (v, o) => v.endsWith(o),
  contains: (v, o) => v.includes(o),
  icontains: (v, o) => v.toLowerCase().includes(o.toLowerCase()),
};

/** errno name → -errno, for evt.res. */
const ERRNO = new Map<string, bigint>();
for (let i = 1n; i < 200n; i++) {
  const name = errnoText(-i);
  if (!/^-?\d+$/.test(name)) ERRNO.set(name, -i);
}

function ids(pred: (id: number) => boolean): number[] {
  const out: number[] = [];
  for (let id = 0; id < FILTER_EVENT_IDS; id++) if (pred(id)) out.push(id);
  return out;
}

/** A string operator evaluated here (for evt.type and evt.dir). */
function stringOp(cmp: number, s: string, v: string): boolean {
  switch (cmp) {
    case Cmp.EQ: return s === v;
    case Cmp.CONTAINS: return s.includes(v);
    case Cmp.ICONTAINS: return s.toLowerCase().includes(v.toLowerCase());
    case Cmp.STARTSWITH: return s.startsWith(v);
    case Cmp.ENDSWITH: return s.endsWith(v);
    case Cmp.GLOB: return globToRegExp(v, '').test(s);
    case Cmp.IGLOB: return globToRegExp(v, 'i').test(s);
    case Cmp.REGEX: return compileRegex(v).test(s);
    case Cmp.PMATCH: return pathPrefix(s, v);
    case Cmp.LT: return s < v;
    case Cmp.LE: return s <= v;
    case Cmp.GT: return s > v;
    case Cmp.GE: return s >= v;
    default: return false;
  }
}

/** pmatch of one path: each component of prefix `v` glob-matches the component of `s` at its depth. */
function pathPrefix(s: string, v: string): boolean {
  const sc = s.split('/').filter(Boolean);
  const vc = v.split('/').filter(Boolean);
  return vc.length <= sc.length && vc.every((c, i) => globToRegExp(c, '').test(sc[i]!));
}

function globToRegExp(g: string, flags: string): RegExp {
  const body = g.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.').replace(/\[!/g, '[^');
  return new RegExp(`^${body}$`, `s${flags}`);
}

/** A value before encoding; `bytes` (when set) are its text as raw bytes. */
interface Value { flags: number; num: bigint; text: string; bytes?: Uint8Array }

function parseInteger(text: string): bigint | undefined {
  if (!/^[+-]?(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(text)) return undefined;
  const neg = text.startsWith('-');
  const n = BigInt(text.replace(/^[+-]/, ''));
  return neg ? -n : n;
}

function numeric(n: bigint, text: string): Value | undefined {
  if (n < I64_MIN || n > U64_MAX) return undefined;
  return { flags: VAL_NUM | (n > I64_MAX ? VAL_BIG : 0), num: n, text };
}

function numberValue(field: string, v: Literal): Value {
  const n = parseInteger(v.text);
  if (n === undefined) throw filterError(MSG.NOT_A_NUMBER(field, v.text), v.pos);
  const val = numeric(n, v.text);
  if (!val) throw filterError(MSG.NUMBER_RANGE(field, v.text), v.pos);
  return val;
}

function boolValue(field: string, v: Literal): Value {
  if (v.text !== 'true' && v.text !== 'false') throw filterError(MSG.NOT_A_BOOL(field, v.text), v.pos);
  return { flags: VAL_NUM, num: v.text === 'true' ? 1n : 0n, text: v.text };
}

/** Text compared as bytes; for parameters also its number (true/false as 1/0) when it has one. */
function textValue(text: string, withNumber: boolean): Value {
  if (withNumber) {
    const n = text === 'true' ? 1n : text === 'false' ? 0n : parseInteger(text);
    const val = n === undefined ? undefined : numeric(n, text);
    if (val) return val;
  }
  return { flags: 0, num: 0n, text };
}

/** The bytes a hex value spells (bcontains, bstartswith), as text-only. */
function hexValue(op: string, v: Literal): Value {
  if (!/^([0-9a-fA-F]{2})+$/.test(v.text)) throw filterError(MSG.NOT_HEX(op, v.text), v.pos);
  return { flags: 0, num: 0n, text: '', bytes: Uint8Array.from(v.text.match(/../g)!, (h) => parseInt(h, 16)) };
}

/** Value list: count u32, pad u32, then per value flags u32, len u32, num u64, text, pad to 8. */
function encodeValues(values: Value[]): Uint8Array {
  const texts = values.map((v) => v.bytes ?? enc.encode(v.text));
  const size = 8 + texts.reduce((n, t) => n + 16 + ((t.length + 7) & ~7), 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, values.length, true);
  let at = 8;
  values.forEach((v, i) => {
    const t = texts[i]!;
    dv.setUint32(at, v.flags, true);
    dv.setUint32(at + 4, t.length, true);
    dv.setBigUint64(at + 8, BigInt.asUintN(64, v.num), true);
    out.set(t, at + 16);
    at += 16 + ((t.length + 7) & ~7);
  });
  return out;
}
