/** Messages between ts/hash/hasher.ts and its worker (ts/hash/hash_worker.ts). */

/** Hash the file open on descriptor `fd` (of this process) from its first byte, at most `maxBytes`. */
export interface HashRequest {
  id: number;
  fd: number;
  maxBytes: number;
}

/** The digest of the bytes read, or why there is none (an errno code, or TOO_LARGE). */
export type HashReply =
  | { id: number; digest: Uint8Array; bytes: number }
  | { id: number; error: string };

/** HashReply.error when the file held more than maxBytes. */
export const TOO_LARGE = 'TOO_LARGE';
