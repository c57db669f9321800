/**
 * Falco's upstream rules files (../shared/falco-rules/) as a Falco user runs them: they load
 * unchanged, without skip-if-unknown-filter, and each rule's condition matches, on each shared
 * capture, the events libsinsp's own filter engine matches
 * (../shared/captures/reference/falco/rules_matches.tsv: match_count and the first 200 evt.nums).
 * The conditions are run as the reference expanded them (rules_expanded.tsv: macros and lists
 * substituted, disabled rules included), so every rule is run, enabled or not.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openByteSource } from '../ts/scap/byte_source.js';
import { Decoder } from '../ts/pipeline/decoder.js';
import { compileFilter } from '../ts/filter/index.js';
import { matchedPrograms } from '../ts/filter/blob.js';
import { loadRules } from '../ts/rules/load.js';
import { capture, CAPTURES_DIR } from './helpers/captures.js';

const FALCO = resolve(process.cwd(), '..', 'shared', 'falco-rules');
const STABLE = join(FALCO, 'falco_rules.yaml');
const INCUBATING = join(FALCO, 'falco-incubating_rules.yaml');
const SANDBOX = join(FALCO, 'falco-sandbox_rules.yaml');
const REF = join(CAPTURES_DIR, 'reference', 'falco');

function tsv(name: string): string[][] {
  return readFileSync(join(REF, name), 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split('\t'));
}

test('the three upstream rules files load unchanged, with no rule skipped', () => {
  for (const files of [[STABLE], [STABLE, INCUBATING], [STABLE, SANDBOX]]) {
    const set = loadRules(files);
    assert.equal(set.unknownFields, [], files.join(' + '));
    assert.equal(set.warnings, [], files.join(' + '));
  }
});

const EXPANDED = tsv('rules_expanded.tsv').map(([file, rule, , , condition]) => ({ file: file!, rule: rule!, condition: condition! }));
const key = (file: string, rule: string): string => `${file}\t${rule}`;
/** libsinsp's matches per rule and capture (the 48 rules sinsp-example accepts). */
const WANT = new Map<string, { count: number; nums: string }>();
for (const [file, rule, cap, count, nums] of tsv('rules_matches.tsv')) WANT.set(`${key(file!, rule!)}\t${cap}`, { count: Number(count), nums: nums ?? '' });
/** The 45 rules libsinsp rejects only for the container plugin's fields. */
const REJECTED = new Set(tsv('rules_rejected.tsv').map(([file, rule]) => key(file!, rule!)));

const CAPTURES = ['drop_exec.scap', 'memfd_exec.scap', 'busy.scap', 'curl_google.scap', 'curl_google_comments.scap', 'single_ipv6_conn.scap', 'test_ipv6_client.scap'];

/**
 * (rule, capture) pairs whose matches differ from libsinsp's, each with its reason. Everything
 * not listed here must be equal.
 */
const KNOWN: Record<string, string> = {
  // Old sysdig capture: the listening and accepting thread (tid 25886, libsinsp's 850 listen and
  // 1145 accept) is in no process list and made by no clone the capture holds. libsinsp builds a
  // placeholder thread for a tid it never saw and tracks its fds; scapdrift has no thread for it
  // (test/process_state.test.ts counts such rows), so no fd table and no fd.typechar: no match.
  'Unexpected inbound connection source\tsingle_ipv6_conn.scap': 'thread unknown to scapdrift (libsinsp: a placeholder)',
  // Old sysdig capture: socket's exit of that version carries only the fd (domain, type and protocol
  // are in the enter event), and connect's exit no fd: libscap folds each enter event into its
  // exit before libsinsp sees it (and numbers the merged event: 203). scapdrift reads both events
  // as the file holds them: the socket's type is unknown ('o') and the connect does not reach it.
  'Unexpected UDP Traffic\ttest_ipv6_client.scap': 'old enter/exit pairs: the exits lack what the enter events carry',
};

/**
 * What the rules libsinsp rejects (it has no container plugin) match here, where container
 * fields read as missing and container.id is scapdrift's own ('host' outside containers):
 * per rule and capture, the number of events; pairs not listed match nothing.
 */
const REJECTED_MATCHES: Record<string, number> = {
  // runuser (user oracleuser) calls setuid: a host process (container.id = host), not root, not an
  // expected setuid caller: the rule holds, as it would in Falco with its container plugin.
  'Non sudo setuid\tdrop_exec.scap': 1,
};

for (const cap of CAPTURES) {
  test(`${cap}: every upstream rule matches the events libsinsp matches`, async () => {
    const programs = EXPANDED.map((r) => compileFilter(r.condition));
    const nums: number[][] = EXPANDED.map(() => []);
    const decoder = new Decoder({ programs });
    const file = cap === 'busy.scap' ? capture('busy.scap.gz') : capture(cap);
    await decoder.run(await openByteSource(file), {
      onEvent(v) { for (const i of matchedPrograms(decoder.module, programs.length)) nums[i]!.push(v.num); },
    });
    const diffs: string[] = [];
    const rejected: Record<string, number> = {};
    EXPANDED.forEach((r, i) => {
      const k = key(r.file, r.rule);
      const got = nums[i]!;
      if (REJECTED.has(k)) {
        if (got.length > 0) rejected[`${r.rule}\t${cap}`] = got.length;
        return;
      }
      const want = WANT.get(`${k}\t${cap}`);
      assert.ok(want, `no reference for ${k} on ${cap}`);
      const mine = { count: got.length, nums: got.slice(0, 200).join(',') };
      if ((mine.count !== want.count || mine.nums !== want.nums) && !KNOWN[`${r.rule}\t${cap}`]) {
        diffs.push(`${r.rule}: ours ${mine.count} [${mine.nums.slice(0, 60)}] libsinsp ${want.count} [${want.nums.slice(0, 60)}]`);
      }
    });
    assert.equal(diffs, []);
    const wantRejected = Object.fromEntries(Object.entries(REJECTED_MATCHES).filter(([k]) => k.endsWith(`\t${cap}`)));
    assert.equal(rejected, wantRejected, 'rules libsinsp rejects for container fields');
  });
}

test.run();
