/**
 * The hashing thread of ts/hash/hasher.ts: SHA-256 (Node's crypto) of a file descriptor's
 * bytes, read with pread in 1 MiB pieces, so that hashing never runs on the thread that
 * decodes the stream. One request at a time, in order.
 */
import { parentPort } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { TOO_LARGE, type HashReply, type HashRequest } from './messages.js';

/** Bytes read per pread. */
const READ_BYTES = 1 << 20;
const buf = Buffer.allocUnsafe(READ_BYTES);

function hash(req: HashRequest): HashReply {
  try {
    const h = createHash('sha256');
    let pos = 0;
    for (;;) {
      const n = readSync(req.fd, buf, 0, READ_BYTES, pos);
      if (n === 0) break;
      pos += n;
      if (pos > req.maxBytes) return { id: req.id, error: TOO_LARGE };
      h.update(buf.subarray(0, n));
    }
    return { id: req.id, digest: new Uint8Array(h.digest()), bytes: pos };
  } catch (e) {
    return { id: req.id, error: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
}

parentPort!.on('message', (req: HashRequest) => parentPort!.postMessage(hash(req)));
