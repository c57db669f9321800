/**
 * Memory per worker: a block's declared size does not set the memory of a read. A 100 MB
 * machine-info or event block is rejected at its header; a 72 MB process list (60,000 entries
 * of one thread) and a 100 MB block of an unknown type are read as they arrive, by the splitter
 * and by every replica alike. Peak RSS of a child `read` at 1, 2 and 4 workers stays under
 * BASE_MIB + PER_THREAD_MIB per decoding thread beyond the first (before: 340–380 MiB on one
 * thread, 1.0–1.2 GB on four); with the default worker count — at most MAX_DEFAULT_WORKERS
 * whatever the cores, the input or the output — under one constant, the bound of that many.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ScapWriter, frameByName } from '../ts/scap/writer.js';
import { EV_BLOCK_TYPE_V2, MI_BLOCK_TYPE } from '../ts/scap/block_types.js';
import { PPME } from '../ts/events/ppm_constants.js';
import { MAX_DEFAULT_WORKERS, PARALLEL_MIN_BYTES, workerCount } from '../ts/parallel/worker_count.js';

/** Peak RSS allowed for one decoding thread, and for each further one (MiB). */
const BASE_MIB = 300;
const PER_THREAD_MIB = 60;
const BIG_BYTES = 100_000_000;
const dir = mkdtempSync(join(tmpdir(), 'scapdrift-memory-'));
const READ = resolve(process.cwd(), 'dist', 'ts', 'cli', 'read.js');

/** SHB, MI, then `middle`, then one execve of thread 2, as a plain file (gzip adds its own queue: README). */
function capture(name: string, middle: (w: ScapWriter) => void): string {
  const w = new ScapWriter().sectionHeader().machineInfo({ numCpus: 1, memorySizeBytes: 1n << 30n, hostname: 'h', bootTsEpochNs: 1n });
  middle(w);
  w.event(0, frameByName(PPME.PPME_SYSCALL_EXECVE_19_X, 2n, 2n, { res: 0, exe: 'x', comm: 'x' }));
  const path = join(dir, name);
  writeFileSync(path, w.finish());
  return path;
}

/** The child that reads a capture and prints its peak RSS (worker threads inherit no -e script). */
const CHILD = join(dir, 'read_child.mjs');
writeFileSync(CHILD, `
const [file, workers] = process.argv.slice(2);
const { readCommand } = await import(${JSON.stringify(READ)});
let out;
const everyEvent = workers === 'default-every-event';
const options = { quiet: true, ...(everyEvent ? {} : { condition: 'proc.name = nosuch' }), ...(workers.startsWith('default') ? {} : { workers: Number(workers) }) };
try { out = { events: (await readCommand(file, options)).events }; }
catch (e) { out = { error: e.message }; }
// VmHWM: this process's own peak RSS, all threads (maxRSS would include the test runner's, inherited across fork and exec).
const { readFileSync } = await import('node:fs');
const hwmKib = Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
process.stdout.write('\\n' + JSON.stringify({ ...out, rssMib: hwmKib / 1024 }));
`);

/**
 * `read FILE --workers N` in a child: its peak RSS (MiB), the events or the error. 'default':
 * no --workers, with a filter; 'default-every-event': no --workers, every event printed (the
 * output the default count weighs).
 */
function read(file: string, workers: number | 'default' | 'default-every-event'): { rssMib: number; events?: number; error?: string } {
  const r = spawnSync(process.execPath, [CHILD, file, String(workers)], { encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.split('\n').at(-1)!) as { rssMib: number; events?: number; error?: string }; // after the events printed
}

function bound(workers: number): number {
  return BASE_MIB + PER_THREAD_MIB * (workers - 1);
}

const MI_OFFSET = new ScapWriter().sectionHeader().machineInfo({ numCpus: 1, memorySizeBytes: 1n << 30n, hostname: 'h', bootTsEpochNs: 1n }).finish().length;

const CASES = [
  {
    name: 'a 100 MB machine-info block is refused at its header',
    file: () => capture('mi.scap', (w) => w.rawBlock(MI_BLOCK_TYPE, new Uint8Array(BIG_BYTES))),
    check: (r: { events?: number; error?: string }) => assert.is(r.error, `corrupt capture at byte ${MI_OFFSET + 4}: block 0x201 (MI_BLOCK_TYPE) has length ${BIG_BYTES + 12}, expected at most 65536`),
  },
  {
    name: 'a 100 MB event block is refused at its header',
    file: () => capture('ev.scap', (w) => w.rawBlock(EV_BLOCK_TYPE_V2, new Uint8Array(BIG_BYTES))),
    check: (r: { events?: number; error?: string }) => assert.is(r.error, `corrupt capture at byte ${MI_OFFSET + 4}: block_total_length outside the valid range (value ${BIG_BYTES + 12})`),
  },
  {
    name: 'a 72 MB process list is read as it arrives',
    file: () => capture('pl.scap', (w) => {
      const e = { tid: 2n, pid: 2n, ptid: 1n, comm: 'c', exe: 'e', exepath: '/e', args: ['x'.repeat(1000)], cwd: '/', fdlimit: 1n, flags: 0, uid: 0, gid: 0, cgroups: [] };
      w.processList(Array.from({ length: 60_000 }, () => e));
    }),
    check: (r: { events?: number; error?: string }) => { assert.is(r.error, undefined); assert.is(r.events, 1); },
  },
  {
    name: 'a 100 MB block of an unknown type is skipped as it arrives',
    file: () => capture('skip.scap', (w) => w.rawBlock(0x9999, new Uint8Array(BIG_BYTES))),
    check: (r: { events?: number; error?: string }) => { assert.is(r.error, undefined); assert.is(r.events, 1); },
  },
];

for (const c of CASES) {
  test(`${c.name}: peak RSS at 1, 2 and 4 workers under the bound`, () => {
    const file = c.file();
    const peaks: string[] = [];
    for (const workers of [1, 2, 4, 'default', 'default-every-event'] as const) {
      const r = read(file, workers);
      c.check(r);
      peaks.push(`${workers}: ${r.rssMib.toFixed(0)} MiB`);
      const max = bound(typeof workers === 'number' ? workers : MAX_DEFAULT_WORKERS);
      assert.ok(r.rssMib < max, `${workers} workers: ${r.rssMib.toFixed(0)} MiB, bound ${max} MiB`);
    }
    console.log(`  ${c.name}: ${peaks.join(', ')}`);
  });
}

test('the default worker count is at most MAX_DEFAULT_WORKERS whatever the input size and output', () => {
  for (const bytes of [undefined, 0, 1 << 20, PARALLEL_MIN_BYTES - 1, PARALLEL_MIN_BYTES, 2 ** 40]) {
    for (const everyEvent of [false, true]) {
      const n = workerCount(undefined, { bytes, everyEvent });
      assert.ok(n >= 1 && n <= MAX_DEFAULT_WORKERS, `${bytes} bytes, everyEvent ${everyEvent}: ${n}`);
      if (!everyEvent || bytes === undefined || bytes < PARALLEL_MIN_BYTES) assert.is(n, 1, `${bytes} bytes, everyEvent ${everyEvent}: one thread`);
    }
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
