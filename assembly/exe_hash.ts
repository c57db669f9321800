// Executable hashes (proc.exe_sha256, proc.pexe_sha256, proc.exe_interpreter_sha256).
// scapdrift's live pipeline (ts/hash/annotate.ts) hashes the file each execve ran and puts
// one SD_EXE_HASH_E event in the stream just before that execve exit. Its id is far above
// PPM_EVENT_MAX, so libscap skips it as "an event of a newer driver" (scap_savefile.c
// scap_next_savefile: `type >= PPM_EVENT_MAX` → continue): Falco's tools read the capture
// with the same events. Here it fills a bounded table keyed by the executable's identity
// as the thread record holds it (exe_ino, ctime, mtime), so a thread's hash follows its exe
// identity through clone and execve with no field in the record.
//
//   SD_EXE_HASH_E frame (v2, u16 lengths), ts and tid of the execve exit it precedes:
//   +---------+---------------+---------------+----------------+--------------------+-------------+---------+
//   | exe_ino | exe_ino_ctime | exe_ino_mtime | exe_sha256     | interpreter_sha256 | dev         | size    |
//   | u64     | u64 epoch ns  | u64 epoch ns  | 32 B or empty  | 32 B or empty      | u64 st_dev  | u64 B   |
//   +---------+---------------+---------------+----------------+--------------------+-------------+---------+
//     param 0   param 1         param 2         param 3          param 4              param 5       param 6
//
// An empty exe_sha256 says "not hashed" (the table then keeps nothing for that identity).

import { keyedHashPair } from "./hash";
import { ThreadRecord, HAS_EXE_INO, HAS_EXE_INO_CTIME, HAS_EXE_INO_MTIME } from "./thread_record";
import { paramLen, paramPtr, paramU64 } from "./params";

/** Event id of scapdrift's exe-hash metadata event (ts/hash/exe_hash_event.ts says the same; a test compares). */
export const SD_EXE_HASH_E: u32 = 0xfe00;
/** Parameters of SD_EXE_HASH_E, by index. */
export const EXE_HASH_PARAM_INO: u32 = 0;
export const EXE_HASH_PARAM_CTIME: u32 = 1;
export const EXE_HASH_PARAM_MTIME: u32 = 2;
export const EXE_HASH_PARAM_SHA256: u32 = 3;
export const EXE_HASH_PARAM_INTERPRETER_SHA256: u32 = 4;
export const EXE_HASH_NPARAMS: u32 = 7;
/** Bytes of a SHA-256 digest. */
export const SHA256_BYTES: u32 = 32;
/** Slots of the table (a power of two); an identity not found within PROBE slots of its home is missing. */
export const EXE_HASH_SLOTS: u32 = 8192;
const PROBE: u32 = 8;

@unmanaged
class ExeHashEntry {
  used: u32;
  hasInterpreter: u32;
  ino: u64;
  ctime: u64;
  mtime: u64;
  // exeHex: 64 ASCII hex digits, then interpreterHex: 64, inline after the fields.
}
const ENTRY_HEAD: usize = offsetof<ExeHashEntry>();
/** Offset of the exe digest's hex text in an entry. */
export const EXE_HEX_OFFSET: usize = ENTRY_HEAD;
/** Offset of the interpreter digest's hex text in an entry. */
export const INTERPRETER_HEX_OFFSET: usize = ENTRY_HEAD + (SHA256_BYTES << 1);
const ENTRY_BYTES: usize = ENTRY_HEAD + (SHA256_BYTES << 2);

// Static: zero when the module is instantiated, so the first reset writes none of its pages.
const table: usize = memory.data(<i32>(EXE_HASH_SLOTS * <u32>ENTRY_BYTES), 8);
/** The table still holds the zeros of instantiation (nothing written since). */
let pristine = true;
let stored: u32 = 0;
let evicted: u32 = 0;

function slotPtr(i: u32): usize {
  return table + <usize>(i & (EXE_HASH_SLOTS - 1)) * ENTRY_BYTES;
}

