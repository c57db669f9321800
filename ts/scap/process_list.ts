/**
 * Process list blocks (PL v1..v9 and the `_INT` variants), decoded as libs'
 * `scap_read_proclist` decodes them (userspace/libscap/engine/savefile/scap_savefile.c); field
 * order from `scap_write_proclist_entry_bufs` (userspace/libscap/scap_savefile.c).
 *
 * One entry per thread, back to back; the block ends when fewer than 4 bytes (padding) remain.
 * Strings are a u16 length then that many bytes, with no NUL terminator; args, env and cgroups are
 * NUL-separated lists.
 *
 * ```
 * field                 type    in versions
 * sub_len               u32     9 (entry length, counting these 4 bytes; 0 = unknown)
 * tid, pid, ptid        i64     all
 * sid                   i64     6+
 * vpgid                 i64     8+
 * comm, exe             str     all   (exe is argv[0])
 * exepath               str     7+
 * args                  str     all   (argv[1..], NUL-separated)
 * cwd                   str     all
 * fdlimit               i64     all
 * flags                 u32     all   (PPM_CL_* thread flags)
 * uid, gid              u32     all
 * vmsize/vmrss/vmswap   u32 kB  2+
 * pfmajor, pfminor      u64     2+
 * env                   str     3+
 * vtid, vpid            i64     4+
 * cgroups               str     4+    ("subsys=/path", NUL-separated)
 * root                  str     5+
 * --- v9 only, each present only if sub_len still has room for it: ---
 * pidns_init_start_ts   u64 ns since boot  }  skipped when ≤ 29 bytes remain here: written by
 * tty                   u32                }  libs < 0.10, which had only the next 29 bytes
 * loginuid              u32
 * exe_writable          u8
 * cap_inheritable, cap_permitted, cap_effective  u64
 * exe_upper_layer       u8
 * exe_ino               u64
 * exe_ino_ctime         u64 epoch ns
 * exe_ino_mtime         u64 epoch ns
 * exe_from_memfd        u8
 * exe_lower_layer       u8
 * pgid                  i64
 * ...                   later fields: skipped up to sub_len
 * ```
 *
 * The exe flags (writable, upper/lower layer, memfd) are separate u8 fields, not bits of `flags`.
 * The file does not hold clone_ts nor filtered_out.
 *
 * Strings are kernel bytes, not necessarily UTF-8. {@link ProcessEntry} holds them decoded for
 * reading (invalid UTF-8 becomes U+FFFD); {@link forEachProcess} also hands over the exact bytes
 * ({@link ProcessStrings}), which is what the thread table stores, so that output shows invalid
 * bytes as `\xNN` exactly as it does for event parameters (ts/fields/escape.ts).
 */

import { ErrorCode, errorAt } from '../errors.js';
import { BLOCK_HEADER_BYTES, describeBlock, plVersion } from './block_types.js';
import { ByteCursor, decodeUtf8 } from './byte_cursor.js';

/** libs SCAP_MAX_PATH_SIZE: longest comm, exe, exepath, cwd, root accepted (bytes). */
export const MAX_PATH_BYTES = 1024;
/** libs SCAP_MAX_ARGS_SIZE (bytes); SCAP_MAX_ENV_SIZE and SCAP_MAX_CGROUPS_SIZE are the same. */
export const MAX_ARGS_BYTES = 4096;
/** libs SCAP_MAX_ENV_SIZE. */
export const MAX_ENV_BYTES = 4096;
/** libs SCAP_MAX_CGROUPS_SIZE. */
const MAX_CGROUPS_BYTES = 4096;
/** Size of the v9 per-entry length prefix. */
const SUB_LEN_BYTES = 4;
/** Bytes that libs < 0.10 wrote after root: loginuid 4 + exe_writable 1 + 3 capabilities × 8. */
const PRE_0_10_TAIL_BYTES = 29;
/**
 * Most bytes one entry may take: more than any entry of v1–v8 (five paths of 1 KiB, three lists of
 * 4 KiB, fixed fields) and than a v9 entry of today's libs; a v9 entry length above it is an error.
 */
