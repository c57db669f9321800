/**
 * `scapdrift learn` and `scapdrift baseline merge` (issue 13). Learning reads capture files
 * (or, with --live, records one with the driver first) and writes a profile (profile.ts);
 * merging combines the profiles of many hosts into one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture } from '../api/capture.js';
import { ScapdriftError, ErrorCode } from '../errors.js';
import { warnLine } from '../warn.js';
import { FACT_FIELDS, FactReader } from './facts.js';
import { Learner, type LearnOptions } from './learn.js';
import { loadProfile, mergeProfiles, saveProfile } from './profile.js';

export interface LearnCommandOptions {
  /** The profile to write (-o; required). */
  output?: string;
  window?: string;
  minStable?: string;
  maxNewPerMinute?: string;
  maxExecutables?: string;
  /** Record live with the driver for `duration` seconds, then learn from that. */
  live?: boolean;
  duration?: string;
}

function number(v: string | undefined, name: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new ScapdriftError(ErrorCode.OPTION, `${name} must be a non-negative ${integer ? 'integer' : 'number'}, got ${v}`);
  }
  return n;
}

/** Learns a profile from `files` (or live) and writes it to opts.output; resolves with the exec count. */
export async function learnCommand(files: string[], opts: LearnCommandOptions): Promise<number> {
  const output = requireOutput(opts.output, 'learn');
  const lo: LearnOptions = {};
  const windowS = number(opts.window, '--window', false);
  const minStableS = number(opts.minStable, '--min-stable', false);
  const maxNewPerMinute = number(opts.maxNewPerMinute, '--max-new-per-minute', true);
  const maxExecutables = number(opts.maxExecutables, '--max-executables', true);
  if (windowS !== undefined) lo.windowS = windowS;
  if (minStableS !== undefined) lo.minStableS = minStableS;
  if (maxNewPerMinute !== undefined) lo.maxNewPerMinute = maxNewPerMinute;
  if (maxExecutables !== undefined) lo.maxExecutables = maxExecutables;
  if (opts.live && files.length > 0) throw new ScapdriftError(ErrorCode.OPTION, 'learn: give capture files or --live, not both');
  if (!opts.live && files.length === 0) throw new ScapdriftError(ErrorCode.OPTION, 'learn: give capture files, or --live');
  if (opts.duration !== undefined && !opts.live) throw new ScapdriftError(ErrorCode.OPTION, 'learn: --duration goes with --live');
  if (!opts.live) return learnFiles(files, lo, output);
  // Live: the driver records (exe hashes included) into a file nothing is printed from, then it is learned.
  const dir = mkdtempSync(join(tmpdir(), 'scapdrift-learn-'));
  try {
    const file = join(dir, 'learn.scap');
    const { captureCommand } = await import('../live/command.js');
    await captureCommand({ write: file, condition: 'evt.num = 0', ...(opts.duration !== undefined ? { duration: opts.duration } : {}) });
    return await learnFiles([file], lo, output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function learnFiles(files: string[], lo: LearnOptions, output: string): Promise<number> {
  const learner = new Learner(lo);
  let execs = 0;
  for (const file of files) {
    const reader = new FactReader(); // pids are per capture
    const cap = openCapture(file, { fields: [...FACT_FIELDS], types: ['execve', 'execveat'] });
    for await (const ev of cap) {
      const facts = reader.read((f) => ev[f] ?? null);
      if (!facts) continue;
      execs++;
      if (!learner.observe(facts)) break; // past the learning window
    }
    if (cap.machineInfo?.hostname) learner.addHost(cap.machineInfo.hostname);
  }
  const p = learner.profile();
  saveProfile(p, output);
  const paths = p.workloads.reduce((n, w) => n + w.executables.length, 0);
  process.stderr.write(`scapdrift: learned ${p.workloads.length} workloads, ${paths} executables from ${execs} execs; `
    + (p.learning.stable ? `stable (nothing new in the last ${p.learning.min_stable_s} s)` : `not stable: something new at ${p.learning.last_new_ts}, less than ${p.learning.min_stable_s} s before the end (${p.learning.last_ts})`) + '\n');
  if (p.learning.rate_dropped > 0) warnLine(`${p.learning.rate_dropped} new facts not learned: over the rate or size limits`);
  return execs;
}

/** Merges the profiles in `files` into `opts.output` (every input checked before anything is written). */
export function mergeCommand(files: string[], opts: { output?: string }): void {
  const output = requireOutput(opts.output, 'baseline merge');
  if (files.length === 0) throw new ScapdriftError(ErrorCode.OPTION, 'baseline merge: give the profiles to merge');
  saveProfile(mergeProfiles(files.map((f) => loadProfile(f))), output);
}

function requireOutput(output: string | undefined, command: string): string {
  if (output === undefined) throw new ScapdriftError(ErrorCode.OPTION, `${command}: -o/--output FILE (the profile to write) is required`);
  return output;
}
