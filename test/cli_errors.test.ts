/**
 * Bad input through the CLI: a truncated file, a corrupt length, an empty file
 * and a non-scap file each give one line on stderr naming the byte offset and
 * what was expected, exit code 1, no stack trace, and every complete event
 * before the fault on stdout.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture } from './helpers/captures.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scapdrift-cli-'));
const original = readFileSync(capture('drop_exec.scap'));
const fullLines = runCli(['read', capture('drop_exec.scap'), '-p', '%evt.num %evt.type %proc.name']).stdout.trimEnd().split('\n');

function write(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function assertOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  assert.is(lines.length, 1, `one line on stderr, got: ${stderr}`);
  assert.match(lines[0]!, /^scapdrift: /);
  assert.match(lines[0]!, pattern);
  assert.not.match(stderr, /\n\s+at /, 'no stack trace');
}

test('full read prints every event of drop_exec.scap', () => {
  assert.is(fullLines.length, 6398);
  assert.is(fullLines[0], '74 switch <NA>');
});

test('truncated mid-file: offset named, every complete event before the cut printed', () => {
  // Cut inside the event block that starts at byte `cut - 10`: find it by walking lengths.
  const dv = new DataView(original.buffer, original.byteOffset, original.byteLength);
  let off = 0;
  let blocks = 0;
  let eventBlocks = 0;
  while (off < original.length && blocks < 3000) {
    // Event blocks, less the leading user/group-added events (numbered, never shown).
    if (dv.getUint32(off, true) === 0x216 && ![354, 358].includes(dv.getUint16(off + 30, true))) eventBlocks++;
    off += dv.getUint32(off + 4, true);
    blocks++;
  }
  const cut = off + 10;
  const r = runCli(['read', write('cut.scap', original.subarray(0, cut)), '-p', '%evt.num %evt.type %proc.name']);
  assert.is(r.status, 1);
  assertOneLineError(r.stderr, new RegExp(`truncated capture at byte ${off}: expected \\d+ bytes of block 0x216 \\(EV_BLOCK_TYPE_V2\\), found 10`));
  const lines = r.stdout.trimEnd().split('\n');
  assert.ok(lines.length > 2000, `${lines.length} events before the cut`);
  assert.equal(lines, fullLines.slice(0, lines.length), 'same events as the full read');
  // Exactly the events whose blocks ended before the cut.
  assert.is(lines.length, eventBlocks);
});

test('every cut point within the first blocks errors cleanly', () => {
  for (const cut of [1, 4, 7, 8, 11, 27, 29, 100]) {
    const r = runCli(['read', write(`cut${cut}.scap`, original.subarray(0, cut)), '-q']);
    assert.is(r.status, 1, `cut ${cut}`);
    assertOneLineError(r.stderr, /at byte \d+/);
  }
});

test('corrupt block length: offset and expectation named, earlier events printed', () => {
  const bad = Buffer.from(original);
  const dv = new DataView(bad.buffer, bad.byteOffset, bad.byteLength);
  let off = 0;
  for (let i = 0; i < 500; i++) off += dv.getUint32(off + 4, true);
  dv.setUint32(off + 4, 0xfffffff0, true);
  const r = runCli(['read', write('badlen.scap', bad), '-p', '%evt.num']);
  assert.is(r.status, 1);
  assertOneLineError(r.stderr, new RegExp(`corrupt capture at byte ${off + 4}: block_total_length`));
  assert.ok(r.stdout.trimEnd().split('\n').length > 400);
});

test('mismatched trailing length is reported at the trailer', () => {
  const bad = Buffer.from(original);
  const dv = new DataView(bad.buffer, bad.byteOffset, bad.byteLength);
  let off = 0;
  for (let i = 0; i < 600; i++) off += dv.getUint32(off + 4, true);
  const len = dv.getUint32(off + 4, true);
  dv.setUint32(off + len - 4, len + 4, true);
  const r = runCli(['read', write('badtrailer.scap', bad), '-q']);
  assert.is(r.status, 1);
  assertOneLineError(r.stderr, new RegExp(`corrupt capture at byte ${off + len - 4}: trailing copy`));
});

test('a corrupt frame in a sound block is reported and skipped; --strict makes it fatal', () => {
  const bad = Buffer.from(original);
  const dv = new DataView(bad.buffer, bad.byteOffset, bad.byteLength);
  let off = 0;
  for (let i = 0; i < 700; i++) off += dv.getUint32(off + 4, true);
  assert.is(dv.getUint32(off, true), 0x216);
  const frame = off + 8 + 2;
  dv.setUint16(frame + 26, 0xffff, true); // first parameter length runs past the frame
  const file = write('badframe.scap', bad);
  const r = runCli(['read', file, '-p', '%evt.num %evt.type %proc.name']);
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.is(lines.length, fullLines.length - 1, 'every other event is printed');
  const skippedNum = fullLines.findIndex((l, i) => lines[i] !== l);
  assert.equal(lines.slice(0, skippedNum), fullLines.slice(0, skippedNum));
  assert.equal(lines.slice(skippedNum), fullLines.slice(skippedNum + 1), 'numbering goes on: the skipped frame keeps its number');
  assert.match(r.stderr, new RegExp(`^scapdrift: warning: skipped a corrupt frame: corrupt capture at byte ${frame + 26}: parameter lengths run past the end of the frame`));
  assert.match(r.stderr, /1 corrupt frames skipped/);
  const strict = runCli(['read', file, '--strict', '-p', '%evt.num']);
  assert.is(strict.status, 1);
  assertOneLineError(strict.stderr, new RegExp(`corrupt capture at byte ${frame + 26}: parameter lengths`));
  assert.is(strict.stdout.trimEnd().split('\n').length, skippedNum);
  const par = runCli(['read', file, '--workers', '3', '-p', '%evt.num %evt.type %proc.name']);
  assert.is(par.stdout, r.stdout, '3 workers print the same');
  assert.is(par.stderr, r.stderr);
  // A frame no condition can select and no state needs is not read, as libsinsp reads an event's
  // parameters only when asked (sinsp_evt::get_param): a filter on another type neither sees nor
  // reports it, and prints what it prints on the sound capture.
  const type = fullLines[skippedNum]!.split(' ')[1]!;
  const other = type === 'execve' ? 'clone' : 'execve';
  const filtered = runCli(['read', file, '-q', '-f', `evt.type = ${other}`, '-p', '%evt.num %evt.type %proc.name']);
  assert.is(filtered.status, 0, filtered.stderr);
  assert.is(filtered.stderr, '');
  assert.equal(filtered.stdout.trimEnd().split('\n'), fullLines.filter((l) => l.split(' ')[1] === other));
  // Selected by the filter's type, it is checked and reported again.
  const selected = runCli(['read', file, '-q', '-f', `evt.type = ${type}`, '-p', '%evt.num']);
  assert.match(selected.stderr, /1 corrupt frames skipped/);
});

test('a block of a type libscap does not know is skipped with a warning naming it; --strict makes it fatal', () => {
  // The type word of the event block that starts the 2000th block, overwritten.
  const dv = new DataView(original.buffer, original.byteOffset, original.byteLength);
  let off = 0;
  for (let i = 0; i < 2000; i++) off += dv.getUint32(off + 4, true);
  assert.is(dv.getUint32(off, true), 0x216, 'an event block');
  const bad = Buffer.from(original);
  bad.writeUInt32LE(0x7fffffff, off);
  const file = write('unknown_block.scap', bad);
  const r = runCli(['read', file, '-p', '%evt.num %evt.type %proc.name']);
  assert.is(r.status, 0);
  assertOneLineError(r.stderr.replace(/^scapdrift: warning: /, 'scapdrift: '), new RegExp(`^scapdrift: 1 blocks of a type libscap does not know skipped by their length, the first at byte ${off} \\(type 0x7fffffff;`));
  const lines = r.stdout.trimEnd().split('\n');
  assert.is(lines.length, fullLines.length - 1, 'the one event of that block is the only one missing');
  const strict = runCli(['read', file, '--strict', '-p', '%evt.num %evt.type %proc.name']);
  assert.is(strict.status, 1);
  assertOneLineError(strict.stderr, new RegExp(`corrupt capture at byte ${off}: block 0x7fffffff \\(unknown 0x7fffffff\\) is not a block type libscap knows`));
  const before = strict.stdout.trimEnd().split('\n');
  assert.equal(before, fullLines.slice(0, before.length), 'every event before it printed');
  assert.ok(before.length > 1000);
});

test('empty file', () => {
  const r = runCli(['read', write('empty.scap', new Uint8Array(0))]);
  assert.is(r.status, 1);
  assertOneLineError(r.stderr, /empty capture: expected a section header block at byte 0/);
  assert.is(r.stdout, '');
});

test('non-scap file', () => {
  const r = runCli(['read', write('text.scap', Buffer.from('hello, this is not a capture file at all\n'.repeat(4)))]);
  assert.is(r.status, 1);
  assertOneLineError(r.stderr, /not a scap capture: expected section header block type 0xa0d0d0a at byte 0, found 0x6c6c6568/);
});

test('missing file', () => {
  const r = runCli(['read', join(dir, 'nope.scap')]);
  assert.is(r.status, 1);
  assertOneLineError(r.stderr, /nope\.scap/);
});

test('unknown field in -p suggests the right one', () => {
  const r = runCli(['read', capture('drop_exec.scap'), '-p', '%evt.num %proc.exe_inode']);
  assert.is(r.status, 1);
  assertOneLineError(r.stderr, /unknown field proc\.exe_inode at character 10 of the format; did you mean proc\.exe_ino\?/);
});

test('an empty -p format is a one-line option error before anything is read or loaded (libsinsp: empty formatting token)', () => {
  // Before: exit 1 with "internal error: scapdrift internal error: an event reached the shell …".
  for (const argv of [
    ['read', capture('drop_exec.scap'), '-p', ''],
    ['read', capture('drop_exec.scap'), '--json', '-p', ''],
    ['read', capture('drop_exec.scap'), '-p', '*'],
    // capture compiles its options before the driver loads: the same line, root or not.
    ['capture', '-p', ''],
  ]) {
    const r = runCli(argv);
    assert.is(r.status, 1, argv.join(' '));
    assert.is(r.stdout, '');
    assertOneLineError(r.stderr, /^scapdrift: empty format( \("\*" has nothing after its leading \*\))?: give at least one %field or some text/);
    assert.not.match(r.stderr, /internal error/);
  }
});

test('numeric option ranges: a value out of range or negative is one line naming the option and its bounds, before the driver loads', () => {
  // --duration 1: without the check, capture would run (as root) and end by itself.
  const cases: [string[], RegExp][] = [
    // Before: a TimeoutOverflowWarning per exec, each hash waited 1 ms.
    [['capture', '--duration', '1', '--hash-wait-ms', '3000000000'], /^scapdrift: --hash-wait-ms must be an integer number of milliseconds from 0 to 2,147,483,647, got 3000000000$/],
    [['capture', '--duration', '1', '--hash-wait-ms', '-1'], /^scapdrift: --hash-wait-ms must be an integer number of milliseconds from 0 to 2,147,483,647, got -1$/],
    // Before: parseArgs' "Option '--status-interval' argument is ambiguous".
    [['capture', '--duration', '1', '--status-interval', '-5'], /^scapdrift: --status-interval must be a non-negative number of seconds, got -5$/],
    [['capture', '--duration', '-3'], /^scapdrift: --duration must be a positive number of seconds, got -3$/],
    [['read', capture('drop_exec.scap'), '--workers', '-1'], /^scapdrift: --workers must be an integer from 1 to 256, got -1$/],
    [['read', capture('drop_exec.scap'), '--workers', '257'], /^scapdrift: --workers must be an integer from 1 to 256, got 257$/],
  ];
  for (const [argv, pattern] of cases) {
    const r = runCli(argv);
    assert.is(r.status, 1, argv.join(' '));
    assert.is(r.stdout, '', argv.join(' '));
    assertOneLineError(r.stderr, pattern);
  }
  // A value that starts with a dash and is not a number: the remedy, in one line.
  const dash = runCli(['read', capture('drop_exec.scap'), '-p', '-x']);
  assert.is(dash.status, 1);
  assertOneLineError(dash.stderr, /^scapdrift: option '-p' needs a value; for a value that starts with a dash, write --print=-VALUE \(see 'scapdrift read --help'\)$/);
  // A negative number after `--` stays a positional (here: the file name).
  const positional = runCli(['read', '--', '-1']);
  assert.is(positional.status, 1);
  assertOneLineError(positional.stderr, /-1/);
  assert.not.match(positional.stderr, /ambiguous|must be/);
});

test('format: %% is a literal %, a leading * is accepted, an unclosed %{ is named', () => {
  const ok = runCli(['read', capture('drop_exec.scap'), '--type', 'execve', '-p', '*%evt.num 100%% %proc.name']);
  assert.is(ok.stdout.split('\n')[0], '139 100% grep');
  const bad = runCli(['read', capture('drop_exec.scap'), '-p', '%evt.num %{proc.name']);
  assert.is(bad.status, 1);
  assertOneLineError(bad.stderr, /unclosed %\{ at character 10 of the format/);
});

test('unknown event type in --type', () => {
  const r = runCli(['read', capture('drop_exec.scap'), '--type', 'execve,nosuch']);
  assert.is(r.status, 1);
  assertOneLineError(r.stderr, /unknown event type nosuch/);
});

test('read with two captures: the second is named as the condition it was taken for', () => {
  const r = runCli(['read', capture('drop_exec.scap'), capture('curl_google.scap')]);
  assert.is(r.status, 1);
  assertOneLineError(r.stderr, /is a file: read takes one capture, and its second argument is a filter condition .* at 1$/);
});

test('--type naming no event type (empty, or only commas) is an option error, not every type', () => {
  for (const v of ['', ' , ']) {
    const r = runCli(['read', capture('drop_exec.scap'), '--type', v]);
    assert.is(r.status, 1, `--type ${JSON.stringify(v)}`);
    assertOneLineError(r.stderr, /--type names no event type/);
  }
});

test('a short non-scap file is named as such, not as truncated', () => {
  const r = runCli(['read', write('six.scap', Buffer.from('abcdef'))]);
  assert.is(r.status, 1);
  assertOneLineError(r.stderr, /not a scap capture: expected section header block type 0xa0d0d0a at byte 0, found 0x64636261/);
});

test('standard input as -', () => {
  const r = runCli(['read', '-', '-p', '%evt.num'], original);
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trimEnd().split('\n'), fullLines.map((l) => l.split(' ')[0]));
});

test('concatenated captures: the second section header restarts the thread table, numbering goes on as libsinsp', () => {
  const shb = original.subarray(0, 28);
  const r = runCli(['read', write('two_shb.scap', Buffer.concat([shb, shb])), '-q']);
  assert.is(r.status, 0, 'two bare section headers are a valid (empty) capture, not a hang');
  const twice = runCli(['read', write('twice.scap', Buffer.concat([original, original])), '-q', '-p', '%evt.num']);
  assert.is(twice.status, 0);
  const nums = twice.stdout.trimEnd().split('\n');
  assert.is(nums.length, 2 * fullLines.length);
  // libsinsp numbers the leading user/group events of the first section only (73 in drop_exec).
  assert.is(nums[nums.length - 1], String(2 * 6471 - 73));
});

test('an event block before any section header is not a scap capture', () => {
  const dv = new DataView(original.buffer, original.byteOffset, original.byteLength);
  let off = 0;
  while (dv.getUint32(off, true) !== 0x216) off += dv.getUint32(off + 4, true);
  const block = original.subarray(off, off + dv.getUint32(off + 4, true));
  const r = runCli(['read', write('ev_first.scap', Buffer.concat([block, original]))]);
  assert.is(r.status, 1);
  assertOneLineError(r.stderr, /not a scap capture: expected section header block type 0xa0d0d0a at byte 0, found 0x216/);
  assert.is(r.stdout, '');
});

test('a file name with control characters is escaped in the one-line error', () => {
  const r = runCli(['read', join(dir, 'no\x1b[31m\nsuch')]);
  assert.is(r.status, 1);
  assertOneLineError(r.stderr, /no\\x1b\[31m\\x0asuch/);
});

test.run();
