/**
 * `--output-http URL`: each alert POSTed to URL as one JSON object, the payload
 * Falcosidekick's `POST /` takes (falcosecurity/falcosidekick `handlers.go`
 * mainHandler, `types/types.go` FalcoPayload and its Check()): Falco's
 * `json_output` shape plus `uuid`.
 *
 * Never slows decoding: {@link HttpAlertOutput.push} only appends to a bounded
 * queue and returns; requests run on the event loop beside the decoder. When the
 * receiver is down or slow the queue fills, and alerts beyond its bound are
 * dropped and counted (as Falco's outputs queue drops new alerts when full).
 * Failures that may pass (connection errors, timeouts, 5xx, 429) are retried
 * with exponential backoff; a 4xx is the receiver refusing that payload: counted
 * as rejected, not retried.
 */

/** Requests in flight at once. */
export const HTTP_MAX_IN_FLIGHT = 4;
/** A request that takes longer than this is abandoned and retried, ms. */
export const HTTP_TIMEOUT_MS = 5_000;
/** First retry delay after a failure, ms; doubled per consecutive failure up to {@link HTTP_RETRY_MAX_MS}. */
export const HTTP_RETRY_MIN_MS = 250;
/** Longest retry delay, ms. */
export const HTTP_RETRY_MAX_MS = 30_000;
/** Default bound of the queue, alerts (queued + in flight). */
export const HTTP_QUEUE_DEFAULT = 10_000;

/** Counters of one HTTP output. */
export interface HttpOutputStats {
  /** Accepted by the receiver (2xx). */
  sent: number;
  /** Lost because the queue was full when they came. */
  dropped: number;
  /** Refused by the receiver with a 4xx other than 429 (not retried). */
  rejected: number;
  /** Requests that failed and were tried again. */
  retries: number;
  /** Queued or in flight now. */
  pending: number;
  /** The last failure: an errno code (ECONNREFUSED), `timeout` or `HTTP 503`. */
  lastError: string | undefined;
}

/** Options of {@link HttpAlertOutput}. */
export interface HttpOutputOptions {
  /** Most alerts held (queued and in flight); beyond it new alerts are dropped. */
  queueMax: number;
}

/** The cause of a failed fetch(): the errno code undici puts in `cause`, else the message. */
function failureText(e: unknown): string {
  if (e instanceof Error && e.name === 'TimeoutError') return 'timeout';
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}

export class HttpAlertOutput {
  private readonly queue: string[] = [];
  private head = 0; // queue[head..] are waiting; the slots before are spent
  private inFlight = 0;
  private failures = 0; // consecutive
  private retryTimer: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];
  private readonly counts: Omit<HttpOutputStats, 'pending' | 'lastError'> = { sent: 0, dropped: 0, rejected: 0, retries: 0 };
  private lastError: string | undefined;
  private closed = false;

  constructor(readonly url: string, private readonly options: HttpOutputOptions) {}

  /** Queues one alert (a JSON object's text); drops and counts it when the queue is full. Never waits. */
  push(payload: string): void {
    if (this.pending() >= this.options.queueMax) {
      this.counts.dropped++;
      return;
    }
    this.queue.push(payload);
    this.pump();
  }

  stats(): HttpOutputStats {
    return { ...this.counts, pending: this.pending(), lastError: this.lastError };
  }

  /**
   * Waits until every queued alert is sent (or refused), at most `graceMs`; then stops
   * retrying. Resolves with the number of alerts still unsent.
   */
  async close(graceMs: number): Promise<number> {
    if (this.pending() > 0) {
      // A failure's backoff may be longer than the grace: try again now.
      if (this.retryTimer) { clearTimeout(this.retryTimer); this.retryTimer = undefined; this.pump(); }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => this.idle.push(r)),
        new Promise<void>((r) => { timer = setTimeout(r, graceMs); }),
      ]);
      clearTimeout(timer);
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const unsent = this.pending();
    this.queue.length = 0;
    this.head = 0;
    this.closed = true;
    return unsent;
  }

  private pending(): number {
    return this.queue.length - this.head + this.inFlight;
  }

  private pump(): void {
    while (!this.closed && this.retryTimer === undefined && this.inFlight < HTTP_MAX_IN_FLIGHT && this.head < this.queue.length) {
      const body = this.queue[this.head]!;
      this.queue[this.head++] = '';
      if (this.head > 1024 && this.head * 2 > this.queue.length) { this.queue.splice(0, this.head); this.head = 0; }
      this.inFlight++;
      void this.send(body);
    }
    if (this.pending() === 0) for (const r of this.idle.splice(0)) r();
  }

  private async send(body: string): Promise<void> {
    let retry = false;
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
      await res.arrayBuffer(); // read to the end: the connection goes back to the pool
      if (res.ok) {
        this.counts.sent++;
        this.failures = 0;
      } else if (res.status >= 500 || res.status === 429) {
        retry = true;
        this.lastError = `HTTP ${res.status}`;
      } else {
        this.counts.rejected++;
        this.lastError = `HTTP ${res.status}`;
      }
    } catch (e) {
      retry = true;
      this.lastError = failureText(e);
    }
    this.inFlight--;
    if (retry && !this.closed) {
      this.counts.retries++;
      // Back at the head of the queue; it still counts against the bound.
      if (this.head > 0) this.queue[--this.head] = body; else this.queue.unshift(body);
      this.failures++;
      if (this.retryTimer === undefined) {
        const delay = Math.min(HTTP_RETRY_MAX_MS, HTTP_RETRY_MIN_MS * 2 ** Math.min(this.failures - 1, 16));
        this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.pump(); }, delay);
      }
      return;
    }
    this.pump();
  }
}
