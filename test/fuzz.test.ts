/**
 * Fuzzing in `npm test` (issue 6): replays every crasher in test/regressions/ through its target,
 * then runs each fuzz target of fuzz/targets.js for a short, seeded, bounded time with the
 * dependency-free runner fuzz/run.js (Jazzer.js 4 does not load on this glibc; see fuzz/README.md).
 * FUZZ_SECONDS sets the seconds per target (default 12; 0 skips the bounded run).
 * New crashers are written to a temp directory named in the failure; copy them to test/regressions/.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';

type Target = (data: Buffer) => string | undefined;
interface TargetsModule { TARGETS: Record<string, Target>; setFilterCapture(bytes: Uint8Array): void }
interface RunStats { execs: number; crashes?: number; hang?: boolean; died?: boolean; exit?: number }
interface RunModule {
  runFuzz(o: { targets?: string[]; seconds?: number; seed?: number; timeoutMs?: number; out?: string; parallel?: number; log?: (l: string) => void }):
    Promise<{ results: Record<string, RunStats>; crashFiles: string[] }>;
}

const FUZZ_DIR = resolve(process.cwd(), 'fuzz');
const REGRESSIONS = resolve(process.cwd(), 'test', 'regressions');
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 12);
const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(join(FUZZ_DIR, file)).href)) as T;

test('every crasher in test/regressions/ is handled (no exception but a ScapdriftError)', async () => {
  const { TARGETS, setFilterCapture } = await load<TargetsModule>('targets.js');
  setFilterCapture(readFileSync(join(FUZZ_DIR, 'corpus', 'decoder', 'drop_exec_execve')));
  const files = readdirSync(REGRESSIONS).filter((f) => !f.endsWith('.txt')).sort();
  assert.ok(files.length > 0, 'regression files present');
  const failures: string[] = [];
  for (const f of files) {
    const target = TARGETS[f.split('-')[0]!];
    assert.ok(target, `${f}: file names start with a target name (${Object.keys(TARGETS).join(', ')})`);
    try {
      target(readFileSync(join(REGRESSIONS, f)));
    } catch (e) {
      failures.push(`${f}: ${e instanceof Error ? e.stack?.split('\n').slice(0, 3).join(' | ') : String(e)}`);
    }
  }
  assert.equal(failures, [], 'replayed crashers');
});

test('the seed corpora run clean through their targets', async () => {
  const { TARGETS } = await load<TargetsModule>('targets.js');
  for (const t of Object.keys(TARGETS)) {
    const dir = join(FUZZ_DIR, 'corpus', t);
    for (const f of readdirSync(dir)) TARGETS[t]!(readFileSync(join(dir, f)));
  }
});

test(`bounded fuzz run: decoder, filter, rules, ${SECONDS} s each, seeded`, async () => {
  if (SECONDS <= 0) return;
  const { runFuzz } = await load<RunModule>('run.js');
  const out = mkdtempSync(join(tmpdir(), 'scapdrift-fuzz-'));
  const log: string[] = [];
  const { results, crashFiles } = await runFuzz({ seconds: SECONDS, seed: 20261129, timeoutMs: 20_000, out, parallel: 2, log: (l) => log.push(l) });
  console.log(`fuzz: ${Object.entries(results).map(([t, r]) => `${t} ${r.execs} execs, ${r.crashes ?? 0} crashes`).join('; ')}`);
  assert.equal(crashFiles, [], `crashers written to ${out}:\n${log.join('\n')}`);
  for (const [t, r] of Object.entries(results)) assert.ok(r.execs > 0, `${t} ran (${JSON.stringify(r)})`);
});

test.run();
