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
 * this thread the bottleneck. A worker owns no batch until it is ready
 * (WorkerReady: 50–200 ms after it is started, at the start of a large input):
 * this thread decodes meanwhile instead of waiting for results held by a worker
 * still starting. This thread lets its event loop turn after
 * every batch while workers run: the workers' answers (which free their queue
 * and the shared buffers) and the writes' callbacks (which hand output buffers
 * back) come in there, not only when it waits.
 *
 * Memory stays bounded: at most {@link batchesAhead}(N) batches are in flight
 * beyond the slowest ready worker (and BATCHES_WHILE_STARTING full ones while one
 * starts), each worker's young generation is capped
 * (WORKER_YOUNG_GENERATION_MIB), their shared buffers are reused, no
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
import type { BatchDone, BatchMessage, BatchRef, WorkerInit, WorkerReady } from './messages.js';
import { pickOwner, WORKER_QUEUE_BATCHES } from './owners.js';

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
/** Batches in flight with no thread, before one per decoding thread ({@link batchesAhead}). */
const BATCHES_AHEAD_BASE = 6;
/**
 * Batches sent beyond the last one every worker has finished, for `n` decoding threads:
 * BATCHES_AHEAD_BASE plus one per thread, and never fewer than the workers' queues of owned
 * batches (ts/parallel/owners.ts WORKER_QUEUE_BATCHES) and one of this thread's. 2 threads: 8, as
 * before; 4: 10. At 4 per thread (16 batches at 4 threads) the JSON of every event of busy.scap on
 * 4 threads peaked at 161–172 MiB, over the 150 MiB bound (12 batches: 143–146 MiB, 10: 140–143
 * MiB): each batch in flight holds a shared buffer, output pieces and messages, and this
 * thread's heap grows with them.
 */
function batchesAhead(n: number): number {
  return Math.max(BATCHES_AHEAD_BASE + n, WORKER_QUEUE_BATCHES * (n - 1) + 1);
}
/**
 * V8 young generation of a decode worker, MiB (Worker resourceLimits.maxYoungGenerationSizeMb):
 * a worker keeps little of what it allocates (messages, views, its job's per-batch objects), but
 * V8 grew its new space to 8 MiB in each (16 MiB of heap per worker, 6–7 MiB used). Capped at 3,
 * the JSON of every event of busy.scap on 4 threads peaked 8–15 MiB lower for the same CPU, and
 * `--json --workers 2` of the generated 3 M-event capture took no more CPU.
 */
const WORKER_YOUNG_GENERATION_MIB = 3;
/**
 * Input the batches in flight may hold while a worker is starting, beyond the window above, in
 * full batches (BATCH_BYTES each): this thread decodes every batch until the workers are ready
 * (WorkerReady), then waits for them, and they walk these batches first. 8 MiB is ~80 ms of this
 * thread's decoding of the default JSON (a worker takes 50–200 ms to start on the benchmark VM),
 * ~8 batches when little is printed; the shared buffers' touched pages stay with the pool, so
 * more would raise the peak RSS that `--workers 4` keeps under 150 MiB.
 */
