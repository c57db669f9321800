/**
 * The decoder's thread table as process-list entries: what libs' dumper writes at the start of a
 * capture it opens mid-stream (scap_dump_open → the inspector's thread table as a PL block), so a
 * file cut out of a stream (capture-on-alert, ts/alerts/alert_capture.ts) starts with the state
 * its first event needs.
 *
 * Read from the Wasm records through the REC_* offsets (ts/pipeline/wasm.ts RecordLayout). What a PL v9
 * entry holds and the record does not keep is written as libs writes an unknown value (fdlimit,
 * memory sizes, page faults 0; root empty); cgroups are not kept per thread either (the record
 * holds only the 12-digit container.id): a thread's container shows again from its next execve.
 * The drift origin (writer, chmod) has no place in a PL entry: a reader of the cut file learns it
 * from the file events inside the file.
 */
import type { DecoderModule } from './wasm.js';
import { Has, StrSlot } from './wasm.js';
import { PPM_EXE } from '../events/ppm_constants.js';
import type { ProcessEntry } from '../scap/process_list.js';

const utf8 = new TextDecoder();

/** Every thread of `module`'s table, in table order (not sorted). */
export function threadTableEntries(module: DecoderModule): ProcessEntry[] {
  const ex = module.exports;
  const L = module.layout;
  const out: ProcessEntry[] = [];
  const slots = ex.threadSlots();
  for (let i = 0; i < slots; i++) {
    const rec = ex.threadSlotPtr(i);
    if (rec === 0) continue;
    // Memory may have grown since the last read: a fresh view per record.
    const dv = new DataView(ex.memory.buffer);
    const bytes = new Uint8Array(ex.memory.buffer);
    const str = (slot: number): string => {
      const len = dv.getUint32(rec + L.strLen + slot * 4, true);
      const p = ex.threadStringPtr(rec, slot);
      return utf8.decode(bytes.subarray(p, p + len));
    };
    const list = (slot: number): string[] => {
      const s = str(slot);
      return s === '' ? [] : s.split('\0');
    };
    const presence = dv.getUint32(rec + L.presence, true);
    const has = (bit: number): boolean => (presence & bit) !== 0;
    const exeFlags = has(Has.EXE_FLAGS) ? dv.getUint32(rec + L.exeFlags, true) : 0;
    const args = list(StrSlot.ARGS);
    const tid = dv.getBigInt64(rec + L.tid, true);
    const pid = dv.getBigInt64(rec + L.pid, true);
    const entry: ProcessEntry = {
      tid,
      pid,
      ptid: dv.getBigInt64(rec + L.ptid, true),
      sid: dv.getBigInt64(rec + L.sid, true),
      vpgid: dv.getBigInt64(rec + L.vpgid, true),
      comm: str(StrSlot.COMM),
      // The record keeps argv[0] apart from the rest, as the PL entry does.
      exe: str(StrSlot.EXE),
      ...(has(Has.EXEPATH) ? { exepath: str(StrSlot.EXEPATH) } : {}),
      args,
      cwd: str(StrSlot.CWD),
      fdlimit: 0n,
      flags: dv.getUint32(rec + L.cloneFlags, true),
      uid: has(Has.UID) ? dv.getUint32(rec + L.uid, true) : 0xffffffff,
      gid: has(Has.GID) ? dv.getUint32(rec + L.gid, true) : 0xffffffff,
      env: list(StrSlot.ENV),
      vtid: dv.getBigInt64(rec + L.vtid, true),
      vpid: has(Has.VPID) ? dv.getBigInt64(rec + L.vpid, true) : pid,
      pidnsInitStartTsEpochNs: has(Has.PIDNS_INIT_START_TS) ? dv.getBigUint64(rec + L.pidnsInitStartTs, true) : 0n,
      tty: dv.getUint32(rec + L.tty, true),
      ...(has(Has.LOGINUID) ? { loginuid: dv.getUint32(rec + L.loginuid, true) } : {}),
      exeWritable: (exeFlags & PPM_EXE.PPM_EXE_WRITABLE) !== 0,
      exeUpperLayer: (exeFlags & PPM_EXE.PPM_EXE_UPPER_LAYER) !== 0,
      exeFromMemfd: (exeFlags & PPM_EXE.PPM_EXE_FROM_MEMFD) !== 0,
      exeLowerLayer: (exeFlags & PPM_EXE.PPM_EXE_LOWER_LAYER) !== 0,
      capInheritable: dv.getBigUint64(rec + L.capInheritable, true),
      capPermitted: dv.getBigUint64(rec + L.capPermitted, true),
      capEffective: dv.getBigUint64(rec + L.capEffective, true),
      ...(has(Has.EXE_INO) ? { exeIno: dv.getBigUint64(rec + L.exeIno, true) } : {}),
      ...(has(Has.EXE_INO_CTIME) ? { exeInoCtimeEpochNs: dv.getBigUint64(rec + L.exeInoCtime, true) } : {}),
      ...(has(Has.EXE_INO_MTIME) ? { exeInoMtimeEpochNs: dv.getBigUint64(rec + L.exeInoMtime, true) } : {}),
    };
    out.push(entry);
  }
  return out;
}
