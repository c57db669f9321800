// Durations between epoch-ns times, computed so that none can wrap.
//
// Rule: an epoch-ns time is plausible when it is below 2^63 ns (before
// 2262-04-11). libs' eBPF driver writes inode times of 2^63 and more on kernels
// ≥ 6.11 (it reads 8 bytes of a 4-byte nanosecond field): such a time is kept as
// the capture holds it, but no duration is derived from it — the duration is
// missing. Two plausible times lie in [0, 2^63), so their difference lies in
// (−2^63, 2^63) and always fits an i64: nothing derived from them can wrap.

/** Latest plausible epoch-ns time, 2^63 − 1 ns (exported to the shell, ts/pipeline/wasm.ts). */
export const MAX_PLAUSIBLE_EPOCH_NS: u64 = <u64>I64.MAX_VALUE;

/** Whether `t` (epoch ns, or ns since boot) is below 2^63. */
// @ts-ignore: decorator
@inline export function isPlausibleNs(t: u64): bool {
  return t <= MAX_PLAUSIBLE_EPOCH_NS;
}

/** `end` − `start` in signed ns; both must be plausible (then it cannot wrap). */
// @ts-ignore: decorator
@inline export function signedDeltaNs(end: u64, start: u64): i64 {
  return <i64>end - <i64>start;
}

/**
 * `a` + `b` (epoch ns + ns since boot), or U64.MAX_VALUE — not plausible — when
 * either is implausible or the sum is (so a caller tests the result only).
 */
// @ts-ignore: decorator
@inline export function plausibleSumNs(a: u64, b: u64): u64 {
  return isPlausibleNs(a) && isPlausibleNs(b) && a <= MAX_PLAUSIBLE_EPOCH_NS - b ? a + b : U64.MAX_VALUE;
}
