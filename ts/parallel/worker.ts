/**
 * A decode worker: one replica of the decoder (ts/parallel/replica.ts) in its
 * own thread, running the job module named in its workerData on the plan sent
 * with it, fed every batch in stream order by the pool (ts/parallel/pool.ts);
 * it answers each batch it owns with its results, and the others when asked. Batches that arrive
 * while the job module loads wait in the port (it starts with the listener).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createReplica } from './replica.js';
import { adoptWasmModule } from '../pipeline/wasm.js';
import type { JobModule } from './job.js';
import type { BatchDone, BatchMessage, WorkerInit } from './messages.js';

const port = parentPort!;
const init = workerData as WorkerInit;
adoptWasmModule(init.wasm, init.description);
const jobModule = init.job !== undefined ? (await import(init.job)) as JobModule<unknown, unknown> : undefined;
const replica = createReplica(jobModule, init.plan);

/** The pool's batch buffers by slot, as each was first sent. */
const slots: SharedArrayBuffer[] = [];

port.on('message', (msg: BatchMessage) => {
  if (msg.reuse) replica.reuse(msg.reuse);
  if (msg.bytes && msg.slot >= 0) slots[msg.slot] = msg.bytes;
  const bytes = msg.bytes ?? slots[msg.slot]!;
  const { results, transfer } = replica.feed(new Uint8Array(bytes, 0, msg.length), msg.owned);
  if (msg.owned || msg.answer) port.postMessage({ seq: msg.seq, ...results } satisfies BatchDone, transfer);
});
