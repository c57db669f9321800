/**
 * File-descriptor list blocks (FDL: `FDL_BLOCK_TYPE`, `_INT`, `FDL_BLOCK_TYPE_V2`): the fds one
 * process held when the capture started, decoded as libs' `scap_read_fdlist` /
 * `scap_fd_read_from_disk` decode them (userspace/libscap/engine/savefile/scap_savefile.c).
 *
 * ```
 * tid            u64     once, at the start of the body
 * --- each entry ---
 * sub_len        u32     V2 only: the entry's length, counting these 4 bytes (later fields skipped)
 * fd             i64
 * ino            u64
 * type           u8      scap_fd_type
 * IPV4_SOCK      sip u32, dip u32, sport u16, dport u16, l4proto u8
 * IPV4_SERVSOCK  ip u32, port u16, l4proto u8
 * IPV6_SOCK      sip 16 bytes, dip 16 bytes, sport u16, dport u16, l4proto u8
 * IPV6_SERVSOCK  ip 16 bytes, port u16, l4proto u8
 * UNIX_SOCK      source u64, destination u64, name str
 * FILE_V2        open_flags u32, name str, then dev u32 when sub_len has room
 * the others     name str            (str: u16 length then the bytes, shorter than 4096)
 * ```
 *
 * Entries follow each other while at least 4 bytes of the body remain (the rest is padding).
 */
import { BLOCK_HEADER_BYTES, FDL_BLOCK_TYPE, FDL_BLOCK_TYPE_INT, FDL_BLOCK_TYPE_V2, describeBlock } from './block_types.js';
import { ByteCursor } from './byte_cursor.js';

/** libs SCAP_MAX_PATH_SIZE: a name must be shorter (bytes). */
const MAX_NAME_BYTES = 4096;
/** Longest entry of today's layout: sub_len, fd, ino, type, the largest socket fields or a name. */
const MAX_ENTRY_BYTES = 4 + 8 + 8 + 1 + 16 + 2 + MAX_NAME_BYTES + 4;
/** A V2 entry may carry fields added later: its sub_len is accepted up to this (bytes). */
const MAX_V2_ENTRY_BYTES = 64 * 1024;
const MIN_ENTRY_START_BYTES = 4;

/** scap_fd_type values this reader lays out (libs userspace/libscap/scap.h). */
export const ScapFdType = {
  IPV4_SOCK: 3, IPV6_SOCK: 4, IPV4_SERVSOCK: 5, IPV6_SERVSOCK: 6, UNIX_SOCK: 8, FILE_V2: 16, UNSUPPORTED: 10, PIDFD: 21,
} as const;

/** One fd of the block; byte fields are views, valid during the visit. */
export interface ListedFd {
  tid: bigint;
  fd: bigint;
  ino: bigint;
  type: number;
  openFlags: number;
  dev: number;
  l4proto: number;
  /** Source then destination port (a server socket: its port as the destination). */
  sport: number;
  dport: number;
  /** A listening socket (IPV4_SERVSOCK, IPV6_SERVSOCK). */
  server: boolean;
  /** Source then destination address, 16 bytes each (IPv4 in the first 4), network order. */
  addrs: Uint8Array;
  name: Uint8Array;
}

/** Whether `type` is an fd list block. */
export function isFdListBlock(type: number): boolean {
  const t = type >>> 0;
  return t === FDL_BLOCK_TYPE || t === FDL_BLOCK_TYPE_INT || t === FDL_BLOCK_TYPE_V2;
}

/**
 * An fd list body that arrives in pieces (as the process and user list readers): each
 * entry is visited as soon as it is whole. Throws E_BAD_BLOCK naming the absolute offset
 * when an entry overruns the block, a name is 4096 bytes or longer, or a V2 entry's length
 * disagrees with its fields — after visiting the entries before it.
 */
export class FdListReader {
  entries = 0;
  private tid: bigint | undefined;
  private readonly v2: boolean;

  constructor(private readonly blockType: number, private readonly blockOffset: number, private readonly bodyBytes: number) {
    this.v2 = (blockType >>> 0) === FDL_BLOCK_TYPE_V2;
  }

