/**
 * The enforcement contract with the driver (driver/include/scapdrift_abi.h):
 * scapdrift's bits of the exec exits' `flags` (param 20) and the policy names, in
 * the order of their bits. test/enforce_abi.test.ts checks every value against the
 * header.
 */

/** A policy matched and the exec was not killed (audit, kill switch, rate limit, spared). */
export const SD_PPM_EXE_ENFORCE_WOULD_KILL = 1 << 30;
/** A policy matched and SIGKILL was sent before the program's first instruction. */
export const SD_PPM_EXE_ENFORCE_KILLED = 1 << 29;
/** Bits 24.. of the flags: which policies matched (bit i = ENFORCE_POLICIES[i]). */
export const SD_PPM_EXE_ENFORCE_POLICY_SHIFT = 24;
/** SD_ENFORCE_POLICY_NAMES: policy i is bit i of the loader's `policies` mask. */
export const ENFORCE_POLICIES = ['written_untrusted', 'memfd', 'deleted', 'upper_layer'] as const;
export type EnforcePolicyName = (typeof ENFORCE_POLICIES)[number];

/** `drift.enforced` of exec flags: 'killed', 'would-kill', or null when no policy matched. */
export function enforcedDecision(flags: number): 'killed' | 'would-kill' | null {
  if ((flags & SD_PPM_EXE_ENFORCE_KILLED) !== 0) return 'killed';
  if ((flags & SD_PPM_EXE_ENFORCE_WOULD_KILL) !== 0) return 'would-kill';
  return null;
}

/** `drift.enforced_policy` of exec flags: the policies that matched, comma-separated; null when none. */
export function enforcedPolicies(flags: number): string | null {
  const names = ENFORCE_POLICIES.filter((_, i) => ((flags >>> (SD_PPM_EXE_ENFORCE_POLICY_SHIFT + i)) & 1) !== 0);
  return names.length > 0 ? names.join(',') : null;
}
