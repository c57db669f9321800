/**
 * The live capture driver from TypeScript: where the loader binary is, whether
 * this machine can run it, and a handle on a running loader whose stdout is the
 * scap stream (driver/README.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { ScapdriftError, ErrorCode } from '../errors.js';

/** Environment variable that overrides the loader's path. */
export const LOADER_ENV = 'SCAPDRIFT_LOADER';
/** The kernel BTF the CO-RE programs are relocated against. */
const KERNEL_BTF = '/sys/kernel/btf/vmlinux';
/**
 * Line the loader prints on stderr once the process table is in the stream. Events are
 * captured from the attach before it ("capturing"); a process that exits while /proc is
 * read may miss from the table, so a caller that needs the table waits for this line.
 * On stderr, it never waits on stdout's reader.
 */
const READY_MARK = 'scapdrift-loader: process table:';
/** Prefix of the loader's counter lines on stderr (driver/loader/main.c report_counters). */
const COUNTERS_MARK = 'scapdrift-loader: counters:';
/** How often the loader prints its counters during a capture, ms (its -i). */
export const COUNTERS_INTERVAL_MS = 1000;
/** How long a stopped loader may take to drain and exit before it is killed, ms. */
export const STOP_GRACE_MS = 10_000;

/** Path of the loader: $SCAPDRIFT_LOADER, else driver/build/scapdrift-loader of this package. */
export function loaderPath(): string {
  const fromEnv = process.env[LOADER_ENV];
  if (fromEnv) return fromEnv;
  // dist/ts/live/loader.js -> <package>/driver/build/scapdrift-loader
  return fileURLToPath(new URL('../../../driver/build/scapdrift-loader', import.meta.url));
}