/** Empties the table (a new capture). */
export function resetExeHashes(): void {
  if (!pristine) memory.fill(table, 0, <usize>EXE_HASH_SLOTS * ENTRY_BYTES);
  pristine = false;
  stored = 0;
  evicted = 0;
}

/** Identities hashed (SD_EXE_HASH_E events with a digest) and those dropped for room. */
export function exeHashesStored(): u32 { return stored; }
export function exeHashesEvicted(): u32 { return evicted; }

function find(ino: u64, ctime: u64, mtime: u64): usize {
  const home = keyedHashPair(ino, ctime ^ (mtime << 1));
  for (let i: u32 = 0; i < PROBE; i++) {
    const e = changetype<ExeHashEntry>(slotPtr(home + i));
    if (e.used == 0) return 0;
    if (e.ino == ino && e.ctime == ctime && e.mtime == mtime) return changetype<usize>(e);
  }
  return 0;
}

function writeHex(dst: usize, src: usize): void {
  for (let i: u32 = 0; i < SHA256_BYTES; i++) {
    const b = <u32>load<u8>(src + i);
    const hi = b >> 4;
    const lo = b & 15;
    store<u8>(dst + (i << 1), <u8>(hi < 10 ? 48 + hi : 87 + hi));
    store<u8>(dst + (i << 1) + 1, <u8>(lo < 10 ? 48 + lo : 87 + lo));
  }
}

/** Applies the SD_EXE_HASH_E frame whose parameters are in the parameter table. */
export function onExeHashEvent(): void {
  if (paramLen(EXE_HASH_PARAM_SHA256) != SHA256_BYTES) return;
  const ino = paramU64(EXE_HASH_PARAM_INO);
  const ctime = paramU64(EXE_HASH_PARAM_CTIME);
  const mtime = paramU64(EXE_HASH_PARAM_MTIME);
  let at = find(ino, ctime, mtime);
  if (at == 0) {
    const home = keyedHashPair(ino, ctime ^ (mtime << 1));
    for (let i: u32 = 0; i < PROBE; i++) {
      const p = slotPtr(home + i);
      if (changetype<ExeHashEntry>(p).used == 0) { at = p; break; }
    }
    // Full run: the home slot gives way (a bounded table; the older identity becomes missing).
    if (at == 0) { at = slotPtr(home); evicted++; }
    stored++;
  }
  const e = changetype<ExeHashEntry>(at);
  e.used = 1;
  e.ino = ino;
  e.ctime = ctime;
  e.mtime = mtime;
  writeHex(at + EXE_HEX_OFFSET, paramPtr(EXE_HASH_PARAM_SHA256));
  const hasInterpreter = paramLen(EXE_HASH_PARAM_INTERPRETER_SHA256) == SHA256_BYTES;
  e.hasInterpreter = hasInterpreter ? 1 : 0;
  if (hasInterpreter) writeHex(at + INTERPRETER_HEX_OFFSET, paramPtr(EXE_HASH_PARAM_INTERPRETER_SHA256));
}

/** The hash entry of the executable the thread at `rec` runs, or 0 when its identity or hash is unknown. */
export function exeHashEntry(rec: usize): usize {
  if (rec == 0) return 0;
  const r = changetype<ThreadRecord>(rec);
  const need = HAS_EXE_INO | HAS_EXE_INO_CTIME | HAS_EXE_INO_MTIME;
  if ((r.presence & need) != need) return 0;
  return find(r.exeIno, r.exeInoCtime, r.exeInoMtime);
}

/** Pointer to the 64 hex digits of the exe's SHA-256 for the thread at `rec`, or 0. */
export function exeSha256Ptr(rec: usize): usize {
  const e = exeHashEntry(rec);
  return e == 0 ? 0 : e + EXE_HEX_OFFSET;
}

/** Pointer to the 64 hex digits of the interpreter's SHA-256 (a `#!` script), or 0. */
export function interpreterSha256Ptr(rec: usize): usize {
  const e = exeHashEntry(rec);
  return e == 0 || changetype<ExeHashEntry>(e).hasInterpreter == 0 ? 0 : e + INTERPRETER_HEX_OFFSET;
}
