/**
 * Live: the event types of scapdrift's driver (ts/live/driver_events.ts, checked against the
 * PPME_* ids its C programs write) and the loaded rules that can never fire on them, named at start.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DRIVER_EVENT_NAMES } from '../ts/live/driver_events.js';
import { PPME } from '../ts/events/ppm_constants.js';
import { eventInfo } from '../ts/events/event_table.js';
import { eventTypes, rulesNeverFiring } from '../ts/rules/event_types.js';
import { loadRules } from '../ts/rules/load.js';
import { parseCondition } from '../ts/filter/parser.js';
import { DEFAULT_RULES_PATH } from '../ts/rules/default_rules.js';
import { liveCaptureUnavailable } from '../ts/live/loader.js';
import { runCli } from './helpers/cli.js';

/** The C sources of the driver's eBPF programs and helpers (driver/bpf), by path. */
function driverSources(d = join(process.cwd(), 'driver', 'bpf')): string[] {
  return readdirSync(d, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? driverSources(join(d, e.name)) : /\.(c|h)$/.test(e.name) ? [readFileSync(join(d, e.name), 'utf8')] : []));
}

test('DRIVER_EVENT_NAMES are the names of the events the driver programs write', () => {
  const ids = new Set(driverSources().join('\n').match(/PPME_[A-Z0-9_]+_[EX]\b/g));
  const names = new Set([...ids].map((id) => eventInfo(PPME[id as keyof typeof PPME])!.name));
  assert.equal([...names].sort(), [...DRIVER_EVENT_NAMES].sort());
});

/**
 * Which SD_NPARAMS_* each event id is written with, read from the C: a call that names both
 * (`sd_frame_begin(&f, SD_PPME_X, SD_NPARAMS_Y)`, `sd_emit_dup_x(SD_PPME_X, SD_NPARAMS_Y, …)`),
 * or a helper `h(__u16 type, …)` that begins its frame with `type, SD_NPARAMS_Y`, called as `h(SD_PPME_X, …)`.
 */
function nparamsUses(sources: string[]): [id: string, nparams: string][] {
  const code = sources.join('\n');
  const uses: [string, string][] = [...code.matchAll(/\bSD_(PPME_[A-Z0-9_]+_[EX])\s*,\s*SD_NPARAMS_([A-Z0-9_]+)/g)].map((m) => [m[1]!, m[2]!]);
  for (const helper of code.matchAll(/\b(sd_\w+)\(__u16 type,[^)]*\)\s*\{([\s\S]*?)\n\}/g)) {
    const begin = /sd_frame_begin\(&f, type, SD_NPARAMS_([A-Z0-9_]+)\)/.exec(helper[2]!);
    if (!begin) continue;
    for (const call of code.matchAll(new RegExp(`\\b${helper[1]}\\(SD_(PPME_[A-Z0-9_]+_[EX])\\b`, 'g'))) uses.push([call[1]!, begin[1]!]);
  }
  return uses;
}