/** Why live capture cannot run here (one line), or undefined when it can. */
export function liveCaptureUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `live capture needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'live capture needs root (eBPF programs are loaded into the kernel)';
  if (!existsSync(KERNEL_BTF)) return `the kernel has no BTF (${KERNEL_BTF}); the CO-RE driver needs CONFIG_DEBUG_INFO_BTF=y`;
  const loader = loaderPath();
  if (!existsSync(loader)) return `the driver is not built (${loader} is missing): run make -C driver`;
  return undefined;
}

/**
 * The loader's counters, as it prints them (driver/include/scapdrift_abi.h SD_CNT_NAMES,
 * then the loader's own): the driver's per-CPU counters summed, and what the loader wrote.
 */
export interface LoaderCounters {
  /** Frames the driver put in the ring buffer. */
  events: number;
  /** Frames lost: ring buffer full. */
  drop_ringbuf_full: number;
  /** Frames lost: no per-CPU scratch slot. */
  drop_no_scratch: number;
  /** Frames lost: larger than the driver's frame limit. */
  drop_too_large: number;
  /** Parameters sent empty because a kernel/user read failed (the event is kept). */
  read_fault: number;
  /** Strings, buffers or cgroup paths cut at their limit (the event is kept). */
  truncated: number;
  /** Ring records that were not a whole frame (lost). */
  malformed: number;
  /** Frames lost because the start-up spool (events held while /proc is read) was full. */
  drop_start_spool: number;
  /** Enforcement (`-e`): execs killed, execs a policy matched that were not killed, of those the ones over the rate limit and the ones never killed (pid 1, the capture's own). */
  enforce_killed: number;
  enforce_would_kill: number;
  enforce_rate_limited: number;
  enforce_spared: number;
  /** EV blocks the loader wrote to its output. */
  written: number;
}

/** Names of the counters that count lost events. */
export const DROP_COUNTERS = ['drop_ringbuf_full', 'drop_no_scratch', 'drop_too_large', 'malformed', 'drop_start_spool'] as const;

/** Events lost, all causes. */
export function lostEvents(c: LoaderCounters): number {
  return DROP_COUNTERS.reduce((sum, k) => sum + c[k], 0);
}

/** Parses a "counters: name=value ..." line; undefined for any other line. */
export function parseCounters(line: string): LoaderCounters | undefined {
  const at = line.indexOf(COUNTERS_MARK);
  if (at < 0) return undefined;
  const out: Record<string, number> = {};
  for (const pair of line.slice(at + COUNTERS_MARK.length).trim().split(/\s+/)) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq)] = Number(pair.slice(eq + 1));
  }
  return out as unknown as LoaderCounters;
}

/** Options of {@link startLoader}. Unknown keys are rejected by name. */
export interface LoaderOptions {
  /** Write the stream to this file instead of stdout. */
  writeFile?: string;
  /** Stop after this many seconds; until {@link RunningLoader.stop} when absent. */
  durationSeconds?: number;
  /** Pass the loader's stderr (start line, errors; counter lines only with `forwardCounters`) through to ours; default true. */
  forwardStderr?: boolean;
  /** Called with the counters each time the loader prints them (every {@link COUNTERS_INTERVAL_MS} and at exit). */
  onCounters?: (counters: LoaderCounters) => void;
  /** Enforcement at exec: 'audit' decides and reports, 'enforce' also kills (driver/README.md, "Enforcement"). */
  enforce?: 'audit' | 'enforce';
  /** With `enforce`: the kill-switch file (no kill once it exists). */
  killSwitchFile?: string;
}

/** How a loader ended. */
export interface LoaderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Everything it printed on stderr; of the periodic counter lines, only the last. */
  stderr: string;
}

/** A running loader. */
export interface RunningLoader {
  /** The scap stream (undefined with `writeFile`). */
  readonly stdout: Readable | undefined;
  /**
   * Resolves once the programs are attached and the process table is in the stream (events
   * are captured from the attach, a little earlier). Independent of reading `stdout`.
   */
  readonly ready: Promise<void>;
  /** The last counters the loader printed (the final ones once it has exited). */
  readonly counters: LoaderCounters | undefined;
  /** Resolves when the loader has exited. */
  readonly exited: Promise<LoaderExit>;
  /** SIGTERM: the loader detaches, drains, flushes and exits 0; resolves with its exit. */
  stop(): Promise<LoaderExit>;
  /** Asks the loader to print its counters (SIGUSR1). */
  reportCounters(): void;
  /** With `enforce`: sends policy lines (driver/loader/enforce.c) to the loader. */
  control(text: string): void;
  /** With `enforce`: throws the kill switch (SIGUSR2): no more kills, at once. */
  killSwitch(): void;
}

const OPTION_KEYS = new Set(['writeFile', 'durationSeconds', 'forwardStderr', 'onCounters', 'enforce', 'killSwitchFile']);

function validate(options: LoaderOptions): string[] {
  if (typeof options !== 'object' || options === null) throw new ScapdriftError(ErrorCode.OPTION, 'options must be an object');
  for (const k of Object.keys(options)) {
    if (!OPTION_KEYS.has(k)) throw new ScapdriftError(ErrorCode.OPTION, `unknown option ${k}; known: ${[...OPTION_KEYS].join(', ')}`);
  }
  const args: string[] = [];
  if (options.writeFile !== undefined) {
    if (typeof options.writeFile !== 'string' || options.writeFile === '') throw new ScapdriftError(ErrorCode.OPTION, 'options.writeFile must be a file path');
    args.push('-w', options.writeFile);
  }
  if (options.durationSeconds !== undefined) {
    const d = options.durationSeconds;
    if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0) throw new ScapdriftError(ErrorCode.OPTION, 'options.durationSeconds must be a positive number');
    args.push('-d', String(d));
  }
  if (options.forwardStderr !== undefined && typeof options.forwardStderr !== 'boolean') {
    throw new ScapdriftError(ErrorCode.OPTION, 'options.forwardStderr must be a boolean');
  }
  if (options.onCounters !== undefined && typeof options.onCounters !== 'function') {
    throw new ScapdriftError(ErrorCode.OPTION, 'options.onCounters must be a function');
  }
  if (options.enforce !== undefined) {
    if (options.enforce !== 'audit' && options.enforce !== 'enforce') throw new ScapdriftError(ErrorCode.OPTION, "options.enforce must be 'audit' or 'enforce'");
    args.push('-e', options.enforce, '-C');
    if (options.killSwitchFile !== undefined) {
      if (typeof options.killSwitchFile !== 'string' || options.killSwitchFile === '') throw new ScapdriftError(ErrorCode.OPTION, 'options.killSwitchFile must be a file path');
      args.push('-k', options.killSwitchFile);
    }
  } else if (options.killSwitchFile !== undefined) {
    throw new ScapdriftError(ErrorCode.OPTION, 'options.killSwitchFile needs options.enforce');
  }
  args.push('-i', String(COUNTERS_INTERVAL_MS));
  return args;
}

/**
 * Starts the loader. Throws E_IO with the reason when live capture is unavailable
 * (see {@link liveCaptureUnavailable}); `ready` rejects with the loader's own
 * one-line error when it fails to load or attach.
 */
export function startLoader(options: LoaderOptions = {}): RunningLoader {
  const args = validate(options);
  const why = liveCaptureUnavailable();
  if (why) throw new ScapdriftError(ErrorCode.IO, why);
  const forward = options.forwardStderr ?? true;
  const child: ChildProcess = spawn(loaderPath(), args, {
    stdio: [options.enforce ? 'pipe' : 'ignore', options.writeFile ? 'ignore' : 'pipe', 'pipe'],
  });
  child.stdin?.on('error', () => {}); // a loader that exited: its exit status says why
  let stderr = '';
  let partial = ''; // an unfinished stderr line
  let counters: LoaderCounters | undefined;
  let countersLine = ''; // the last one, added to `stderr` at exit (not every one: a day would be MBs)
  let markReady: () => void = () => {};
  let failReady: (e: Error) => void = () => {};
  let isReady = false;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = () => { isReady = true; resolve(); };
    failReady = reject;
  });
  ready.catch(() => {}); // observed through `exited` when nobody awaits it
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const c = parseCounters(line);
      if (c) {
        counters = c;
        countersLine = line + '\n';
        options.onCounters?.(c);
        continue; // the latest are kept; the caller shows them
      }
      stderr += line + '\n';
      if (forward) process.stderr.write(line + '\n');
      if (!isReady && line.startsWith(READY_MARK)) markReady();
    }
  });
  const exited = new Promise<LoaderExit>((resolve) => {
    child.on('error', (e) => {
      failReady(new ScapdriftError(ErrorCode.IO, `cannot run ${loaderPath()}: ${e.message}`, { cause: e }));
      resolve({ code: null, signal: null, stderr });
    });
    child.on('close', (code, signal) => {
      stderr += countersLine + partial;
      if (!isReady) {
        const line = stderr.trim().split('\n').find((l) => l.includes('failed to')) ?? `the loader exited (${code ?? signal}) before it was ready`;
        failReady(new ScapdriftError(ErrorCode.IO, line.replace(/^scapdrift-loader: /, 'live capture: ')));
      }
      resolve({ code, signal, stderr });
    });
  });
  return {
    stdout: (child.stdout ?? undefined) as Readable | undefined,
    ready,
    get counters() { return counters; },
    exited,
    stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        void exited.then(() => clearTimeout(timer));
      }
      return exited;
    },
    reportCounters() {
      if (child.exitCode === null) child.kill('SIGUSR1');
    },
    control(text: string) {
      child.stdin?.write(text);
    },
    killSwitch() {
      if (child.exitCode === null) child.kill('SIGUSR2');
    },
  };
}
