/**
 * Learned baselines (issue 13): what each workload executes, as a JSON file with a schema and
 * a version, readable by people. A profile is data only: loading one parses JSON and checks it
 * against PROFILE_SCHEMA (Ajv); nothing in it is executed, evaluated or fetched, and a file
 * that does not pass is refused whole with one line naming where it fails.
 *
 * Shape (version 1), keys in this order when written:
 *
 *   { "schema": "scapdrift-baseline", "version": 1,
 *     "hosts": ["build-7"],                      hosts whose captures were learned (merge unites)
 *     "learning": { "first_ts": "...", "last_ts": "...", "window_s": 600 | null,
 *                   "min_stable_s": 60, "stable": true, "last_new_ts": "...", "rate_dropped": 0 },
 *     "workloads": [
 *       { "workload": "unit:cron.service",       container:ID | unit:NAME.service | scope:NAME | host
 *         "executables": [
 *           { "path": "/usr/sbin/cron",
 *             "sha256": ["<hex>", ...],           digests seen for this path (empty: never hashed)
 *             "parents": ["/usr/lib/systemd/systemd", ...],   parent exe paths ("" unknown)
 *             "interpreters": [{ "path": "/usr/bin/dash", "sha256": "<hex>" | null }],
 *             "origins": ["image" | "runtime" | "host"],
 *             "writers": [{ "path": "/usr/bin/ld.bfd" | null, "sha256": "<hex>" | null }],
 *             "count": 12 } ] } ] }
 *
 * Times are ISO 8601 UTC with nanoseconds. Lists are sorted and unique, so two learnings of
 * the same behaviour write the same bytes.
 */
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { ScapdriftError, ErrorCode } from '../errors.js';

export const PROFILE_SCHEMA_NAME = 'scapdrift-baseline';
export const PROFILE_VERSION = 1;
/** Largest profile file read, bytes (a fleet's profile of thousands of workloads fits). */
export const MAX_PROFILE_BYTES = 64 * 1024 * 1024;
/** Longest path or workload name accepted, bytes (libs SCAP_MAX_PATH_SIZE is 1024). */
const MAX_TEXT = 4096;
/** Most entries of one list in a profile. */
const MAX_ITEMS = 100_000;

export type Origin = 'image' | 'runtime' | 'host';

export interface ExeRef { path: string | null; sha256: string | null }

export interface ExecutableEntry {
  path: string;
  sha256: string[];
  parents: string[];
  interpreters: ExeRef[];
  origins: Origin[];
  writers: ExeRef[];
  count: number;
}

export interface WorkloadProfile { workload: string; executables: ExecutableEntry[] }

export interface Learning {
  first_ts: string | null;
  last_ts: string | null;
  window_s: number | null;
  min_stable_s: number;
  stable: boolean;
  last_new_ts: string | null;
  rate_dropped: number;
}

export interface Profile {
  schema: typeof PROFILE_SCHEMA_NAME;
  version: typeof PROFILE_VERSION;
  hosts: string[];
  learning: Learning;
  workloads: WorkloadProfile[];
}

const text = { type: 'string', maxLength: MAX_TEXT } as const;
const hex = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const list = (items: object): object => ({ type: 'array', maxItems: MAX_ITEMS, items });
const exeRef = {
  type: 'object', additionalProperties: false, required: ['path', 'sha256'],
  properties: { path: { anyOf: [text, { type: 'null' }] }, sha256: { anyOf: [hex, { type: 'null' }] } },
} as const;
const time = { anyOf: [{ type: 'string', maxLength: 64 }, { type: 'null' }] } as const;

/** JSON Schema (draft 2020-12 subset Ajv checks) of a version-1 profile. */
export const PROFILE_SCHEMA = {
  $id: 'https://scapdrift.invalid/baseline-v1.json',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'version', 'hosts', 'learning', 'workloads'],
  properties: {
    schema: { const: PROFILE_SCHEMA_NAME },
    version: { const: PROFILE_VERSION },
    hosts: list(text),
    learning: {
      type: 'object', additionalProperties: false,
      required: ['first_ts', 'last_ts', 'window_s', 'min_stable_s', 'stable', 'last_new_ts', 'rate_dropped'],
      properties: {
        first_ts: time, last_ts: time, last_new_ts: time,
        window_s: { anyOf: [{ type: 'number', minimum: 0 }, { type: 'null' }] },
        min_stable_s: { type: 'number', minimum: 0 },
        stable: { type: 'boolean' },
        rate_dropped: { type: 'integer', minimum: 0 },
      },
    },
    workloads: list({
      type: 'object', additionalProperties: false, required: ['workload', 'executables'],
      properties: {
        workload: { type: 'string', minLength: 1, maxLength: MAX_TEXT },
        executables: list({
          type: 'object', additionalProperties: false,
          required: ['path', 'sha256', 'parents', 'interpreters', 'origins', 'writers', 'count'],
          properties: {
            path: text,
            sha256: list(hex),
            parents: list(text),
            interpreters: list(exeRef),
            origins: list({ enum: ['image', 'runtime', 'host'] }),
            writers: list(exeRef),
            count: { type: 'integer', minimum: 0 },
          },
        }),
      },
    }),
  },
} as const;

let validate: ReturnType<Ajv['compile']> | undefined;

/** The compiled schema (Ajv, strict: a key or keyword the schema does not know is refused). */
function validator(): ReturnType<Ajv['compile']> {
  validate ??= new Ajv({ allErrors: false, strict: true }).compile(PROFILE_SCHEMA);
  return validate;
}

/**
 * The profile in `json` (the text of `what`), checked against the schema and for duplicate
 * workloads and paths. Throws E_OPTION with one line naming the place that fails.
 */
