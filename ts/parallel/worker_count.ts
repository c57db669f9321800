/**
 * How many threads decode by default (`read`, `openCapture` with no `workers`),
 * from the work as known before reading: a small module, loaded at start-up,
 * apart from the pool (ts/parallel/pool.ts), which is loaded only when more
 * than one thread decodes.
 */
import { availableParallelism } from 'node:os';
import { ScapdriftError, ErrorCode } from '../errors.js';

/**
 * Decompressed bytes below which the default is one thread whatever the output, bytes. A
 * worker costs a Node isolate, its module graph and a Wasm instance, and every replica walks
 * every batch's state-changing frames: only long inputs whose every event is printed could win
 * that back (bench/RESULTS.md).
 */
export const PARALLEL_MIN_BYTES = 256 << 20;
/**
 * Cores needed before the default uses a second thread. On the 2-vCPU benchmark VM, JSON of
 * every event of busy.scap took twice the CPU time on 2 threads as on 1 (10.5 s → 21 s), so
 * 2 threads cannot be faster there: the default stays at 1 on 2 cores, and a second thread is
 * used only where cores are left for it, the replica's rescans and the output's GC.
 */
const PARALLEL_MIN_CORES = 4;
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

/**
 * Worker count from `--workers` (or the option named `name`): a positive integer, or the
 * default, sized by the work: one thread, unless every event is printed, the input is known to
 * hold at least PARALLEL_MIN_BYTES decompressed and the machine has PARALLEL_MIN_CORES cores:
 * then MAX_DEFAULT_WORKERS. A filter or rules print little: decoding is then bound by the
 * state every replica keeps, and more threads only add their start-up. Throws E_OPTION.
 */
export function workerCount(option: string | number | undefined, work: Work | undefined, name = '--workers'): number {
  if (option === undefined) {
    const pays = work !== undefined && work.everyEvent && work.bytes !== undefined && work.bytes >= PARALLEL_MIN_BYTES && availableParallelism() >= PARALLEL_MIN_CORES;
    return pays ? MAX_DEFAULT_WORKERS : 1;
  }
  const n = typeof option === 'number' ? option : Number(option);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new ScapdriftError(ErrorCode.OPTION, `${name} must be a positive integer, got ${String(option)}`);
  }
  return n;
}
