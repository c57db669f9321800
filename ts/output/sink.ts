/**
 * Where `read` and `capture` write their output: stdout (or any writable stream) in large
 * pieces, waiting for a slow consumer (backpressure: {@link OutputSink.flush} awaits 'drain').
 */
/**
 * Output lines are handed to the stream once this many characters are pending, while the
 * chunk is still being decoded: lines then die young (cheap scavenges) instead of piling up
 * for the whole chunk and being promoted to the old generation (JSON of every event of
 * busy.scap spent half its time in GC that way).
 */
const SINK_WRITE_CHARS = 256 * 1024;

/** Size of the reused buffers that carry the Wasm formatter's output to the stream (its pieces are ~512 KiB). */
const PIECE_BYTES = 1 << 20;

/** Writes to stdout in pieces of ~256 KiB; {@link flush} awaits 'drain' when the pipe is full. */
export class OutputSink {
  private buf: string[] = [];
  private size = 0;
  /** Set when the stream asked to wait: resolves at its 'drain' (listened for at once, so none is missed). */
  private drained: Promise<void> | undefined;
  /** Buffers of written pieces, reused by {@link pushBytes}: as many as were in flight at once. */
  private readonly pieces: Buffer[] = [];
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}
  push(line: string): void {
    this.buf.push(line);
    this.size += line.length + 1;
    if (this.size >= SINK_WRITE_CHARS) this.writeBuffered();
  }
  /**
   * Hands a copy of `bytes` (whole lines, e.g. a view into Wasm memory) to the stream, after the
   * buffered lines. The copy goes into a buffer the stream gives back when it has written it:
   * a fresh buffer per piece cost more than formatting the output (page faults, zeroing).
   */
  pushBytes(bytes: Uint8Array): void {
    this.writeBuffered();
    let buf = this.pieces.pop();
    if (!buf || buf.length < bytes.length) buf = Buffer.allocUnsafeSlow(Math.max(bytes.length, PIECE_BYTES));
    buf.set(bytes);
    const piece = buf;
    let back = false;
    const giveBack = (): void => {
      if (!back) { back = true; this.pieces.push(piece); }
    };
    const more = this.out.write(piece.subarray(0, bytes.length), giveBack);
    // Nothing pending: the stream wrote the piece at once (stdout to a file or pipe on Linux),
    // its callback only comes later; the buffer is free already.
    if ((this.out as { writableLength?: number }).writableLength === 0) giveBack();
    if (!more && !this.drained) this.drained = new Promise<void>((r) => this.out.once('drain', r));
  }
  /** Flushes buffered lines; resolves when the stream accepts more. */
  async flush(): Promise<void> {
    this.writeBuffered();
    const drained = this.drained;
    this.drained = undefined;
    if (drained) await drained;
  }
  /**
   * Writes already-encoded output (a piece of a worker's batch), after the buffered lines, as is
   * (not copied); `written` is called once the stream is done with `bytes` (they may then be
   * reused). Resolves when the stream accepts more.
   */
  async writeBytes(bytes: Uint8Array, written?: () => void): Promise<void> {
    await this.flush();
    if (bytes.length === 0) { written?.(); return; }
    let called = false;
    const once = written && ((): void => { if (!called) { called = true; written(); } });
    const more = this.out.write(bytes, once);
    // Nothing pending: the stream wrote the bytes at once (stdout to a file: its callback comes only
    // at the next tick, and a parallel read wrote ~50 pieces of 1 MiB before one came back).
    if (once && (this.out as { writableLength?: number }).writableLength === 0) once();
    if (!more) await new Promise<void>((r) => this.out.once('drain', r));
  }
  /** Hands the buffered lines to the stream (which queues them when full: the next flush waits). */
  private writeBuffered(): void {
    if (this.buf.length === 0) return;
    const text = this.buf.join('\n') + '\n';
    this.buf = [];
    this.size = 0;
    if (!this.out.write(text) && !this.drained) this.drained = new Promise<void>((r) => this.out.once('drain', r));
  }
}
