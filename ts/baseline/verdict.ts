/** The answer of a baseline on one exec (ts/baseline/match.ts says when each reason is given). */
export type BaselineReason = 'new path' | 'new hash for a known path' | 'new parent' | 'new writer';

export interface BaselineVerdict {
  known: boolean;
  /** The workload's profile name. */
  profile: string;
  reason: BaselineReason | null;
}
