/**
 * The output of `read` and `capture` compiled for the Wasm formatter
 * (assembly/output.ts, where the box diagram of an instruction is): the default
 * line, a `-p` format or JSON lines as instructions and a data blob (literal
 * text, field-name keys, the event-name, direction and errno tables). Compiled
 * once, with the plan (ts/pipeline/plan.ts), and handed to every decoder as data.
 *
 * Every field a Wasm loader computes (ts/filter/field_map.ts: numbers, bools,
 * strings of the thread table and the event header), and evt.type, evt.dir,
 * evt.res, is formatted in Wasm. The others are the declared fallback
 * ({@link fallbackFields}): the shell formats them (ts/fields/fields.ts) when the Wasm
 * formatter asks, through its formatField import; test/output_wasm.test.ts checks
 * both paths print the same bytes for every field.
 */
import { resolveField, ancestorArg, type FieldRef } from '../fields/fields.js';
import { filterField, rawresTable } from '../filter/field_map.js';
import { F } from '../filter/layout.js';
import { EVENT_COUNT, eventRow } from '../events/event_table.js';
import { ERRNO_NAMES } from '../fields/errno.js';
import { PPM_SC_NAMES } from '../events/syscalls.js';
import { DEFAULT_HEAD, EXEC_FIELDS, EXEC_ORIGIN_FIELDS, EXEC_NAMES, type FormatPart } from './render.js';

/** Instruction opcodes and flags (assembly/output.ts OUT_*, OUTF_*; test/wasm_boundary.test.ts checks both sides). */
export const OUT = { INSN_BYTES: 24, LIT: 1, FIELD: 2, TYPE: 3, DIR: 4, RES: 5, FALLBACK: 6, IF_TYPES: 7, CLOCK: 8 } as const;
export const OUTF = { JSON: 1, OPTIONAL: 2, SIGNED: 4, BOOL: 8, STRING: 16, LIST: 32 } as const;
/** The tables at the blob's start (assembly/output.ts OUT_EVENT_IDS ... OUT_TABLES_BYTES). */
export const OUT_TABLES = { EVENT_IDS: 1024, ERRNOS: 256, SYSCALLS: 1024, NAMES_AT: 0, DIRS_AT: 8192, ERRNO_AT: 9216, SYSCALLS_AT: 11264, BYTES: 19456 } as const;

/** A compiled output: instructions (six u32 each), the blob they point into, and the fallback fields by slot. */
export interface OutputProgram {
  insns: Uint32Array;
  blob: Uint8Array;
  /** Field names (as written, e.g. "evt.time") the shell formats, by slot. */
  fallbacks: string[];
}

/** The output forms the Wasm formatter prints (ts/pipeline/plan.ts PlanOutput). */
export type ProgramOutput = { kind: 'line' } | { kind: 'format'; parts: readonly FormatPart[] } | { kind: 'json'; fields: readonly FieldRef[] };

const utf8 = new TextEncoder();

class Builder {
  private readonly words: number[] = [];
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  readonly fallbacks: string[] = [];
  private readonly slots = new Map<string, number>();

  constructor() {
    this.data(tables());
  }
  /** Appends bytes to the blob; returns their offset. */
  data(bytes: Uint8Array): number {
    const at = this.size;
    this.chunks.push(bytes);
    this.size += bytes.length;
    return at;
  }
  get count(): number {
    return this.words.length / 6;
  }
  insn(op: number, a: number, b: number, flags: number, prefix = ''): void {
    const p = utf8.encode(prefix);
    this.words.push(op, a, b, flags, p.length > 0 ? this.data(p) : 0, p.length);
  }
  literal(text: string): void {
    if (text === '') return;
    const bytes = utf8.encode(text);
    this.insn(OUT.LIT, this.data(bytes), bytes.length, 0);
  }
  slot(name: string): number {
    let s = this.slots.get(name);
    if (s === undefined) {
      s = this.fallbacks.length;
      this.fallbacks.push(name);
      this.slots.set(name, s);
    }
    return s;
  }
  /** The value of `ref`, `prefix` before it; `flags` OUTF.JSON / OUTF.OPTIONAL. */
  field(ref: FieldRef, flags: number, prefix = ''): void {
    const name = ref.def.name;
    if (name === 'evt.type') return this.insn(OUT.TYPE, 0, 0, flags, prefix);
    if (name === 'evt.time' || name === 'evt.datetime') return this.insn(OUT.CLOCK, name === 'evt.datetime' ? 1 : 0, 0, flags, prefix);
    if (name === 'evt.dir') return this.insn(OUT.DIR, 0, 0, flags, prefix);
    if (name === 'evt.res') return this.insn(OUT.RES, this.data(rawresTable()), 0, flags, prefix);
    const vm = wasmField(ref);
    if (vm === undefined) return this.insn(OUT.FALLBACK, this.slot(ref.text), 0, flags, prefix);
    this.insn(OUT.FIELD, vm.id, ancestorArg(ref.arg), flags | vm.kind, prefix);
  }
  typeSet(ids: Iterable<number>, skip: number): void {
    const bitmap = new Uint8Array(OUT_TABLES.EVENT_IDS / 8);
    for (const id of ids) bitmap[id >> 3]! |= 1 << (id & 7);
    this.insn(OUT.IF_TYPES, this.data(bitmap), skip, 0);
  }
  build(): OutputProgram {
    const blob = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) { blob.set(c, at); at += c.length; }
    return { insns: Uint32Array.from(this.words), blob, fallbacks: this.fallbacks };
  }
}

