/** A `scapdrift` command run as a child process with its output collected (the live tests). */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';

/** Upper bound for anything that should end "at once" (a stop, an exit after EPIPE), ms. */
export const PROMPT_MS = 15_000;

/** A running `scapdrift ARGS`, its output collected. */
export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once the driver is attached (the loader's "capturing" line). */
  capturing: Promise<void>;
  /** Resolves when stdout has a line matching `re`. */
  waitOut(re: RegExp, ms?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startCli(args: string[], shell?: string): Running {
  const child = shell === undefined
    ? spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('bash', ['-c', shell], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (t: string) => {
    out += t;
    for (const w of waiters.splice(0)) if (w.re.test(out)) w.resolve(); else waiters.push(w);
  });
  let onCapturing: () => void = () => {};
  const capturing = new Promise<void>((r) => { onCapturing = r; });
  child.stderr!.on('data', (t: string) => {
    err += t;
    if (err.includes('scapdrift-loader: capturing')) onCapturing();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => Promise.race([
    p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`${what} within ${ms} ms; stderr:\n${err}`)), ms).unref()),
  ]);
  const attached = within(Promise.race([capturing, exited.then(() => { throw new Error(`exited before capturing:\n${err}`); })]), 60_000, 'capturing');
  attached.catch(() => {}); // a test that stops it before then does not wait for it
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    capturing: attached,
    waitOut: (re, ms = PROMPT_MS) => within(new Promise<void>((resolve) => {
      if (re.test(out)) resolve(); else waiters.push({ re, resolve });
    }), ms, `stdout line ${re}`),
    exited,
  };
}

/** Exits within `ms` or fails. */
export async function exitsWithin(r: Running, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return Promise.race([r.exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`still running after ${ms} ms; stderr:\n${r.stderr()}`)), ms).unref())]);
}

