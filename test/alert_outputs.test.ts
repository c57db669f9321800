/**
 * Alerts out to the fleet (issue 14): --output-http to a local receiver that applies
 * Falcosidekick's own payload checks (test/helpers/sidekick.ts), the bounded queue and
 * its drop counter while the receiver is down, --output-file with size rotation —
 * through `read` of the project's sample and, as root with the real driver, `capture`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from './helpers/cli.js';
import { startSidekick, sidekickRefusal } from './helpers/sidekick.js';
import { HttpAlertOutput } from '../ts/alerts/http_output.js';
import { FileAlertOutput } from '../ts/alerts/file_output.js';
import { SAMPLE_CAPTURE } from '../ts/cli/start.js';
import { liveCaptureUnavailable } from '../ts/live/index.js';

const dir = mkdtempSync(join(tmpdir(), 'scapdrift-alerts-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A TCP port with nothing listening on it (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Polls `cond` every 20 ms until true (the test's own timeout bounds it). */
async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not reached within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The sample's alerts as `read --json` prints them on stdout, parsed. */
function sampleAlerts(): Record<string, unknown>[] {
  const r = runCli(['read', SAMPLE_CAPTURE, '--default-rules', '--json']);
  assert.is(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

test("the receiver's checks are Falcosidekick's: a payload without output_fields, with an unknown priority or an empty rule is refused", () => {
  const good = { output: 'x', priority: 'Critical', rule: 'r', time: '2026-11-29T19:07:31.421539124Z', output_fields: { 'evt.time': 1 }, source: 'syscall', tags: [], hostname: 'h' };
  assert.is(sidekickRefusal(JSON.stringify(good)), undefined);
  assert.is(sidekickRefusal(JSON.stringify({ ...good, priority: 'info' })), undefined, 'Falcosidekick maps "info" to Informational');
  assert.is(sidekickRefusal(JSON.stringify({ ...good, output_fields: {} })), 'empty output_fields');
  assert.is(sidekickRefusal(JSON.stringify({ ...good, priority: 'Loud' })), 'unknown priority Loud');
  assert.is(sidekickRefusal(JSON.stringify({ ...good, rule: '' })), 'empty rule');
  assert.is(sidekickRefusal(JSON.stringify({ ...good, time: '2026-11-29 19:07:31' })), 'time is not RFC 3339: 2026-11-29 19:07:31');
});

test('read --output-http/--output-file: every alert accepted by the Falcosidekick checks, equal to the JSON alert printed plus a uuid', async () => {
  const want = sampleAlerts();
  assert.ok(want.length >= 8, `the sample's alerts: ${want.length}`);
  const sk = await startSidekick();
  const file = join(dir, 'read.json');
  try {
    const child = spawn(process.execPath, [CLI, 'read', SAMPLE_CAPTURE, '--default-rules', '--output-http', sk.url, '--output-file', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (t: Buffer) => { err += t.toString(); });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.is(code, 0, err);
    assert.equal(sk.refused, [], 'nothing refused');
    assert.is(sk.accepted.length, want.length, err);
    const uuids = new Set<string>();
    const byText = new Map(want.map((a) => [a.output as string, a]));
    for (const { payload } of sk.accepted) {
      assert.match(payload.uuid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a v4 uuid');
      uuids.add(payload.uuid!);
      const { uuid: _uuid, ...rest } = payload;
      assert.equal(rest, byText.get(payload.output), `the payload is the printed alert: ${payload.output}`);
    }
    assert.is(uuids.size, want.length, 'one uuid per alert');
    assert.match(err, new RegExp(`alerts: ${sk.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${want.length} sent, 0 dropped \\(queue full\\), 0 rejected, 0 unsent at exit; ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${want.length} written, 0 failed, 0 rotations`));
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const byUuid = (a: { uuid?: string }, b: { uuid?: string }): number => (a.uuid! < b.uuid! ? -1 : 1);
    assert.equal(lines.map((l) => JSON.parse(l) as { uuid?: string }).sort(byUuid), sk.accepted.map((a) => a.payload).sort(byUuid),
      'the file holds the same payloads (requests run 4 at a time: the receiver may see another order)');
  } finally {
    await sk.close();
  }
});

test('read with the receiver down: the queue holds its bound, the rest is dropped and counted, every alert still printed, exit 0', async () => {
  const want = sampleAlerts();
  const port = await closedPort();
  const r = runCli(['read', SAMPLE_CAPTURE, '--default-rules', '--output-http', `http://127.0.0.1:${port}/`, '--output-http-queue', '3']);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim().split('\n').length, want.length, 'alerts on stdout as without the output');
  assert.match(r.stderr, `: 0 sent, ${want.length - 3} dropped (queue full), 0 rejected, 3 unsent at exit (last error: ECONNREFUSED)`);
});

test('HttpAlertOutput: receiver stopped for a while — queue bound, drop counter, then the queue drains in order once it is back', async () => {
  const port = await closedPort();
  const out = new HttpAlertOutput(`http://127.0.0.1:${port}/`, { queueMax: 4 });
  const payloads = sampleAlerts().map((a, i) => JSON.stringify({ ...a, uuid: `u${i}` }));
  for (const p of payloads) out.push(p);
  let s = out.stats();
  assert.is(s.pending, 4, 'queued up to the bound');
  assert.is(s.dropped, payloads.length - 4, 'the rest dropped at once: push never waits');
  await until(() => out.stats().retries > 0, 'a failed attempt');
  assert.is(out.stats().lastError, 'ECONNREFUSED');
  const sk = await startSidekick(port);
  try {
    await until(() => sk.accepted.length === 4, 'the queue sent after the receiver came back');
    assert.equal(sk.accepted.map((a) => a.payload.uuid).sort(), ['u0', 'u1', 'u2', 'u3'], 'the first four (sent 4 at a time)');
    // A payload the receiver refuses (no output_fields) is counted, not retried.
    out.push(JSON.stringify({ ...JSON.parse(payloads[0]!), output_fields: {} }));
    await until(() => out.stats().rejected === 1, 'the refused payload counted');
    assert.is(await out.close(1000), 0, 'nothing left at close');
    s = out.stats();
    assert.equal({ sent: s.sent, dropped: s.dropped, rejected: s.rejected }, { sent: 4, dropped: payloads.length - 4, rejected: 1 });
    assert.is(sk.refused.length, 1);
  } finally {
    await sk.close();
  }
});

test('--output-file rotates by size: PATH, PATH.1 … PATH.keep, each under the bound, no line split, the oldest removed', () => {
  const file = join(dir, 'rot.json');
  const payloads = sampleAlerts().map((a) => JSON.stringify(a));
  const longest = Math.max(...payloads.map((p) => p.length + 1));
  const out = new FileAlertOutput(file, longest * 2, 2);
  const rounds = 4;
  for (let i = 0; i < rounds; i++) for (const p of payloads) out.push(p);
  out.close();
  const s = out.stats();
  assert.is(s.written, rounds * payloads.length);
  assert.is(s.failed, 0);
  const files = readdirSync(dir).filter((f) => f.startsWith('rot.json')).sort();
  assert.equal(files, ['rot.json', 'rot.json.1', 'rot.json.2'], 'keep = 2 rotated files');
  const kept: string[] = [];
  for (const f of ['rot.json.2', 'rot.json.1', 'rot.json']) {
    const size = statSync(join(dir, f)).size;
    assert.ok(size <= longest * 2, `${f}: ${size} bytes`);
    for (const l of readFileSync(join(dir, f), 'utf8').trim().split('\n')) kept.push(l);
  }
  const all = Array.from({ length: rounds }, () => payloads).flat();
  assert.equal(kept, all.slice(all.length - kept.length), 'the newest lines, whole and in order');
  let size = 0;
  let rotations = 0;
  for (const p of all) {
    if (size > 0 && size + p.length + 1 > longest * 2) { rotations++; size = 0; }
    size += p.length + 1;
  }
  assert.is(s.rotations, rotations, 'one rotation each time the next line would pass the bound');
});

test('option errors: an output without rules, a bad URL, a bad size', () => {
  let r = runCli(['read', SAMPLE_CAPTURE, '--output-http', 'http://127.0.0.1:1/']);
  assert.is(r.status, 1);
  assert.is(r.stderr, 'scapdrift: --output-http and --output-file send alerts: give rules (-r FILE or --default-rules)\n');
  r = runCli(['read', SAMPLE_CAPTURE, '--default-rules', '--output-http', 'ftp://x/']);
  assert.is(r.stderr, 'scapdrift: --output-http must be an http:// or https:// URL, got ftp://x/\n');
  r = runCli(['read', SAMPLE_CAPTURE, '--default-rules', '--output-file', join(dir, 'x'), '--output-file-max-size', '10Q']);
  assert.is(r.stderr, 'scapdrift: --output-file-max-size must be a size in bytes (e.g. 1048576, 512K, 100M, 1G), got 10Q\n');
  r = runCli(['read', SAMPLE_CAPTURE, '--default-rules', '--output-http-queue', '5']);
  assert.is(r.stderr, 'scapdrift: --output-http-queue needs --output-http or --output-file\n');
  r = runCli(['read', SAMPLE_CAPTURE, '--default-rules', '--output-file', join(dir, 'no', 'such', 'dir')]);
  assert.is(r.stderr, `scapdrift: cannot write ${join(dir, 'no', 'such', 'dir')}: ENOENT\n`);
});

const why = liveCaptureUnavailable();
if (why) {
  console.warn(`\n  SKIPPED live alert-output test (capture with the receiver down): ${why}\n`);
  test(`capture --output-http: skipped, ${why}`, () => {});
} else {
  test('capture --output-http, receiver down for a while: alerts queue to the bound, the drop counter says how many were lost, capture keeps printing; the queue drains when it is back', async () => {
    const port = await closedPort();
    const bin = join(dir, 'dropped_alert');
    // One alert per exec of the binary (the default rules may raise several, and other
    // processes on this host may raise their own).
    const rules = join(dir, 'one_rule.yaml');
    writeFileSync(rules, `- rule: Dropped binary run\n  desc: test\n  condition: evt.type = execve and evt.dir = < and proc.exepath = ${bin}\n` +
      '  output: dropped binary run (proc.exepath=%proc.exepath proc.pid=%proc.pid)\n  priority: CRITICAL\n  tags: [test]\n');
    const QUEUE = 3;
    const child = spawn(process.execPath, [CLI, 'capture', '-r', rules, '--json',
      '--output-http', `http://127.0.0.1:${port}/`, '--output-http-queue', String(QUEUE)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (t: Buffer) => { out += t.toString(); });
    child.stderr.on('data', (t: Buffer) => { err += t.toString(); });
    const exited = new Promise<number | null>((r) => child.on('close', r));
    let sk;
    try {
      await until(() => err.includes('scapdrift-loader: process table:'), `capture started; stderr:\n${err}`, 90_000);
      copyFileSync('/bin/true', bin);
      chmodSync(bin, 0o755);
      const alertsOf = (): number => out.split('\n').filter((l) => l.includes(bin)).length;
      const RUNS_DOWN = 5;
      const RUNS_UP = 2;
      for (let i = 0; i < RUNS_DOWN; i++) assert.is(spawnSync(bin).status, 0);
      await until(() => alertsOf() >= RUNS_DOWN, `alerts printed while the receiver is down; stdout:\n${out}`);
      await until(() => err.includes(`alerts lost in the last`) && err.includes(`; ${RUNS_DOWN - QUEUE} lost since the start`), `a live warning of the loss; stderr:\n${err}`);
      sk = await startSidekick(port);
      await until(() => sk!.accepted.length === QUEUE, `the queue (${QUEUE}) delivered once the receiver is back; stderr:\n${err}`);
      assert.is(alertsOf(), RUNS_DOWN, 'one alert per exec');
      for (let i = 0; i < RUNS_UP; i++) assert.is(spawnSync(bin).status, 0);
      await until(() => alertsOf() === RUNS_DOWN + RUNS_UP, 'capture still running and alerting');
      await until(() => sk!.accepted.length === QUEUE + RUNS_UP, 'the later alerts delivered');
      child.kill('SIGINT');
      assert.is(await exited, 0, err);
      assert.equal(sk.refused, []);
      assert.match(err, `: ${QUEUE + RUNS_UP} sent, ${RUNS_DOWN - QUEUE} dropped (queue full), 0 rejected, 0 unsent at exit`);
      assert.ok(sk.accepted.every((a) => a.payload.output_fields['proc.exepath'] === bin && a.payload.rule === 'Dropped binary run'));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await sk?.close();
      if (existsSync(bin)) rmSync(bin);
    }
  });
}

test.run();
