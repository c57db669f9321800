/**
 * `npm run bench:workers`: is a second decoding thread worth it? Whole `read` processes, the
 * rows of bench/sinsp.ts (the issue's filtered read, every event as the default line, as an
 * 8-field `-p`, as JSON of those fields and as the default JSON), on a generated capture of
 * 3,000,000 events (bench/generate.ts, seed 1) and on busy.scap, each at `--workers 1` and
 * `--workers 2`, alternated A B A B, output to /dev/null: median wall and CPU time (user +
 * system, all threads) and peak RSS, the speed of 2 against 1, and what the default worker count
 * (ts/parallel/worker_count.ts) picks for the row — the numbers its rule is based on. Writes its
 * section of bench/RESULTS.md with the machine and the load (1-minute load average and `uptime`
 * before and after).
 *
 * Environment: BENCH_RUNS (runs per row and worker count, default 3), BENCH_ROWS
 * (comma-separated row ids, default all: filter, line, format, json-format, json),
 * BENCH_CAPTURES (generated, busy; default both), BENCH_GENERATED / BENCH_BUSY (an existing
 * file to use instead of generating / gunzipping one into a temp directory).
 *
 * Run from the project root after `npm run build`: `npm run bench:workers`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { generateCapture } from './generate.js';
import { writeSection } from './results_file.js';
import { compilePrintPlan, planWork, type PrintOptions } from '../ts/pipeline/plan.js';
import { workerCount } from '../ts/parallel/worker_count.js';

const CLI = resolve(process.cwd(), 'dist', 'ts', 'cli', 'main.js');
const BUSY_GZ = resolve(process.cwd(), '..', 'shared', 'captures', 'busy.scap.gz');
const EVENTS = 3_000_000;
const RUNS = Number(process.env.BENCH_RUNS) > 0 ? Number(process.env.BENCH_RUNS) : 3;
/** The issue's filter (bench/sinsp.ts): execs of a binary changed more than 1 s before its process started. */
const FILTER = 'evt.type=execve and proc.exe_ino.ctime_duration_proc_start > 1000000000';
/** The 8 fields of the -p rows (bench/sinsp.ts). */
const FIELDS = '%evt.num %evt.type %proc.name %thread.tid %proc.pid %proc.exepath %evt.res %proc.exe_ino';

interface Row {
  id: string;
  what: string;
  args: string[];
  /** The same, as the options the default worker count weighs. */
  options: PrintOptions;
}

const ROWS: Row[] = [
  { id: 'filter', what: "`-f '…ctime_duration_proc_start > 1000000000'` (filtered read)", args: ['-f', FILTER], options: { filter: FILTER } },
  { id: 'line', what: 'every event, default line', args: [], options: {} },
  { id: 'format', what: 'every event, 8-field `-p`', args: ['-p', FIELDS], options: { print: FIELDS } },
  { id: 'json-format', what: 'every event, JSON of those 8 fields', args: ['--json', '-p', FIELDS], options: { json: true, print: FIELDS } },
  { id: 'json', what: 'every event, default `--json`', args: ['--json'], options: { json: true } },
];

/** One run: wall and CPU seconds, peak RSS (MiB), and the 1-minute load average just before it. */
interface Run { s: number; cpu: number; rssMib: number; load: number }