export const MAX_PROCESS_ENTRY_BYTES = 64 * 1024;
/** An entry starts only where at least this many bytes remain; fewer are block padding. */
const MIN_ENTRY_START_BYTES = 4;

/**
 * One thread of the process list, as the capture holds it. 64-bit values are bigint, 32-bit ones
 * number; strings are decoded as UTF-8, invalid bytes as U+FFFD (the exact bytes: {@link
 * ProcessStrings}). A field the block's version (or, for v9, the entry's length) does not carry is
 * undefined; a field that is present holds what the file holds, 0 included.
 */
export interface ProcessEntry {
  /** Thread id (host pid namespace). */
  tid: bigint;
  /** Process (thread group) id. */
  pid: bigint;
  /** Parent thread id. */
  ptid: bigint;
  /** Session id (v6+). */
  sid?: bigint;
  /** Process group id in the thread's own pid namespace (v8+). */
  vpgid?: bigint;
  /** Process group id in the host pid namespace (v9, when the entry is long enough). */
  pgid?: bigint;
  /** Command name (task comm). */
  comm: string;
  /** argv[0]. */
  exe: string;
  /** Full path of the executable, from /proc/pid/exe (v7+). */
  exepath?: string;
  /** argv[1..]. */
  args: string[];
  /** Current working directory. */
  cwd: string;
  /** Maximum number of open files (RLIMIT_NOFILE). */
  fdlimit: bigint;
  /** PPM_CL_* thread flags. */
  flags: number;
  /** User id. */
  uid: number;
  /** Group id. */
  gid: number;
  /** Virtual memory size, kB (v2+). */
  vmsizeKb?: number;
  /** Resident set size, kB (v2+). */
  vmrssKb?: number;
  /** Swapped memory, kB (v2+). */
  vmswapKb?: number;
  /** Major page faults since start (v2+). */
  pfmajor?: bigint;
  /** Minor page faults since start (v2+). */
  pfminor?: bigint;
  /** Environment, "NAME=value" strings (v3+). */
  env?: string[];
  /** Thread id in the thread's own pid namespace (v4+). */
  vtid?: bigint;
  /** Process id in the thread's own pid namespace (v4+). */
  vpid?: bigint;
  /** cgroups, "subsystem=/path" strings (v4+). */
  cgroups?: string[];
  /** Root directory (v5+). */
  root?: string;
  /** Start of the pid namespace's init task, epoch ns (libscap stats /proc/PID/root/proc/1/cmdline); 0 when unknown (v9). */
  pidnsInitStartTsEpochNs?: bigint;
  /** Controlling terminal number (v9). */
  tty?: number;
  /** Login uid (audit uid; 4294967295 = unset) (v9). */
  loginuid?: number;
  /** The executable is writable by the process's user (v9). */
  exeWritable?: boolean;
  /** Inheritable capabilities bit set (v9). */
  capInheritable?: bigint;
  /** Permitted capabilities bit set (v9). */
  capPermitted?: bigint;
  /** Effective capabilities bit set (v9). */
  capEffective?: bigint;
  /** The executable lives in an overlayfs upper layer (v9). */
  exeUpperLayer?: boolean;
  /** Inode number of the executable (v9). */
  exeIno?: bigint;
  /** Last status change of the executable's inode, epoch ns (v9). */
  exeInoCtimeEpochNs?: bigint;
  /** Last modification of the executable's inode, epoch ns (v9). */
  exeInoMtimeEpochNs?: bigint;
  /** The executable is a memfd (v9). */
  exeFromMemfd?: boolean;
  /** The executable lives in an overlayfs lower layer (v9). */
  exeLowerLayer?: boolean;
}

