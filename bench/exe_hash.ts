/**
 * The cost of exe hashing under an exec storm (issue 13), whole-process as a user runs it
 * (root, real driver): `npm run bench:hash`. An execve exit printed is an exec captured.
 *
 * Two storms, each with hashing (default) and with `--no-exe-hash`, alternated, median of
 * ROUNDS: (a) N shells running one binary (`/bin/true`) in a loop: every exec after the first
 * is a cache hit; (b) N shells running DISTINCT copies of `true` in turn, each with its own
 * trailing bytes: the first pass reads every file. Reported: execs/s captured, events lost,
 * execs hashed, files read, cache hit rate, missing hashes by cause, CPU time of the scapdrift
 * process (user + system, hashing thread included). Writes the `exe-hash` section of
 * bench/RESULTS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { liveCaptureUnavailable } from '../ts/live/index.js';
import { writeSection } from './results_file.js';

const CLI = fileURLToPath(new URL('../ts/cli/main.js', import.meta.url));
const ROUNDS = 3;
const SECONDS = 5;
const SHELLS = 3;
const DISTINCT = 300;
/** The events printed: successful and failed execve exits, one line per exec. */
const EXEC_EXITS = 'evt.type = execve and evt.dir = <';
const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Run { execs: number; lost: number; hashed: number; read: number; hits: number; missing: string; cpuS: number }

/** `capture --duration SECONDS` (output discarded) under /usr/bin/time; its counters. */
function capture(hash: boolean): Promise<Run> {
  const args = ['-f', 'cpu_s=%U+%S', process.execPath, CLI, 'capture', '--duration', String(SECONDS), '-p', '%evt.num', ...(hash ? [] : ['--no-exe-hash']), EXEC_EXITS];
  const child = spawn('/usr/bin/time', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let lines = 0; // one per execve exit printed
  child.stdout!.on('data', (b: Buffer) => { for (const c of b) if (c === 10) lines++; });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (t: string) => { err += t; });
  return new Promise((resolve, reject) => child.on('close', (code) => {
    if (code !== 0) return reject(new Error(`capture failed:\n${err}`));
    const n = (re: RegExp): number => Number(re.exec(err)?.[1]?.replace(/,/g, '') ?? 0);
    const cpu = /cpu_s=([\d.]+)\+([\d.]+)/.exec(err);
    resolve({
      execs: lines,
      lost: n(/produced, ([\d,]+) lost/),
      hashed: n(/execs, (\d+) hashed/),
      read: n(/\((\d+) read from disk/),
      hits: n(/(\d+) from the cache/),
      missing: /missing(?: \(([^)]*)\))?/.exec(err)?.[1] ?? '',
      cpuS: cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN,
    });
  }));
}

function storm(commands: string[][]): ChildProcess[] {
  return commands.map((bins) => spawn('bash', ['-c', `while :; do for b in ${bins.join(' ')}; do "$b"; done; done`], { stdio: 'ignore' }));
}

async function measure(label: string, make: () => ChildProcess[]): Promise<string[]> {
  const rows: string[] = [];
  const runs: Record<'on' | 'off', Run[]> = { on: [], off: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const mode of ['on', 'off'] as const) {
      const shells = make();
      try {
        runs[mode].push(await capture(mode === 'on'));
      } finally {
        for (const s of shells) s.kill('SIGKILL');
      }
    }
  }
  for (const mode of ['on', 'off'] as const) {
    const r = runs[mode];
    const execs = median(r.map((x) => x.execs));
    const hashedRuns = r.filter((x) => x.execs > 0);
    const hitRate = mode === 'on' ? median(hashedRuns.map((x) => x.hits / Math.max(1, x.hits + x.read))) : NaN;
    rows.push(`| ${label} | ${mode === 'on' ? 'hashing' : '`--no-exe-hash`'} | ${fmt(execs / SECONDS)} | ${fmt(median(r.map((x) => x.lost)))} | `
      + (mode === 'on' ? `${fmt(median(r.map((x) => x.hashed)))} of ${fmt(execs)} | ${fmt(median(r.map((x) => x.read)))} | ${fmt(hitRate * 100, 1)} % | ${r.map((x) => x.missing || '0').join('; ')}` : '— | — | — | —')
      + ` | ${fmt(median(r.map((x) => x.cpuS)), 2)} s |`);
  }
  return rows;
}

async function main(): Promise<void> {
  const why = liveCaptureUnavailable();
  if (why) throw new Error(`bench:hash needs the live driver: ${why}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scapdrift-hashbench-'));
  try {
    const trueBytes = readFileSync('/bin/true');
    const copies = Array.from({ length: DISTINCT }, (_, i) => {
      const p = path.join(dir, `t${i}`);
      writeFileSync(p, Buffer.concat([trueBytes, randomBytes(32)]), { mode: 0o755 });
      return p;
    });
    const load0 = os.loadavg().map((x) => x.toFixed(2)).join(' / ');
    const same = await measure(`${SHELLS} shells × /bin/true`, () => storm(Array.from({ length: SHELLS }, () => ['/bin/true'])));
    const distinct = await measure(`${SHELLS} shells × ${DISTINCT} distinct binaries in turn`, () => storm(Array.from({ length: SHELLS }, (_, s) => copies.filter((_, i) => i % SHELLS === s))));
    const load1 = os.loadavg().map((x) => x.toFixed(2)).join(' / ');
    const table = ['| storm | mode | execs/s captured | lost | execs hashed | files read | cache hit rate | missing (per run) | scapdrift CPU |',
      '|---|---|---:|---:|---:|---:|---:|---|---:|', ...same, ...distinct].join('\n');
    console.log(table);
    writeSection('exe-hash', [
      '## Exe hashing under an exec storm (`npm run bench:hash`, bench/exe_hash.ts)',
      '',
      `Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}, Linux ${os.release()}. Load average (1 / 5 / 15 min): ${load0} before, ${load1} after. \`capture --duration ${SECONDS} '${EXEC_EXITS}'\`, output discarded; median of ${ROUNDS} runs per row, hashing and \`--no-exe-hash\` alternated. Cache hit rate = hashes from the cache / (from the cache + files read); the running processes' executables (process table) are in both counts.`,
      '',
      table,
    ].join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
