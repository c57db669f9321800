/**
 * SHA-256 of executables, once per file identity (st_dev, st_ino, ctime, mtime, size), on
 * threads of their own (hash_worker.ts) so that an exec storm never stalls decoding. A bounded
 * LRU cache of digests by identity; a file larger than the size limit is not hashed. The
 * identity is read with fstat on the descriptor before and after the bytes are: a file that
 * changed while it was read gives no digest (never one of bytes the exec did not run).
 * Up to `threads` files are read at once, the smallest waiting file first: at a live start
 * every running process's executable is asked for together (ts/hash/annotate.ts), and one
 * large file (node, 99 MB) read first kept every small one past its wait. The threads start
 * with the hasher, before the first file is asked for: started by the first request, a
 * thread's start (0.4–0.5 s on the loaded 2-vCPU VM) made every running process's executable
 * miss the default 500 ms wait.
 */
import { Worker } from 'node:worker_threads';
import type { FileHandle } from 'node:fs/promises';
import { TOO_LARGE, type HashReply, type HashRequest } from './messages.js';

/** Identities whose digest is kept (least recently used dropped first). */
export const DEFAULT_HASH_CACHE_ENTRIES = 4096;
/** Largest file hashed, bytes (256 MiB: bigger than any usual executable; a bigger one is "too_large"). */
export const DEFAULT_HASH_MAX_BYTES = 256 * 1024 * 1024;
/**
 * Hashing threads (files read at once). Hashing is CPU-bound (files in the page cache) and the
 * decoding thread needs a core too: 2 on the 2-vCPU VM let a small file be read beside a large one.
 */
export const DEFAULT_HASH_THREADS = 2;

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
  /** Hashing threads, at least 1 (default DEFAULT_HASH_THREADS). */
  threads?: number;
}

interface Digest { digest: Uint8Array; dev: bigint; size: bigint }

/** A read waiting for a thread: its request, the file's size in bytes (the queue's order), who waits. */
interface Waiting { req: HashRequest; size: bigint; done: (r: HashReply) => void }

/** A hashing thread and the read it is doing. */
interface HashThread { worker: Worker; running: Waiting | undefined }

/** Hashes open files on a worker thread, with a cache by identity. */
export class ExeHasher {
  /** Digests computed (files read), cache hits, and files read per cause of failure. */
  readonly counts = { hashed: 0, cacheHits: 0, changed: 0, notFile: 0, tooLarge: 0, readError: 0 };
  private readonly cache = new Map<string, Promise<Digest | HashMissingCause>>();
  /** Reads not started, smallest file first. */
  private readonly waiting: Waiting[] = [];
  private readonly threads: HashThread[] = [];
  /** Set by {@link close}: a request after it fails at once instead of starting a new thread. */
  private closed = false;
  private nextId = 1;
  private readonly cacheEntries: number;
  private readonly maxBytes: number;
  private readonly maxThreads: number;

  constructor(opts: ExeHasherOptions = {}) {
    this.cacheEntries = opts.cacheEntries ?? DEFAULT_HASH_CACHE_ENTRIES;
    this.maxBytes = opts.maxBytes ?? DEFAULT_HASH_MAX_BYTES;
    this.maxThreads = Math.max(1, opts.threads ?? DEFAULT_HASH_THREADS);
    for (let i = 0; i < this.maxThreads; i++) this.startThread();
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
      const job = this.read(fh, st.dev, st.ino, st.ctimeNs, st.mtimeNs, st.size);
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

  /** Stops the hashing threads (reads not finished fail). */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.done({ id: w.req.id, error: 'CLOSED' });
    await Promise.all(this.threads.splice(0).map((t) => t.worker.terminate()));
  }

  private miss(cause: HashMissingCause): HashOutcome {
    const key = ({ changed: 'changed', not_file: 'notFile', too_large: 'tooLarge', read_error: 'readError' } as const)[cause];
    this.counts[key]++;
    return { missing: cause };
  }

  /** Reads and hashes `fh` (of `size` bytes) on a worker, checks the identity is unchanged after, closes it. */
  private async read(fh: FileHandle, dev: bigint, ino: bigint, ctimeNs: bigint, mtimeNs: bigint, size: bigint): Promise<Digest | HashMissingCause> {
    try {
      const reply = await this.request({ id: this.nextId++, fd: fh.fd, maxBytes: this.maxBytes }, size);
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

  /** Queues `req` (a file of `size` bytes) behind the smaller files waiting; answered by a thread. */
  private request(req: HashRequest, size: bigint): Promise<HashReply> {
    if (this.closed) return Promise.resolve({ id: req.id, error: 'CLOSED' });
    return new Promise((done) => {
      let at = this.waiting.length;
      while (at > 0 && this.waiting[at - 1]!.size > size) at--;
      this.waiting.splice(at, 0, { req, size, done });
      this.dispatch();
    });
  }

  /** Starts the smallest waiting reads on the idle threads, starting threads up to the limit. */
  private dispatch(): void {
    while (this.waiting.length > 0) {
      let t = this.threads.find((x) => x.running === undefined);
      if (!t && this.threads.length < this.maxThreads) t = this.startThread();
      if (!t) return;
      t.running = this.waiting.shift()!;
      t.worker.postMessage(t.running.req);
    }
  }

  private startThread(): HashThread {
    const t: HashThread = { worker: new Worker(new URL('./hash_worker.js', import.meta.url)), running: undefined };
    t.worker.unref();
    t.worker.on('message', (r: HashReply) => {
      const w = t.running;
      t.running = undefined;
      w?.done(r);
      this.dispatch();
    });
    // A thread that fails fails its read only; the waiting ones go to the others (or a new one).
    const fail = (error: string): void => {
      const at = this.threads.indexOf(t);
      if (at < 0) return;
      this.threads.splice(at, 1);
      const w = t.running;
      t.running = undefined;
      w?.done({ id: w.req.id, error });
      if (!this.closed) this.dispatch();
    };
    t.worker.on('error', (e) => fail(String(e)));
    t.worker.on('exit', () => fail('EXITED'));
    this.threads.push(t);
    return t;
  }
}
