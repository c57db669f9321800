/**
 * `scapdrift start` (what `npm start` runs): live drift detection with the
 * default rules (rules/scapdrift_rules.yaml) when root and eBPF are available,
 * alerts until Ctrl-C; otherwise it says why and runs the same rules over the
 * bundled sample capture, which the
 * project's own driver recorded with scripts/record_sample.sh (samples/live_drift.scap.gz:
 * a binary copied to a temp dir, chmod'ed and run; /bin/true; a memfd exec; a new pid
 * namespace; a binary dropped into a fake container: a docker-<id>.scope cgroup and a new
 * pid namespace; a #!/bin/sh script written, chmod'ed and run).
 */
import { fileURLToPath } from 'node:url';
import { readCommand } from './cli_read.js';
import { captureCommand, liveCaptureUnavailable } from './capture/index.js';

/** The sample capture shipped in the package. */
export const SAMPLE_CAPTURE = fileURLToPath(new URL('../../samples/live_drift.scap.gz', import.meta.url));

export async function startCommand(): Promise<void> {
  const why = liveCaptureUnavailable();
  if (why === undefined) {
    process.stderr.write('scapdrift: live drift detection with the default rules; Ctrl-C to stop\n');
    await captureCommand({ defaultRules: true });
    return;
  }
  process.stderr.write(`scapdrift: ${why}; analysing the sample capture ${SAMPLE_CAPTURE} instead\n`);
  await readCommand(SAMPLE_CAPTURE, { defaultRules: true, quiet: true });
}
