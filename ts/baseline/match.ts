/**
 * Detecting against a baseline (`--baseline FILE`): is this exec something its workload was
 * seen doing while it was learned? The answer for a successful exec of a workload the profile
 * knows (a workload it does not know is not judged: fields missing, no alert):
 *
 * | reason | when |
 * |---|---|
 * | `new path` | the workload never ran this path |
 * | `new hash for a known path` | the path ran, with other bytes; not excused as a rebuild (below) |
 * | `new parent` | the path ran, but never from this parent executable |
 * | `new writer` | the file was written at run time by an executable (path, digest) that never wrote it |
 *
 * A file rebuilt at run time by a writer the profile knows for that path (a CI build running
 * what it compiled: new bytes every time, same compiler) is known whatever its digest. An exec
 * without a digest (hash missing: late, gone) is judged on the rest.
 */
import type { ExecFacts } from './facts.js';
import type { ExeRef, ExecutableEntry, Profile } from './profile.js';
import type { BaselineReason, BaselineVerdict } from './verdict.js';

/** Same executable: same path, and same digest where both are known (a missing digest is not judged). */
const sameRef = (a: ExeRef, b: ExeRef): boolean => a.path === b.path && (a.sha256 === null || b.sha256 === null || a.sha256 === b.sha256);

export class BaselineMatcher {
  private readonly workloads = new Map<string, Map<string, ExecutableEntry>>();

  constructor(profile: Profile) {
    for (const w of profile.workloads) this.workloads.set(w.workload, new Map(w.executables.map((e) => [e.path, e])));
  }

  /** The verdict on `f`, or undefined when the profile does not know its workload. */
  judge(f: ExecFacts): BaselineVerdict | undefined {
    const exes = this.workloads.get(f.workload);
    if (!exes) return undefined;
    const unknown = (reason: BaselineReason): BaselineVerdict => ({ known: false, profile: f.workload, reason });
    const e = exes.get(f.path);
    if (!e) return unknown('new path');
    const writerKnown = f.writer !== null && e.writers.some((w) => sameRef(w, f.writer!));
    const rebuilt = writerKnown && f.writer!.path !== null; // a writer named by its executable
    if (f.sha256 !== null && !rebuilt && !e.sha256.includes(f.sha256)) return unknown('new hash for a known path');
    if (!e.parents.includes(f.parent)) return unknown('new parent');
    if (f.writer !== null && !writerKnown) return unknown('new writer');
    return { known: true, profile: f.workload, reason: null };
  }
}
