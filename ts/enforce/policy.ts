/**
 * The enforcement policy file (`capture --enforce MODE --enforce-policy FILE`,
 * default rules/scapdrift_enforce.yaml): YAML, one map —
 *
 *   policies: [written_untrusted, memfd, deleted, upper_layer]   # which apply
 *   trusted_writers: [/usr/bin/dpkg, /usr/bin/ld, ...]          # by executable path
 *   memfd_allowed: ["runc_cloned:/proc/self/exe"]               # memfd names that may run
 *   max_kills_per_second: 10
 *   kill_switch_file: /run/scapdrift/enforce.off                # optional
 *   cgroup: /sys/fs/cgroup/system.slice/app.service              # optional: only there
 *
 * Trusted writers are resolved to the file each path names now (stat(), symbolic
 * links followed: /usr/bin/ld → ld.bfd), and the driver compares a writer's
 * executable by that identity (dev, inode): trust goes by the writer's executable,
 * never its comm. A path that does not exist is skipped with a warning. The result
 * is the control text the loader reads (driver/loader/enforce.c).
 */
import { readFileSync, statSync, statfsSync } from 'node:fs';
import { parse } from 'yaml';
import { ScapdriftError, ErrorCode } from '../errors.js';
import { ENFORCE_POLICIES, type EnforcePolicyName } from './abi.js';

/** Keys of the policy file. */
const KEYS = new Set(['policies', 'trusted_writers', 'memfd_allowed', 'max_kills_per_second', 'kill_switch_file', 'cgroup']);
/** statfs type of a cgroup v2 mount (include/uapi/linux/magic.h CGROUP2_SUPER_MAGIC). */
const CGROUP2_SUPER_MAGIC = 0x63677270;

export interface EnforcePolicy {
  policies: EnforcePolicyName[];
  trustedWriters: string[];
  memfdAllowed: string[];
  maxKillsPerSecond: number;
  killSwitchFile: string | undefined;
  /** Only tasks in this cgroup v2 directory or below it are judged; undefined: every task. */
  cgroup: string | undefined;
}

/** A policy resolved for the loader. */
export interface ResolvedPolicy {
  policy: EnforcePolicy;
  /** Lines for the loader's control input, ending with "commit". */
  control: string;
  /** Trusted writers resolved (path → its file's identity). */
  trusted: { path: string; dev: bigint; ino: bigint }[];
  warnings: string[];
}

function bad(file: string, what: string): ScapdriftError {
  return new ScapdriftError(ErrorCode.OPTION, `enforcement policy ${file}: ${what}`);
}

function stringList(v: unknown, key: string, file: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '' && !/[\n\r\0]/.test(x))) {
    throw bad(file, `${key} must be a list of non-empty strings`);
  }
  return v as string[];
}

/** Parses a policy file's text. Throws E_OPTION naming the file and the key at fault. */
export function parsePolicy(text: string, file: string): EnforcePolicy {
  let doc: unknown;
  try { doc = parse(text, { schema: 'core', uniqueKeys: true, maxAliasCount: 100 }); } catch (e) {
    throw bad(file, `not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad(file, 'must be a map (policies, trusted_writers, …)');
  const m = doc as Record<string, unknown>;
  for (const k of Object.keys(m)) if (!KEYS.has(k)) throw bad(file, `unknown key ${k}; known: ${[...KEYS].join(', ')}`);
  const policies = stringList(m.policies, 'policies', file);
  for (const p of policies) {
    if (!(ENFORCE_POLICIES as readonly string[]).includes(p)) throw bad(file, `unknown policy ${p}; known: ${ENFORCE_POLICIES.join(', ')}`);
  }
  const rate = m.max_kills_per_second ?? 10;
  if (typeof rate !== 'number' || !Number.isSafeInteger(rate) || rate < 1 || rate > 0xffff_ffff) {
    throw bad(file, 'max_kills_per_second must be a positive integer');
  }
  const trusted = stringList(m.trusted_writers, 'trusted_writers', file);
  for (const t of trusted) if (!t.startsWith('/')) throw bad(file, `trusted_writers: ${t} is not an absolute path (trust goes by executable path, not name)`);
  const memfd = stringList(m.memfd_allowed, 'memfd_allowed', file);
  const kill = m.kill_switch_file;
  if (kill !== undefined && kill !== null && (typeof kill !== 'string' || !kill.startsWith('/'))) throw bad(file, 'kill_switch_file must be an absolute path');
  const cgroup = m.cgroup;
  if (cgroup !== undefined && cgroup !== null && (typeof cgroup !== 'string' || !cgroup.startsWith('/'))) throw bad(file, 'cgroup must be the absolute path of a cgroup v2 directory');
  return {
    cgroup: typeof cgroup === 'string' ? cgroup : undefined,
    policies: policies as EnforcePolicyName[],
    trustedWriters: trusted,
    memfdAllowed: memfd.map((n) => n.replace(/^memfd:/, '')),
    maxKillsPerSecond: rate,
    killSwitchFile: typeof kill === 'string' ? kill : undefined,
  };
}

/** Reads, parses and resolves the policy file at `file`. Throws E_IO when unreadable, E_OPTION when wrong. */
export function loadPolicy(file: string): ResolvedPolicy {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    throw new ScapdriftError(ErrorCode.IO, `cannot read enforcement policy ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const policy = parsePolicy(text, file);
  const warnings: string[] = [];
  const trusted: ResolvedPolicy['trusted'] = [];
  const seen = new Set<string>();
  for (const path of policy.trustedWriters) {
    try {
      const st = statSync(path, { bigint: true });
      const id = `${st.dev} ${st.ino}`;
      if (!seen.has(id)) trusted.push({ path, dev: st.dev, ino: st.ino });
      seen.add(id);
    } catch (e) {
      warnings.push(`enforcement policy ${file}: trusted writer ${path} skipped: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  let scope = 0n;
  if (policy.cgroup !== undefined) {
    try {
      if (statfsSync(policy.cgroup).type !== CGROUP2_SUPER_MAGIC) throw bad(file, `cgroup ${policy.cgroup} is not a cgroup v2 directory`);
      scope = statSync(policy.cgroup, { bigint: true }).ino; // a cgroup's id is its kernfs inode number
    } catch (e) {
      if (e instanceof ScapdriftError) throw e;
      throw bad(file, `cgroup ${policy.cgroup}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  const mask = policy.policies.reduce((m, p) => m | (1 << ENFORCE_POLICIES.indexOf(p)), 0);
  const control = [
    `policies ${mask}`,
    `max-kills ${policy.maxKillsPerSecond}`,
    `scope-cgroup ${scope}`,
    ...trusted.map((t) => `trust ${t.dev} ${t.ino}`),
    ...policy.memfdAllowed.map((n) => `memfd-allow ${n}`),
    'commit',
  ].join('\n') + '\n';
  return { policy, control, trusted, warnings };
}