/** One whole `read` process, output to /dev/null: wall and CPU seconds, peak RSS (MiB) from /usr/bin/time. */
function runOnce(file: string, row: Row, workers: number, dir: string): Run {
  const out = join(dir, 'time.txt');
  const load = loadavg()[0]!;
  const args = ['-f', '%e %U %S %M', '-o', out, process.execPath, CLI, 'read', file, '-q', ...row.args, '--workers', String(workers)];
  const r = spawnSync('/usr/bin/time', args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`read ${file} ${row.args.join(' ')} --workers ${workers} failed (${r.status}): ${r.stderr.slice(-500)}`);
  const [s, user, sys, kib] = readFileSync(out, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  return { s: s!, cpu: user! + sys!, rssMib: kib! / 1024, load };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const fmt = (n: number, d = 2): string => n.toFixed(d);
const cell = (runs: Run[]): string => `${fmt(median(runs.map((r) => r.s)))} s (CPU ${fmt(median(runs.map((r) => r.cpu)))} s), ${fmt(median(runs.map((r) => r.rssMib)), 0)} MiB`;
const loadRange = (runs: Run[]): string => `${fmt(Math.min(...runs.map((r) => r.load)), 1)}–${fmt(Math.max(...runs.map((r) => r.load)), 1)}`;
const uptime = (): string => execFileSync('uptime', { encoding: 'utf8' }).trim();

/** The table of `file`'s rows. */
async function table(name: string, file: string, rows: Row[], dir: string): Promise<string[]> {
  const bytes = statSync(file).size;
  const lines = [
    `### ${name}: ${fmt(bytes / 1e6, 1)} MB`,
    '',
    '| what `read` prints | `--workers 1` | `--workers 2` | 2 vs 1 (wall; CPU) | load (1 min) | default picks |',
    '|---|---:|---:|---|---:|---:|',
  ];
  for (const row of rows) {
    const one: Run[] = [];
    const two: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      one.push(runOnce(file, row, 1, dir));
      two.push(runOnce(file, row, 2, dir));
    }
    const speed = median(one.map((r) => r.s)) / median(two.map((r) => r.s));
    const cpu = median(one.map((r) => r.cpu)) / median(two.map((r) => r.cpu));
    const chosen = workerCount(undefined, planWork(await compilePrintPlan(row.options, () => {}), bytes));
    const line = `| ${row.what} | ${cell(one)} | ${cell(two)} | ${speed >= 1 ? `${fmt(speed)}× faster` : `**${fmt(1 / speed)}× slower**`} (CPU ×${fmt(1 / cpu)}) | ${loadRange([...one, ...two])} | ${chosen} |`;
    console.log(line);
    lines.push(line);
  }
  return lines;
}

async function main(): Promise<void> {
  const ids = process.env.BENCH_ROWS?.split(',').map((s) => s.trim());
  const rows = ROWS.filter((r) => !ids || ids.includes(r.id));
  const which = process.env.BENCH_CAPTURES?.split(',').map((s) => s.trim()) ?? ['generated', 'busy'];
  const dir = mkdtempSync(join(tmpdir(), 'scapdrift-workers-'));
  try {
    const loadBefore = loadavg()[0]!;
    const uptimeBefore = uptime();
    const sections: string[] = [];
    if (which.includes('generated')) {
      let generated = process.env.BENCH_GENERATED;
      if (!generated) {
        generated = join(dir, 'generated.scap');
        const fd = openSync(generated, 'w');
        generateCapture({ seed: 1, events: EVENTS }, (chunk) => { writeSync(fd, chunk); });
        closeSync(fd);
      }
      sections.push(...await table(`Generated: ${EVENTS.toLocaleString('en-US')} events (\`node dist/bench/generate.js --events ${EVENTS} --seed 1\`)`, generated, rows, dir), '');
    }
    if (which.includes('busy')) {
      let busy = process.env.BENCH_BUSY;
      if (!busy) {
        busy = join(dir, 'busy.scap');
        await pipeline(createReadStream(BUSY_GZ), createGunzip(), createWriteStream(busy));
      }
      sections.push(...await table('Real: busy.scap (../shared/captures/busy.scap.gz, gunzipped)', busy, rows, dir), '');
    }
    const loadAfter = loadavg()[0]!;
    const markdown = [
      '## One decoding thread or two (`npm run bench:workers`, bench/workers.ts)',
      '',
      `Whole \`read FILE -q … --workers N\` processes, output to /dev/null, N = 1 and 2 alternated A B A B, ${RUNS} runs each; medians of wall time, CPU time (user + system of all threads) and peak RSS; the range of the 1-minute load average seen before the row's runs. "default picks": the worker count \`read\` uses without \`--workers\` for that row on this machine (ts/parallel/worker_count.ts).`,
      '',
      ...sections,
      `Machine: ${cpus()[0]?.model.trim() ?? '?'}, ${cpus().length} vCPUs, ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM, Node ${process.version}. Load average (1 min) before ${fmt(loadBefore)}, after ${fmt(loadAfter)} (\`uptime\`: ${uptimeBefore} → ${uptime()}) — a VM shared with other jobs.`,
    ].join('\n');
    writeSection('workers', markdown);
    console.log(`\nwritten to bench/RESULTS.md (load ${fmt(loadBefore)} → ${fmt(loadAfter)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
