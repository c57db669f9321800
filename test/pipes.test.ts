/**
 * A FILE that is not a regular file — a FIFO, `/dev/stdin` on a pipe — is read once, as a
 * stream: the same events as the regular file, on a capture smaller than one read (which used to
 * hang: the path was opened a second time after the writer had gone) and on one larger (which
 * used to fail with "not a scap capture at byte 0": the peeked first chunk was lost).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture } from './helpers/captures.js';
import { CLI, runCli, type CliResult } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scapdrift-pipes-'));
/** Bounds a read that would hang (the old FIFO behaviour) so the suite fails instead. */
const TIMEOUT_MS = 30_000;
const ARGS = ['-q', '-p', '%evt.num %evt.type %proc.name %proc.exe_ino'];

const small = readFileSync(capture('drop_exec.scap')); // 0.6 MB: less than one 1 MiB read
const large = Buffer.concat([small, small, small]); // 1.9 MB, three concatenated captures
const largePath = join(dir, 'large.scap');
writeFileSync(largePath, large);

/** `read FIFO` while this process writes `bytes` into the FIFO. */
function readFifo(bytes: Buffer, extra: string[] = []): Promise<CliResult> {
  const fifo = join(dir, `fifo-${Math.random().toString(36).slice(2)}`);
  execFileSync('mkfifo', [fifo]);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'read', fifo, ...ARGS, ...extra]);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`read ${fifo} did not end in ${TIMEOUT_MS} ms`)); }, TIMEOUT_MS);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
    // A reader that quits early breaks the pipe: shown with its stderr, not thrown here.
    createWriteStream(fifo).on('error', (e) => { stderr += `\n(writing the FIFO: ${e.message})`; }).end(bytes);
  });
}

test('read FIFO: a capture smaller than one read ends, with every event', async () => {
  const want = runCli(['read', capture('drop_exec.scap'), ...ARGS]);
  const got = await readFifo(small);
  assert.is(got.status, 0, got.stderr);
  assert.is(got.stdout.split('\n').length, 6399); // 6,398 events and the final newline
  assert.is(got.stdout, want.stdout);
});

test('read FIFO: a capture larger than one read keeps its first chunk', async () => {
  const want = runCli(['read', largePath, ...ARGS]);
  assert.is(want.status, 0, want.stderr);
  const got = await readFifo(large);
  assert.is(got.status, 0, got.stderr);
  assert.is(got.stdout, want.stdout);
});

test('read FIFO --workers 2 gives the same events', async () => {
  const want = runCli(['read', largePath, ...ARGS]);
  const got = await readFifo(large, ['--workers', '2']);
  assert.is(got.status, 0, got.stderr);
  assert.is(got.stdout, want.stdout);
});

/** `read` through a shell pipe (Node's own stdio pipes are socket pairs, which /dev/stdin cannot open). */
function readShell(script: string, file: string): CliResult {
  const r = spawnSync('bash', ['-c', script, 'bash', process.execPath, CLI, file, ...ARGS], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: TIMEOUT_MS });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('read /dev/stdin on a pipe and read <(cat FILE): every event, small and large', () => {
  for (const path of [capture('drop_exec.scap'), largePath]) {
    const want = runCli(['read', path, ...ARGS]);
    for (const script of ['cat "$3" | "$1" "$2" read /dev/stdin "${@:4}"', '"$1" "$2" read <(cat "$3") "${@:4}"']) {
      const got = readShell(script, path);
      assert.is(got.status, 0, `${script}: ${got.stderr}`);
      assert.is(got.stdout, want.stdout, script);
    }
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