/** The fields of a {@link ProcessEntry} that are strings (their bytes: {@link ProcessStrings}). */
type StringField = 'comm' | 'exe' | 'exepath' | 'args' | 'cwd' | 'env' | 'cgroups' | 'root';

/** An entry's numbers and flags: a {@link ProcessEntry} without its strings. */
export type ProcessFields = Omit<ProcessEntry, StringField>;

/**
 * The strings of one entry exactly as the file holds them (views into the block body, valid as
 * long as the body is): the path-like ones cut at their first NUL as libs keeps them, the lists
 * NUL-separated with one trailing NUL dropped. A field the version lacks is undefined.
 */
export interface ProcessStrings {
  comm: Uint8Array;
  exe: Uint8Array;
  /** v7+. */
  exepath?: Uint8Array;
  args: Uint8Array;
  cwd: Uint8Array;
  /** v4+. */
  cgroups?: Uint8Array;
  /** NUL-separated, without the trailing NUL (v3+). */
  env?: Uint8Array;
  /** v5+. */
  root?: Uint8Array;
}

/**
 * The entry of `fields` and `strings` with its strings decoded (invalid UTF-8 as U+FFFD): what
 * {@link ProcessListReader} leaves undone, since the thread table stores the bytes.
 */
export function decodeProcessEntry(fields: ProcessFields, strings: ProcessStrings): ProcessEntry {
  const e: ProcessEntry = {
    ...fields, comm: decodeUtf8(strings.comm), exe: decodeUtf8(strings.exe), args: splitList(strings.args), cwd: decodeUtf8(strings.cwd),
  };
  if (strings.exepath !== undefined) e.exepath = decodeUtf8(strings.exepath);
  if (strings.env !== undefined) e.env = splitList(strings.env);
  if (strings.cgroups !== undefined) e.cgroups = splitList(strings.cgroups);
  if (strings.root !== undefined) e.root = decodeUtf8(strings.root);
  return e;
}

/**
 * Decodes a process-list block body (without block header and trailer) into an array. Use
 * {@link forEachProcess} where the block may be large: this holds every entry at once.
 * Throws as {@link forEachProcess}.
 */
export function parseProcessList(
  blockType: number,
  body: Uint8Array,
  blockOffset: number,
): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  forEachProcess(blockType, body, blockOffset, (e) => {
    entries.push(e);
  });
  return entries;
}

/**
 * Decodes a process-list block body (without block header and trailer) one entry at a time,
 * calling `visit` with each entry and its exact string bytes before reading the next, so that a
 * block of millions of entries is never held as objects. Returns the number of entries.
 * `blockOffset` is the stream offset of the block start; errors name absolute offsets
 * (`blockOffset + 8 + position`). Throws E_BAD_BLOCK when `blockType` is not a PL type, when an
 * entry's length disagrees with its fields, when a string is longer than libs accepts, or when an
 * entry overruns the block — after visiting the entries before it.
 */
export function forEachProcess(
  blockType: number,
  body: Uint8Array,
  blockOffset: number,
  visit: (entry: ProcessEntry, strings: ProcessStrings) => void,
): number {
  const reader = new ProcessListReader(blockType, blockOffset, body.byteLength);
  reader.read(body, 0, (fields, strings) => visit(decodeProcessEntry(fields, strings), strings));
  return reader.entries;
}

/**
 * A process-list block body that arrives in pieces: each entry is visited as soon as it is
 * whole, so a block of any length is never held at once; its strings as bytes
 * ({@link decodeProcessEntry} decodes them). An entry is read once the bytes hold
 * it whole or MAX_PROCESS_ENTRY_BYTES of it, which no entry exceeds: a v9 entry length above
 * that is an error.
 */
export class ProcessListReader {
  /** Entries visited so far. */
  entries = 0;
  private readonly version: number;

