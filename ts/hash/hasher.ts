/**
 * SHA-256 of executables, once per file identity (st_dev, st_ino, ctime, mtime, size), on a
 * thread of its own (hash_worker.ts) so that an exec storm never stalls decoding. A bounded
 * LRU cache of digests by identity; a file larger than the size limit is not hashed. The
 * identity is read with fstat on the descriptor before and after the bytes are: a file that
 * changed while it was read gives no digest (never one of bytes the exec did not run).
 */
import { Worker } from 'node:worker_threads';
import type { FileHandle } from 'node:fs/promises';
import { TOO_LARGE, type HashReply, type HashRequest } from './messages.js';

/** Identities whose digest is kept (least recently used dropped first). */
export const DEFAULT_HASH_CACHE_ENTRIES = 4096;
/** Largest file hashed, bytes (256 MiB: bigger than any usual executable; a bigger one is "too_large"). */
export const DEFAULT_HASH_MAX_BYTES = 256 * 1024 * 1024;

/** Why an executable has no digest. */
export type HashMissingCause =
  /** Its identity is not the one the execve reported (it changed, or the process exec'd again). */
  | 'changed'
  /** Not a regular file. */
  | 'not_file'
  /** Larger than the size limit. */
  | 'too_large'
  /** A read failed (errno in the counters' `read_error`). */
  | 'read_error';

export type HashOutcome =
  | { digest: Uint8Array; dev: bigint; size: bigint; cached: boolean }
  | { missing: HashMissingCause };

/** The identity an execve reported for its executable. */
export interface ExeIdentity {
  ino: bigint;
  ctimeNs: bigint;
  mtimeNs: bigint;
}

export interface ExeHasherOptions {
  cacheEntries?: number;
  maxBytes?: number;
}

interface Digest { digest: Uint8Array; dev: bigint; size: bigint }

/** Hashes open files on a worker thread, with a cache by identity. */
export class ExeHasher {
  /** Digests computed (files read), cache hits, and files read per cause of failure. */
  readonly counts = { hashed: 0, cacheHits: 0, changed: 0, notFile: 0, tooLarge: 0, readError: 0 };
  private readonly cache = new Map<string, Promise<Digest | HashMissingCause>>();
  private readonly pending = new Map<number, (r: HashReply) => void>();
  private worker: Worker | undefined;
  /** Set by {@link close}: a request after it fails at once instead of starting a new thread. */
  private closed = false;
  private nextId = 1;
  private readonly cacheEntries: number;
  private readonly maxBytes: number;

  constructor(opts: ExeHasherOptions = {}) {
    this.cacheEntries = opts.cacheEntries ?? DEFAULT_HASH_CACHE_ENTRIES;
    this.maxBytes = opts.maxBytes ?? DEFAULT_HASH_MAX_BYTES;
  }

  /**
   * The digest of the file open on `fh`, whose identity must be `expect` (when given).
   * Takes ownership of `fh`: it is closed once the digest is made (or at once on a cache hit).
   */
  async hash(fh: FileHandle, expect?: ExeIdentity): Promise<HashOutcome> {
    let owned = true;
    try {
      const st = await fh.stat({ bigint: true });
      if (expect && (st.ino !== expect.ino || st.ctimeNs !== expect.ctimeNs || st.mtimeNs !== expect.mtimeNs)) return this.miss('changed');
      if (!st.isFile()) return this.miss('not_file');
      if (st.size > BigInt(this.maxBytes)) return this.miss('too_large');
      const key = `${st.dev}:${st.ino}:${st.ctimeNs}:${st.mtimeNs}:${st.size}`;
      const hit = this.cache.get(key);
      if (hit) {
        this.cache.delete(key);
        this.cache.set(key, hit);
        const r = await hit;
        if (typeof r === 'string') return { missing: r };
        this.counts.cacheHits++;
        return { ...r, cached: true };
      }
      owned = false; // read() closes it
      const job = this.read(fh, st.dev, st.ino, st.ctimeNs, st.mtimeNs);
      this.cache.set(key, job);
      if (this.cache.size > this.cacheEntries) this.cache.delete(this.cache.keys().next().value!);
      const r = await job;
      if (typeof r === 'string') {
        this.cache.delete(key); // not kept: a later exec tries again
        return { missing: r };
      }
      return { ...r, cached: false };
    } catch {
      return this.miss('read_error');
    } finally {
      if (owned) await fh.close().catch(() => undefined); // a descriptor already gone has nothing to free
    }
  }

  /** Stops the hashing thread (pending requests fail). */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private miss(cause: HashMissingCause): HashOutcome {
    const key = ({ changed: 'changed', not_file: 'notFile', too_large: 'tooLarge', read_error: 'readError' } as const)[cause];
    this.counts[key]++;
    return { missing: cause };
  }

  /** Reads and hashes `fh` on the worker, checks the identity is unchanged after, closes it. */
  private async read(fh: FileHandle, dev: bigint, ino: bigint, ctimeNs: bigint, mtimeNs: bigint): Promise<Digest | HashMissingCause> {
    try {
      const reply = await this.request({ id: this.nextId++, fd: fh.fd, maxBytes: this.maxBytes });
      if ('error' in reply) {
        const cause = reply.error === TOO_LARGE ? 'too_large' : 'read_error';
        this.miss(cause);
        return cause;
      }
      const after = await fh.stat({ bigint: true });
      if (after.ino !== ino || after.ctimeNs !== ctimeNs || after.mtimeNs !== mtimeNs || after.size !== BigInt(reply.bytes)) {
        this.miss('changed');
        return 'changed';
      }
      this.counts.hashed++;
      return { digest: reply.digest, dev, size: after.size };
    } finally {
      await fh.close().catch(() => undefined); // a descriptor already gone has nothing to free
    }
  }

  private request(req: HashRequest): Promise<HashReply> {
    if (this.closed) return Promise.resolve({ id: req.id, error: 'CLOSED' });
    if (!this.worker) {
      const w = new Worker(new URL('./hash_worker.js', import.meta.url));
      w.unref();
      w.on('message', (r: HashReply) => { const done = this.pending.get(r.id); this.pending.delete(r.id); done?.(r); });
      w.on('error', (e) => this.failAll(String(e)));
      w.on('exit', () => this.failAll('EXITED'));
      this.worker = w;
    }
    return new Promise((resolve) => {
      this.pending.set(req.id, resolve);
      this.worker!.postMessage(req);
    });
  }

  private failAll(error: string): void {
    for (const [id, done] of this.pending) done({ id, error });
    this.pending.clear();
    this.worker = undefined;
  }
}
