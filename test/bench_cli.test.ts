/**
 * `scapdrift bench` on a small generated capture runs and prints its table: a memcpy row and,
 * for each worker count asked for, rows (a)–(d) with positive figures. Timings are not checked.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCapture } from '../bench/generate.js';
import { runCli } from './helpers/cli.js';

const TMP = mkdtempSync(join(tmpdir(), 'scapdrift-bench-'));

/** The figure of a table cell: "1,234,567" → 1234567. */
const figure = (cell: string): number => Number(cell.trim().replace(/,/g, ''));

test('bench prints rows (a)–(d) for each worker count, with positive events/s and MB/s', () => {
  const file = join(TMP, 'small.scap');
  const fd = openSync(file, 'w');
  generateCapture({ seed: 9, events: 20_000 }, (chunk) => { writeSync(fd, chunk); });
  closeSync(fd);
  const r = runCli(['bench', file, '--workers', '1,2,3', '--runs', '1']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /20,000 events/);
  assert.match(r.stdout, /\| — \| memcpy .* \| 1\.000 \|/);
  assert.match(r.stdout, /^Machine: .*cores.*Node v\d+.*Load average/m);
  const rows = r.stdout.split('\n').filter((l) => /^\| \d+ \|/.test(l)).map((l) => l.split('|').slice(1, -1));
  assert.is(rows.length, 12);
  for (const [i, workers] of [1, 2, 3].entries()) {
    const mine = rows.slice(i * 4, i * 4 + 4);
    assert.equal(mine.map((c) => figure(c[0]!)), [workers, workers, workers, workers]);
    assert.equal(mine.map((c) => c[1]!.trim().slice(0, 3)), ['(a)', '(b)', '(c)', '(d)']);
    for (const c of mine) assert.ok(figure(c[2]!) > 0 && figure(c[3]!) > 0, c.join('|'));
  }
});

test('bench validates its options', () => {
  const r = runCli(['bench', join(TMP, 'small.scap'), '--workers', '1,0']);
  assert.is(r.status, 1);
  assert.is(r.stderr, 'scapdrift: --workers must be an integer from 1 to 256, got 0\n');
  const runs = runCli(['bench', join(TMP, 'small.scap'), '--runs', 'x']);
  assert.is(runs.stderr, 'scapdrift: --runs must be an integer from 1 to 100, got x\n');
});

test.after(() => rmSync(TMP, { recursive: true, force: true }));

test.run();
