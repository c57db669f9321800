/**
 * Printing every event must not hold the output in memory: `read --json` of a capture whose
 * JSON is ~10× its size peaks at a bounded RSS. Before the output sink wrote in ~256 KiB
 * pieces, every line of a 1 MiB input chunk was kept until the chunk ended and promoted
 * to the old generation: 404 MiB peak on this 60,000-event capture (102 MiB after).
 * Memory, not time: no timing is asserted.
 *
 * The child runs with V8's old generation capped at OLD_SPACE_MIB, well under the 72 MB of
 * JSON it prints: held output cannot fit, so success proves it is not held whatever the
 * machine's GC timing (a first CI run without the cap peaked at 229 MiB where this VM
 * peaks at 102 MiB; V8 sizes its heap lazily). The RSS bound then checks the rest.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generateCapture } from '../bench/generate.js';
import { capture } from './helpers/captures.js';

/** Peak RSS allowed, bytes (README, Hostile input / memory). */
const JSON_RSS_LIMIT_BYTES = 256 * 1024 * 1024;
/** V8 old-generation cap of the child, MiB (`--max-old-space-size`). */
const OLD_SPACE_MIB = 32;
const EVENTS = 60_000;

/** Peak RSS allowed with workers printing every event, bytes (issue 17: whatever is printed). */
const PARALLEL_RSS_LIMIT_BYTES = 150 * 1024 * 1024;

let dir: string;
let file: string;

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'scapdrift-outmem-'));
  file = join(dir, 'gen.scap');
  const fd = openSync(file, 'w');
  generateCapture({ seed: 3, events: EVENTS }, (chunk) => { writeSync(fd, chunk); });
  closeSync(fd);
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * `read --json` of every event of the capture in a child with `workers`, stdout to /dev/null: its
 * peak RSS, KiB. The child is a file (worker threads would inherit an -e script's --input-type).
 */
function peakKib(workers: number, nodeArgs: string[], input = file): number {
  const cliRead = resolve(process.cwd(), 'dist', 'ts', 'cli', 'read.js');
  const child = join(dir, 'child.mjs');
  writeFileSync(child, `import { readCommand } from ${JSON.stringify(cliRead)};
    await readCommand(${JSON.stringify(input)}, { json: true, workers: ${workers}, quiet: true });
    // VmHWM: this process's own peak, all threads (maxRSS would include the test runner's, inherited across fork and exec).
    const { readFileSync } = await import('node:fs');
    process.stderr.write('maxrss_kib=' + /VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1] + '\\n');`);
  const out = openSync('/dev/null', 'w');
  const r = spawnSync(process.execPath, [...nodeArgs, child], { stdio: ['ignore', out, 'pipe'], encoding: 'utf8' });
  closeSync(out);
  assert.is(r.status, 0, r.stderr);
  return Number(/maxrss_kib=(\d+)/.exec(r.stderr)?.[1]);
}

test('read --json of every event: peak RSS bounded, output not held', () => {
  const kib = peakKib(1, [`--max-old-space-size=${OLD_SPACE_MIB}`]);
  assert.ok(kib * 1024 < JSON_RSS_LIMIT_BYTES, `peak RSS ${kib} KiB`);
});

test('read --json of every event on 2 and 4 workers: peak RSS under 150 MiB (output pieces reused, batches sized by their output)', () => {
  const peaks: string[] = [];
  for (const workers of [2, 4]) {
    const kib = peakKib(workers, []);
    peaks.push(`${workers} workers: ${(kib / 1024).toFixed(0)} MiB`);
    assert.ok(kib * 1024 < PARALLEL_RSS_LIMIT_BYTES, `${workers} workers: peak RSS ${kib} KiB`);
  }
  console.log(`  read --json, ${EVENTS} events: ${peaks.join(', ')}`);
});

test('read --json of every event of busy.scap on 4 workers: peak RSS under 150 MiB (batches ahead and worker heaps bounded)', () => {
  // ~25 output bytes per input byte, 1.6 M events: with 16 batches in flight on 4 threads and
  // the workers' V8 new space grown to 8 MiB, 161-172 MiB (ts/parallel/pool.ts batchesAhead).
  const busy = join(dir, 'busy.scap');
  writeFileSync(busy, gunzipSync(readFileSync(capture('busy.scap.gz'))));
  const kib = peakKib(4, [], busy);
  console.log(`  read --json, busy.scap, 4 workers: ${(kib / 1024).toFixed(0)} MiB`);
  assert.ok(kib * 1024 < PARALLEL_RSS_LIMIT_BYTES, `4 workers: peak RSS ${kib} KiB`);
});

test.run();
