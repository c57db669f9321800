/**
 * A replica of the decoder for parallel decoding: its own Wasm instance and
 * thread table, fed every batch in stream order, so that every replica has the
 * same thread table at every frame; only for the batches it owns does it run
 * its job (ts/parallel/job.ts). One runs on the caller's thread, the others in
 * worker threads (ts/parallel/worker.ts).
 */
import type { DecodeSummary } from '../pipeline/decoder.js';
import { isScapdriftError, toErrorData, ScapdriftError, ErrorCode, type ScapdriftErrorData } from '../errors.js';
import type { JobModule } from './job.js';
import type { BatchResults } from './messages.js';

/** A replica; `feed` every batch in stream order, then `finish` once. */
export interface Replica {
  /** Decodes a batch; the job's results when `owned` (a fault of the batch as `error`), and the buffers to transfer. */
  feed(bytes: Uint8Array, owned: boolean): { results: BatchResults; transfer: ArrayBuffer[] };
  /** Hands buffers of an earlier result back to the job (Job.reuse). */
  reuse(buffers: ArrayBuffer[]): void;
  /** The totals of the stream (undefined without a job); throws its fault (truncation). */
  finish(): DecodeSummary | undefined;
}

function errorData(e: unknown): ScapdriftErrorData {
  if (isScapdriftError(e)) return toErrorData(e);
  return toErrorData(new ScapdriftError(ErrorCode.IO, `decoding failed: ${e instanceof Error ? e.message : String(e)}`));
}

const NOTHING = { results: {}, transfer: [] };

/** A replica running `jobModule`'s job on `plan`; without a job module, batches go back undecoded. */
export function createReplica<P>(jobModule: JobModule<P, unknown> | undefined, plan: P): Replica {
  let skipped: string[] = [];
  const job = jobModule?.createJob(plan, (message) => { skipped.push(message); });
  let failed = false;
  return {
    feed(bytes, owned) {
      if (!job || failed) return NOTHING;
      let error: ScapdriftErrorData | undefined;
      try {
        job.decoder.feed(bytes, job.handlers, owned);
      } catch (e) {
        failed = true; // the replica's state is undefined past a fault; the owner reports it
        error = errorData(e);
      }
      const mine = skipped;
      skipped = [];
      const collected = job.collect();
      if (!owned) return NOTHING;
      return {
        results: { ...(collected ? { result: collected.result } : {}), ...(collected?.outputBytes ? { outputBytes: collected.outputBytes } : {}), ...(mine.length ? { skipped: mine } : {}), ...(error ? { error } : {}) },
        transfer: collected?.transfer ?? [],
      };
    },
    reuse(buffers) {
      job?.reuse?.(buffers);
    },
    finish() {
      return job?.decoder.finish();
    },
  };
}
