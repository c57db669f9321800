/**
 * scapdrift against libsinsp's own output on the same real captures
 * (../shared/captures/reference): every clone-family and execve exit row on the
 * columns marked exact there, the per-type histograms, and the derived
 * durations recomputed from their definitions.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openByteSource } from '../ts/scap/byte_source.js';
import { Decoder } from '../ts/pipeline/decoder.js';
import { resolveField, fieldText, type FieldRef } from '../ts/fields/fields.js';
import { capture, readTsv } from './helpers/captures.js';

const EXACT = [
  'evt.num', 'evt.type', 'evt.dir', 'proc.pid', 'thread.tid', 'proc.name', 'proc.exepath', 'proc.exe_ino',
  'proc.exe_ino.ctime', 'proc.exe_ino.mtime', 'proc.is_exe_writable', 'proc.is_exe_upper_layer',
  'proc.is_exe_from_memfd', 'proc.is_exe_lower_layer', 'evt.rawtime', 'evt.res', 'proc.vpid', 'thread.vtid', 'proc.ppid',
];
const DERIVED = ['proc.pid.ts', 'proc.exe_ino.ctime_duration_proc_start', 'proc.exe_ino.ctime_duration_pidns_start', 'proc.pidns_init_start_ts'];
const LIFECYCLE = ['execve', 'execveat', 'clone', 'clone3', 'fork', 'vfork'];
const BOOT_TS_EPOCH = 1795977335000000000n; // machine-info block of these captures

interface Decoded {
  rows: Map<string, Record<string, string>>;
  hist: Map<string, number>;
}

async function decode(file: string): Promise<Decoded> {
  const refs = [...EXACT, ...DERIVED].map((n) => resolveField(n)!) as FieldRef[];
  const rows = new Map<string, Record<string, string>>();
  const hist = new Map<string, number>();
  await new Decoder().run(await openByteSource(capture(file)), {
    onEvent(v) {
      const key = `${v.info!.name}\t${v.info!.direction}`;
      hist.set(key, (hist.get(key) ?? 0) + 1);
      if (v.info!.direction === '<' && LIFECYCLE.includes(v.info!.name)) {
        rows.set(String(v.num), Object.fromEntries(refs.map((r) => [r.text, fieldText(v, r)])));
      }
    },
  });
  return { rows, hist };
}

function compareWithLibsinsp(name: string, file: string): void {
  test(`${name}: every lifecycle exit row equals libsinsp on the exact columns`, async () => {
    const ours = await decode(file);
    const ref = readTsv(`${name}.tsv`);
    assert.ok(ref.length > 30, 'reference has rows');
    const mismatches: string[] = [];
    for (const row of ref) {
      const mine = ours.rows.get(row['evt.num']!);
      if (!mine) { mismatches.push(`evt.num ${row['evt.num']}: missing`); continue; }
      for (const col of EXACT) {
        if (mine[col] !== row[col]) mismatches.push(`evt.num ${row['evt.num']} ${col}: ours ${mine[col]} libsinsp ${row[col]}`);
      }
    }
    assert.equal(ours.rows.size, ref.length, 'same number of lifecycle exit rows');
    assert.equal(mismatches.slice(0, 20), [], `${mismatches.length} mismatches`);
  });

  test(`${name}: per-type histogram equals libsinsp`, async () => {
    const ours = await decode(file);
    const ref = readTsv(`${name}.hist.tsv`);
    for (const row of ref) {
      assert.is(ours.hist.get(`${row['evt.type']}\t${row['evt.dir']}`), Number(row['count']), `${row['evt.type']} ${row['evt.dir']}`);
    }
    const total = [...ours.hist.values()].reduce((a, b) => a + b, 0);
    assert.is(total, ref.reduce((a, r) => a + Number(r['count']), 0), 'no event types beyond libsinsp\'s');
  });

  test(`${name}: drift durations follow their definitions on execve rows`, async () => {
    const ours = await decode(file);
    const ref = readTsv(`${name}.tsv`);
    let checked = 0;
    for (const row of ref) {
      if (row['evt.type'] !== 'execve' || row['evt.res'] !== 'SUCCESS') continue;
      const mine = ours.rows.get(row['evt.num']!)!;
      const ctime = row['proc.exe_ino.ctime']!;
      const start = row['proc.pid.ts']!; // libsinsp's clone ts of the process
      const expectedProc = ctime === '<NA>' || start === '<NA>' ? '<NA>' : String(BigInt(start) - BigInt(ctime));
      assert.is(mine['proc.exe_ino.ctime_duration_proc_start'], expectedProc, `evt.num ${row['evt.num']} proc_start`);
      // Host processes: the pid namespace started at boot.
      assert.is(mine['proc.pidns_init_start_ts'], String(BOOT_TS_EPOCH), `evt.num ${row['evt.num']} pidns start`);
      const expectedNs = ctime !== '<NA>' && BigInt(ctime) > BOOT_TS_EPOCH ? String(BigInt(ctime) - BOOT_TS_EPOCH) : '<NA>';
      assert.is(mine['proc.exe_ino.ctime_duration_pidns_start'], expectedNs, `evt.num ${row['evt.num']} pidns_start`);
      checked++;
    }
    assert.ok(checked >= 5, `checked ${checked} execve rows`);
  });
}

compareWithLibsinsp('drop_exec', 'drop_exec.scap');
compareWithLibsinsp('memfd_exec', 'memfd_exec.scap');
compareWithLibsinsp('busy', 'busy.scap.gz');

test.run();
