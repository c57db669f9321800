/**
 * `npm run bench:sinsp`: scapdrift against libsinsp's own `sinsp-example` (issue 17's table),
 * side by side on busy.scap (gunzipped once to a temp file: libscap then reads a plain file) and
 * on a tiny capture; scapdrift as the package's `bin` runs it (`node dist/bin/cli/main.cjs`). Whole processes, alternated A B A B, output to /dev/null; each row gives
 * the median wall time and peak RSS of each, and the ratio (libsinsp ÷ scapdrift: above 1,
 * scapdrift is faster).
 *
 * sinsp-example comes from $SINSP_EXAMPLE (default /opt/oracle/bin/sinsp-example, built by
 * ../shared/tools/build-oracle.sh); when it is absent the harness says so in one line and
 * measures nothing. Environment: BENCH_RUNS (runs per tool and row, default 3),
 * BENCH_RUNS_EVERY_EVENT (runs of the rows that print every event, default BENCH_RUNS), BENCH_ROWS
 * (comma-separated row ids, default all: filter, filter-w1, line, format, json-format, json,
 * startup, startup-filter, startup-rules). The start-up rows also give `node -e 0` (wall and CPU)
 * and scapdrift's time over it, the issue's measure (goal: 50 ms). Writes its section of
 * bench/RESULTS.md with the machine and the load.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { writeSection } from './results_file.js';

const SINSP = process.env.SINSP_EXAMPLE ?? '/opt/oracle/bin/sinsp-example';
const RUNS = Number(process.env.BENCH_RUNS) > 0 ? Number(process.env.BENCH_RUNS) : 3;
const RUNS_EVERY_EVENT = Number(process.env.BENCH_RUNS_EVERY_EVENT) > 0 ? Number(process.env.BENCH_RUNS_EVERY_EVENT) : RUNS;
/** What a user runs: the package's `bin` (the bundled command line, dist/bin/cli/main.cjs). */
const CLI = resolve(process.cwd(), (JSON.parse(readFileSync(resolve(process.cwd(), 'package.json'), 'utf8')) as { bin: { scapdrift: string } }).bin.scapdrift);
const CAPTURES = resolve(process.cwd(), '..', 'shared', 'captures');
const TINY = join(CAPTURES, 'curl_google.scap');
/** The filter: execs of a binary changed more than 1 s before its process started. */
const FILTER = 'evt.type=execve and proc.exe_ino.ctime_duration_proc_start > 1000000000';
/** The 8 fields of the -p / -o rows. */
const FIELDS = '%evt.num %evt.type %proc.name %thread.tid %proc.pid %proc.exepath %evt.res %proc.exe_ino';

interface Row {
  id: string;
  /** Prints every event (the long rows: BENCH_RUNS_EVERY_EVENT). */
  every?: boolean;
  what: string;
  scapdrift: (busy: string) => string[];
  sinsp: (busy: string) => string[];
}

const ROWS: Row[] = [
  { id: 'filter', what: `\`read busy.scap -f '${FILTER}'\` (default workers)`, scapdrift: (b) => ['read', b, '-f', FILTER, '-q'], sinsp: (b) => ['-s', b, '-a', '-f', FILTER] },
  { id: 'filter-w1', what: 'same, `--workers 1`', scapdrift: (b) => ['read', b, '-f', FILTER, '-q', '--workers', '1'], sinsp: (b) => ['-s', b, '-a', '-f', FILTER] },
  { id: 'line', every: true, what: 'every event, default line', scapdrift: (b) => ['read', b, '-q'], sinsp: (b) => ['-s', b, '-a'] },
  { id: 'format', every: true, what: 'every event, the same 8-field `-p` format (`-o`)', scapdrift: (b) => ['read', b, '-q', '-p', FIELDS], sinsp: (b) => ['-s', b, '-a', '-o', FIELDS] },
  { id: 'json-format', every: true, what: 'every event, JSON of those 8 fields', scapdrift: (b) => ['read', b, '-q', '--json', '-p', FIELDS], sinsp: (b) => ['-s', b, '-a', '-j', '-o', FIELDS] },
  { id: 'json', every: true, what: 'every event, default `--json` vs `-j`', scapdrift: (b) => ['read', b, '-q', '--json'], sinsp: (b) => ['-s', b, '-a', '-j'] },
  { id: 'startup', what: 'a tiny capture (curl_google.scap, 22 KB: start-up)', scapdrift: () => ['read', TINY, '-q'], sinsp: () => ['-s', TINY, '-a'] },
  { id: 'startup-filter', what: "same, `-f 'evt.type=execve'`", scapdrift: () => ['read', TINY, '-q', '-f', 'evt.type=execve'], sinsp: () => ['-s', TINY, '-a', '-f', 'evt.type=execve'] },
  { id: 'startup-rules', what: 'same, `--default-rules` (sinsp-example has no rules engine: its plain read)', scapdrift: () => ['read', TINY, '-q', '--default-rules'], sinsp: () => ['-s', TINY, '-a'] },
];