const BATCHES_WHILE_STARTING = 8;
/**
 * Walk-only batches held for a worker before they go without an owned batch (BatchMessage walk):
 * the pool then knows where each worker is to within this many batches, less than the
 * backpressure window ({@link batchesAhead}), so a worker that has caught up never
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
  /** Its job module is loaded and its replica made (WorkerReady): it may own batches. */
  ready: boolean;
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

  /** The running decode, during the iteration. */
  private run: PoolRun<P> | undefined;

  /** `everyEvent`: the job makes output for every event (the first batches are cut small: ts/parallel/batch_size.ts). */
  constructor(private readonly source: ByteSource, private readonly job: JobSpec<P> | undefined, private readonly n: number, private readonly everyEvent = false) {}

  /**
   * Hands the buffers of `batch`'s result (its `transfer` list) back to the replica that made
   * them, once the consumer is done with them (written out): its job reuses them (Job.reuse).
   * Buffers given back after the iteration ended are dropped.
   */
  giveBack(batch: BatchOutput, buffers: ArrayBuffer[]): void {
    if (buffers.length > 0) this.run?.giveBack(batch.owner, buffers);
  }

  /*
   * This generator only drives a PoolRun, whose methods hold the work: V8 optimises a hot async
   * generator as one graph with everything it inlines, and this one, with the pool's logic in
   * its closures, was compiled twice per run at 50–260 ms each on a background thread that
   * competes with the two decoding threads for the VM's two vCPUs.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<BatchOutput> {
    const jobModule = this.job ? (await import(this.job.module.href)) as JobModule<P, unknown> : undefined;
    const run = new PoolRun(this.job, jobModule, this.n, this.everyEvent, this.source.expectedBytes);
    this.run = run;
    try {
      // A fault of the input itself (a truncated or corrupt gzip stream, a read error) ends the
      // split; the batches before it are still decoded and handed out, then it is thrown: one
      // thread prints every event before such a fault too.
      let inputFault: { error: unknown } | undefined;
      const batches = splitBatches(this.source, () => run.sizer.next(), run.buffers)[Symbol.asyncIterator]();
      for (;;) {
        let step: IteratorResult<Batch>;
        try {
          step = await batches.next();
        } catch (error) {
          inputFault = { error };
          break;
        }
        if (step.done) break;
        run.dispatch(step.value);
        // Backpressure: the slowest worker and the consumer bound what is in flight.
        for (;;) {
          for (let m = run.takeReady(); m; m = run.takeReady()) yield m;
          if (!run.overWindow()) break;
          await run.progress();
        }
        if (run.hasWorkers()) await turn();
      }
      while (!run.allOut()) {
        for (let m = run.takeReady(); m; m = run.takeReady()) yield m;
        if (!run.allOut()) await run.progress();
      }
      if (inputFault) throw inputFault.error;
      this.summary = run.finish();
    } finally {
      this.run = undefined;
      await run.close();
    }
  }
}

/** Lets the event loop turn once (messages, I/O callbacks), then resolves. */
function turn(): Promise<void> {
  return new Promise((r) => { setImmediate(r); });
}

/** The state of one parallel decode: the replicas, the batches in flight and the results not handed out. */
class PoolRun<P> {
  /** Pooled shared buffers of the batches (the splitter fills them). */
  readonly buffers = new BatchBuffers(BATCH_BYTES + BATCH_SLACK_BYTES);
  /** Sizes the batches by their output (the splitter asks it before each cut). */
  readonly sizer: BatchSizer;
  /** Replica 0, on this thread: owner 0. */
  private readonly local: ReturnType<typeof createReplica>;
  private readonly init: WorkerInit;
  /** The workers (see the constructor for when they start). */
  private readonly pool: PoolWorker[] = [];
  /** seq → the batch's buffer (and its length) while some worker still reads it. */
  private readonly inFlight = new Map<number, { bytes: SharedArrayBuffer; length: number }>();
  /** Bytes of the batches in `inFlight`. */
  private bytesInFlight = 0;
  private readonly results = new Map<number, BatchOutput>();
  /** seq → owner, until its owner has answered. */
  private readonly owners = new Map<number, number>();
  private crash: Error | undefined;
  /** The fault of the batch handed out last: thrown at the next take. */
  private fault: Error | undefined;
  private wake: (() => void) | undefined;
  /** Next batch to send. */
  private nextSeq = 0;
  /** Next batch to hand out. */
  private nextOut = 0;
  /** Corrupt frames skipped, as reported by the owners; other replicas do not validate those frames. */
  private skippedFrames = 0;

