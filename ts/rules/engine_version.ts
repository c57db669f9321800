/**
 * The Falco engine version scapdrift claims for `required_engine_version` (Falco refuses a rules
 * file that requires a later engine than its own: falcosecurity/falco
 * userspace/engine/rule_loader_reader.cpp). 0.57.0 is what the upstream rules files
 * (falcosecurity/rules at c72713e, ../shared/falco-rules/) require, and what scapdrift's filter
 * language and fields are measured against.
 */
export const FALCO_ENGINE_VERSION = '0.57.0';

/** [major, minor, patch] of a version "X.Y.Z", or of a bare number N (the old form, read as 0.N.0). */
export function parseEngineVersion(v: string | number): [number, number, number] | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? [0, v, 0] : undefined;
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Whether scapdrift's engine version is at least `required` (parsed). */
export function engineSatisfies(required: readonly [number, number, number]): boolean {
  const own = parseEngineVersion(FALCO_ENGINE_VERSION)!;
  for (let i = 0; i < 3; i++) if (own[i] !== required[i]) return own[i]! > required[i]!;
  return true;
}
