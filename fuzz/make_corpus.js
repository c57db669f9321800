/**
 * Writes the seed corpora of fuzz/corpus/ from the shared real captures and the shipped rules:
 * small slices (section header, machine info, optionally the process list, a few event blocks
 * around an execve), so the whole corpus stays well under 200 KB. Run: node fuzz/make_corpus.js
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { eventInfo } from '../dist/ts/events/event_table.js';

const here = dirname(fileURLToPath(import.meta.url));
const captures = resolve(here, '..', '..', 'shared', 'captures');
const out = (t) => { const d = join(here, 'corpus', t); mkdirSync(d, { recursive: true }); return d; };

function blocksOf(buf) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const blocks = [];
  for (let off = 0; off + 8 <= buf.length;) {
    const len = dv.getUint32(off + 4, true);
    if (len < 12) break;
    blocks.push({ start: off, type: dv.getUint32(off, true), len, bytes: buf.subarray(off, off + len) });
    off += len;
  }
  return blocks;
}
const EVENT_TYPES = new Set([0x204, 0x8010abcd, 0x216, 0x221, 0x208, 0x217, 0x222]);
const frameType = (b) => b.bytes.readUInt16LE(8 + (b.type === 0x208 || b.type === 0x217 || b.type === 0x222 ? 6 : 2) + 20);

/** Header blocks (all, or SHB+MI only) plus `n` event blocks from the one matching `pick`. */
function slice(name, { withPl, n, pick }) {
  const raw = readFileSync(join(captures, name));
  const buf = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  const blocks = blocksOf(buf);
  const head = blocks.filter((b, i) => i < blocks.findIndex((x) => EVENT_TYPES.has(x.type)) && (withPl || b.type === 0x0a0d0d0a || b.type === 0x201));
  const events = blocks.filter((b) => EVENT_TYPES.has(b.type));
  let at = Math.max(0, events.findIndex(pick));
  at = Math.max(0, at - Math.floor(n / 2));
  return Buffer.concat([...head, ...events.slice(at, at + n)].map((b) => b.bytes));
}
const isExecveExit = (b) => { const i = eventInfo(frameType(b)); return i?.name === 'execve' && i.direction === '<'; };
const isClone = (b) => eventInfo(frameType(b))?.name?.startsWith('clone') ?? false;

if (!existsSync(captures)) throw new Error(`no captures at ${captures}`);
const dec = out('decoder');
writeFileSync(join(dec, 'drop_exec_execve'), slice('drop_exec.scap', { withPl: false, n: 12, pick: isExecveExit }));
writeFileSync(join(dec, 'drop_exec_clone'), slice('drop_exec.scap', { withPl: false, n: 8, pick: isClone }));
writeFileSync(join(dec, 'memfd_exec_execve'), slice('memfd_exec.scap', { withPl: false, n: 12, pick: isExecveExit }));
writeFileSync(join(dec, 'memfd_exec_with_pl'), slice('memfd_exec.scap', { withPl: true, n: 4, pick: isExecveExit }));
writeFileSync(join(dec, 'curl_google_start'), slice('curl_google.scap', { withPl: false, n: 16, pick: () => true }));
writeFileSync(join(dec, 'ipv6_client_start'), slice('test_ipv6_client.scap', { withPl: false, n: 16, pick: () => true }));
writeFileSync(join(dec, 'shb_only'), blocksOf(readFileSync(join(captures, 'drop_exec.scap')))[0].bytes);

const conditions = [
  'evt.type = execve',
  'evt.type in (execve, execveat) and evt.dir = < and evt.res = SUCCESS',
  'spawned_process and container and proc.is_exe_upper_layer = true and not proc.name in (shells)',
  'proc.exe_ino.ctime_duration_proc_start < 60000000000 and proc.exe_ino.ctime_duration_proc_start >= 0',
  'proc.exepath startswith "memfd:runc_cloned:/proc/self/exe" or proc.exepath contains /tmp/',
  'not (proc.name = bash or proc.name icontains SH) and user.uid != 0 and proc.is_exe_writable = true',
  'evt.arg.filename glob "/tmp/*" and evt.arg[0] exists and container.duration > 0x10',
  'proc.args pmatch (/usr, /tmp) and proc.cwd endswith / and proc.name intersects (a, b)',
  'not not(evt.num > 5) and thread.tid <= -1 and evt.rawtime >= 1.5e+3',
];
const fil = out('filter');
conditions.forEach((c, i) => writeFileSync(join(fil, `condition_${i}`), c));

const rul = out('rules');
writeFileSync(join(rul, 'scapdrift_rules.yaml'), readFileSync(resolve(here, '..', 'rules', 'scapdrift_rules.yaml')));
writeFileSync(join(rul, 'small.yaml'), `- list: shells
  items: [bash, sh]
- macro: spawned_process
  condition: evt.type = execve and evt.dir = <
- rule: Shell spawned
  desc: a shell
  condition: spawned_process and proc.name in (shells)
  output: "shell %proc.name (%proc.exepath) uid=%user.uid"
  priority: WARNING
  tags: [shell]
  exceptions:
    - name: root
      fields: [user.uid, proc.name]
      comps: [=, in]
      values:
        - [0, (bash)]
- list: shells
  items: [zsh]
  append: true
- rule: Shell spawned
  condition: and not proc.cwd = /
  append: true
- rule: Disabled
  desc: off
  condition: evt.type = open
  output: x
  priority: INFO
  enabled: false
- required_engine_version: 0.26.0
`);
writeFileSync(join(rul, 'anchors.yaml'), `- macro: a
  condition: &c evt.type = execve
- rule: r
  desc: d
  condition: *c
  output: "%evt.num"
  priority: NOTICE
  source: syscall
`);
console.log('corpus written');
