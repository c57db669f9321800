/**
 * Parallel decoding with results identical to one thread's: replicated state,
 * partitioned work (DESIGN.md §3–4). The splitter (ts/parallel/splitter.ts)
 * cuts the stream into batches of whole blocks; N replicas of the decoder —
 * one on the caller's thread, N − 1 in worker threads — scan every batch in
 * order (each keeping a full thread-table replica), and the owner of a batch
 * also decodes it for output. Results come back in batch order, so N replicas
 * give byte for byte what one does, whoever owns which batch. The workers are
 * kept busy first (ts/parallel/owners.ts): the caller's thread, which also
 * splits and writes, decodes a batch only when every worker has its queue of
 * owned batches — one worker fewer to start (~110–170 ms of CPU each on the
 * benchmark VM) and one thread fewer competing for the cores, without making
 * this thread the bottleneck. This thread lets its event loop turn after
 * every batch while workers run: the workers' answers (which free their queue
 * and the shared buffers) and the writes' callbacks (which hand output buffers
 * back) come in there, not only when it waits.
 *
 * Memory stays bounded: at most MAX_BATCHES_AHEAD_PER_WORKER × N batches are
 * in flight beyond the slowest worker, their shared buffers are reused, no
 * batch is split while the consumer of the results has not taken the last ones,
 * batches are cut small when their output is large (ts/parallel/batch_size.ts:
 * their share of OUTPUT_BYTES_IN_FLIGHT each), and a job's output buffers come back
 * to it once written ({@link ParallelDecode.giveBack}) instead of piling up for
 * the collector.
 */
import { Worker } from 'node:worker_threads';
import type { ByteSource } from '../scap/byte_source.js';
import type { DecodeSummary } from '../pipeline/decoder.js';
import { fromErrorData, ScapdriftError, ErrorCode } from '../errors.js';
import { BatchBuffers } from './batch_buffers.js';
import { splitBatches, type Batch } from './splitter.js';
import { BatchSizer, OUTPUT_BYTES_IN_FLIGHT } from './batch_size.js';
import { createReplica } from './replica.js';
import { decoderDescription, wasmModule } from '../pipeline/wasm.js';
import type { JobModule, JobSpec } from './job.js';
import type { BatchDone, BatchMessage, BatchRef, WorkerInit } from './messages.js';
import { pickOwner } from './owners.js';

/**
 * Target batch size, bytes: large enough to amortise messages and scans, small enough to
 * spread work and to keep the shared buffers few (each is faulted in once: 4 MiB batches were
 * slower than 1 MiB ones on the benchmark VM). SCAPDRIFT_BATCH_BYTES overrides it (tests use
 * small batches).
 */
export const BATCH_BYTES = Number(process.env.SCAPDRIFT_BATCH_BYTES) > 0 ? Number(process.env.SCAPDRIFT_BATCH_BYTES) : 1 << 20;
/**
 * Pooled batch buffers hold a batch plus this much more, bytes: a batch ends at the first
 * aligned block boundary past BATCH_BYTES (ts/parallel/splitter.ts); a longer one gets a
 * buffer of its own.
 */
const BATCH_SLACK_BYTES = 256 << 10;
/**
 * Batches sent beyond the last one every worker has finished, per worker: room for a worker's
 * queue of owned batches (ts/parallel/owners.ts) and this thread's batches between them.
 */
const MAX_BATCHES_AHEAD_PER_WORKER = 4;
/**
 * Walk-only batches held for a worker before they go without an owned batch (BatchMessage walk):
 * the pool then knows where each worker is to within this many batches, less than the
 * backpressure window (MAX_BATCHES_AHEAD_PER_WORKER × N), so a worker that has caught up never
 * keeps this thread waiting. A message (and an answer) per batch cost this thread a message
 * event, and the worker a wake-up, for each of the ~7,000 batches of the generated capture's JSON.
 */
const WALK_BATCHES_HELD = 4;
const WORKER_URL = new URL('./worker.js', import.meta.url);

interface PoolWorker {
  worker: Worker;
  /** Highest seq this worker finished. */
  doneSeq: number;
  /** Buffers of its results written out, to send back with its next batch. */
  reuse: ArrayBuffer[];
  /** Slots of the batch buffers it has been sent (and keeps). */
  known: Set<number>;
  /** Owned batches sent to it and not answered yet. */
  queued: number;
  /** Walk-only batches not sent yet: they go with its next message. */
  held: BatchRef[];
}

/** A batch's results as the pool hands them out: those of its owner (0: the caller's thread, i: worker i). */
export interface BatchOutput extends BatchDone {
  owner: number;
}

