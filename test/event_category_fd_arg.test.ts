/**
 * evt.category and fd arguments (evt.arg.fd, evt.arg.dirfd, ...) in conditions, against
 * sinsp-example's matches (count and evt.nums) on the shared captures: evt.category is the event
 * table's category, of I/O events by their fd (assembly/filter/category.ts); an fd argument
 * compares as the text libsinsp renders for it: "<f>/etc/ld.so.cache" when the fd table knows
 * the fd, else its number ("3"), AT_FDCWD, or an errno name.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORACLE, oracle, sinsp, ours, captureFile } from './helpers/falco_reference.js';

if (!oracle) console.warn(`\n  SKIPPED sinsp-example checks of evt.category and fd arguments in conditions: no ${ORACLE} (build it with ../shared/tools/build-oracle.sh, or set SCAPDRIFT_ORACLE)\n`);

const CATEGORY = [
  'evt.category = file', 'evt.category = net', 'evt.category = ipc', 'evt.category = IPC', 'evt.category = unknown',
  'evt.category in (process, memory, signal)', 'evt.category startswith s', 'evt.category != file and evt.type = read',
];
const FD_ARG = [
  'evt.arg.fd = 3', 'evt.arg.fd contains /etc', 'evt.arg.fd startswith "<f>/usr/lib"', 'evt.arg.fd in (3, 4)', 'evt.arg.fd < 4',
  'evt.arg.fd glob "<f>/tmp/*"', 'evt.arg.fd exists', 'evt.arg.dirfd = AT_FDCWD', 'evt.arg.dirfd = -100', 'evt.arg.fd = "<u>"',
  'evt.arg.fd icontains LD.SO', 'evt.arg[0] contains "<p>"', 'evt.arg.fd endswith ld.so.cache and evt.type = mmap',
];

/** Conditions run on busy (each a pass of sinsp-example and of scapdrift over 1.9 GB of events). */
const BUSY = ['evt.category = file', 'evt.category in (net, ipc, unknown)', 'evt.arg.fd startswith "<f>"'];

const nums = (rows: string[]): string[] => rows.map((r) => r.split('|')[0]!);

for (const name of ['drop_exec', 'memfd_exec']) {
  test(`${name}: evt.category and fd arguments in conditions match the events sinsp-example matches`, async () => {
    if (!oracle) return;
    const file = captureFile(name);
    const counts: number[] = [];
    for (const cond of [...CATEGORY, ...FD_ARG]) {
      const want = nums(sinsp(file, cond, ['evt.num']));
      assert.equal(nums(await ours(file, cond, ['evt.num'])), want, `${name}: ${cond}`);
      counts.push(want.length);
    }
    // The conditions are not vacuous: most match something.
    assert.ok(counts.filter((n) => n > 0).length >= 15, counts.join(' '));
  });
}

test('busy: evt.category and evt.arg.fd in conditions match the events sinsp-example matches', async () => {
  if (!oracle) return;
  const file = join(tmpdir(), `scapdrift-category-busy-${process.pid}.scap`);
  await pipeline(createReadStream(captureFile('busy')), createGunzip(), createWriteStream(file));
  try {
    for (const cond of BUSY) {
      const want = nums(sinsp(file, cond, ['evt.num']));
      assert.ok(want.length > 1000, `${cond}: ${want.length}`);
      assert.equal(nums(await ours(file, cond, ['evt.num'])), want, cond);
    }
  } finally {
    rmSync(file, { force: true });
  }
});

test.run();
