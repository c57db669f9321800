/**
 * A decode worker: a full replica of the decoder (its own Wasm instance and
 * thread table). Every worker scans every batch in order, so every replica has
 * the same thread table at every frame; only the owner of a batch filters,
 * extracts and formats its events (ts/parallel/pool.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EventPrinter } from '../event_printer.js';
import { isScapdriftError, toErrorData, ScapdriftError, ErrorCode, type ScapdriftErrorData } from '../errors.js';
import type { FromWorker, ToWorker, WorkerInit } from './messages.js';

const port = parentPort!;
const init = workerData as WorkerInit;
let lines: string[] = [];
let skipped: string[] = [];
// Rule warnings are printed once by the main thread; skipped frames travel with their batch.
const printer = new EventPrinter(init.options, (line) => lines.push(line), () => {}, (message) => skipped.push(message));
const encoder = new TextEncoder();
let failed = false;

function errorData(e: unknown): ScapdriftErrorData {
  if (isScapdriftError(e)) return toErrorData(e);
  return toErrorData(new ScapdriftError(ErrorCode.IO, `decode worker failed: ${e instanceof Error ? e.message : String(e)}`));
}

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

port.on('message', (msg: ToWorker) => {
  if (msg.kind === 'finish') {
    try {
      post({ kind: 'finished', summary: printer.decoder.finish() });
    } catch (e) {
      post({ kind: 'finished', error: errorData(e) });
    }
    return;
  }
  if (failed) { post({ kind: 'done', seq: msg.seq }); return; }
  let error: ScapdriftErrorData | undefined;
  try {
    printer.decoder.feed(new Uint8Array(msg.bytes, 0, msg.length), printer.handlers, msg.owned);
  } catch (e) {
    failed = true; // the replica's state is undefined past a fault; the owner reports it
    error = errorData(e);
  }
  const mine = skipped;
  skipped = [];
  if (!msg.owned) { post({ kind: 'done', seq: msg.seq }); lines = []; return; }
  const output = lines.length ? encoder.encode(lines.join('\n') + '\n') : undefined;
  lines = [];
  post({ kind: 'done', seq: msg.seq, ...(output ? { output } : {}), ...(mine.length ? { skipped: mine } : {}), ...(error ? { error } : {}) }, output ? [output.buffer as ArrayBuffer] : []);
});
