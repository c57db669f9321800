/**
 * Live capture on a loaded host, measured whole-process as a user runs it (root, real
 * driver): `npm run bench:capture`.
 *
 * 1. Start at scale: P processes × T threads, each process with 4 KB of args and 4 KB of
 *    environment (libs' PL limits), then `scapdrift capture --duration 1`: time to the
 *    loader's "capturing" line (programs attached), the /proc scan as the loader reports it,
 *    and the whole run.
 * 2. Exec storm: N shells running `/bin/true` in a loop, `capture --duration 5` with the
 *    default rules (what `npm start` runs) and with every event printed: execs/s and
 *    events/s captured, events lost (by cause), peak RSS of the scapdrift process.
 * 3. Driver cost: a loop of execs and loops of write(2) with no capture and with the
 *    loader running, alternated A B A B; the difference per call.
 *
 * Prints the tables and writes the `capture` section of bench/RESULTS.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { liveCaptureUnavailable, loaderPath } from '../ts/live/index.js';
import { writeSection } from './results_file.js';

const CLI = fileURLToPath(new URL('../ts/cli/main.js', import.meta.url));
const ROUNDS = 3;
const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `cmd` to its end; its stdout and stderr, and when each stderr line came (ms since spawn). */
function runTimed(cmd: string, args: string[], onStdout?: (chunk: string) => void): Promise<{ code: number | null; stderr: string; lineAt: Map<string, number>; ms: number }> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const lineAt = new Map<string, number>();
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (t: string) => onStdout?.(t));
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (t: string) => {
    stderr += t;
    for (const l of t.split('\n')) if (l) lineAt.set(l, performance.now() - t0);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr, lineAt, ms: performance.now() - t0 })));
}

function at(lineAt: Map<string, number>, re: RegExp): number {
  for (const [l, t] of lineAt) if (re.test(l)) return t;
  return NaN;
}

/** Processes of `threads` threads each, with 4 KB of args and 4 KB of environment. */
function busyHost(processes: number, threads: number): ChildProcess[] {
  const pad = 'x'.repeat(4096);
  const script = 'import threading,time,sys\nfor _ in range(int(sys.argv[1])-1): threading.Thread(target=time.sleep,args=(600,),daemon=True).start()\ntime.sleep(600)\n';
  return Array.from({ length: processes }, () => spawn('python3', ['-c', script, String(threads), pad], { stdio: 'ignore', env: { ...process.env, BENCH_PAD: pad } }));
}

