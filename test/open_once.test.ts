/**
 * The capture file is opened once (issue 17): every reader — the decoder, the parallel splitter,
 * the gzip size probe of the default worker count, the check of an unclosed recording — reads
 * through the one byte source. A child `read` runs with the probe preload
 * (test/helpers/probe.ts), which reports every file opened through node:fs on every thread.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { capture } from './helpers/captures.js';
import { CLI, runCli } from './helpers/cli.js';
import { ScapWriter, frameByName } from '../ts/scap/writer.js';
import { RECORDER } from '../ts/scap/recording.js';
import { PPME } from '../ts/events/ppm_constants.js';

const PROBE = resolve(process.cwd(), 'dist', 'test', 'helpers', 'probe.js');
const dir = mkdtempSync(join(tmpdir(), 'scapdrift-open-once-'));

interface Probed { status: number | null; stdout: string; stderr: string; opens: string[] }

function probed(args: string[], env: Record<string, string> = {}, input?: Buffer): Probed {
  const r = spawnSync(process.execPath, ['--import', PROBE, CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, ...env }, ...(input ? { input } : {}) });
  const lines = r.stderr.split('\n');
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: lines.filter((l) => !l.startsWith('PROBE ')).join('\n'),
    opens: lines.filter((l) => l.startsWith('PROBE open ')).map((l) => l.slice('PROBE open '.length)),
  };
}

const opensOf = (p: Probed, path: string): number => p.opens.filter((o) => o === path).length;

/** drop_exec.scap gzipped into the temp dir (a gzip regular file: the worker count reads its ISIZE). */
const dropGz = join(dir, 'drop_exec.scap.gz');
writeFileSync(dropGz, gzipSync(readFileSync(capture('drop_exec.scap'))));

for (const [what, file] of [['plain', capture('drop_exec.scap')], ['gzip', capture('curl_google.scap')], ['gzip, generated', dropGz]] as const) {
  test(`read of a ${what} capture opens it once, on one thread and on three`, () => {
    const one = probed(['read', file, '-q']);
    assert.is(one.status, 0, one.stderr);
    assert.ok(one.stdout.split('\n').length > 100, 'events printed');
    assert.is(opensOf(one, file), 1, `opened once: ${one.opens.join(', ')}`);
    // Batches of 64 KiB: the splitter and 2 workers decode (drop_exec.scap is 650 KB).
    const three = probed(['read', file, '-q', '--workers', '3'], { SCAPDRIFT_BATCH_BYTES: '65536' });
    assert.is(three.status, 0, three.stderr);
    assert.is(three.stdout, one.stdout, 'the same output on three threads');
    assert.is(opensOf(three, file), 1, `opened once: ${three.opens.join(', ')}`);
  });
}

/** A recording as scapdrift's loader writes it: its SHB names the loader; `sectionLength` -1 until closed. */
function recording(sectionLength?: bigint): Uint8Array {
  const w = new ScapWriter().sectionHeader({ userappl: RECORDER, ...(sectionLength !== undefined ? { sectionLength } : {}) })
    .machineInfo({ numCpus: 1, memorySizeBytes: 0n, hostname: 'h' });
  w.processList([{ tid: 100n, pid: 100n, ptid: 1n, comm: 'sh', exe: '/bin/sh', exepath: '/bin/sh', args: [], cwd: '/', fdlimit: 0n, flags: 0, uid: 0, gid: 0 }]);
  for (let i = 0; i < 3; i++) w.event(0, frameByName(PPME.PPME_GENERIC_X, 1_700_000_000_000_000_000n + BigInt(i), 100n, { ID: 5, nativeID: 300 }));
  return w.finish().slice();
}

test('a recording never closed is reported from the one read, plain or gzip, after its events; a closed one and a stream are not', () => {
  const open = recording();
  const closed = recording(BigInt(open.length - new DataView(open.buffer, open.byteOffset).getUint32(4, true))); // file size − SHB length
  for (const [name, bytes] of [['open.scap', open], ['open.scap.gz', gzipSync(open)]] as const) {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    const p = probed(['read', file, '-q']);
    assert.is(p.status, 1);
    assert.match(p.stderr, `scapdrift: recording cut short: ${file} was written by a live capture that never closed it`);
    assert.is(p.stdout.trim().split('\n').length, 3, 'every event printed first');
    assert.is(opensOf(p, file), 1, `opened once: ${p.opens.join(', ')}`);
    // Read from a pipe, the same bytes cannot be told from a live stream: no error.
    const piped = runCli(['read', '-', '-q'], Buffer.from(bytes));
    assert.is(piped.status, 0, piped.stderr);
    assert.is(piped.stdout, p.stdout);
  }
  const file = join(dir, 'closed.scap');
  writeFileSync(file, closed);
  const c = runCli(['read', file, '-q']);
  assert.is(c.status, 0, c.stderr);
  assert.is(c.stdout.trim().split('\n').length, 3);
});

test.run();
