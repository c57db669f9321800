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
 */

import { ErrorCode, errorAt } from '../errors.js';
import { BLOCK_HEADER_BYTES, describeBlock, plVersion } from './block_types.js';
import { ByteCursor, decodeUtf8 } from './byte_cursor.js';

/** libs SCAP_MAX_PATH_SIZE: longest comm, exe, exepath, cwd, root accepted (bytes). */
export const MAX_PATH_BYTES = 1024;
/** libs SCAP_MAX_ARGS_SIZE (bytes); SCAP_MAX_ENV_SIZE and SCAP_MAX_CGROUPS_SIZE are the same. */
export const MAX_ARGS_BYTES = 4096;
/** libs SCAP_MAX_ENV_SIZE. */
const MAX_ENV_BYTES = 4096;
/** libs SCAP_MAX_CGROUPS_SIZE. */
const MAX_CGROUPS_BYTES = 4096;
/** Size of the v9 per-entry length prefix. */
const SUB_LEN_BYTES = 4;
/** Bytes that libs < 0.10 wrote after root: loginuid 4 + exe_writable 1 + 3 capabilities × 8. */
const PRE_0_10_TAIL_BYTES = 29;
/** An entry starts only where at least this many bytes remain; fewer are block padding. */
const MIN_ENTRY_START_BYTES = 4;

/**
 * One thread of the process list, as the capture holds it. 64-bit values are bigint, 32-bit ones
 * number. A field the block's version (or, for v9, the entry's length) does not carry is
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

/**
 * Decodes a process-list block body (without block header and trailer). `blockOffset` is the
 * stream offset of the block start; errors name absolute offsets (`blockOffset + 8 + position`).
 * Throws E_BAD_BLOCK when `blockType` is not a PL type, when an entry's length disagrees with
 * its fields, when a string is longer than libs accepts, or when an entry overruns the block.
 */
export function parseProcessList(
  blockType: number,
  body: Uint8Array,
  blockOffset: number,
): ProcessEntry[] {
  const version = plVersion(blockType);
  if (version === undefined) {
    throw errorAt(
      ErrorCode.BAD_BLOCK,
      'bad block',
      blockOffset,
      `${describeBlock(blockType)} is not a process list block`,
    );
  }
  const c = new ByteCursor(body, {
    baseOffset: blockOffset + BLOCK_HEADER_BYTES,
    what: describeBlock(blockType),
  });
  const blockEnd = body.byteLength;
  const entries: ProcessEntry[] = [];
  while (blockEnd - c.pos >= MIN_ENTRY_START_BYTES) {
    entries.push(readEntry(c, version, blockEnd, entries.length));
  }
  return entries;
}

/** Reads one entry starting at `c.pos`; leaves `c.pos` at the next entry and `c.end` at `blockEnd`. */
function readEntry(c: ByteCursor, version: number, blockEnd: number, index: number): ProcessEntry {
  const start = c.pos;
  c.scope = `in process entry ${index} (starting at byte ${c.absolute(start)})`;

  // sub_len: v9 only. 0 means "unknown": libs then reads the base fields and nothing after them.
  let subLen = 0;
  if (version >= 9) {
    subLen = c.u32('entry length');
    if (subLen !== 0) {
      if (subLen < SUB_LEN_BYTES) {
        c.fail(`entry length ${subLen} is shorter than its own ${SUB_LEN_BYTES}-byte prefix`, start);
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
  const comm = cString(c, 'comm');
  const exe = cString(c, 'exe');
  const exepath = version >= 7 ? cString(c, 'exepath') : undefined;
  const args = nulList(c.lenBytes('args', MAX_ARGS_BYTES));
  const cwd = cString(c, 'cwd');
  const fdlimit = c.i64('fdlimit');
  const flags = c.u32('flags');
  const uid = c.u32('uid');
  const gid = c.u32('gid');
  const e: ProcessEntry = { tid, pid, ptid, comm, exe, args, cwd, fdlimit, flags, uid, gid };
  if (sid !== undefined) e.sid = sid;
  if (vpgid !== undefined) e.vpgid = vpgid;
  if (exepath !== undefined) e.exepath = exepath;

  if (version >= 2) {
    e.vmsizeKb = c.u32('vmsize_kb');
    e.vmrssKb = c.u32('vmrss_kb');
    e.vmswapKb = c.u32('vmswap_kb');
    e.pfmajor = c.u64('pfmajor');
    e.pfminor = c.u64('pfminor');
  }
  if (version >= 3) e.env = nulList(c.lenBytes('env', MAX_ENV_BYTES));
  if (version >= 4) {
    e.vtid = c.i64('vtid');
    e.vpid = c.i64('vpid');
    e.cgroups = nulList(c.lenBytes('cgroups', MAX_CGROUPS_BYTES));
  }
  if (version >= 5) e.root = cString(c, 'root');

  if (subLen !== 0) {
    readAppendedFields(c, e);
    c.pos = c.end; // skip fields newer than this reader
    c.end = blockEnd;
  }
  c.scope = '';
  return e;
}

/**
 * Reads the v9 fields appended after root, each only if the entry (c.end = entry end) still has
 * room for it, in the order and with the pre-0.10 rule of scap_read_proclist.
 */
function readAppendedFields(c: ByteCursor, e: ProcessEntry): void {
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
function cString(c: ByteCursor, label: string): string {
  const bytes = c.lenBytes(label, MAX_PATH_BYTES);
  const nul = bytes.indexOf(0);
  return decodeUtf8(nul < 0 ? bytes : bytes.subarray(0, nul));
}

/** A NUL-separated list, split as libsinsp does: one trailing NUL dropped, empty → []. */
function nulList(bytes: Uint8Array): string[] {
  let n = bytes.byteLength;
  if (n > 0 && bytes[n - 1] === 0) n--;
  if (n === 0) return [];
  return decodeUtf8(bytes.subarray(0, n)).split('\0');
}
