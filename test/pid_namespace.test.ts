/**
 * A live capture outside the host's pid namespace says so at start (ts/live/pid_namespace.ts):
 * its process table comes from that namespace's /proc while events carry the host's pids. The
 * real case runs the CLI under `unshare -fp --mount-proc` with the real driver; without root, a
 * loadable driver or unshare it says why, loudly, and checks the rule only.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { HOST_PID_NAMESPACE, pidNamespaceWarning } from '../ts/live/pid_namespace.js';
import { liveCaptureUnavailable } from '../ts/live/index.js';
import { CLI } from './helpers/cli.js';

test('the rule: the host namespace is quiet, another is named, an unreadable /proc is quiet', () => {
  assert.is(pidNamespaceWarning(() => HOST_PID_NAMESPACE), undefined);
  const w = pidNamespaceWarning(() => 'pid:[4026532174]');
  assert.ok(w?.includes('pid:[4026532174]') && w.includes('hostPID'), String(w));
  assert.is(pidNamespaceWarning(() => { throw new Error('ENOENT'); }), undefined);
});

test('live: `capture` under unshare -fp --mount-proc warns at start, and captures', () => {
  const why = liveCaptureUnavailable() ?? (spawnSync('unshare', ['--version']).status === 0 ? undefined : 'unshare(1) not found');
  if (why !== undefined) {
    console.warn(`\n  SKIPPED: live pid-namespace capture not run: ${why}\n`);
    return;
  }
  const own = readlinkSync('/proc/self/ns/pid');
  const r = spawnSync('unshare', ['-fp', '--mount-proc', process.execPath, CLI, 'capture', '--duration', '1', '-p', '%evt.num %evt.type'], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 120_000 });
  assert.is(r.status, 0, r.stderr);
  const line = r.stderr.split('\n').find((l) => l.startsWith('scapdrift: warning: running in pid namespace'));
  assert.ok(line, `no pid-namespace warning:\n${r.stderr}`);
  const ns = /pid namespace (pid:\[\d+\])/.exec(line!)![1];
  assert.is.not(ns, own, 'the child namespace, not this test\'s');
  assert.is.not(ns, HOST_PID_NAMESPACE);
  assert.ok(r.stdout.split('\n').length > 1, 'events were captured');
});

test.run();
