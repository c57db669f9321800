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
import { readCommand } from './read.js';
import { captureCommand, liveCaptureUnavailable } from '../live/index.js';

/** How often the live job checks that its parent (npm) is still there, ms. */
const ORPHAN_CHECK_MS = 1000;

/** The sample capture shipped in the package. */
export const SAMPLE_CAPTURE = fileURLToPath(new URL('../../../samples/live_drift.scap.gz', import.meta.url));

export async function startCommand(): Promise<void> {
  const why = liveCaptureUnavailable();
  if (why === undefined) {
    process.stderr.write('scapdrift: live drift detection with the default rules; Ctrl-C to stop\n');
    // `npm start` runs this under npm and a shell; SIGTERM to npm kills those but not us:
    // stop as on SIGTERM when our parent goes away (we are then re-parented).
    const parent = process.ppid;
    const orphan = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(orphan); // once: the capture's own SIGTERM handler does the rest
      process.kill(process.pid, 'SIGTERM');
    }, ORPHAN_CHECK_MS);
    orphan.unref();
    try {
      await captureCommand({ defaultRules: true });
    } finally {
      clearInterval(orphan);
    }
    return;
  }
  process.stderr.write(`scapdrift: ${why}; analysing the sample capture ${SAMPLE_CAPTURE} instead\n`);
  await readCommand(SAMPLE_CAPTURE, { defaultRules: true, quiet: true });
}
