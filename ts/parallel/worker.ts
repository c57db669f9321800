/**
 * A decode worker: one replica of the decoder (ts/parallel/replica.ts) in its
 * own thread, running the job module named in its workerData on the plan sent
 * with it, fed every batch in stream order by the pool (ts/parallel/pool.ts);
 * it answers each message once, with its results when it owns the message's batch. Batches that arrive
 * while the job module loads wait in the port (it starts with the listener).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createReplica } from './replica.js';
import { adoptWasmModule } from '../pipeline/wasm.js';
import type { JobModule } from './job.js';
import type { BatchDone, BatchMessage, BatchRef, WorkerInit, WorkerReady } from './messages.js';

const port = parentPort!;
const init = workerData as WorkerInit;
adoptWasmModule(init.wasm, init.description);
/**
 * Loads the job module, then serves the batches. No top-level await: the command line's bundle
 * is CommonJS (scripts/build_cli.mjs). A rejection ends the worker with its error, as a failed
 * module evaluation did.
 */
async function serve(): Promise<void> {
  const jobModule = init.job !== undefined ? (await import(init.job)) as JobModule<unknown, unknown> : undefined;
  const replica = createReplica(jobModule, init.plan);
  port.postMessage({ ready: true } satisfies WorkerReady);

  /** The pool's batch buffers by slot, as each was first sent. */
  const slots: SharedArrayBuffer[] = [];

  /** The bytes of a batch as sent: a buffer it brings, or the slot's. */
  const batchBytes = (ref: BatchRef): Uint8Array => {
    if (ref.bytes && ref.slot >= 0) slots[ref.slot] = ref.bytes;
    return new Uint8Array(ref.bytes ?? slots[ref.slot]!, 0, ref.length);
  };

  port.on('message', (msg: BatchMessage) => {
    if (msg.reuse) replica.reuse(msg.reuse);
    for (const ref of msg.walk ?? []) replica.feed(batchBytes(ref), false);
    const { results, transfer } = replica.feed(batchBytes(msg), msg.owned);
    port.postMessage({ seq: msg.seq, ...results } satisfies BatchDone, transfer);
  });
}
void serve();