/** The VM field and value kind of `ref` when a Wasm loader computes what ts/fields/fields.ts prints, else undefined. */
function wasmField(ref: FieldRef): { id: number; kind: number } | undefined {
  if (ref.def.text) return undefined;
  const f = filterField(ref.def.name);
  if (!f || f.id === F.PARAM) return undefined;
  switch (f.kind) {
    case 'unsigned': return { id: f.id, kind: 0 };
    case 'signed': return { id: f.id, kind: OUTF.SIGNED };
    case 'bool': return { id: f.id, kind: OUTF.BOOL };
    case 'string': return { id: f.id, kind: OUTF.STRING };
    case 'list': return { id: f.id, kind: OUTF.STRING | OUTF.LIST };
    default: return undefined;
  }
}

/** Fields the formatter computes itself, from its tables or the frame (no loader). */
const IN_WASM = new Set(['evt.type', 'evt.dir', 'evt.res', 'evt.time', 'evt.datetime']);

/** Names of the fields (of ts/fields/fields.ts) the shell formats: the Wasm formatter's declared fallback. */
export function fallbackFields(refs: Iterable<FieldRef>): string[] {
  const names: string[] = [];
  for (const ref of refs) {
    if (!IN_WASM.has(ref.def.name) && wasmField(ref) === undefined) names.push(ref.def.name);
  }
  return names;
}

/** The event-name, direction and errno tables (layout: assembly/output.ts). */
function tables(): Uint8Array {
  if (EVENT_COUNT > OUT_TABLES.EVENT_IDS) throw new Error(`the output tables hold ${OUT_TABLES.EVENT_IDS} event ids, the event table has ${EVENT_COUNT}`);
  if (PPM_SC_NAMES.length > OUT_TABLES.SYSCALLS) throw new Error(`the output tables hold ${OUT_TABLES.SYSCALLS} syscall names, libs has ${PPM_SC_NAMES.length}`);
  const names: Uint8Array[] = [];
  const head = new Uint8Array(OUT_TABLES.BYTES);
  const dv = new DataView(head.buffer);
  let at = OUT_TABLES.BYTES;
  const text = (bytes: Uint8Array, entry: number): void => {
    dv.setUint32(entry, at, true);
    dv.setUint32(entry + 4, bytes.length, true);
    names.push(bytes);
    at += bytes.length;
  };
  for (let id = 0; id < EVENT_COUNT; id++) {
    const row = eventRow(id)!;
    text(utf8.encode(row.name), OUT_TABLES.NAMES_AT + id * 8);
    head[OUT_TABLES.DIRS_AT + id] = row.direction.charCodeAt(0);
  }
  // Entry 0 is the text of every result ≥ 0; an empty name prints the number (ts/fields/errno.ts errnoText).
  text(utf8.encode('SUCCESS'), OUT_TABLES.ERRNO_AT);
  ERRNO_NAMES.forEach((name, errno) => {
    if (errno > 0 && errno < OUT_TABLES.ERRNOS && name) text(utf8.encode(name), OUT_TABLES.ERRNO_AT + errno * 8);
  });
  PPM_SC_NAMES.forEach((name, sc) => {
    if (sc < OUT_TABLES.SYSCALLS && name) text(utf8.encode(name), OUT_TABLES.SYSCALLS_AT + sc * 8);
  });
  const out = new Uint8Array(at);
  out.set(head);
  let p = OUT_TABLES.BYTES;
  for (const n of names) { out.set(n, p); p += n.length; }
  return out;
}

/** Compiles the default line, a `-p` format or JSON lines (ts/output/render.ts renders the same in TypeScript). */
export function compileOutputProgram(output: ProgramOutput): OutputProgram {
  const b = new Builder();
  switch (output.kind) {
    case 'format':
      for (const p of output.parts) if (typeof p === 'string') b.literal(p); else b.field(p, 0);
      break;
    case 'json':
      b.literal('{');
      output.fields.forEach((f, i) => b.field(f, OUTF.JSON, `${i > 0 ? ',' : ''}${JSON.stringify(f.text)}:`));
      b.literal('}');
      break;
    case 'line': {
      for (const p of DEFAULT_HEAD) if (typeof p === 'string') b.literal(p); else b.field(p, 0);
      const execExits: number[] = [];
      for (let id = 0; id < EVENT_COUNT; id++) {
        const row = eventRow(id)!;
        if (row.direction === '<' && EXEC_NAMES.has(row.name)) execExits.push(id);
      }
      b.typeSet(execExits, EXEC_FIELDS.length + EXEC_ORIGIN_FIELDS.length);
      for (const ref of EXEC_FIELDS) b.field(ref, 0, ` ${ref.text}=`);
      for (const ref of EXEC_ORIGIN_FIELDS) b.field(ref, OUTF.OPTIONAL, ` ${ref.text}=`);
      break;
    }
  }
  return b.build();
}

/** The field a fallback slot names (resolved when the program was compiled). */
export function fallbackRef(name: string): FieldRef {
  return resolveField(name)!;
}
