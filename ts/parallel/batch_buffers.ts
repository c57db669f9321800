/**
 * Reusable SharedArrayBuffers for batches. A fresh SharedArrayBuffer per batch
 * costs more than the batch's copy (allocation, zeroing, page faults: ~1 GB/s
 * on the benchmark VM), so a buffer goes back to the pool once every worker
 * has finished its batch, and the pool holds at most the batches in flight.
 * Each pooled buffer has a slot number: a worker is sent a buffer once and
 * then its slot (posting a SharedArrayBuffer cost ~3× a plain message: ~300 µs
 * on the loaded benchmark VM, per batch and worker).
 */
export class BatchBuffers {
  private readonly free: SharedArrayBuffer[] = [];
  /** Pooled buffers by identity: their slot numbers (the workers keep each one once: ts/parallel/messages.ts). */
  private readonly slots = new Map<SharedArrayBuffer, number>();

  /** `bytes`: size of a pooled buffer, bytes; a batch larger than that gets a buffer of its own. */
  constructor(private readonly bytes: number) {}

  /** A buffer of at least `length` bytes. */
  take(length: number): SharedArrayBuffer {
    if (length > this.bytes) return new SharedArrayBuffer(length);
    const reused = this.free.pop();
    if (reused) return reused;
    const buffer = new SharedArrayBuffer(this.bytes);
    this.slots.set(buffer, this.slots.size);
    return buffer;
  }

  /** The slot number of a pooled buffer (0, 1, …), or -1 for a buffer of its own. */
  slot(buffer: SharedArrayBuffer): number {
    return this.slots.get(buffer) ?? -1;
  }

  /** Returns a buffer that no worker reads any more. */
  give(buffer: SharedArrayBuffer): void {
    if (this.slots.has(buffer)) this.free.push(buffer);
  }
}
