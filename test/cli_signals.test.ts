/**
 * Ctrl-C stops `read`: SIGINT ends the process (by the signal, as with no handler) whether a
 * progress bar is shown or not, on one thread and on two.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CLI } from './helpers/cli.js';

/** busy.scap.gz: ~1.6 M events, several seconds of `--json` on one thread. */
const BUSY = resolve(process.cwd(), '..', 'shared', 'captures', 'busy.scap.gz');

/** Runs `read BUSY --json …args`, sends SIGINT once output has started; resolves how it ended and how long after the signal. */
function interrupt(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number; bytes: number }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, 'read', BUSY, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let sentAt = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (sentAt === 0 && bytes > 1 << 20) { sentAt = Date.now(); child.kill('SIGINT'); }
    });
    child.stderr.resume();
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, afterMs: sentAt ? Date.now() - sentAt : -1, bytes }));
  });
}

for (const workers of ['1', '2']) {
  test(`SIGINT stops read --json --workers ${workers} of busy.scap.gz within 2 s`, async () => {
    if (!existsSync(BUSY)) { console.log(`SKIPPED (loudly): ${BUSY} is missing`); return; }
    const r = await interrupt(['--workers', workers, '-q']);
    assert.ok(r.afterMs >= 0, 'SIGINT was sent after the first MiB of output');
    assert.is(r.signal, 'SIGINT', `ended by the signal (code ${r.code}, ${r.bytes} bytes printed)`);
    assert.ok(r.afterMs < 2000, `ended ${r.afterMs} ms after SIGINT`);
  });
}

test.run();
