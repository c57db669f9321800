/**
 * Issue 13, learned baselines, live with the real driver: a profile learned from one recording,
 * then a second capture judged against it live (`capture --baseline`) and from its recording
 * (`read --baseline`, one thread and three). Once learned, a CI-like build that runs what it compiled
 * (new bytes every build, same compiler) and a tool run as before raise nothing; a dropped
 * binary (new path), a binary replaced under a known path (other hash) and a known binary run by
 * an unknown parent raise "Executable not in its workload's learned baseline" with that reason.
 * Other processes of this machine run meanwhile: only the alerts naming this test's directory
 * are looked at. Without root, a built driver or a C compiler the suite says why, loudly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveCaptureUnavailable } from '../ts/live/index.js';
import { runCli } from './helpers/cli.js';
import { startCli, exitsWithin, PROMPT_MS } from './helpers/live_cli.js';

const RULE = "Executable not in its workload's learned baseline";

function sh(script: string, ...args: string[]): void {
  const r = spawnSync('sh', ['-c', script, 'sh', ...args], { encoding: 'utf8' });
  assert.is(r.status, 0, `${script}: ${r.stderr}`);
}

type Alert = { rule: string; output_fields: Record<string, unknown> };

/** Records `work` with the driver into `file`; with `baseline`, the alerts printed live. */
async function record(file: string, work: () => void, baseline?: string): Promise<Alert[]> {
  const r = startCli(['capture', '-w', file, '--hash-wait-ms', '5000', ...(baseline ? ['--baseline', baseline, '--json'] : ['evt.num = 0'])]);
  await r.capturing;
  while (!r.stderr().includes('scapdrift-loader: process table:')) await new Promise((res) => setTimeout(res, 20));
  work();
  await new Promise((res) => setTimeout(res, 300));
  r.child.kill('SIGINT');
  const { code } = await exitsWithin(r, PROMPT_MS);
  assert.is(code, 0, r.stderr());
  return r.stdout().trim().split('\n').filter(Boolean).map((x) => JSON.parse(x) as Alert);
}

/** exe path → reason of the alerts about the files under `dir`; every one of the baseline rule. */
function reasonsUnder(alerts: Alert[], dir: string): Record<string, string> {
  const mine = alerts.filter((a) => String(a.output_fields['proc.exepath']).startsWith(dir));
  assert.ok(mine.every((a) => a.rule === RULE));
  return Object.fromEntries(mine.map((a) => [String(a.output_fields['proc.exepath']), String(a.output_fields['drift.baseline.reason'])]));
}

const why = liveCaptureUnavailable() ?? (spawnSync('cc', ['--version']).status === 0 ? undefined : 'no C compiler (cc) for the CI-like build');
if (why) {
  console.warn(`\n  SKIPPED live baseline tests (nothing checked): ${why}\n`);
  test(`live baseline: skipped, ${why}`, () => {});
} else {
  test('learn a CI-like build and tools, then: rebuilds are known; dropped, replaced and re-parented binaries are raised', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'scapdrift-bl-')));
    try {
      mkdirSync(join(dir, 'build'));
      const tool = join(dir, 'tool');
      const tool2 = join(dir, 'tool2');
      copyFileSync('/bin/true', tool);
      copyFileSync('/bin/true', tool2);
      sh('chmod 755 "$1" "$2"', tool, tool2);
      // A build whose output differs every time (a random string in it), run right after.
      const build = (): void => {
        writeFileSync(join(dir, 'app.c'), `static const char id[] = "${randomBytes(8).toString('hex')}"; int main(void) { return id[0] == 0; }\n`);
        sh('cd "$1" && cc -o build/app app.c && ./build/app', dir);
      };
      const learnFile = join(dir, 'learn.scap');
      await record(learnFile, () => {
        for (let i = 0; i < 2; i++) { build(); sh('"$1" && "$2"', tool, tool2); }
      });
      const profile = join(dir, 'profile.json');
      const l = runCli(['learn', learnFile, '-o', profile, '--min-stable', '0']);
      assert.is(l.status, 0, l.stderr);

      const detectFile = join(dir, 'detect.scap');
      const dropped = join(dir, 'dropped');
      const live = await record(detectFile, () => {
        for (let i = 0; i < 2; i++) { build(); }
        sh('cp /bin/true "$1" && chmod 755 "$1" && "$1"', dropped); // new path
        sh('cp /bin/false "$1"; "$1" || true', tool); // other bytes under a known path
        const p = spawnSync('perl', ['-e', 'system { $ARGV[0] } "tool2"; exit($? >> 8)', tool2]); // known binary, unknown parent
        assert.is(p.status, 0);
      }, profile);
      const expected = {
        [dropped]: 'new path',
        [tool]: 'new hash for a known path',
        [tool2]: 'new parent',
      };
      assert.equal(reasonsUnder(live, dir), expected, `capture --baseline: only the three raised, each with its reason (the rebuilt ${join(dir, 'build', 'app')} is known)`);
      const r = runCli(['read', detectFile, '-q', '--baseline', profile, '--json']);
      assert.is(r.status, 0, r.stderr);
      const read = r.stdout.trim().split('\n').filter(Boolean).map((x) => JSON.parse(x) as Alert);
      assert.equal(reasonsUnder(read, dir), expected, 'read --baseline of the recording: the same');
      const replaced = read.find((a) => a.output_fields['proc.exepath'] === tool)!.output_fields['proc.exe_sha256'];
      assert.is(replaced, createHash('sha256').update(readFileSync('/bin/false')).digest('hex'), 'the replaced binary\'s digest (of /bin/false\'s bytes) is in the alert');
      const w = runCli(['read', detectFile, '-q', '--baseline', profile, '--json', '--workers', '3']);
      assert.is(w.stdout, r.stdout, 'read --workers 3: the same alerts');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