async function startAtScale(): Promise<string> {
  const rows: string[] = [];
  for (const [procs, threads] of [[50, 10], [50, 100]] as const) {
    const host = busyHost(procs, threads);
    await sleep(3000);
    const attach: number[] = [];
    const scan: number[] = [];
    const first: number[] = [];
    let scanned = 0;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scapdrift-bench-'));
    let plBytes = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const file = path.join(dir, 'start.scap');
      const r = await runTimed(process.execPath, [CLI, 'capture', '--duration', '1', '-w', file, '-f', 'evt.type = execve', '-p', '%evt.num']);
      if (r.code !== 0) throw new Error(r.stderr);
      attach.push(at(r.lineAt, /capturing \(pid/));
      const m = /process table: (\d+) threads in (\d+) ms/.exec(r.stderr)!;
      scanned = Number(m[1]);
      scan.push(Number(m[2]));
      first.push(at(r.lineAt, /process table:/));
      plBytes = statSync(file).size;
    }
    rmSync(dir, { recursive: true, force: true });
    for (const h of host) h.kill('SIGKILL');
    rows.push(`| ${fmt(procs)} × ${fmt(threads)} | ${fmt(scanned)} | ${fmt(plBytes / 1e6, 1)} MB | ${fmt(median(attach))} ms | ${fmt(median(scan))} ms | ${fmt(median(first))} ms |`);
  }
  return ['| processes × threads | threads in the PL | capture file after 1 s | spawn → attached ("capturing") | /proc scan (loader) | spawn → PL written |',
    '|---|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

/** Shells that exec /bin/true in a loop until killed. */
function storm(shells: number): ChildProcess[] {
  return Array.from({ length: shells }, () => spawn('bash', ['-c', 'while :; do /bin/true; done'], { stdio: 'ignore' }));
}

/**
 * Loops that open a file for writing, write a byte and close it, as fast as they can: two
 * events each (the open's exit and the first write), far more per second than this
 * machine can exec — what finds the rate at which the pipeline starts to lose events.
 */
function writeStorm(loops: number, dir: string): ChildProcess[] {
  const script = 'import os,sys\np=sys.argv[1]\nwhile True:\n  fd=os.open(p,os.O_WRONLY|os.O_CREAT,0o644); os.write(fd,b"x"); os.close(fd)\n';
  return Array.from({ length: loops }, (_, i) => spawn('python3', ['-c', script, path.join(dir, `w${i}`)], { stdio: 'ignore' }));
}

async function execStorm(): Promise<string> {
  const rows: string[] = [];
  const seconds = 5;
  const outputs = [
    ['default rules (what npm start runs)', ['--default-rules']],
    ['execs printed (-f evt.type=execve -p)', ['-f', 'evt.type = execve', '-p', '%evt.num %evt.type']],
    ['every event printed (-p)', ['-p', '%evt.num %evt.type']],
  ] as const;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scapdrift-bench-'));
  const runs = [
    ...outputs.flatMap(([label, args]) => [1, 2, 4].map((n) => ({ label, args, n, load: 'exec', start: () => storm(n) }))),
    ...[outputs[0], outputs[2]].flatMap(([label, args]) => [1, 2].map((n) => ({ label, args, n, load: 'open+write', start: () => writeStorm(n, dir) }))),
  ];
  for (const { label, args, n: loops, load, start } of runs) {
    const loop = start();
    let execs = 0;
    const r = await runTimed('/usr/bin/time', ['-f', 'peak_rss_kib=%M', process.execPath, CLI, 'capture', '--duration', String(seconds), ...args], (t) => {
      for (const l of t.split('\n')) if (l.endsWith(' execve')) execs++;
    });
    for (const s of loop) s.kill('SIGKILL');
    if (r.code !== 0) throw new Error(r.stderr);
    const m = /capture ended: ([\d,]+) events produced, ([\d,]+) lost(?: \(([^)]*)\))?, ([\d,]+) written/.exec(r.stderr)!;
    const n = (s: string): number => Number(s.replace(/,/g, ''));
    const produced = n(m[1]!);
    const lost = n(m[2]!);
    const rss = Number(/peak_rss_kib=(\d+)/.exec(r.stderr)![1]) / 1024;
    const execRate = (args as readonly string[]).includes('-p') ? fmt(execs / seconds) : '—';
    rows.push(`| ${label} | ${loops} × ${load} | ${fmt(produced / seconds)} | ${execRate} | ${fmt(lost)}${m[3] ? ` (${m[3]})` : ''} | ${fmt(rss)} MiB |`);
  }
  rmSync(dir, { recursive: true, force: true });
  return ['| output | storm loops | events/s produced | execs/s captured | lost | peak RSS (scapdrift) |', '|---|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

/** Starts the loader writing to `file`; resolves once its process table is written. */
async function loaderRunning(file: string): Promise<ChildProcess> {
  const child = spawn(loaderPath(), ['-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (t: string) => { err += t; if (err.includes('process table:')) resolve(); });
    child.on('close', () => reject(new Error(err)));
  });
  return child;
}

function timeShell(script: string): number {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', script], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${script} failed`);
  return performance.now() - t0;
}

async function driverCost(): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scapdrift-bench-'));
  const execs = 2000;
  const writes = 1_000_000;
  const target = path.join(dir, 'written');
  writeFileSync(target, '');
  const work = {
    exec: `for i in $(seq ${execs}); do /bin/true; done`,
    writeNull: `dd if=/dev/zero of=/dev/null bs=1 count=${writes} status=none`,
    writeFile: `dd if=/dev/zero of=${target} bs=1 count=${writes} status=none`,
  };
  const off: Record<string, number[]> = { exec: [], writeNull: [], writeFile: [] };
  const on: Record<string, number[]> = { exec: [], writeNull: [], writeFile: [] };
  for (let i = 0; i < ROUNDS + 2; i++) {
    for (const k of Object.keys(work) as (keyof typeof work)[]) off[k]!.push(timeShell(work[k]));
    const loader = await loaderRunning(path.join(dir, 'cost.scap'));
    for (const k of Object.keys(work) as (keyof typeof work)[]) on[k]!.push(timeShell(work[k]));
    loader.kill('SIGTERM');
    await new Promise((r) => loader.on('close', r));
  }
  rmSync(dir, { recursive: true, force: true });
  const row = (label: string, k: keyof typeof work, n: number, unit: 'µs' | 'ns'): string => {
    const a = median(off[k]!);
    const b = median(on[k]!);
    const per = ((b - a) / n) * (unit === 'µs' ? 1e3 : 1e6);
    return `| ${label} | ${fmt(n)} | ${fmt(a)} ms | ${fmt(b)} ms | ${fmt(per, unit === 'µs' ? 1 : 0)} ${unit} |`;
  };
  return ['| workload | calls | no capture (median) | loader running (median) | added per call |', '|---|---:|---:|---:|---:|',
    row('exec of /bin/true (fork + execve + exit) from a bash loop', 'exec', execs, 'µs'),
    row('write(2) of 1 byte to /dev/null (not opened for writing a file: dropped in the dispatcher)', 'writeNull', writes, 'ns'),
    row('write(2) of 1 byte to a regular file opened for writing (first write sent, the rest checked)', 'writeFile', writes, 'ns')].join('\n');
}

async function main(): Promise<void> {
  const why = liveCaptureUnavailable();
  if (why) throw new Error(`bench:capture needs the live driver: ${why}`);
  const load0 = os.loadavg().map((x) => x.toFixed(2)).join(' / ');
  const start = await startAtScale();
  console.log(start);
  const stormTable = await execStorm();
  console.log(stormTable);
  const execMs = timeShell('for i in $(seq 200); do /bin/true; done') / 200;
  const cost = await driverCost();
  console.log(cost);
  const load1 = os.loadavg().map((x) => x.toFixed(2)).join(' / ');
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  writeSection('capture', [
    '## Live capture (`npm run bench:capture`, bench/capture.ts)',
    '',
    `Machine: ${cpu}, ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, Node ${process.version}, Linux ${os.release()}. Load average (1 / 5 / 15 min): ${load0} before, ${load1} after. Median of ${ROUNDS} runs (driver cost: ${ROUNDS + 2} alternated rounds).`,
    '',
    '### Start with a big process table (4 KB args + 4 KB env per process)',
    '',
    start,
    '',
    '### Exec and file-event storms (`capture --duration 5`)',
    '',
    `N × exec: N shells running \`/bin/true\` in a loop (one exec here takes ${fmt(execMs, 1)} ms from a bash loop, measured in this run: the machine, not the driver, bounds the exec rate). N × open+write: N Python loops that open a file for writing, write a byte and close it (two events each).`,
    '',
    stormTable,
    '',
    '### Driver cost per syscall',
    '',
    cost,
  ].join('\n'));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
