/**
 * Who decodes each batch for output (ts/parallel/pool.ts). Every replica walks every batch's
 * state-changing frames; only the owner filters and formats its events. The caller's thread
 * also splits the stream and writes the output: with a fixed share of the batches (seq mod N)
 * it was the bottleneck (JSON of every event of the generated 3 M-event capture: the worker idle
 * 43 % of the time, 2 threads no faster than 1). So the workers are kept busy first, and the
 * caller's thread decodes a batch only when every worker already has its queue of owned batches:
 * the split and the writes get the time they need, and the caller's thread fills the rest.
 */

/**
 * Owned batches a worker may have been sent and not yet answered before the caller's thread
 * decodes the next one itself. A worker whose queue runs dry sleeps, and on a loaded machine
 * gets its core back milliseconds later: with a queue of 2 the worker of `--workers 2` waited
 * that way for ~2.3 s of a 7.7 s run (load 2.7); 3 keeps a batch in its port while this thread
 * decodes one of its own and the answers come in.
 */
export const WORKER_QUEUE_BATCHES = 3;

/**
 * The owner of the next batch: `0` for the caller's thread, `i + 1` for worker `i`.
 * `queued[i]`: owned batches sent to worker `i` and not yet decoded (empty while no worker
 * runs). The worker with the fewest queued (the lowest index among equals) when it has fewer
 * than `queue`; otherwise the caller's thread.
 */
export function pickOwner(queued: readonly number[], queue = WORKER_QUEUE_BATCHES): number {
  let best = -1;
  for (let i = 0; i < queued.length; i++) {
    if (queued[i]! < queue && (best < 0 || queued[i]! < queued[best]!)) best = i;
  }
  return best + 1;
}
