/**
 * Learning a baseline: every successful exec of the captures read (ts/baseline/facts.ts)
 * adds what it shows to its workload's profile — the path, its digest, its parent, its
 * interpreter, whether it came with the image or was written at run time and by which writer.
 *
 * Options, all in capture time (event timestamps):
 * - `windowS`: only the first N seconds after the first exec are learned (default: all);
 * - `minStableS`: the profile is *stable* when nothing new was learned during the last N seconds
 *   of the learning (default 60); the profile says whether it is, and when it last changed;
 * - `maxNewPerMinute`: at most N new facts (paths, digests, parents, writers) per workload per
 *   minute are learned (default 120), so that a burst during learning — an attacker's or a
 *   runaway build's — cannot teach the profile everything; the rest are counted (`rate_dropped`).
 * - `maxExecutables`: paths per workload (default 5,000), counted the same way beyond.
 */
import type { ExecFacts } from './facts.js';
import { PROFILE_SCHEMA_NAME, PROFILE_VERSION, type ExeRef, type ExecutableEntry, type Profile } from './profile.js';
import { isoTime } from '../rules/alert.js';

export interface LearnOptions {
  windowS?: number;
  minStableS?: number;
  maxNewPerMinute?: number;
  maxExecutables?: number;
}

export const DEFAULT_MIN_STABLE_S = 60;
export const DEFAULT_MAX_NEW_PER_MINUTE = 120;
export const DEFAULT_MAX_EXECUTABLES = 5000;
const NS_PER_S = 1_000_000_000n;
const MINUTE_NS = 60n * NS_PER_S;

interface Workload { exes: Map<string, ExecutableEntry>; minute: bigint; newThisMinute: number }

const refKey = (r: ExeRef): string => `${r.path ?? ''}\u0000${r.sha256 ?? ''}`;

export class Learner {
  private readonly workloads = new Map<string, Workload>();
  private readonly hosts = new Set<string>();
  private first: bigint | undefined;
  private last: bigint | undefined;
  private lastNew: bigint | undefined;
  private rateDropped = 0;
  private readonly windowNs: bigint | undefined;
  private readonly minStableS: number;
  private readonly maxNewPerMinute: number;
  private readonly maxExecutables: number;

  constructor(private readonly opts: LearnOptions = {}) {
    this.windowNs = opts.windowS === undefined ? undefined : BigInt(Math.round(opts.windowS * 1e9));
    this.minStableS = opts.minStableS ?? DEFAULT_MIN_STABLE_S;
    this.maxNewPerMinute = opts.maxNewPerMinute ?? DEFAULT_MAX_NEW_PER_MINUTE;
    this.maxExecutables = opts.maxExecutables ?? DEFAULT_MAX_EXECUTABLES;
  }

  /** Notes the host a capture came from (its machine-info hostname). */
  addHost(name: string): void {
    this.hosts.add(name);
  }

  /** Learns one exec; false when it is past the learning window (the caller may stop reading). */
  observe(f: ExecFacts): boolean {
    this.first ??= f.ts;
    if (this.windowNs !== undefined && f.ts - this.first > this.windowNs) return false;
    if (this.last === undefined || f.ts > this.last) this.last = f.ts;
    let w = this.workloads.get(f.workload);
    if (!w) this.workloads.set(f.workload, w = { exes: new Map(), minute: f.ts / MINUTE_NS, newThisMinute: 0 });
    if (f.ts / MINUTE_NS !== w.minute) { w.minute = f.ts / MINUTE_NS; w.newThisMinute = 0; }
    // Each new fact takes one from the workload's allowance for this minute.
    const admit = (): boolean => {
      if (w!.newThisMinute >= this.maxNewPerMinute) { this.rateDropped++; return false; }
      w!.newThisMinute++;
      this.lastNew = f.ts;
      return true;
    };
    let e = w.exes.get(f.path);
    if (!e) {
      if (w.exes.size >= this.maxExecutables) { this.rateDropped++; return true; }
      if (!admit()) return true;
      w.exes.set(f.path, e = { path: f.path, sha256: [], parents: [], interpreters: [], origins: [], writers: [], count: 0 });
    }
    e.count++;
    const addText = (list: string[], x: string): void => { if (!list.includes(x) && admit()) list.push(x); };
    const addRef = (list: ExeRef[], r: ExeRef): void => { if (!list.some((x) => refKey(x) === refKey(r)) && admit()) list.push(r); };
    if (f.sha256 !== null) addText(e.sha256, f.sha256);
    addText(e.parents, f.parent);
    if (f.interpreter) addRef(e.interpreters, f.interpreter);
    if (!e.origins.includes(f.origin)) e.origins.push(f.origin);
    if (f.writer) addRef(e.writers, f.writer);
    return true;
  }

  /** The profile learned so far. */
  profile(): Profile {
    const stable = this.last !== undefined && (this.lastNew === undefined || this.last - this.lastNew >= BigInt(Math.round(this.minStableS * 1e9)));
    return {
      schema: PROFILE_SCHEMA_NAME,
      version: PROFILE_VERSION,
      hosts: [...this.hosts],
      learning: {
        first_ts: this.first === undefined ? null : isoTime(this.first),
        last_ts: this.last === undefined ? null : isoTime(this.last),
        window_s: this.opts.windowS ?? null,
        min_stable_s: this.minStableS,
        stable,
        last_new_ts: this.lastNew === undefined ? null : isoTime(this.lastNew),
        rate_dropped: this.rateDropped,
      },
      workloads: [...this.workloads].map(([workload, w]) => ({ workload, executables: [...w.exes.values()] })),
    };
  }
}
