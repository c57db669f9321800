/** Kernel strings reach a terminal escaped: control bytes, bidi overrides, invalid UTF-8. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeBytes, escapeText } from '../ts/escape.js';

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

test.run();
