/** The frame of a live test file: one recording made as root with the project's driver, then its tests. */
import { test } from 'uvu';
import { rmSync } from 'node:fs';
import { liveCaptureUnavailable } from '../../ts/live/index.js';

/**
 * Registers a live suite named `what`: `record` runs once before its tests (they read the
 * recording through `get`) and its directory is removed after them. Without a live capture (not
 * root, no built driver, no BTF) it says why on stderr, loudly, registers one empty test naming
 * the reason, and checks nothing.
 */
export function liveSuite<R extends { dir: string }>(what: string, record: () => Promise<R>, tests: (get: () => R) => void): void {
  const why = liveCaptureUnavailable();
  if (why) {
    console.warn(`\n  SKIPPED ${what} (nothing checked): ${why}\n`);
    test(`${what}: skipped, ${why}`, () => {});
    return;
  }
  let r: R | undefined;
  test.before(async () => {
    r = await record();
  });
  test.after(() => {
    if (r) rmSync(r.dir, { recursive: true, force: true });
  });
  tests(() => r!);
}
