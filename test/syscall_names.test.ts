/**
 * Generic syscall events (libs' `syscall` events with an ID parameter) are named by their
 * syscall, as libsinsp names them, in output, in filters and in --type; the names come from
 * libs' syscall table through scripts/gen_syscall_table.mjs (ts/events/syscall_table_data.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { capture, CAPTURES_DIR } from './helpers/captures.js';
import { openCapture } from '../ts/api/index.js';
import { PPM_SC_NAMES, NATIVE_TO_PPM_SC, genericSyscall, isSyscallName } from '../ts/events/syscalls.js';
import { parseCondition } from '../ts/filter/parser.js';
import { eventIdsByName } from '../ts/events/event_table.js';
import { compileProgram } from '../ts/filter/compiler.js';

const LIBS_GIT = process.env.SCAPDRIFT_LIBS_GIT ?? '/work/.mirror/falcosecurity+libs/repo';

test('the committed syscall table is what the generator makes from libs', () => {
  if (!existsSync(LIBS_GIT)) {
    console.warn(`\n  SKIPPED: libs git directory ${LIBS_GIT} not found (set SCAPDRIFT_LIBS_GIT): the generated syscall table is not re-checked against libs\n`);
    return;
  }
  const r = spawnSync(process.execPath, ['scripts/gen_syscall_table.mjs', '--libs', LIBS_GIT, '--check', 'ts/events/syscall_table_data.ts'], { encoding: 'utf8' });
  assert.is(r.stderr, '');
  assert.is(r.status, 0);
});

test('ppm_sc names and the x86_64 native map hold libs facts', () => {
  // driver/ppm_events_public.h: PPM_SC_X(FADVISE64, 319), PPM_SC_X(READLINK, 51); NA_1 (382) is commented out.
  assert.is(PPM_SC_NAMES[319], 'fadvise64');
  assert.is(PPM_SC_NAMES[51], 'readlink');
  assert.is(PPM_SC_NAMES[382], '');
  assert.is(PPM_SC_NAMES[0], 'unknown');
  // x86_64: __NR_fadvise64 221, __NR_readlink 89, __NR_read 0.
  assert.is(NATIVE_TO_PPM_SC[221], 319);
  assert.is(NATIVE_TO_PPM_SC[89], 51);
  assert.is(NATIVE_TO_PPM_SC[0], 3);
  // The native number is used only when the ppm_sc code is unknown and nativeID is present.
  assert.is(genericSyscall(319, 89), 319);
  assert.is(genericSyscall(0, 221), 319);
  assert.is(genericSyscall(0, undefined), 0);
  assert.is(genericSyscall(0, 100_000), 0);
  assert.ok(isSyscallName('rt_sigaction'));
  assert.not.ok(isSyscallName(''));
  assert.not.ok(isSyscallName('fadvise65'));
});

/** libsinsp's (evt.type, evt.dir) per evt.num of a shared capture (reference/falco). */
function libsinspTypes(name: string): Map<string, string> {
  const text = gunzipSync(readFileSync(join(CAPTURES_DIR, 'reference', 'falco', `${name}.falco_fields.tsv.gz`))).toString('utf8');
  const rows = text.trimEnd().split('\n').slice(1).map((l) => l.split('\t'));
  return new Map(rows.map((r) => [r[0]!, `${r[1]}\t${r[2]}`]));
}

async function ourTypes(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of openCapture(capture(file), { fields: ['evt.num', 'evt.type', 'evt.dir'] })) {
    out.set(String(e['evt.num']), `${e['evt.type']}\t${e['evt.dir']}`);
  }
  return out;
}

function exitCounts(types: Map<string, string>): Map<string, number> {
  const c = new Map<string, number>();
  for (const t of types.values()) if (t.endsWith('<')) c.set(t, (c.get(t) ?? 0) + 1);
  return c;
}

for (const name of ['drop_exec', 'memfd_exec']) {
  test(`${name}: evt.type and evt.dir of every event equal libsinsp's`, async () => {
    const ref = libsinspTypes(name);
    const ours = await ourTypes(`${name}.scap`);
    assert.is(ours.size, ref.size);
    const diff = [...ref].filter(([num, t]) => ours.get(num) !== t).slice(0, 5);
    assert.equal(diff, []);
  });
}

// The old sysdig captures: libsinsp folds some enter events into their exits (its numbering
// differs there), so the exits are compared per name — generic ones included (clock_gettime,
// rt_sigaction, set_robust_list, ... of the old driver).
for (const name of ['curl_google', 'curl_google_comments', 'test_ipv6_client', 'single_ipv6_conn']) {
  test(`${name}: exit events per evt.type equal libsinsp's, generic syscalls by name`, async () => {
    const ref = exitCounts(libsinspTypes(name));
    const ours = exitCounts(await ourTypes(`${name}.scap`));
    assert.equal([...ours].sort(), [...ref].sort());
    assert.not.ok(ours.has('syscall\t<'), 'no generic exit is named "syscall"');
  });
}

async function count(file: string, options: { filter?: string; types?: string[] }, field = 'evt.type'): Promise<Map<string, number>> {
  const c = new Map<string, number>();
  for await (const e of openCapture(capture(file), { fields: [field], ...options })) {
    const k = String(e[field]);
    c.set(k, (c.get(k) ?? 0) + 1);
  }
  return c;
}

test('busy: evt.type = fadvise64 matches the 123,633 events libsinsp matches; --type selects by syscall', async () => {
  // sinsp-example -s busy.scap -f 'evt.type = fadvise64' retrieves 123,633 events (issue 16).
  assert.equal([...await count('busy.scap.gz', { filter: 'evt.type = fadvise64' })], [['fadvise64', 123_633]]);
  const byType = await count('busy.scap.gz', { types: ['readlink', 'fadvise64'] });
  assert.equal([...byType].sort(), [['fadvise64', 123_633], ['readlink', 34_757]]);
  // busy's 167,367 generic exits (libsinsp's histogram counts them under the event name
  // "syscall", reference/busy.hist.tsv) are all named by syscalls without an event of their own.
  const onlyGeneric = PPM_SC_NAMES.filter((n) => n !== '' && eventIdsByName(n).length === 0);
  const generic = await count('busy.scap.gz', { filter: `evt.type in (${onlyGeneric.join(', ')})` });
  assert.is([...generic.values()].reduce((a, b) => a + b, 0), 167_367);
  assert.equal([...await count('busy.scap.gz', { filter: 'evt.type = syscall' })], []);
});

test('conditions accept every syscall name libs knows, and refuse others', () => {
  for (const name of PPM_SC_NAMES.filter((n) => n !== '')) compileProgram(parseCondition(`evt.type = ${name}`));
  assert.throws(() => compileProgram(parseCondition('evt.type = fadvise65')), /unknown event type fadvise65/);
  assert.throws(() => compileProgram(parseCondition('evt.type in (open, fadvise65)')), /unknown event type fadvise65/);
});

test.run();