  /**
   * `expectedBytes`: the input's size as known before reading (ByteSource.expectedBytes): above
   * one batch the workers start at once, while this thread makes its own replica and reads;
   * otherwise at the second batch (an input of one batch is decoded here alone, with no worker
   * to start).
   */
  constructor(job: JobSpec<P> | undefined, jobModule: JobModule<P, unknown> | undefined, private readonly n: number, everyEvent: boolean, expectedBytes: number | undefined) {
    this.init = { ...(job ? { job: job.module.href, plan: job.plan } : {}), wasm: wasmModule(), description: decoderDescription() };
    if (n > 1 && (expectedBytes ?? 0) > BATCH_BYTES) this.startWorkers();
    this.local = createReplica(jobModule, job?.plan as P);
    this.sizer = new BatchSizer(BATCH_BYTES, OUTPUT_BYTES_IN_FLIGHT / batchesAhead(n), everyEvent);
  }

  hasWorkers(): boolean {
    return this.pool.length > 0;
  }

  /** Every batch sent has been handed out. */
  allOut(): boolean {
    return this.nextOut >= this.nextSeq;
  }

  /**
   * More batches in flight than the backpressure window allows: counted from the slowest ready
   * worker, and in bytes while a worker is starting.
   */
  overWindow(): boolean {
    if (this.nextSeq - 1 - this.lowestDone(true) > batchesAhead(this.n)) return true;
    return this.pool.some((p) => !p.ready) && this.bytesInFlight > BATCHES_WHILE_STARTING * BATCH_BYTES;
  }

  /** Gives a batch's written buffers back to the replica that made them (0: this thread's). */
  giveBack(owner: number, buffers: ArrayBuffer[]): void {
    if (owner === 0) this.local.reuse(buffers);
    else this.pool[owner - 1]?.reuse.push(...buffers);
  }

  /** Sends `batch` to every replica (this thread's decodes it at once) under the next seq, with its owner. */
  dispatch(batch: Batch): void {
    const pool = this.pool;
    const seq = this.nextSeq++;
    if (seq === 1 && pool.length < this.n - 1) this.startWorkers();
    this.inFlight.set(seq, { bytes: batch.bytes, length: batch.length });
    this.bytesInFlight += batch.length;
    // This thread's while no worker is ready; then a ready worker's unless all have their queue.
    const owner = pickOwner(pool.map((p) => (p.ready ? p.queued : Infinity)));
    if (owner > 0) { this.owners.set(seq, owner); pool[owner - 1]!.queued++; }
    for (let i = 0; i < pool.length; i++) this.send(pool[i]!, seq, batch.bytes, batch.length, owner === i + 1);
    const mine = this.local.feed(batch.view, owner === 0);
    if (owner === 0) {
      const done: BatchOutput = { seq, ...mine.results, owner };
      this.results.set(seq, done);
      this.observe(done);
    }
    this.release();
  }

  /**
   * The next batch's results in stream order, or undefined while they are not in; throws a
   * worker's failure, or the fault of the batch handed out before (after its results).
   */
  takeReady(): BatchOutput | undefined {
    if (this.fault) throw this.fault;
    if (this.crash) throw this.crash;
    const m = this.results.get(this.nextOut);
    if (!m) return undefined;
    this.results.delete(this.nextOut);
    this.nextOut++;
    this.skippedFrames += m.skipped?.length ?? 0;
    if (m.error) this.fault = fromErrorData(m.error);
    return m;
  }

  /** Sends the workers their held batches, then resolves at the next message from a worker. */
  progress(): Promise<void> {
    this.flush();
    return new Promise((r) => { this.wake = r; });
  }

  /** The totals of the stream (this thread's replica), with the frames skipped by every owner. */
  finish(): DecodeSummary | undefined {
    const summary = this.local.finish();
    return summary && { ...summary, skippedFrames: this.skippedFrames };
  }

  /** Terminates every worker. */
  async close(): Promise<void> {
    await Promise.all(this.pool.map((p) => p.worker.terminate()));
  }

  private signal(): void {
    this.wake?.();
    this.wake = undefined;
  }

