/**
 * A decode worker: one replica of the decoder (ts/parallel/replica.ts) in its
 * own thread, fed every batch in stream order by the pool (ts/parallel/pool.ts);
 * it answers each with the results of the batches it owns.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createReplica } from './replica.js';
import type { BatchDone, BatchMessage, WorkerInit } from './messages.js';

const port = parentPort!;
const replica = createReplica((workerData as WorkerInit).task);

port.on('message', (msg: BatchMessage) => {
  const results = replica.feed(new Uint8Array(msg.bytes, 0, msg.length), msg.owned);
  port.postMessage({ seq: msg.seq, ...results } satisfies BatchDone, results.output ? [results.output.buffer as ArrayBuffer] : []);
});
