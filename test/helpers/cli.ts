/** Runs the built CLI (dist/ts/cli/main.js) and captures its output. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const CLI = resolve(process.cwd(), 'dist', 'ts', 'cli', 'main.js');

export interface CliResult { status: number | null; stdout: string; stderr: string }

export function runCli(args: string[], input?: Buffer): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, maxBuffer: 1 << 30, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