  /** `blockOffset`: stream offset of the block start; `bodyBytes`: the body's length. */
  constructor(private readonly blockType: number, private readonly blockOffset: number, private readonly bodyBytes: number) {
    const version = plVersion(blockType);
    if (version === undefined) {
      throw errorAt(ErrorCode.BAD_BLOCK, 'bad block', blockOffset, `${describeBlock(blockType)} is not a process list block`);
    }
    this.version = version;
  }

  /**
   * Visits the entries that lie whole in `bytes`, the body's bytes from body offset `at` (where
   * the previous call stopped); returns the body offset where the next entry starts. Throws as
   * {@link forEachProcess}, after visiting the entries before the fault.
   */
  read(bytes: Uint8Array, at: number, visit: (entry: ProcessFields, strings: ProcessStrings) => void): number {
    const blockEnd = this.bodyBytes - at;
    const c = new ByteCursor(bytes.subarray(0, Math.min(bytes.byteLength, blockEnd)), {
      baseOffset: this.blockOffset + BLOCK_HEADER_BYTES + at,
      what: describeBlock(this.blockType),
    });
    while (blockEnd - c.pos >= MIN_ENTRY_START_BYTES && c.end - c.pos >= Math.min(blockEnd - c.pos, MAX_PROCESS_ENTRY_BYTES)) {
      readEntry(c, this.version, blockEnd, this.entries++, visit);
    }
    if (blockEnd - c.pos < MIN_ENTRY_START_BYTES) c.pos = c.end; // padding after the last entry
    return at + c.pos;
  }
}

/**
 * Reads one entry starting at `c.pos` and visits it; leaves `c.pos` at the next entry and
 * `c.end` where it was. `blockEnd` is where the block body ends (past `c.end` while it arrives).
 */
function readEntry(
  c: ByteCursor,
  version: number,
  blockEnd: number,
  index: number,
  visit: (entry: ProcessFields, strings: ProcessStrings) => void,
): void {
  const start = c.pos;
  const bytesEnd = c.end;
  c.scope = `in process entry ${index} (starting at byte ${c.absolute(start)})`;

  // sub_len: v9 only. 0 means "unknown": libs then reads the base fields and nothing after them.
  let subLen = 0;
  if (version >= 9) {
    subLen = c.u32('entry length');
    if (subLen !== 0) {
      if (subLen < SUB_LEN_BYTES) {
        c.fail(`entry length ${subLen} is shorter than its own ${SUB_LEN_BYTES}-byte prefix`, start);
      }
      if (subLen > MAX_PROCESS_ENTRY_BYTES) {
        c.fail(`entry length ${subLen} is above ${MAX_PROCESS_ENTRY_BYTES}, the most an entry may take`, start);
      }
      if (subLen > blockEnd - start) {
        c.fail(
          `entry length ${subLen} runs past the block: only ${blockEnd - start} bytes remain`,
          start,
        );
      }
      c.end = start + subLen;
      c.scope = `in process entry ${index} (${subLen} bytes from byte ${c.absolute(start)})`;
    }
  }

  const tid = c.i64('tid');
  const pid = c.i64('pid');
  const ptid = c.i64('ptid');
  const sid = version >= 6 ? c.i64('sid') : undefined;
  const vpgid = version >= 8 ? c.i64('vpgid') : undefined;
  const comm = pathBytes(c, 'comm');
  const exe = pathBytes(c, 'exe');
  const exepath = version >= 7 ? pathBytes(c, 'exepath') : undefined;
  const args = listBytes(c.lenBytes('args', MAX_ARGS_BYTES));
  const cwd = pathBytes(c, 'cwd');
  const fdlimit = c.i64('fdlimit');
  const flags = c.u32('flags');
  const uid = c.u32('uid');
  const gid = c.u32('gid');
  const e: ProcessFields = { tid, pid, ptid, fdlimit, flags, uid, gid };
  if (sid !== undefined) e.sid = sid;
  if (vpgid !== undefined) e.vpgid = vpgid;
  const strings: ProcessStrings = { comm, exe, args, cwd };
  if (exepath !== undefined) strings.exepath = exepath;

  if (version >= 2) {
    e.vmsizeKb = c.u32('vmsize_kb');
    e.vmrssKb = c.u32('vmrss_kb');
    e.vmswapKb = c.u32('vmswap_kb');
    e.pfmajor = c.u64('pfmajor');
    e.pfminor = c.u64('pfminor');
  }
  if (version >= 3) strings.env = listBytes(c.lenBytes('env', MAX_ENV_BYTES));
  if (version >= 4) {
    e.vtid = c.i64('vtid');
    e.vpid = c.i64('vpid');
    strings.cgroups = listBytes(c.lenBytes('cgroups', MAX_CGROUPS_BYTES));
  }
  if (version >= 5) strings.root = pathBytes(c, 'root');

  if (subLen !== 0) {
    readAppendedFields(c, e);
    c.pos = c.end; // skip fields newer than this reader
    c.end = bytesEnd;
  }
  c.scope = '';
  visit(e, strings);
}