/** Rows that also time `node -e 0`, the floor of any Node tool. */
const isStartup = (row: Row): boolean => row.id.startsWith('startup');

/** One whole process, output to /dev/null: wall seconds, CPU seconds (user + system) and peak RSS (MiB) from /usr/bin/time. */
function runOnce(cmd: string, args: string[], dir: string): { s: number; cpu: number; rssMib: number } {
  const out = join(dir, 'time.txt');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', out, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-500)}`);
  const [s, user, sys, kib] = readFileSync(out, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  return { s: s!, cpu: user! + sys!, rssMib: kib! / 1024 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const fmt = (n: number, d = 2): string => n.toFixed(d);

async function main(): Promise<void> {
  if (!existsSync(SINSP)) {
    console.log(`bench:sinsp: skipped — sinsp-example not found at ${SINSP} (set SINSP_EXAMPLE, or build it with ../shared/tools/build-oracle.sh)`);
    return;
  }
  const ids = process.env.BENCH_ROWS?.split(',').map((s) => s.trim());
  const rows = ROWS.filter((r) => !ids || ids.includes(r.id));
  const dir = mkdtempSync(join(tmpdir(), 'scapdrift-sinsp-'));
  const busy = join(dir, 'busy.scap');
  try {
    if (rows.some((r) => r.id !== 'startup')) await pipeline(createReadStream(join(CAPTURES, 'busy.scap.gz')), createGunzip(), createWriteStream(busy));
    const loadBefore = loadavg()[0]!;
    const lines: string[] = [];
    for (const row of rows) {
      const a: { s: number; cpu: number; rssMib: number }[] = [];
      const b: { s: number; cpu: number; rssMib: number }[] = [];
      const floor: { s: number; cpu: number; rssMib: number }[] = [];
      const runs = row.every ? RUNS_EVERY_EVENT : RUNS;
      for (let i = 0; i < runs; i++) {
        a.push(runOnce(process.execPath, [CLI, ...row.scapdrift(busy)], dir));
        b.push(runOnce(SINSP, row.sinsp(busy), dir));
        if (isStartup(row)) floor.push(runOnce(process.execPath, ['-e', '0'], dir));
      }
      const sa = median(a.map((x) => x.s));
      const sb = median(b.map((x) => x.s));
      const ratio = sb / sa;
      const cpuRatio = median(b.map((x) => x.cpu)) / median(a.map((x) => x.cpu));
      const cell = (xs: { s: number; cpu: number; rssMib: number }[]): string =>
        `${fmt(median(xs.map((x) => x.s)))} s (CPU ${fmt(median(xs.map((x) => x.cpu)))} s), ${fmt(median(xs.map((x) => x.rssMib)), 0)} MiB`;
      const vs = (r: number): string => (r >= 1 ? `${fmt(r)}× faster` : `**${fmt(1 / r)}× slower**`);
      const floorS = median(floor.map((x) => x.s));
      const floorCpu = median(floor.map((x) => x.cpu));
      const over = floor.length ? ` (\`node -e 0\`: ${fmt(floorS)} s, CPU ${fmt(floorCpu)} s; scapdrift − that: ${fmt((sa - floorS) * 1000, 0)} ms, CPU ${fmt((median(a.map((x) => x.cpu)) - floorCpu) * 1000, 0)} ms)` : '';
      const line = `| ${row.what} | ${cell(a)} | ${cell(b)} | ${vs(ratio)} (CPU: ${vs(cpuRatio)})${over} |`;
      console.log(line);
      lines.push(line);
    }
    const loadAfter = loadavg()[0]!;
    const markdown = [
      '## scapdrift against libsinsp\'s sinsp-example (`npm run bench:sinsp`, bench/sinsp.ts)',
      '',
      `Whole processes alternated A B A B, ${RUNS} runs each (${RUNS_EVERY_EVENT} for the rows of every event), medians of wall time, CPU time (user + system, which the machine's load inflates less) and peak RSS; output to /dev/null; busy.scap gunzipped to a temp file (page cache). sinsp-example: \`${SINSP}\` (\`-s FILE -a\`, with \`-f\`, \`-o\`, \`-j\` as the row says).`,
      '',
      '| what the user runs | scapdrift | libsinsp | scapdrift vs libsinsp (wall; CPU) |',
      '|---|---:|---:|---|',
      ...lines,
      '',
      `Machine: ${cpus()[0]?.model.trim() ?? '?'}, ${cpus().length} vCPUs, ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM, Node ${process.version}. Load average (1 min) before ${fmt(loadBefore)}, after ${fmt(loadAfter)} — a VM shared with other jobs: wall times vary by up to 2× between runs.`,
    ].join('\n');
    writeSection('sinsp', markdown);
    console.log(`\nwritten to bench/RESULTS.md (load ${fmt(loadBefore)} → ${fmt(loadAfter)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
