/**
 * Read throughput by worker count on two captures: a generated one of 3,000,000 events
 * (bench/generate.ts, seed 1) and the largest shared real one, busy.scap (gunzipped first, so
 * that gunzip stays out of the rows). Runs `scapdrift bench FILE --workers 1,2,4` on each in a
 * child process, prints the reports, writes their section of bench/RESULTS.md and deletes the
 * temp files.
 *
 * Run from the project root after `npm run build`: `npm run bench:workers`.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { generateCapture } from './generate.js';
import { writeSection } from './results_file.js';

const CLI = path.resolve(process.cwd(), 'dist', 'ts', 'cli', 'main.js');
const BUSY_GZ = path.resolve(process.cwd(), '..', 'shared', 'captures', 'busy.scap.gz');
const EVENTS = 3_000_000;
const WORKERS = '1,2,4';

/** `scapdrift bench` on `file`: its Markdown report. */
function bench(file: string): string {
  const r = spawnSync(process.execPath, [CLI, 'bench', file, '--workers', WORKERS], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`scapdrift bench ${file} failed`);
  return r.stdout;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scapdrift-workers-'));
  try {
    const generated = path.join(dir, 'generated.scap');
    const fd = openSync(generated, 'w');
    generateCapture({ seed: 1, events: EVENTS }, (chunk) => { writeSync(fd, chunk); });
    closeSync(fd);
    const busy = path.join(dir, 'busy.scap');
    await pipeline(createReadStream(BUSY_GZ), createGunzip(), createWriteStream(busy));
    const sections = [
      `### Generated: ${EVENTS.toLocaleString('en-US')} events (\`node dist/bench/generate.js --events ${EVENTS} --seed 1\`)\n\n${bench(generated)}`,
      `### Real: busy.scap (../shared/captures/busy.scap.gz, gunzipped)\n\n${bench(busy)}`,
    ];
    const text = sections.join('\n').replaceAll(dir + path.sep, '');
    process.stdout.write(text);
    writeSection('workers', `## Read throughput by worker count (\`npm run bench:workers\`, bench/workers.ts)\n\n${text}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
