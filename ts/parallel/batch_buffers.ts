/**
 * Reusable SharedArrayBuffers for batches. A fresh SharedArrayBuffer per batch
 * costs more than the batch's copy (allocation, zeroing, page faults: ~1 GB/s
 * on the benchmark VM), so a buffer goes back to the pool once every worker
 * has finished its batch, and the pool holds at most the batches in flight.
 */
export class BatchBuffers {
  private readonly free: SharedArrayBuffer[] = [];

  /** `bytes`: size of a pooled buffer, bytes; a batch larger than that gets a buffer of its own. */
  constructor(private readonly bytes: number) {}

  /** A buffer of at least `length` bytes. */
  take(length: number): SharedArrayBuffer {
    if (length > this.bytes) return new SharedArrayBuffer(length);
    return this.free.pop() ?? new SharedArrayBuffer(this.bytes);
  }

  /** Returns a buffer that no worker reads any more. */
  give(buffer: SharedArrayBuffer): void {
    if (buffer.byteLength === this.bytes) this.free.push(buffer);
  }
}