/**
 * Reads the v9 fields appended after root, each only if the entry (c.end = entry end) still has
 * room for it, in the order and with the pre-0.10 rule of scap_read_proclist.
 */
function readAppendedFields(c: ByteCursor, e: ProcessFields): void {
  // libs 0.10 inserted pidns_init_start_ts and tty before loginuid; an entry with no more than
  // the 29 bytes libs < 0.10 wrote here lacks them.
  if (c.remaining() > PRE_0_10_TAIL_BYTES) {
    if (c.remaining() >= 8) e.pidnsInitStartTsEpochNs = c.u64('pidns_init_start_ts');
    if (c.remaining() >= 4) e.tty = c.u32('tty');
  }
  if (c.remaining() >= 4) e.loginuid = c.u32('loginuid');
  if (c.remaining() >= 1) e.exeWritable = c.u8('exe_writable') !== 0;
  if (c.remaining() >= 8) e.capInheritable = c.u64('cap_inheritable');
  if (c.remaining() >= 8) e.capPermitted = c.u64('cap_permitted');
  if (c.remaining() >= 8) e.capEffective = c.u64('cap_effective');
  if (c.remaining() >= 1) e.exeUpperLayer = c.u8('exe_upper_layer') !== 0;
  if (c.remaining() >= 8) e.exeIno = c.u64('exe_ino');
  if (c.remaining() >= 8) e.exeInoCtimeEpochNs = c.u64('exe_ino_ctime');
  if (c.remaining() >= 8) e.exeInoMtimeEpochNs = c.u64('exe_ino_mtime');
  if (c.remaining() >= 1) e.exeFromMemfd = c.u8('exe_from_memfd') !== 0;
  if (c.remaining() >= 1) e.exeLowerLayer = c.u8('exe_lower_layer') !== 0;
  if (c.remaining() >= 8) e.pgid = c.i64('pgid');
}

/** A path-like string (max SCAP_MAX_PATH_SIZE bytes); libs keeps it up to the first NUL. */
function pathBytes(c: ByteCursor, label: string): Uint8Array {
  const bytes = c.lenBytes(label, MAX_PATH_BYTES);
  const nul = bytes.indexOf(0);
  return nul < 0 ? bytes : bytes.subarray(0, nul);
}

/** A NUL-separated list as libsinsp keeps it: one trailing NUL dropped. */
function listBytes(bytes: Uint8Array): Uint8Array {
  const n = bytes.byteLength;
  return n > 0 && bytes[n - 1] === 0 ? bytes.subarray(0, n - 1) : bytes;
}

/** The items of a list from {@link listBytes}; empty → []. */
function splitList(bytes: Uint8Array): string[] {
  return bytes.byteLength === 0 ? [] : decodeUtf8(bytes).split('\0');
}
