/**
 * What enforcement adds per exec (root, real driver): `npm run bench:enforce`.
 *
 * 1. In the kernel: run time of the exec event's first program (sd_sched_process_exec,
 *    where the decision is taken before the event is built) per call, from
 *    kernel.bpf_stats_enabled, for the loader without -e and with `-e enforce` and the
 *    shipped policy scoped to a cgroup of the bench's own. EXECS execs of /bin/true run in
 *    that cgroup (no policy matches: every lookup is made, nothing is killed).
 * 2. Wall clock: a shell loop of EXECS execs of /bin/true in the same cgroup with no
 *    capture, the plain loader, and the loader with `-e enforce`, alternated ROUNDS times;
 *    median per exec.
 *
 * Prints the table and writes the `enforce` section of bench/RESULTS.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, statfsSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { liveCaptureUnavailable, loaderPath } from '../ts/live/index.js';
import { loadPolicy } from '../ts/enforce/policy.js';
import { DEFAULT_ENFORCE_POLICY } from '../ts/live/enforce.js';
import { writeSection } from './results_file.js';

const EXECS = 2000;
const ROUNDS = 3;
const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Loader { child: ChildProcess; stop(): Promise<void> }

async function startLoader(enforce: string | undefined): Promise<Loader> {
  const args = ['-w', '/dev/null', '-q', ...(enforce === undefined ? [] : ['-e', 'enforce', '-C'])];
  const child = spawn(loaderPath(), args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (t: Buffer) => { err += t.toString(); });
  if (enforce !== undefined) child.stdin!.write(enforce);
  // -q prints nothing at start: the programs are attached once the stats show the program.
  const until = Date.now() + 120_000;
  while (progStats(child.pid!) === undefined || (enforce !== undefined && !err.includes('enforcement: mode=enforce'))) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`loader did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (enforce !== undefined) await new Promise((r) => setTimeout(r, 200));
  return {
    child,
    stop: () => new Promise<void>((r) => { child.on('close', () => r()); child.kill('SIGTERM'); }),
  };
}

/**
 * run_time_ns and run_cnt of the sd_sched_process_exec program that `pid` holds: the ids
 * of the programs of that name (bpftool), matched against the prog_id of the process's
 * BPF descriptors (/proc/PID/fdinfo, which carries the two counters).
 */
function progStats(pid: number): { ns: number; cnt: number } | undefined {
  const r = spawnSync('bpftool', ['-j', 'prog', 'show', 'name', 'sd_sched_process_exec'], { encoding: 'utf8' });
  const text = r.stdout.trim();
  if (!text) return undefined;
  const ids = new Set(((text.startsWith('[') ? JSON.parse(text) : [JSON.parse(text)]) as { id: number }[]).map((p) => p.id));
  let fds: string[];
  try { fds = readdirSync(`/proc/${pid}/fdinfo`); } catch { return undefined; }
  for (const fd of fds) {
    let info: string;
    try { info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'); } catch { continue; }
    const id = /^prog_id:\s*(\d+)/m.exec(info);
    if (!id || !ids.has(Number(id[1]))) continue;
    const ns = /^run_time_ns:\s*(\d+)/m.exec(info);
    const cnt = /^run_cnt:\s*(\d+)/m.exec(info);
    return { ns: Number(ns?.[1] ?? 0), cnt: Number(cnt?.[1] ?? 0) };
  }
  return undefined;
}

/** EXECS execs of /bin/true in `cgroup`; wall ms. */
function execLoop(cgroup: string): number {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', `echo $$ > ${cgroup}/cgroup.procs; for ((i = 0; i < ${EXECS}; i++)); do /bin/true; done`]);
  if (r.status !== 0) throw new Error(`exec loop: ${String(r.stderr)}`);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const why = liveCaptureUnavailable();
  if (why) { console.error(`bench:enforce needs the live driver: ${why}`); process.exit(1); }
  const root = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((p) => existsSync(p) && statfsSync(p).type === 0x63677270);
  if (!root) { console.error('bench:enforce needs a cgroup v2 mount to scope the policy'); process.exit(1); }
  const cgroup = path.join(root, `scapdrift-bench-${process.pid}`);
  mkdirSync(cgroup);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scapdrift-bench-enforce-'));
  const policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, readFileSync(DEFAULT_ENFORCE_POLICY, 'utf8').replace(/^kill_switch_file:.*$/m, '') + `cgroup: ${cgroup}\n`);
  const control = loadPolicy(policyFile).control;
  const statsBefore = spawnSync('sysctl', ['-n', 'kernel.bpf_stats_enabled'], { encoding: 'utf8' }).stdout.trim();
  spawnSync('sysctl', ['-qw', 'kernel.bpf_stats_enabled=1']);
  const load0 = os.loadavg()[0]!;
  const kernel: Record<string, number[]> = { plain: [], enforce: [] };
  const wall: Record<string, number[]> = { none: [], plain: [], enforce: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      wall.none!.push(execLoop(cgroup) / EXECS);
      for (const mode of ['plain', 'enforce'] as const) {
        const l = await startLoader(mode === 'enforce' ? control : undefined);
        try {
          const a = progStats(l.child.pid!)!;
          wall[mode]!.push(execLoop(cgroup) / EXECS);
          const b = progStats(l.child.pid!)!;
          kernel[mode]!.push((b.ns - a.ns) / Math.max(1, b.cnt - a.cnt));
        } finally {
          await l.stop();
        }
      }
    }
  } finally {
    spawnSync('sysctl', ['-qw', `kernel.bpf_stats_enabled=${statsBefore || '0'}`]);
    rmdirSync(cgroup);
    rmSync(dir, { recursive: true, force: true });
  }
  const load1 = os.loadavg()[0]!;
  const k = { plain: median(kernel.plain!), enforce: median(kernel.enforce!) };
  const w = { none: median(wall.none!), plain: median(wall.plain!), enforce: median(wall.enforce!) };
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const md = [
    '## Enforcement cost per exec (`npm run bench:enforce`, bench/enforce.ts)',
    '',
    `${EXECS} execs of /bin/true per run in a cgroup of the bench's own (the policy's scope), ${ROUNDS} rounds alternated, median. ` +
      'Kernel: run time of `sd_sched_process_exec` (stage 1 of the exec event, where the decision is taken) per call, kernel.bpf_stats_enabled.',
    '',
    '| | no capture | loader | loader -e enforce | added by enforcement |',
    '|---|---:|---:|---:|---:|',
    `| in the kernel, stage 1, ns per exec | — | ${fmt(k.plain)} | ${fmt(k.enforce)} | ${fmt(k.enforce - k.plain)} |`,
    `| wall clock, µs per exec (shell loop) | ${fmt(w.none * 1000)} | ${fmt(w.plain * 1000)} | ${fmt(w.enforce * 1000)} | ${fmt((w.enforce - w.plain) * 1000)} |`,
    '',
    `Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}, Linux ${os.release()}. Load average (1 min) before ${load0.toFixed(2)}, after ${load1.toFixed(2)}. ` +
      'Per-run values: kernel ' + JSON.stringify({ plain: kernel.plain!.map((x) => Math.round(x)), enforce: kernel.enforce!.map((x) => Math.round(x)) }) +
      ', wall µs ' + JSON.stringify(Object.fromEntries(Object.entries(wall).map(([n, xs]) => [n, xs.map((x) => Math.round(x * 1000))]))) + '.',
  ].join('\n');
  console.log(md);
  writeSection('enforce', md);
}

await main();
