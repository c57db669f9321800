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
/** Line the loader prints on stderr once the programs are attached and the process table written. */
const READY_MARK = 'process table:';
/** How long a stopped loader may take to drain and exit before it is killed, ms. */
const STOP_GRACE_MS = 10_000;

/** Path of the loader: $SCAPDRIFT_LOADER, else driver/build/scapdrift-loader of this package. */
export function loaderPath(): string {
  const fromEnv = process.env[LOADER_ENV];
  if (fromEnv) return fromEnv;
  // dist/ts/capture/loader.js -> <package>/driver/build/scapdrift-loader
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

/** Options of {@link startLoader}. Unknown keys are rejected by name. */
export interface LoaderOptions {
  /** Write the stream to this file instead of stdout. */
  writeFile?: string;
  /** Stop after this many seconds; until {@link RunningLoader.stop} when absent. */
  durationSeconds?: number;
  /** Pass the loader's stderr (start line, counters, errors) through to ours; default true. */
  forwardStderr?: boolean;
}

/** How a loader ended. */
export interface LoaderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Everything it printed on stderr. */
  stderr: string;
}

/** A running loader. */
export interface RunningLoader {
  /** The scap stream (undefined with `writeFile`). */
  readonly stdout: Readable | undefined;
  /** Resolves once the programs are attached and the process table is written. */
  readonly ready: Promise<void>;
  /** Resolves when the loader has exited. */
  readonly exited: Promise<LoaderExit>;
  /** SIGTERM: the loader detaches, drains, flushes and exits 0; resolves with its exit. */
  stop(): Promise<LoaderExit>;
  /** Asks the loader to print its counters (SIGUSR1). */
  reportCounters(): void;
}

const OPTION_KEYS = new Set(['writeFile', 'durationSeconds', 'forwardStderr']);

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
    stdio: ['ignore', options.writeFile ? 'ignore' : 'pipe', 'pipe'],
  });
  let stderr = '';
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
    stderr += text;
    if (forward) process.stderr.write(text);
    if (!isReady && stderr.includes(READY_MARK)) markReady();
  });
  const exited = new Promise<LoaderExit>((resolve) => {
    child.on('error', (e) => {
      failReady(new ScapdriftError(ErrorCode.IO, `cannot run ${loaderPath()}: ${e.message}`, { cause: e }));
      resolve({ code: null, signal: null, stderr });
    });
    child.on('close', (code, signal) => {
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
  };
}
