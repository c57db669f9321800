/**
 * How many threads decode by default (`read` with no `--workers`; `openCapture` decodes on one
 * thread unless its `workers` option says otherwise),
 * from the work as known before reading: a small module, loaded at start-up,
 * apart from the pool (ts/parallel/pool.ts), which is loaded only when more
 * than one thread decodes.
 */
import { availableParallelism, loadavg } from 'node:os';
import { ScapdriftError, ErrorCode } from '../errors.js';

/**
 * Decompressed bytes from which a second thread is used by default for JSON of every event with
 * many fields, bytes. Measured on the 2-vCPU benchmark VM (bench/RESULTS.md, `npm run
 * bench:workers`): the default `--json` (41 fields) of the generated 3 M-event capture (374 MB)
 * and of busy.scap (158 MB) takes 4.3–5 s of CPU on one thread; a second replica adds ~1 s of
 * CPU (its own walk of every batch's state frames, the split and copies, its start), so it pays
 * where there are seconds of formatting to divide and a core is free. Below ~128 MiB the
 * formatting left to divide is under ~1.5 s and the gain is within the noise of a shared VM.
 */
export const PARALLEL_MIN_BYTES = 128 << 20;
/**
 * Fields of a JSON object from which the output of every event is heavy enough to divide (the
 * default `--json` has 41). With fewer fields — the default line, an 8-field `-p`, JSON of 8
 * fields — one thread formats busy.scap in ~0.8–1.1 s, and a second replica's walk of the state
 * frames (the thread, fd and file tables, kept by every replica) left `--workers 2` between 1.02× faster
 * and 1.3× slower than one thread on an idle machine, 1.3–1.6× slower at load 2.4–3.8, at
 * 1.5–1.75× the CPU, on busy.scap and the generated capture.
 */
export const HEAVY_JSON_FIELDS = 16;
/**
 * Cores from which a second thread is also used for light output of every event on a large input
 * (the rule before the measurements above, kept for machines with cores to spare: not measured
 * here, the benchmark VM has 2).
 */
export const SPARE_CORES = 4;
/** Decompressed bytes from which light output of every event uses a second thread on SPARE_CORES cores, bytes. */
export const SPARE_CORES_MIN_BYTES = 256 << 20;
/**
 * Most decoding threads by default, whatever the cores: each holds a replica of the state
 * (DESIGN.md §4), so the bound on memory (README, Hostile input) is this many replicas.
 */
export const MAX_DEFAULT_WORKERS = 2;
/** What the default worker count weighs. */
export interface Work {
  /** Decompressed bytes to decode, when known before reading (ByteSource.expectedBytes). */
  bytes: number | undefined;
  /** Output is made for (nearly) every event: no filter, no rules (ts/pipeline/plan.ts printsEveryEvent). */
  everyEvent: boolean;
  /** What each event printed is: the default line, a `-p` format, JSON, or something else (alerts, events for the library). */
  output?: 'line' | 'format' | 'json' | 'other';
  /** Fields of the `-p` format or of the JSON object. */
  fields?: number;
}

/** The machine, as the default worker count sees it. */
export interface Machine {
  /** Cores this process may use (os.availableParallelism). */
  cores: number;
  /** 1-minute load average (os.loadavg()[0]; 0 where the platform has none). */
  load: number;
}

/** This machine now. */
export function thisMachine(): Machine {
  return { cores: availableParallelism(), load: loadavg()[0] ?? 0 };
}

/**
 * The default worker count for `work` on `machine`: MAX_DEFAULT_WORKERS when every event is
 * printed, the input is known to be large and a core is free, else 1. Large: JSON of at least
 * HEAVY_JSON_FIELDS fields on PARALLEL_MIN_BYTES or more, or any output of every event on
 * SPARE_CORES_MIN_BYTES or more on SPARE_CORES cores. A core is free when the 1-minute load
 * average is below the cores: on the 2-vCPU VM, at load 3.4–3.6 (other jobs) `--workers 2` was
 * 1.2× slower than one thread even for the default JSON, which it divides best — a worker that
 * waits for a batch sleeps and gets its core back milliseconds later. A filter or rules print
 * little: decoding is then bound by the state every replica keeps, and more threads only add
 * their start-up. Pipes and streams (size unknown) stay on one thread.
 */
export function defaultWorkers(work: Work, machine: Machine): number {
  if (!work.everyEvent || work.bytes === undefined || machine.cores < 2 || machine.load >= machine.cores) return 1;
  const heavy = work.output === 'json' && (work.fields ?? 0) >= HEAVY_JSON_FIELDS && work.bytes >= PARALLEL_MIN_BYTES;
  const spare = machine.cores >= SPARE_CORES && work.bytes >= SPARE_CORES_MIN_BYTES;
  return heavy || spare ? MAX_DEFAULT_WORKERS : 1;
}

/** Most decoding threads `--workers` / `options.workers` accept. */
export const MAX_WORKERS = 256;

/**
 * Worker count from `--workers` (or the option named `name`): a positive integer, or, when
 * absent, {@link defaultWorkers} of `work` on this machine (1 without `work`). Throws E_OPTION.
 */
export function workerCount(option: string | number | undefined, work: Work | undefined, name = '--workers'): number {
  if (option === undefined) return work === undefined ? 1 : defaultWorkers(work, thisMachine());
  const n = typeof option === 'number' ? option : Number(option);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new ScapdriftError(ErrorCode.OPTION, `${name} must be an integer from 1 to ${MAX_WORKERS}, got ${String(option)}`);
  }
  return n;
}