test('the event ids and parameter counts of driver/include/scapdrift_abi.h are libs\' (SD_PPME_X = PPME_X; each SD_NPARAMS_* = the parameters of every event written with it)', () => {
  const header = readFileSync(join(process.cwd(), 'driver', 'include', 'scapdrift_abi.h'), 'utf8');
  const ids = [...header.matchAll(/^#define SD_(PPME_[A-Z0-9_]+_[EX]) (\d+)/gm)];
  assert.ok(ids.length >= 29, `${ids.length} SD_PPME_ ids`);
  for (const [, name, value] of ids) assert.is(Number(value), PPME[name as keyof typeof PPME], `SD_${name}`);
  const counts = new Map([...header.matchAll(/^#define SD_NPARAMS_([A-Z0-9_]+) (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
  assert.ok(counts.size >= 22, `${counts.size} SD_NPARAMS_ counts`);
  const uses = nparamsUses(driverSources());
  for (const n of counts.keys()) assert.ok(uses.some(([, u]) => u === n), `SD_NPARAMS_${n} begins a frame of some SD_PPME_ id`);
  for (const [id, n] of uses) {
    assert.ok(counts.has(n), `SD_NPARAMS_${n} (with SD_${id}) is defined in scapdrift_abi.h`);
    assert.is(counts.get(n), eventInfo(PPME[id as keyof typeof PPME])!.params.length, `SD_NPARAMS_${n} = the parameters of ${id} in libs' event table`);
  }
  // Every event the driver writes, found through the calls (the clone family through sd_emit_clone_x).
  assert.equal([...new Set(uses.map(([id]) => id))].sort(), ids.map(([, name]) => name!).sort());
});

const env = { macro: () => undefined, list: (n: string) => (n === 'shells' ? ['bash', 'sh'] : undefined) };
const types = (c: string): string => { const t = eventTypes(parseCondition(c), env); return `${t.except ? 'all but ' : ''}${[...t.names].sort().join(',')}`; };

test('event types of a condition, as Falco resolves them', () => {
  assert.is(types('evt.type = execve and proc.name = x'), 'execve');
  assert.is(types('evt.type in (open, openat) and evt.type in (openat, connect)'), 'openat');
  assert.is(types('evt.type = execve or evt.type = connect'), 'connect,execve');
  assert.is(types('evt.type = execve or proc.name = x'), 'all but ');
  assert.is(types('evt.type != execve'), 'all but execve');
  assert.is(types('not evt.type = execve'), 'all but execve');
  assert.is(types('not (evt.type = execve and proc.name = x)'), 'all but ', 'not of a mixed check: every type');
  assert.is(types('proc.name in (shells)'), 'all but ');
});

test('rules that can never fire live are named; the default rules all can', () => {
  assert.equal(rulesNeverFiring(loadRules([DEFAULT_RULES_PATH]), DRIVER_EVENT_NAMES), []);
  const dir = mkdtempSync(join(tmpdir(), 'scapdrift-driver-events-'));
  const file = join(dir, 'r.yaml');
  const rule = (name: string, condition: string): string => `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: o\n  priority: WARNING\n`;
  writeFileSync(file, rule('Outbound', 'evt.type in (connect, sendto) and evt.dir = <') + rule('Exec', 'evt.type = execve') +
    rule('Any', 'proc.name = x') + rule('Reads', 'evt.type = read or evt.type = pread'));
  const lines = rulesNeverFiring(loadRules([file]), DRIVER_EVENT_NAMES);
  rmSync(dir, { recursive: true, force: true });
  assert.is(lines.length, 2);
  assert.match(lines[0]!, /^rule 'Outbound' can never fire in a live capture: it needs event types connect, sendto, which scapdrift's driver does not send \(it sends chmod, clone, clone3, /);
  assert.match(lines[1]!, /^rule 'Reads' can never fire in a live capture: it needs event types pread, read,/);
  const set = loadRules([join(process.cwd(), '..', 'shared', 'falco-rules', 'falco_rules.yaml')]);
  // Of the upstream stable rules (all load), those on syscalls the driver does not capture are named.
  assert.equal(rulesNeverFiring(set, DRIVER_EVENT_NAMES).map((l) => /^rule '([^']+)'/.exec(l)![1]).sort(), [
    'Contact K8S API Server From Container', 'Create Symlink Over Sensitive Files', 'Disallowed SSH Connection Non Standard Port',
    'Linux Kernel Module Injection Detected', 'PTRACE anti-debug attempt', 'PTRACE attached to process',
    'Packet socket created in container',
  ]);
  // The dup family is sent, but only onto files opened for writing (driver/bpf/helpers/events/dup.h),
  // as writes are only the first after an open: counted as sent, like them, so the socket-dup rule
  // is not named, though live it never fires.
  assert.ok(DRIVER_EVENT_NAMES.has('dup2'));
});

test('live: capture names at start each loaded rule that can never fire', () => {
  const why = liveCaptureUnavailable();
  if (why) {
    console.warn(`\n  SKIPPED live check of the start warning: ${why}\n`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'scapdrift-driver-events-'));
  const file = join(dir, 'r.yaml');
  writeFileSync(file, '- rule: Outbound\n  desc: d\n  condition: evt.type = connect\n  output: o\n  priority: WARNING\n');
  const r = runCli(['capture', '-r', file, '--duration', '1']);
  rmSync(dir, { recursive: true, force: true });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /^scapdrift: warning: rule 'Outbound' can never fire in a live capture: it needs event types connect, /m);
});

test.run();