  /**
   * The highest seq every worker (every ready one: `readyOnly`) has finished. Until the workers
   * start, batch 0 is kept for them (they start at batch 1 and need every batch); with n = 1
   * every batch sent is done.
   */
  private lowestDone(readyOnly = false): number {
    if (this.n === 1) return this.nextSeq - 1;
    if (this.pool.length === 0) return -1;
    let low = this.nextSeq - 1;
    for (const p of this.pool) if (p.ready || !readyOnly) low = Math.min(low, p.doneSeq);
    return low;
  }

  /** Returns the shared buffers every replica has finished with. */
  private release(): void {
    const low = this.lowestDone();
    for (const [seq, { bytes, length }] of this.inFlight) {
      if (seq > low) break;
      this.buffers.give(bytes);
      this.inFlight.delete(seq);
      this.bytesInFlight -= length;
    }
  }

  private observe(m: BatchDone): void {
    // In flight still: its owner (and so the slowest replica) has only now finished it.
    this.sizer.observe(this.inFlight.get(m.seq)?.length ?? 0, m.outputBytes ?? 0);
  }

  /**
   * Gives batch `seq` to a worker: its buffer's slot (the buffer itself the first time). A
   * walk-only batch is held until the worker's next owned batch, or until WALK_BATCHES_HELD are.
   */
  private send(p: PoolWorker, seq: number, bytes: SharedArrayBuffer, length: number, owned: boolean): void {
    const slot = this.buffers.slot(bytes);
    const first = slot < 0 || !p.known.has(slot);
    if (slot >= 0) p.known.add(slot);
    const ref: BatchRef = { seq, slot, ...(first ? { bytes } : {}), length };
    if (!owned && p.held.length < WALK_BATCHES_HELD - 1) { p.held.push(ref); return; }
    this.post(p, ref, owned);
  }

  /** Posts `ref` to a worker with its held walk-only batches and its written buffers. */
  private post(p: PoolWorker, ref: BatchRef, owned: boolean): void {
    const reuse = p.reuse;
    p.reuse = [];
    const walk = p.held;
    p.held = [];
    p.worker.postMessage({ ...ref, ...(walk.length ? { walk } : {}), owned, ...(reuse.length ? { reuse } : {}) } satisfies BatchMessage, reuse);
  }

  /** Sends every worker its held batches: before this thread waits for the workers. */
  private flush(): void {
    for (const p of this.pool) {
      const last = p.held.pop();
      if (last) this.post(p, last, false);
    }
  }

  private answered(p: PoolWorker, i: number, m: BatchDone): void {
    p.doneSeq = m.seq;
    if (this.owners.get(m.seq) === i + 1) {
      this.owners.delete(m.seq);
      p.queued--;
      this.results.set(m.seq, { ...m, owner: i + 1 });
      this.observe(m);
    }
    this.release();
  }

  /** Starts the N − 1 workers and sends them the batches already decoded here (walk-only). */
  private startWorkers(): void {
    for (let i = 0; i < this.n - 1; i++) this.pool.push(this.startWorker(i));
    for (const [seq, { bytes, length }] of this.inFlight) for (const p of this.pool) this.send(p, seq, bytes, length, false);
  }

  private startWorker(i: number): PoolWorker {
    const p: PoolWorker = { worker: new Worker(WORKER_URL, { workerData: this.init, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MIB } }), doneSeq: -1, reuse: [], known: new Set(), queued: 0, ready: false, held: [] };
    p.worker.on('message', (m: BatchDone | WorkerReady) => {
      if ('ready' in m) p.ready = true;
      else this.answered(p, i, m);
      this.signal();
    });
    p.worker.on('error', (e) => { this.crash ??= new ScapdriftError(ErrorCode.IO, `decode worker ${i + 1} failed: ${e.message}`); this.signal(); });
    p.worker.on('exit', (code) => { if (code !== 0) { this.crash ??= new ScapdriftError(ErrorCode.IO, `decode worker ${i + 1} exited with code ${code}`); this.signal(); } });
    return p;
  }
}
