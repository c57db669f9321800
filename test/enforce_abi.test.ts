/**
 * The enforcement contract is defined once, in driver/include/scapdrift_abi.h; the
 * shell's copy (ts/enforce/abi.ts) is checked against it here, as are the decoded
 * fields of a flags word and the policy file's control text for the loader.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ENFORCE_POLICIES, SD_PPM_EXE_ENFORCE_KILLED, SD_PPM_EXE_ENFORCE_POLICY_SHIFT, SD_PPM_EXE_ENFORCE_WOULD_KILL,
  enforcedDecision, enforcedPolicies,
} from '../ts/enforce/abi.js';
import { loadPolicy } from '../ts/enforce/policy.js';

const HEADER = readFileSync(join(process.cwd(), 'driver', 'include', 'scapdrift_abi.h'), 'utf8');

/** The value of `#define NAME (1u << N)` or `#define NAME N`. */
function define(name: string): number {
  const m = new RegExp(`#define ${name} +(?:\\(1u << (\\d+)\\)|(\\d+))`).exec(HEADER);
  assert.ok(m, `${name} in scapdrift_abi.h`);
  return m[1] !== undefined ? 2 ** Number(m[1]) : Number(m[2]);
}

test('flag bits and policy names are the header\'s', () => {
  assert.is(SD_PPM_EXE_ENFORCE_WOULD_KILL >>> 0, define('SD_PPM_EXE_ENFORCE_WOULD_KILL'));
  assert.is(SD_PPM_EXE_ENFORCE_KILLED >>> 0, define('SD_PPM_EXE_ENFORCE_KILLED'));
  assert.is(SD_PPM_EXE_ENFORCE_POLICY_SHIFT, define('SD_PPM_EXE_ENFORCE_POLICY_SHIFT'));
  assert.is(ENFORCE_POLICIES.length, define('SD_ENFORCE_POLICY_COUNT'));
  const names = /#define SD_ENFORCE_POLICY_NAMES \{([^}]*)\}/.exec(HEADER)![1]!.split(',').map((s) => s.trim().replace(/"/g, ''));
  assert.equal(names, [...ENFORCE_POLICIES]);
  for (const [i, n] of ENFORCE_POLICIES.entries()) assert.is(define(`SD_ENFORCE_${n.toUpperCase()}`), 2 ** i, n);
  // Bits 24..27 stay below the decision bits and SD_PPM_EXE_SCRIPT (bit 31).
  assert.ok(SD_PPM_EXE_ENFORCE_POLICY_SHIFT + ENFORCE_POLICIES.length <= Math.log2(SD_PPM_EXE_ENFORCE_KILLED));
});

test('drift.enforced and drift.enforced_policy of a flags word', () => {
  const memfdKilled = (SD_PPM_EXE_ENFORCE_KILLED | (2 << SD_PPM_EXE_ENFORCE_POLICY_SHIFT) | 4) >>> 0; // + PPM_EXE_FROM_MEMFD
  assert.is(enforcedDecision(memfdKilled), 'killed');
  assert.is(enforcedPolicies(memfdKilled), 'memfd');
  const audit = (SD_PPM_EXE_ENFORCE_WOULD_KILL | (0b1001 << SD_PPM_EXE_ENFORCE_POLICY_SHIFT) | 0x8000_0000) >>> 0;
  assert.is(enforcedDecision(audit), 'would-kill');
  assert.is(enforcedPolicies(audit), 'written_untrusted,upper_layer');
  assert.is(enforcedDecision(1 | 2 | 8), null, 'libs\' own bits only: no decision');
  assert.is(enforcedPolicies(0x8000_0000), null);
});

test('the policy file becomes the loader\'s control text: trusted writers by the file their path names now', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scapdrift-policy-'));
  try {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, 'policies: [memfd, written_untrusted]\ntrusted_writers: [/bin/sh, /no/such/writer]\nmemfd_allowed: ["memfd:runc_cloned:/proc/self/exe"]\nmax_kills_per_second: 3\n');
    const p = loadPolicy(file);
    const sh = statSync('/bin/sh', { bigint: true }); // a symbolic link on many hosts: its target's identity
    assert.is(p.control, `policies 3\nmax-kills 3\nscope-cgroup 0\ntrust ${sh.dev} ${sh.ino}\nmemfd-allow runc_cloned:/proc/self/exe\ncommit\n`);
    assert.equal(p.warnings, [`enforcement policy ${file}: trusted writer /no/such/writer skipped: ENOENT`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
