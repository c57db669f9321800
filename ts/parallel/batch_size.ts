/**
 * Batch sizes by output (ts/parallel/pool.ts): a batch's output waits, whole, until the batches
 * before it are written, so what is in flight is (batches in flight) × (output per batch). JSON
 * of every event is ~10× its input (3.6 GB from the generated 374 MB capture): 1 MiB batches
 * then held ~10 MB of output each, and peak RSS tripled. The sizer keeps each batch's output
 * near its share of OUTPUT_BYTES_IN_FLIGHT by cutting smaller batches when the output per input
 * byte is high, and batches of the full size when little is printed (a filter, no output).
 */

/**
 * Output all batches in flight should make together, bytes: the pool gives each batch its share
 * (ts/parallel/pool.ts batchesAhead: 1/10 at 4 threads). Output is not what grows with the
 * worker count: each worker costs ~25 MiB (its V8 heap, Wasm memory, output pieces).
 */
export const OUTPUT_BYTES_IN_FLIGHT = 4 << 20;
/**
 * Smallest batch, bytes: messages and scans stay amortised (~160 events of busy.scap). At
 * 64 KiB the default JSON of busy.scap (~25 output bytes per input byte) made 1.6 MB per batch,
 * 3× its share, and peak RSS on 2 workers was 220–250 MiB; at 16 KiB, ~118 MiB, for the same CPU.
 */
export const MIN_BATCH_BYTES = 16 << 10;
/** Per batch, the estimate of output per input byte keeps this fraction of a higher earlier value. */
const RATIO_DECAY = 0.9;

/** Sizes the next batch from the output per input byte of the batches before it. */
export class BatchSizer {
  /** Output bytes per input byte: the highest recent one, decayed (0 before any batch). */
  private ratio = 0;

  /**
   * `maxBytes`: the largest batch, bytes (BATCH_BYTES); `outputBytes`: the output a batch should
   * make, bytes; `everyEvent`: output is asked for every event (ts/pipeline/plan.ts
   * printsEveryEvent), so the first batches are cut small; otherwise the first is cut at
   * `maxBytes` (an input of one batch starts no worker). The caller's thread decodes the first
   * batch at once: the batches after it are sized by its output.
   */
  constructor(private readonly maxBytes: number, private readonly outputBytes: number, everyEvent = false) {
    if (everyEvent) this.ratio = outputBytes / MIN_BATCH_BYTES;
  }

  /** A batch of `inputBytes` made `outputBytes` of output. */
  observe(inputBytes: number, outputBytes: number): void {
    if (inputBytes <= 0) return;
    this.ratio = Math.max(outputBytes / inputBytes, this.ratio * RATIO_DECAY);
  }

  /** Bytes of the next batch: `outputBytes` of expected output, within MIN_BATCH_BYTES..maxBytes. */
  next(): number {
    const bytes = this.ratio > 0 ? this.outputBytes / this.ratio : this.maxBytes;
    return Math.max(Math.min(MIN_BATCH_BYTES, this.maxBytes), Math.min(this.maxBytes, Math.floor(bytes)));
  }
}
