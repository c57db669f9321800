/**
 * The splitter (DESIGN.md §3): cuts a capture's byte stream into batches of
 * whole blocks with a Wasm walk over block headers only, and copies each batch
 * once into a shared buffer for the workers. The input is read with the byte
 * source's readInto straight into the splitter's Wasm memory, from the same
 * memory every time (fresh Buffers per chunk cost page faults and a copy): a
 * plain file with no buffer in between, gzip and streams copied from their chunks.
 */
import type { ByteSource } from '../scap/byte_source.js';
import { BLOCK_HEADER_BYTES, MIN_BLOCK_BYTES } from '../scap/block_types.js';
import { MAX_BLOCK_BYTES } from '../scap/block_walker.js';
import { createDecoderModule, type DecoderExports } from '../pipeline/wasm.js';
import type { BatchBuffers } from './batch_buffers.js';

/** Most bytes read per call. */
const READ_BYTES = 1 << 20;
/** Batches start at multiples of this in the splitter's input (see batchEnd), bytes. */
const COPY_ALIGN_BYTES = 8;

/** A batch: whole blocks at the start of a shared buffer. */
export interface Batch {
  bytes: SharedArrayBuffer;
  /** Bytes of the batch, from offset 0. */
  length: number;
  /**
   * The same bytes in the splitter's own (unshared) memory, valid until the next batch is asked
   * for: the caller's replica copies them from there (V8 copies out of shared memory with
   * relaxed atomic moves, slower than memcpy).
   */
  view: Uint8Array;
}

/**
 * The batches of `source`, in stream order: each holds whole blocks and at least `batchBytes`
 * bytes (`batchSize()`, asked before each cut: the pool sizes batches by their output), except the last, which holds what is left (an incomplete block the decoders then name),
 * and the pieces of a block longer than two batches, passed on one batch at a time (the decoders
 * read such blocks as they arrive, or reject them at their header). A block length outside
 * 12 B–256 MiB ends the stream at that block (the decoders report it). So the splitter never
 * buffers more than two batches.
 */
export async function* splitBatches(source: ByteSource, batchSize: () => number, buffers: BatchBuffers): AsyncGenerator<Batch> {
  const ex = createDecoderModule().exports;
  /** Appends the next bytes of the stream at `end` of the splitter's input; resolves how many, 0 at the end. */
  const refill = async (end: number): Promise<number> => {
    const at = ex.reserveInput(end + READ_BYTES) + end;
    return source.readInto(new Uint8Array(ex.memory.buffer, at, READ_BYTES));
  };
  const copyOut = (start: number, end: number): Batch => {
    const bytes = buffers.take(end - start);
    const view = new Uint8Array(ex.memory.buffer, ex.inputPtr() + start, end - start);
    new Uint8Array(bytes).set(view);
    return { bytes, length: end - start, view };
  };
  let end = 0; // bytes held in the splitter's input
  let inBlock = 0; // bytes not yet passed on of a block longer than two batches
  for (;;) {
    let n: number;
    try {
      n = await refill(end);
    } catch (e) {
      // A fault of the input: the whole blocks read before it go on first (one thread decodes
      // those too before the fault), then the fault.
      const cut = inBlock > 0 ? 0 : ex.splitBlocks(0, end, end);
      if (cut > 0) yield copyOut(0, cut);
      throw e;
    }
    if (n <= 0) break;
    end += n;
    let start = 0;
    for (;;) {
      const batchBytes = batchSize();
      if (inBlock > 0) {
        // Such a block goes on in pieces of one batch (the decoders read it as it arrives).
        const piece = Math.min(end - start, inBlock, batchBytes);
        if (piece < batchBytes && piece < inBlock) break;
        yield copyOut(start, start + piece);
        start += piece;
        inBlock -= piece;
        continue;
      }
      const cut = batchEnd(ex, start, end, batchBytes);
      if (cut !== undefined) {
        yield copyOut(start, cut);
        start = cut;
        continue;
      }
      if (end - start < 2 * batchBytes) break;
      const at = ex.splitBlocks(start, end, end);
      if (badLengthAt(ex, at, end)) {
        yield copyOut(start, end);
        return;
      }
      if (at > start) yield copyOut(start, at);
      start = at;
      inBlock = blockLengthAt(ex, at);
    }
    if (start > 0) new Uint8Array(ex.memory.buffer).copyWithin(ex.inputPtr(), ex.inputPtr() + start, ex.inputPtr() + end);
    end -= start;
  }
  if (end > 0) yield copyOut(0, end);
}

/**
 * The end of the batch that starts at `start`, or undefined when the input does not reach it
 * yet: the first block boundary at or past `start + batchBytes` that is 8-byte aligned, or
 * failing that the first one past twice that. Aligned batches keep the copies between Wasm
 * memory and SharedArrayBuffers at memcpy speed: V8 copies shared memory at different
 * alignments byte by byte, ~8× slower (measured on Node 20).
 */
function batchEnd(ex: DecoderExports, start: number, end: number, batchBytes: number): number | undefined {
  let at = ex.splitBlocks(start, end, start + batchBytes);
  while (at - start >= batchBytes) {
    if ((ex.inputPtr() + at) % COPY_ALIGN_BYTES === 0 || at - start >= 2 * batchBytes) return at;
    const next = ex.splitBlocks(at, end, at + 1);
    if (next === at) return undefined;
    at = next;
  }
  return undefined;
}

/** Whether the walk stopped at `cut` on a block length outside the valid range (not on an incomplete block). */
function badLengthAt(ex: DecoderExports, cut: number, end: number): boolean {
  if (end - cut < BLOCK_HEADER_BYTES) return false;
  const len = blockLengthAt(ex, cut);
  return len < MIN_BLOCK_BYTES || len > MAX_BLOCK_BYTES;
}

/** The length field of the block at `at` in the splitter's input. */
function blockLengthAt(ex: DecoderExports, at: number): number {
  return new DataView(ex.memory.buffer).getUint32(ex.inputPtr() + at + 4, true);
}