export function parseProfile(json: string, what: string): Profile {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    throw new ScapdriftError(ErrorCode.OPTION, `baseline ${what} is not JSON: ${(e as Error).message}`);
  }
  const v = validator();
  if (!v(data)) {
    const err = v.errors?.[0];
    throw new ScapdriftError(ErrorCode.OPTION, `baseline ${what} is not a scapdrift baseline (version ${PROFILE_VERSION}): ${err?.instancePath || '/'} ${err?.message ?? 'invalid'}`);
  }
  const p = data as Profile;
  const workloads = new Set<string>();
  for (const [i, w] of p.workloads.entries()) {
    if (workloads.has(w.workload)) throw new ScapdriftError(ErrorCode.OPTION, `baseline ${what}: /workloads/${i} repeats workload ${JSON.stringify(w.workload)}`);
    workloads.add(w.workload);
    const paths = new Set<string>();
    for (const [j, e] of w.executables.entries()) {
      if (paths.has(e.path)) throw new ScapdriftError(ErrorCode.OPTION, `baseline ${what}: /workloads/${i}/executables/${j} repeats path ${JSON.stringify(e.path)}`);
      paths.add(e.path);
    }
  }
  return p;
}

/**
 * Reads and checks the profile at `path` (a regular file of at most MAX_PROFILE_BYTES), before
 * any capture is opened. Throws E_IO (cannot read) or E_OPTION (too large, not a profile).
 */
export function loadProfile(path: string): Profile {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ScapdriftError(ErrorCode.OPTION, `baseline ${path} is not a regular file`);
    if (st.size > MAX_PROFILE_BYTES) throw new ScapdriftError(ErrorCode.OPTION, `baseline ${path} is ${st.size} bytes, more than the ${MAX_PROFILE_BYTES}-byte limit`);
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, n);
      if (r === 0) break;
      n += r;
    }
    return parseProfile(buf.subarray(0, n).toString('utf8'), path);
  } catch (e) {
    if (e instanceof ScapdriftError) throw e;
    throw new ScapdriftError(ErrorCode.IO, `cannot read baseline ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes `p` as indented JSON (stable key order, sorted lists). */
export function saveProfile(p: Profile, path: string): void {
  try {
    writeFileSync(path, profileText(p));
  } catch (e) {
    throw new ScapdriftError(ErrorCode.IO, `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** The profile's file text. */
export function profileText(p: Profile): string {
  return JSON.stringify(normalise(p), null, 2) + '\n';
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const refKey = (r: ExeRef): string => `${r.path ?? ''}\u0000${r.sha256 ?? ''}`;
function uniq(xs: string[]): string[] { return [...new Set(xs)].sort(byText); }
function uniqRefs(xs: ExeRef[]): ExeRef[] {
  const m = new Map(xs.map((r) => [refKey(r), { path: r.path, sha256: r.sha256 }]));
  return [...m.keys()].sort(byText).map((k) => m.get(k)!);
}

/** `p` with its keys in schema order and every list sorted and unique. */
function normalise(p: Profile): Profile {
  return {
    schema: PROFILE_SCHEMA_NAME,
    version: PROFILE_VERSION,
    hosts: uniq(p.hosts),
    learning: { ...p.learning },
    workloads: [...p.workloads].sort((a, b) => byText(a.workload, b.workload)).map((w) => ({
      workload: w.workload,
      executables: [...w.executables].sort((a, b) => byText(a.path, b.path)).map((e) => ({
        path: e.path,
        sha256: uniq(e.sha256),
        parents: uniq(e.parents),
        interpreters: uniqRefs(e.interpreters),
        origins: uniq(e.origins) as Origin[],
        writers: uniqRefs(e.writers),
        count: e.count,
      })),
    })),
  };
}

const minTime = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : a < b ? a : b);
const maxTime = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : a > b ? a : b);

/**
 * One profile that knows everything each of `profiles` knows (a fleet learning together):
 * workloads united, per path every digest, parent, interpreter, origin and writer of any.
 * Stable only when every input is.
 */
export function mergeProfiles(profiles: readonly Profile[]): Profile {
  const workloads = new Map<string, Map<string, ExecutableEntry>>();
  for (const p of profiles) {
    for (const w of p.workloads) {
      let exes = workloads.get(w.workload);
      if (!exes) workloads.set(w.workload, exes = new Map());
      for (const e of w.executables) {
        const have = exes.get(e.path);
        exes.set(e.path, have ? {
          path: e.path, sha256: [...have.sha256, ...e.sha256], parents: [...have.parents, ...e.parents],
          interpreters: [...have.interpreters, ...e.interpreters], origins: [...have.origins, ...e.origins],
          writers: [...have.writers, ...e.writers], count: have.count + e.count,
        } : { ...e });
      }
    }
  }
  const l = profiles.map((p) => p.learning);
  return normalise({
    schema: PROFILE_SCHEMA_NAME,
    version: PROFILE_VERSION,
    hosts: profiles.flatMap((p) => p.hosts),
    learning: {
      first_ts: l.map((x) => x.first_ts).reduce(minTime, null),
      last_ts: l.map((x) => x.last_ts).reduce(maxTime, null),
      window_s: l.every((x) => x.window_s === l[0]?.window_s) ? (l[0]?.window_s ?? null) : null,
      min_stable_s: Math.min(...l.map((x) => x.min_stable_s)),
      stable: l.every((x) => x.stable),
      last_new_ts: l.map((x) => x.last_new_ts).reduce(maxTime, null),
      rate_dropped: l.reduce((n, x) => n + x.rate_dropped, 0),
    },
    workloads: [...workloads].map(([workload, exes]) => ({ workload, executables: [...exes.values()] })),
  });
}