/**
 * One parallel decode of `source` on `n` replicas running `job` (its module loaded by every
 * worker, its plan sent to each as data; without a job, batches go back undecoded: the
 * splitter's benchmark). Iterate it once: it yields each batch's results in stream order
 * (from the batch's owner) and throws the first fault in stream order after the results
 * before it, or a worker failure. Every worker is terminated when the iteration ends, however
 * it ends.
 */
export class ParallelDecode<P> implements AsyncIterable<BatchOutput> {
  /** Totals, once the iteration has finished (undefined without a job). */
  summary: DecodeSummary | undefined;

  /** Gives `buffers` of a batch's result back to the replica that made it, `owner` (during the iteration). */
  private giveBackTo: ((owner: number, buffers: ArrayBuffer[]) => void) | undefined;

  /** `everyEvent`: the job makes output for every event (the first batches are cut small: ts/parallel/batch_size.ts). */
  constructor(private readonly source: ByteSource, private readonly job: JobSpec<P> | undefined, private readonly n: number, private readonly everyEvent = false) {}

  /**
   * Hands the buffers of `batch`'s result (its `transfer` list) back to the replica that made
   * them, once the consumer is done with them (written out): its job reuses them (Job.reuse).
   * Buffers given back after the iteration ended are dropped.
   */
  giveBack(batch: BatchOutput, buffers: ArrayBuffer[]): void {
    if (buffers.length > 0) this.giveBackTo?.(batch.owner, buffers);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<BatchOutput> {
    const n = this.n;
    const job = this.job;
    const jobModule = job ? (await import(job.module.href)) as JobModule<P, unknown> : undefined;
    const local = createReplica(jobModule, job?.plan as P); // replica 0: owner 0
    const init: WorkerInit = { ...(job ? { job: job.module.href, plan: job.plan } : {}), wasm: wasmModule(), description: decoderDescription() };
    // Started at the second batch: an input of one batch is decoded here alone, with no worker to start.
    const pool: PoolWorker[] = [];
    const buffers = new BatchBuffers(BATCH_BYTES + BATCH_SLACK_BYTES);
    const inFlight = new Map<number, SharedArrayBuffer>(); // seq → buffer some worker still reads
    const sizer = new BatchSizer(BATCH_BYTES, OUTPUT_BYTES_IN_FLIGHT / (MAX_BATCHES_AHEAD_PER_WORKER * n), this.everyEvent);
    const lengths = new Map<number, number>(); // seq → bytes, until its owner has answered
    const results = new Map<number, BatchOutput>();
    const owners = new Map<number, number>(); // seq → owner, until its owner has answered
    let crash: Error | undefined;
    let wake: (() => void) | undefined;
    const signal = (): void => { wake?.(); wake = undefined; };
    /** Resolves at the next message; call it right after checking what it waits for. */
    const progress = (): Promise<void> => new Promise((r) => { wake = r; });
    /** Lets the event loop turn once (messages, I/O callbacks), then resolves. */
    const turn = (): Promise<void> => new Promise((r) => { setImmediate(r); });
    let nextSeq = 0; // next batch to send
    let firstLength = 0; // bytes of batch 0
    // Until the workers start, batch 0 is kept for them (they start at batch 1 and need every batch);
    // with n = 1 there are none: every batch sent is done (this thread decoded it).
    const lowestDone = (): number => (n === 1 ? nextSeq - 1 : pool.length === 0 ? -1 : Math.min(nextSeq - 1, ...pool.map((p) => p.doneSeq)));
    const release = (): void => {
      const low = lowestDone();
      for (const [seq, bytes] of inFlight) {
        if (seq > low) break;
        buffers.give(bytes);
        inFlight.delete(seq);
      }
    };
    const observe = (m: BatchDone): void => {
      sizer.observe(lengths.get(m.seq) ?? 0, m.outputBytes ?? 0);
      lengths.delete(m.seq);
    };
    /**
     * Gives batch `seq` to a worker: its buffer's slot (the buffer itself the first time). A
     * walk-only batch is held until the worker's next owned batch, or until WALK_BATCHES_HELD are.
     */
    const send = (p: PoolWorker, seq: number, bytes: SharedArrayBuffer, length: number, owned: boolean): void => {
      const slot = buffers.slot(bytes);
      const first = slot < 0 || !p.known.has(slot);
      if (slot >= 0) p.known.add(slot);
      const ref: BatchRef = { seq, slot, ...(first ? { bytes } : {}), length };
      if (!owned && p.held.length < WALK_BATCHES_HELD - 1) { p.held.push(ref); return; }
      post(p, ref, owned);
    };
    /** Posts `ref` to a worker with its held walk-only batches and its written buffers. */
    const post = (p: PoolWorker, ref: BatchRef, owned: boolean): void => {
      const reuse = p.reuse;
      p.reuse = [];
      const walk = p.held;
      p.held = [];
      p.worker.postMessage({ ...ref, ...(walk.length ? { walk } : {}), owned, ...(reuse.length ? { reuse } : {}) } satisfies BatchMessage, reuse);
    };
    /** Sends every worker its held batches: before this thread waits for the workers. */
    const flush = (): void => {
      for (const p of pool) {
        const last = p.held.pop();
        if (last) post(p, last, false);
      }
    };
    const answered = (p: PoolWorker, i: number, m: BatchDone): void => {
      p.doneSeq = m.seq;
      if (owners.get(m.seq) === i + 1) {
        owners.delete(m.seq);
        p.queued--;
        results.set(m.seq, { ...m, owner: i + 1 });
        observe(m);
      }
      release();
    };
    const startWorkers = (): void => {
      for (let i = 0; i < n - 1; i++) pool.push(startWorker(i));
    };
    const startWorker = (i: number): PoolWorker => {
      const p: PoolWorker = { worker: new Worker(WORKER_URL, { workerData: init }), doneSeq: -1, reuse: [], known: new Set(), queued: 0, held: [] };
      p.worker.on('message', (m: BatchDone) => { answered(p, i, m); signal(); });
      p.worker.on('error', (e) => { crash ??= new ScapdriftError(ErrorCode.IO, `decode worker ${i + 1} failed: ${e.message}`); signal(); });
      p.worker.on('exit', (code) => { if (code !== 0) { crash ??= new ScapdriftError(ErrorCode.IO, `decode worker ${i + 1} exited with code ${code}`); signal(); } });
      return p;
    };

    this.giveBackTo = (owner, back) => {
      if (owner === 0) local.reuse(back);
      else pool[owner - 1]?.reuse.push(...back);
    };

    let skippedFrames = 0; // reported by the owners; other replicas do not validate those frames
    let nextOut = 0; // next batch to hand out
    /** The finished batches, in order; throws the first fault after handing out its batch. */
    function* ready(): Generator<BatchOutput> {
      if (crash) throw crash;
      for (let m = results.get(nextOut); m; m = results.get(nextOut)) {
        results.delete(nextOut);
        nextOut++;
        skippedFrames += m.skipped?.length ?? 0;
        yield m;
        if (m.error) throw fromErrorData(m.error);
      }
    }

    try {
      // A fault of the input itself (a truncated or corrupt gzip stream, a read error) ends the
      // split; the batches before it are still decoded and handed out, then it is thrown: one
      // thread prints every event before such a fault too.
      let inputFault: { error: unknown } | undefined;
      const batches = splitBatches(this.source, () => sizer.next(), buffers)[Symbol.asyncIterator]();
      for (;;) {
        let step: IteratorResult<Batch>;
        try {
          step = await batches.next();
        } catch (error) {
          inputFault = { error };
          break;
        }
        if (step.done) break;
        const batch = step.value;
        const seq = nextSeq++;
        lengths.set(seq, batch.length);
        if (seq === 1) {
          startWorkers();
          for (const p of pool) send(p, 0, inFlight.get(0)!, firstLength, false);
        }
        if (seq === 0) firstLength = batch.length;
        inFlight.set(seq, batch.bytes);
        // Batch 0 is this thread's (no worker runs yet); then a worker's unless all have their queue.
        const owner = pickOwner(pool.map((p) => p.queued));
        if (owner > 0) { owners.set(seq, owner); pool[owner - 1]!.queued++; }
        pool.forEach((p, i) => send(p, seq, batch.bytes, batch.length, owner === i + 1));
        const mine = local.feed(new Uint8Array(batch.bytes, 0, batch.length), owner === 0);
        if (owner === 0) { results.set(seq, { seq, ...mine.results, owner }); observe({ seq, ...mine.results }); }
        release();
        // Backpressure: the slowest worker and the consumer bound what is in flight.
        while (nextSeq - 1 - lowestDone() > MAX_BATCHES_AHEAD_PER_WORKER * n) {
          yield* ready();
          if (nextSeq - 1 - lowestDone() > MAX_BATCHES_AHEAD_PER_WORKER * n) { flush(); await progress(); }
        }
        yield* ready();
        if (pool.length > 0) await turn();
      }
      flush();
      while (nextOut < nextSeq) {
        yield* ready();
        if (nextOut < nextSeq && !crash) await progress();
      }
      if (inputFault) throw inputFault.error;
      const summary = local.finish();
      this.summary = summary && { ...summary, skippedFrames };
    } finally {
      this.giveBackTo = undefined;
      await Promise.all(pool.map((p) => p.worker.terminate()));
    }
  }
}
