// Keyed hashing for the open-addressing tables (thread table, file table's
// indexes and fd map). A capture chooses every tid, inode, pid and fd it
// carries: with an unkeyed hash it can put them all into one probe run and make
// decoding quadratic. The key is drawn at random for every decoder instance
// (ts/pipeline/wasm.ts, before any insert), so which slot a key lands in is not known
// outside the process; what the tables hold, and so every output, does not
// depend on it.

let key0: u64 = 0;
let key1: u64 = 0;

/** Sets the hash key (two random 64-bit words); called once, before the tables fill. */
export function setHashKey(k0: u64, k1: u64): void {
  key0 = k0;
  key1 = k1;
}

/**
 * splitmix64's finaliser with the key mixed in before each round: every bit of `k`
 * and of the key reaches every bit of the result.
 */
// @ts-ignore: decorator
@inline export function keyedMix(k: u64): u64 {
  k ^= key0;
  k = (k ^ (k >> 30)) * 0xbf58476d1ce4e5b9;
  k ^= key1;
  k = (k ^ (k >> 27)) * 0x94d049bb133111eb;
  return k ^ (k >> 31);
}

/** The slot hash of one 64-bit key (mask its low bits). */
// @ts-ignore: decorator
@inline export function keyedHash(k: u64): u32 {
  return <u32>keyedMix(k);
}

/** The slot hash of a pair: `a` is mixed first, so no choice of `b` can cancel it. */
// @ts-ignore: decorator
@inline export function keyedHashPair(a: u64, b: u64): u32 {
  return <u32>keyedMix(keyedMix(a) ^ b);
}
