/**
 * Worker thread that gunzips a large gzip capture file while the main thread decodes: reads the
 * file (the main thread's descriptor, positional reads), runs {@link GzipMembers} on it — the same
 * container checks, zlib inflate and errors as on the main thread, with zlib output chunks of up
 * to min(chunkBytes, 1 MiB) instead of 64 KiB; at corrupt deflate data the member is inflated
 * again from the file, so nothing is lost either — and posts the decompressed
 * bytes in chunks of up to `chunkBytes`, in order, at most `aheadBytes` of them unacknowledged
 * (backpressure: a stream built to expand 1032× waits here, not in memory). A fault is posted as
 * data after every chunk before it. Started by byte_source.ts ({@link GunzipWorkerData},
 * {@link GunzipMessage}).
 */

import { parentPort, workerData } from 'node:worker_threads';
import { ErrorCode, ScapdriftError, isScapdriftError, toErrorData } from '../errors.js';
import { preadFile } from './byte_source.js';
import { GZIP_INPUT_PIECE_BYTES, GZIP_WORKER_OUTPUT_CHUNK_BYTES, GzipMembers, type GunzipAck, type GunzipMessage, type GunzipWorkerData } from './gzip_members.js';

const { fd, size, inputName, chunkBytes, aheadBytes } = workerData as GunzipWorkerData;
const port = parentPort!;
/** Compressed bytes read so far. */
let consumed = 0;
/** Decompressed bytes posted and not yet acknowledged. */
let ahead = 0;
let resume: (() => void) | undefined;
/**
 * Buffers of posted chunks that the reader copied out and sent back: reused, since a fresh
 * buffer of a megabyte costs its page faults (more than the copy itself).
 */
const spare: ArrayBuffer[] = [];
port.on('message', (ack: GunzipAck) => {
  ahead -= ack.bytes;
  spare.push(ack.buffer);
  if (ahead < aheadBytes) resume?.();
});

/** The chunk being filled, and how many of its bytes are. */
let batch = new Uint8Array(chunkBytes);
let filled = 0;

function post(message: GunzipMessage): void {
  port.postMessage(message, message.kind === 'chunk' ? [message.chunk.buffer as ArrayBuffer] : []); // a batch's own buffer, never shared
}

/** Posts the filled part of the batch, first waiting while `aheadBytes` are unacknowledged. */
async function flush(): Promise<void> {
  if (filled === 0) return;
  while (ahead >= aheadBytes) await new Promise<void>((r) => (resume = r));
  resume = undefined;
  ahead += filled;
  post({ kind: 'chunk', chunk: batch.subarray(0, filled), consumed });
  batch = new Uint8Array(spare.pop() ?? new ArrayBuffer(chunkBytes));
  filled = 0;
}

/** Copies `bytes` into batches, posting each one that fills. */
async function take(bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.byteLength; ) {
    const n = Math.min(bytes.byteLength - at, chunkBytes - filled);
    batch.set(bytes.subarray(at, at + n), filled);
    filled += n;
    at += n;
    if (filled === chunkBytes) await flush();
  }
}

/** Reads the file at `position` into `target` (E_IO on a read error); bytes read. */
function pread(position: number, target: Uint8Array): number {
  return preadFile(fd, target, position, inputName);
}

async function run(): Promise<void> {
  const gunzip = new GzipMembers(inputName, Math.min(chunkBytes, GZIP_WORKER_OUTPUT_CHUNK_BYTES), pread);
  const raw = new Uint8Array(Math.min(chunkBytes, Math.max(size, 1)));
  try {
    for (;;) {
      // Everything inflated from the bytes before a read error is posted first.
      const n = pread(consumed, raw);
      if (n === 0) break;
      consumed += n;
      for (let at = 0; at < n; at += GZIP_INPUT_PIECE_BYTES) {
        for await (const chunk of gunzip.write(raw.subarray(at, Math.min(n, at + GZIP_INPUT_PIECE_BYTES)))) await take(chunk);
      }
    }
    for (const chunk of gunzip.finish()) await take(chunk);
    await flush();
    post({ kind: 'end', consumed });
  } catch (e) {
    await flush();
    const error = isScapdriftError(e) ? e : new ScapdriftError(ErrorCode.IO, `cannot read ${inputName}: ${String(e)}`);
    post({ kind: 'error', error: toErrorData(error), consumed });
  } finally {
    gunzip.destroy();
    port.unref(); // the worker ends once its last message is out
  }
}

void run();
