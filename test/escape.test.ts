/** Kernel strings reach a terminal escaped: control bytes, bidi overrides, invalid UTF-8. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeBytes, escapeText } from '../ts/fields/escape.js';
import { ScapWriter, frameByName } from '../ts/scap/writer.js';
import { PPME } from '../ts/events/ppm_constants.js';
import { runCli } from './helpers/cli.js';

const enc = new TextEncoder();

test('printable ASCII and valid UTF-8 pass through', () => {
  assert.is(escapeBytes(enc.encode('/usr/bin/grép')), '/usr/bin/grép');
});

test('control characters, backslash and DEL are \\xNN / \\\\', () => {
  assert.is(escapeBytes(enc.encode('a\x1b[31mb\\c\x7f')), 'a\\x1b[31mb\\\\c\\x7f');
});

test('invalid UTF-8 is shown byte by byte, nothing dropped', () => {
  assert.is(escapeBytes(new Uint8Array([0x61, 0xff, 0xc3, 0x62])), 'a\\xff\\xc3b');
});

test('bidi overrides and line separators are escaped', () => {
  assert.is(escapeBytes(enc.encode('evil\u202efdp.exe')), 'evil\\xe2\\x80\\xaefdp.exe');
  assert.is(escapeBytes(enc.encode('a\u2028b\u2066c')), 'a\\xe2\\x80\\xa8b\\xe2\\x81\\xa6c');
});

test('NUL separators of args become the separator text', () => {
  assert.is(escapeBytes(enc.encode('-la\0/tmp\0'), 0, 8, 0, ' '), '-la /tmp');
});

test('escapeText escapes a JS string the same way', () => {
  assert.is(escapeText('file\nname\x1b'), 'file\\x0aname\\x1b');
  assert.is(escapeText('plain'), 'plain');
});

/**
 * A capture whose only PL entry (tid 100) has invalid UTF-8 (ff fe) and an ESC in every string
 * the thread table keeps, then one event of that thread. The writer takes text, so the entry is
 * written with the placeholder "QQ" (same byte count) and the placeholder's bytes are replaced.
 */
function hostilePlCapture(): Uint8Array {
  const odd = (s: string): string => `QQ${s}\x1b!`;
  const w = new ScapWriter().sectionHeader().machineInfo({ numCpus: 1, memorySizeBytes: 0n, hostname: 'h' });
  w.processList([{
    tid: 100n, pid: 100n, ptid: 1n, comm: odd('c'), exe: odd('/e'), exepath: odd('/p'), args: [odd('a1'), 'a2'],
    cwd: odd('/w'), fdlimit: 0n, flags: 0, uid: 0, gid: 0,
  }]);
  w.event(0, frameByName(PPME.PPME_GENERIC_X, 1_700_000_000_000_000_000n, 100n, { ID: 5, nativeID: 300 }));
  const bytes = w.finish().slice();
  let replaced = 0;
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0x51 && bytes[i + 1] === 0x51) { bytes[i] = 0xff; bytes[i + 1] = 0xfe; replaced++; }
  }
  assert.is(replaced, 5);
  return bytes;
}

test('process-list strings keep their bytes: invalid UTF-8 and C0 escaped as for event strings', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'scapdrift-escape-')), 'pl.scap');
  writeFileSync(file, hostilePlCapture());
  const fields = ['proc.name', 'proc.exe', 'proc.exepath', 'proc.args', 'proc.cwd'];
  const expected = ['\\xff\\xfec\\x1b!', '\\xff\\xfe/e\\x1b!', '\\xff\\xfe/p\\x1b!', '\\xff\\xfea1\\x1b! a2', '\\xff\\xfe/w\\x1b!'];

  const exe = runCli(['read', file, '-p', '%proc.exe']);
  assert.is(exe.stderr, '');
  assert.is(exe.stdout, '\\xff\\xfe/e\\x1b!\n');

  const text = runCli(['read', file, '-p', fields.map((f) => `%${f}`).join('|')]);
  assert.is(text.stdout, expected.join('|') + '\n');

  const json = runCli(['read', file, '--json', '-p', fields.map((f) => `%${f}`).join(' ')]);
  assert.is(json.stderr, '');
  assert.not.match(json.stdout.trimEnd(), /[\x00-\x1f\x7f-\uffff]/, 'one JSON line of printable ASCII');
  assert.equal(JSON.parse(json.stdout), Object.fromEntries(fields.map((f, i) => [f, expected[i]])));
});

test('long texts are remembered by their whole bytes: the same bytes give the same string, changed bytes (same length, same sampled words) a new one', () => {
  const args = Buffer.from(`${'a'.repeat(300)}\0--flag\0${'b'.repeat(300)}`);
  const first = escapeBytes(args, 0, args.length, 0, ' ');
  assert.is(first, `${'a'.repeat(300)} --flag ${'b'.repeat(300)}`);
  assert.is(escapeBytes(args, 0, args.length, 0, ' '), first);
  // The same bytes with another separator text, then without a separator.
  assert.is(escapeBytes(args, 0, args.length, 0, '|'), `${'a'.repeat(300)}|--flag|${'b'.repeat(300)}`);
  assert.is(escapeBytes(args), `${'a'.repeat(300)}\\x00--flag\\x00${'b'.repeat(300)}`);
  // Changed in place, where no sampled word is (first, middle and last u32): a new text.
  args[10] = 0x1b;
  assert.is(escapeBytes(args, 0, args.length, 0, ' '), `${'a'.repeat(10)}\\x1b${'a'.repeat(289)} --flag ${'b'.repeat(300)}`);
  // A sub-range of a larger buffer, as fields read them from Wasm memory.
  const big = Buffer.concat([Buffer.from('xyz'), Buffer.from('c'.repeat(400)), Buffer.from('\n')]);
  assert.is(escapeBytes(big, 3, 403), 'c'.repeat(400));
  assert.is(escapeBytes(big, 4, 404), `${'c'.repeat(399)}\\x0a`);
});

test.run();
