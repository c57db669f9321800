/**
 * scapdrift's exe-hash metadata event (SD_EXE_HASH_E): the SHA-256 of the file an execve
 * ran, put in the stream just before that execve's exit event. Layout and meaning:
 * assembly/exe_hash.ts, which reads it (test/exe_hash.test.ts checks both sides agree on the
 * id). Its id is far above libs' PPM_EVENT_MAX: libscap skips such events as "from a newer
 * driver" (userspace/libscap/engine/savefile/scap_savefile.c, `type >= PPM_EVENT_MAX`), so
 * Falco's tools read a recording that carries them with the same events.
 */
import { ScapWriter } from '../scap/writer.js';

/** Event id of SD_EXE_HASH_E (assembly/exe_hash.ts SD_EXE_HASH_E). */
export const SD_EXE_HASH_E = 0xfe00;
/** Bytes of a SHA-256 digest. */
export const SHA256_BYTES = 32;

/** What one SD_EXE_HASH_E event says. */
export interface ExeHashRecord {
  /** ts and tid of the execve exit it precedes (epoch ns). */
  ts: bigint;
  tid: bigint;
  /** cpu id of that event's block. */
  cpu: number;
  /** The executable's identity as the execve exit gave it: inode, ctime and mtime (epoch ns). */
  ino: bigint;
  ctimeNs: bigint;
  mtimeNs: bigint;
  /** SHA-256 of the executable (a script's own bytes). */
  sha256: Uint8Array;
  /** SHA-256 of the interpreter of a `#!` script, when it is one and was hashed. */
  interpreterSha256?: Uint8Array | undefined;
  /** st_dev and st_size of the file hashed. */
  dev: bigint;
  size: bigint;
}

function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}

/** The SD_EXE_HASH_E block (EV_BLOCK_TYPE_V2) for `r`, written by the project's ScapWriter. */
export function exeHashBlock(r: ExeHashRecord): Uint8Array {
  let block: Uint8Array | undefined;
  // Streaming mode with the smallest chunk: the block is handed over as soon as it is written.
  const w = new ScapWriter({ chunkBytes: 64, write: (c) => { block = block ? concat(block, c) : c; } });
  w.event(r.cpu, {
    ts: r.ts, tid: r.tid, type: SD_EXE_HASH_E,
    params: [u64(r.ino), u64(r.ctimeNs), u64(r.mtimeNs), r.sha256, r.interpreterSha256 ?? new Uint8Array(0), u64(r.dev), u64(r.size)],
  });
  w.finish();
  return block!;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
