// Parameter walking for the current frame: after validateFrame() succeeds, the
// pointer and length of each parameter are in PARAM_PTR / PARAM_LEN, so the
// thread table and the shell read parameters without walking the frame again.

import { MAX_PARAMS } from "./frame";

export const PARAM_PTR = memory.data(<i32>(MAX_PARAMS * 4));
export const PARAM_LEN = memory.data(<i32>(MAX_PARAMS * 4));

/** Parameter count of the current frame. */
export let frameNparams: u32 = 0;

export function setFrameNparams(n: u32): void {
  frameNparams = n;
}

// @ts-ignore: decorator
@inline export function paramPtr(i: u32): usize {
  return <usize>load<u32>(PARAM_PTR + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline export function paramLen(i: u32): u32 {
  return i < frameNparams ? load<u32>(PARAM_LEN + (<usize>i << 2)) : 0;
}

/** True when parameter `i` is absent from this frame or empty (length 0). */
// @ts-ignore: decorator
@inline export function paramEmpty(i: u32): bool {
  return paramLen(i) == 0;
}

/** Parameter `i` as an unsigned integer of its own width (1, 2, 4 or 8 bytes); 0 if empty. */
export function paramU64(i: u32): u64 {
  const n = paramLen(i);
  const p = paramPtr(i);
  if (n >= 8) return load<u64>(p);
  if (n >= 4) return <u64>load<u32>(p);
  if (n >= 2) return <u64>load<u16>(p);
  if (n >= 1) return <u64>load<u8>(p);
  return 0;
}

/** Parameter `i` as a signed integer, sign-extended from its own width; 0 if empty. */
export function paramI64(i: u32): i64 {
  const n = paramLen(i);
  const p = paramPtr(i);
  if (n >= 8) return load<i64>(p);
  if (n >= 4) return <i64>load<i32>(p);
  if (n >= 2) return <i64>load<i16>(p);
  if (n >= 1) return <i64>load<i8>(p);
  return 0;
}

/** Length of a string parameter without its terminating NUL, if it has one. */
export function paramStrLen(i: u32): u32 {
  const n = paramLen(i);
  if (n == 0) return 0;
  return load<u8>(paramPtr(i) + n - 1) == 0 ? n - 1 : n;
}
