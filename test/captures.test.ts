/**
 * `scapdrift read` on every shared capture: the old gzip'd sysdig captures
 * (EV v1 blocks, 22-byte headers, PL v5), the libs modern-eBPF captures and
 * the 1.6 M-event benchmark capture, with values checked against the raw
 * parameters of the events they come from.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { capture } from './helpers/captures.js';
import { runCli } from './helpers/cli.js';
import { openCapture } from '../ts/api/index.js';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder } from '../ts/pipeline/decoder.js';
import { openByteSource } from '../ts/scap/byte_source.js';

function jsonLines(args: string[]): Record<string, unknown>[] {
  const r = runCli(args);
  assert.is(r.status, 0, r.stderr);
  return r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('curl_google.scap (gzip named .scap, EV v1): counts and the curl execve', () => {
  const all = runCli(['read', capture('curl_google.scap'), '-q', '-p', '%evt.num']);
  assert.is(all.status, 0);
  const nums = all.stdout.trimEnd().split('\n').map(Number);
  assert.is(nums.length, 1536, 'one line per EV block');
  assert.is(nums[0], 1);
  assert.is(nums[nums.length - 1], 1536);
  const [exec] = jsonLines(['read', capture('curl_google.scap'), '-q', '--json', '--type', 'execve',
    '-p', '%evt.num %proc.name %proc.exe %proc.args %proc.cwd %proc.ppid %container.id %proc.cmdline %proc.exe_ino']);
  // From the event's own parameters: exe=curl args=-6\0http://www.google.com cwd=/home/ubuntu ptid=3200.
  assert.equal(exec, {
    'evt.num': 211, 'proc.name': 'curl', 'proc.exe': 'curl', 'proc.args': '-6 http://www.google.com',
    'proc.cwd': '/home/ubuntu', 'proc.ppid': 3200, 'container.id': 'host', 'proc.cmdline': 'curl -6 http://www.google.com',
    'proc.exe_ino': null, // execve version 16 has no exe_ino parameter: missing, not 0
  });
});

test('curl_google_comments.scap decodes like curl_google.scap (SHB options skipped)', () => {
  const a = runCli(['read', capture('curl_google.scap'), '-q']);
  const b = runCli(['read', capture('curl_google_comments.scap'), '-q']);
  assert.is(b.status, 0);
  assert.is(b.stdout, a.stdout);
});

test('test_ipv6_client.scap: execve then procexit of the same thread', () => {
  const rows = jsonLines(['read', capture('test_ipv6_client.scap'), '-q', '--json', '--type', 'execve,procexit', '-p', '%evt.num %evt.type %thread.tid %proc.name %proc.exe']);
  assert.equal(rows.map((r) => r['evt.type']), ['execve', 'procexit']);
  assert.equal(rows[0], { 'evt.num': 173, 'evt.type': 'execve', 'thread.tid': 19747, 'proc.name': 'test_ipv6_clien', 'proc.exe': './test_ipv6_client' });
  assert.is(rows[1]!['thread.tid'], 19747);
  assert.is(rows[1]!['proc.name'], 'test_ipv6_clien', 'procexit still shows the exiting thread');
});

test('single_ipv6_conn.scap (EV v2, PL v9): every event read, failed connect named', () => {
  const rows = jsonLines(['read', capture('single_ipv6_conn.scap'), '-q', '--json', '--type', 'connect', '-p', '%evt.num %evt.dir %evt.res %evt.rawres']);
  assert.ok(rows.some((r) => r['evt.res'] === 'ENOENT' && r['evt.rawres'] === -2), 'connect to a missing unix socket fails with ENOENT');
  const all = runCli(['read', capture('single_ipv6_conn.scap'), '-q', '-p', '%evt.num']);
  assert.is(all.stdout.trimEnd().split('\n').length, 1728);
});

test('openCapture: busy.scap.gz, drift fields of the first execve and the totals', async () => {
  const cap = openCapture(capture('busy.scap.gz'), { types: ['execve'], fields: ['evt.num', 'proc.exepath', 'proc.exe_ino', 'proc.exe_ino.ctime', 'proc.pid.ts', 'proc.exe_ino.ctime_duration_proc_start'] });
  let first: Record<string, unknown> | undefined;
  let n = 0;
  for await (const ev of cap) {
    first ??= ev;
    n++;
  }
  assert.is(n, 878, 'execve exits + enters as libsinsp counts them');
  assert.is(cap.summary!.events, 1598414);
  assert.is(cap.machineInfo!.hostname, 'vm');
  const start = first!['proc.pid.ts'] as bigint;
  const ctime = first!['proc.exe_ino.ctime'] as bigint;
  assert.is(first!['proc.exe_ino.ctime_duration_proc_start'], start - ctime);
});

test('openCapture: early break stops reading, options are validated by name', async () => {
  let n = 0;
  for await (const _ of openCapture(capture('busy.scap.gz'))) { void _; if (++n === 10) break; }
  assert.is(n, 10);
  assert.throws(() => openCapture(capture('drop_exec.scap'), { worker: 2 } as never), /unknown option worker/);
  assert.throws(() => openCapture(capture('drop_exec.scap'), { fields: ['proc.exe_inode'] }), /unknown field proc\.exe_inode; did you mean proc\.exe_ino\?/);
});

test('fields command lists every drift field with its unit', () => {
  const r = runCli(['fields', '--json']);
  const fields = JSON.parse(r.stdout) as { name: string; unit: string; type: string }[];
  const byName = new Map(fields.map((f) => [f.name, f]));
  for (const name of ['proc.exe_ino', 'proc.exe_ino.ctime', 'proc.exe_ino.mtime', 'proc.exe_ino.ctime_duration_proc_start',
    'proc.exe_ino.ctime_duration_pidns_start', 'proc.pidns_init_start_ts', 'container.start_ts', 'container.duration',
    'proc.is_exe_writable', 'proc.is_exe_upper_layer', 'proc.is_exe_lower_layer', 'proc.is_exe_from_memfd', 'container.id']) {
    assert.ok(byName.has(name), name);
  }
  assert.is(byName.get('proc.exe_ino.ctime')!.unit, 'epoch ns');
  assert.is(byName.get('proc.exe_ino.ctime_duration_proc_start')!.unit, 'ns');
});

/** Events (number, type, tid) and the summary or error of one decode of `input` through runSource. */
async function decodeVia(input: string | NodeJS.ReadableStream): Promise<{ events: string[]; end: string }> {
  const source = await openByteSource(input);
  const events: string[] = [];
  const d = new Decoder();
  try {
    const summary = await d.runSource(source, { onEvent(v) { events.push(`${v.num} ${v.type} ${v.tid} ${v.blockOffset}`); } });
    return { events, end: JSON.stringify(summary) };
  } catch (e) {
    return { events, end: String((e as Error).message) };
  } finally {
    await source.close();
  }
}

test('a plain file read straight into Wasm memory decodes as the same bytes streamed: events, summary, truncation error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scapdrift-direct-'));
  try {
    const whole = readFileSync(capture('drop_exec.scap'));
    const cut = join(dir, 'cut.scap');
    // 1 MiB reads: a cut past the first read exercises the carry-over of a partial block.
    writeFileSync(cut, Buffer.concat([whole, whole, whole]).subarray(0, whole.length * 2 + 12345));
    for (const file of [capture('drop_exec.scap'), cut]) {
      const direct = await decodeVia(file);
      const streamed = await decodeVia(createReadStream(file));
      assert.ok(direct.events.length > 1000, file);
      assert.equal(direct, streamed, file);
    }
    assert.match((await decodeVia(cut)).end, /^truncated capture at byte \d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