  /** Visits the entries lying whole in `bytes` (the body from offset `at`); returns where the next starts. */
  read(bytes: Uint8Array, at: number, visit: (f: ListedFd) => void): number {
    const blockEnd = this.bodyBytes - at;
    const c = new ByteCursor(bytes.subarray(0, Math.min(bytes.byteLength, blockEnd)), {
      baseOffset: this.blockOffset + BLOCK_HEADER_BYTES + at,
      what: describeBlock(this.blockType),
    });
    if (this.tid === undefined) {
      if (c.end - c.pos < 8) return at;
      this.tid = c.u64('tid');
    }
    const need = this.v2 ? MAX_V2_ENTRY_BYTES : MAX_ENTRY_BYTES;
    while (blockEnd - c.pos >= MIN_ENTRY_START_BYTES && c.end - c.pos >= Math.min(blockEnd - c.pos, need)) {
      this.readEntry(c, visit);
    }
    if (blockEnd - c.pos < MIN_ENTRY_START_BYTES) c.pos = c.end; // padding after the last entry
    return at + c.pos;
  }

  private readEntry(c: ByteCursor, visit: (f: ListedFd) => void): void {
    const start = c.pos;
    c.scope = ` in fd list entry ${this.entries} (from byte ${c.baseOffset + start})`;
    const subLen = this.v2 ? c.u32('sub_len') : 0;
    if (this.v2 && subLen > MAX_V2_ENTRY_BYTES) c.fail(`sub_len ${subLen} above ${MAX_V2_ENTRY_BYTES}`, start);
    const fd = c.i64('fd');
    const ino = c.u64('ino');
    const type = c.u8('type');
    const addrs = new Uint8Array(32);
    const f: ListedFd = { tid: this.tid!, fd, ino, type, openFlags: 0, dev: 0, l4proto: 0, sport: 0, dport: 0, server: false, addrs, name: new Uint8Array(0) };
    const name = (): Uint8Array => c.lenBytes('fd name', MAX_NAME_BYTES - 1);
    switch (type) {
      case ScapFdType.IPV4_SOCK:
        addrs.set(c.bytes(4, 'sip'), 0); addrs.set(c.bytes(4, 'dip'), 16);
        f.sport = c.u16('sport'); f.dport = c.u16('dport'); f.l4proto = c.u8('l4proto');
        break;
      case ScapFdType.IPV4_SERVSOCK:
        addrs.set(c.bytes(4, 'ip'), 16); f.dport = c.u16('port'); f.l4proto = c.u8('l4proto'); f.server = true;
        break;
      case ScapFdType.IPV6_SOCK:
        addrs.set(c.bytes(16, 'sip'), 0); addrs.set(c.bytes(16, 'dip'), 16);
        f.sport = c.u16('sport'); f.dport = c.u16('dport'); f.l4proto = c.u8('l4proto');
        break;
      case ScapFdType.IPV6_SERVSOCK:
        addrs.set(c.bytes(16, 'ip'), 16); f.dport = c.u16('port'); f.l4proto = c.u8('l4proto'); f.server = true;
        break;
      case ScapFdType.UNIX_SOCK:
        addrs.set(c.bytes(8, 'source'), 0); addrs.set(c.bytes(8, 'destination'), 16); f.name = name();
        break;
      case ScapFdType.FILE_V2:
        f.openFlags = c.u32('open_flags'); f.name = name();
        if (this.v2 && subLen >= c.pos - start + 4) f.dev = c.u32('dev');
        break;
      default:
        // A type beyond libs' table comes from a newer writer: libscap names it unsupported and
        // reads nothing more of it; SCAP_FD_UNKNOWN (0) has no fields either.
        if (type > ScapFdType.PIDFD) {
          f.type = ScapFdType.UNSUPPORTED;
          f.name = new TextEncoder().encode(`unknown-type:[${type}]`);
        } else if (type !== 0) f.name = name();
    }
    if (this.v2) {
      const used = c.pos - start;
      if (used > subLen) c.fail(`entry holds ${used} bytes, more than its sub_len ${subLen}`, start);
      c.bytes(subLen - used, 'fields newer than this reader');
    }
    c.scope = '';
    this.entries++;
    visit(f);
  }
}
