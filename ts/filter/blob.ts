/**
 * Lays compiled programs out as one blob (format: assembly/filter/layout.ts),
 * installs it into a decoder's Wasm memory, and reads back which programs
 * matched the current event.
 */
import type { DecoderModule } from '../pipeline/wasm.js';
import type { Program } from './compiler.js';
import { INSN_BYTES } from './layout.js';

const align8 = (n: number): number => (n + 7) & ~7;

/** Serialises `programs` (at least one) into a blob. Equal constant objects are stored once. */
export function layoutPrograms(programs: readonly Program[]): Uint8Array {
  const header = 4 + 4 * programs.length;
  const starts: number[] = [];
  let at = header;
  for (const p of programs) {
    starts.push(at);
    at += p.length * INSN_BYTES;
  }
  const constants = new Map<Uint8Array, number>();
  let constAt = align8(at);
  for (const p of programs) {
    for (const insn of p) {
      for (const c of [insn.aux, insn.value]) {
        if (c instanceof Uint8Array && !constants.has(c)) {
          constants.set(c, constAt);
          constAt = align8(constAt + c.length);
        }
      }
    }
  }
  const out = new Uint8Array(constAt);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, programs.length, true);
  programs.forEach((p, i) => {
    dv.setUint32(4 + 4 * i, starts[i]!, true);
    p.forEach((insn, k) => {
      const o = starts[i]! + k * INSN_BYTES;
      dv.setUint32(o, insn.op | (insn.cmp << 8) | (insn.field << 16), true);
      const aux = insn.aux === undefined ? 0 : typeof insn.aux === 'number' ? starts[i]! + insn.aux * INSN_BYTES : constants.get(insn.aux)!;
      dv.setUint32(o + 4, aux, true);
      dv.setUint32(o + 8, insn.value ? constants.get(insn.value)! : 0, true);
    });
  });
  for (const [c, off] of constants) out.set(c, off);
  return out;
}

/** Installs `programs` into the decoder: from now on only events some program matches are emitted. */
export function installPrograms(module: DecoderModule, programs: readonly Program[]): void {
  if (programs.length === 0) { module.exports.setFilterCount(0); return; }
  installBlob(module, layoutPrograms(programs), programs.length);
}

/** Installs `count` programs already laid out as `blob` (by {@link layoutPrograms}, e.g. in a plan made on another thread). */
export function installBlob(module: DecoderModule, blob: Uint8Array, count: number): void {
  const ex = module.exports;
  const ptr = ex.reserveFilter(blob.length);
  new Uint8Array(ex.memory.buffer).set(blob, ptr);
  ex.setFilterCount(count);
}

/** Indexes of the programs that matched the event the decoder stopped on, ascending. */
export function matchedPrograms(module: DecoderModule, count: number): number[] {
  const ex = module.exports;
  const words = new Uint32Array(ex.memory.buffer, ex.filterMatches(), (count + 31) >> 5);
  const out: number[] = [];
  for (let i = 0; i < count; i++) if ((words[i >> 5]! >>> (i & 31)) & 1) out.push(i);
  return out;
}
