/**
 * Peak RSS of `read` against capture size: generates a ~100 MB and a ~1 GB capture
 * (bench/generate.ts, same seed) in a temp dir, reads each in a child process — `read` with a
 * filter that never matches, on 1 worker and on the default count (the cores) — and reports the
 * child's peak RSS (process.resourceUsage().maxRSS). Memory is bounded when the 1 GB read peaks
 * no higher than the 100 MB one (± 20 %). Prints the table, writes its section of
 * bench/RESULTS.md and deletes the captures.
 *
 * Run from the project root after `npm run build`: `npm run bench:rss`.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCapture } from './generate.js';
import { readCommand } from '../ts/cli/read.js';
import { writeSection } from './results_file.js';

/** Capture sizes, bytes (10^6). */
const SIZES = [100e6, 1000e6];
const NEVER = 'proc.name = "scapdrift rss: no such process"';
const SEED = 1;

/** Child mode: `rss.js --child FILE WORKERS` reads FILE and prints {"maxRssKiB", "events"}. */
async function child(file: string, workers: string): Promise<void> {
  const summary = await readCommand(file, { condition: NEVER, quiet: true, ...(workers === 'default' ? {} : { workers }) });
  process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, events: summary.events }) + '\n');
}

/** Peak RSS of a child reading `file`, KiB, and the events it read. */
function measure(file: string, workers: string): { maxRssKiB: number; events: number } {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', file, workers], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`reading ${file} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { maxRssKiB: number; events: number };
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scapdrift-rss-'));
  try {
    const cores = os.availableParallelism();
    const rows: string[] = [];
    const peaks = new Map<string, number[]>();
    for (const size of SIZES) {
      const file = path.join(dir, `${size / 1e6}MB.scap`);
      const fd = openSync(file, 'w');
      const g = generateCapture({ seed: SEED, bytes: size }, (chunk) => { writeSync(fd, chunk); });
      closeSync(fd);
      for (const workers of ['1', 'default']) {
        const m = measure(file, workers);
        if (m.events !== g.events) throw new Error(`read ${m.events} events of ${g.events}`);
        peaks.set(workers, [...(peaks.get(workers) ?? []), m.maxRssKiB]);
        const label = workers === 'default' ? `${cores} (default)` : workers;
        rows.push(`| ${fmt(g.bytes / 1e6)} MB | ${fmt(g.events)} | ${label} | ${fmt(m.maxRssKiB / 1024, 1)} MiB |`);
      }
      rmSync(file);
    }
    const ratios = [...peaks].map(([w, [small, large]]) => `${w === 'default' ? `${cores} workers` : '1 worker'}: ${fmt(large! / small!, 2)}`);
    const text = [
      `Peak RSS (maxRSS of the \`read\` process, all threads) reading generated captures (bench/generate.ts, seed ${SEED}) ` +
        `with \`${NEVER}\`: nothing printed, every frame decoded and filtered.`,
      '',
      '| capture | events | workers | peak RSS |',
      '|---:|---:|---:|---:|',
      ...rows,
      '',
      `Peak RSS at 1 GB ÷ peak RSS at 100 MB — ${ratios.join('; ')} (bounded memory: within 0.8–1.2).`,
      '',
      `Machine: ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cores} cores, Node ${process.version}.`,
      '',
    ].join('\n');
    process.stdout.write(text);
    writeSection('rss', `## Peak RSS against capture size (\`npm run bench:rss\`, bench/rss.ts)\n\n${text}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!);
else await main();
