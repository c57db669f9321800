/**
 * User list blocks (UL: `UL_BLOCK_TYPE`, `_INT`, `UL_BLOCK_TYPE_V2`): the host's users and
 * groups, decoded as libs' `scap_read_userlist` decodes them
 * (userspace/libscap/engine/savefile/scap_savefile.c).
 *
 * ```
 * field        type   in
 * sub_len      u32    V2 only: the entry's length, counting these 4 bytes (later fields skipped)
 * type         u8     all: USERBLOCK_TYPE_USER 0, USERBLOCK_TYPE_GROUP 1
 * --- user ---
 * uid, gid     u32
 * name, homedir, shell   str (u16 length, then the bytes; no NUL; shorter than 256)
 * --- group ---
 * gid          u32
 * name         str
 * ```
 *
 * Entries follow each other while at least 4 bytes of the body remain (the rest is padding).
 */
import { ErrorCode, errorAt } from '../errors.js';
import { BLOCK_HEADER_BYTES, UL_BLOCK_TYPE, UL_BLOCK_TYPE_INT, UL_BLOCK_TYPE_V2, describeBlock } from './block_types.js';
import { ByteCursor } from './byte_cursor.js';

/** libs MAX_CREDENTIALS_STR_LEN: a name, home or shell must be shorter (bytes). */
const MAX_CREDENTIALS_STR_LEN = 256;
/** Longest entry of today's layout: sub_len, type, two ids, three strings of 255 bytes. */
const MAX_USER_ENTRY_BYTES = 4 + 1 + 8 + 3 * (2 + MAX_CREDENTIALS_STR_LEN - 1);
/** A V2 entry may carry fields added later: its sub_len is accepted up to this (bytes). */
const MAX_V2_ENTRY_BYTES = 64 * 1024;
const MIN_ENTRY_START_BYTES = 4;
const USERBLOCK_TYPE_USER = 0;

/** One user or group of the block; strings are the file's bytes (views, valid during the visit). */
export interface Credential {
  kind: 'user' | 'group';
  /** uid of a user, gid of a group. */
  id: number;
  /** A user's primary gid (0 for a group). */
  gid: number;
  name: Uint8Array;
  /** Empty for a group. */
  home: Uint8Array;
  /** Empty for a group. */
  shell: Uint8Array;
}

/** Whether `type` is a user list block. */
export function isUserListBlock(type: number): boolean {
  const t = type >>> 0;
  return t === UL_BLOCK_TYPE || t === UL_BLOCK_TYPE_INT || t === UL_BLOCK_TYPE_V2;
}

const NONE = new Uint8Array(0);

/**
 * A user list body that arrives in pieces (as {@link ProcessListReader}): each entry is
 * visited as soon as it is whole. Throws E_BAD_BLOCK naming the absolute offset when an
 * entry overruns the block, a string is 256 bytes or longer, or a V2 entry's length
 * disagrees with its fields — after visiting the entries before it.
 */
export class UserListReader {
  /** Entries visited so far. */
  entries = 0;
  private readonly v2: boolean;

  constructor(private readonly blockType: number, private readonly blockOffset: number, private readonly bodyBytes: number) {
    if (!isUserListBlock(blockType)) {
      throw errorAt(ErrorCode.BAD_BLOCK, 'bad block', blockOffset, `${describeBlock(blockType)} is not a user list block`);
    }
    this.v2 = (blockType >>> 0) === UL_BLOCK_TYPE_V2;
  }

  /** Visits the entries lying whole in `bytes` (the body from offset `at`); returns where the next starts. */
  read(bytes: Uint8Array, at: number, visit: (c: Credential) => void): number {
    const blockEnd = this.bodyBytes - at;
    const c = new ByteCursor(bytes.subarray(0, Math.min(bytes.byteLength, blockEnd)), {
      baseOffset: this.blockOffset + BLOCK_HEADER_BYTES + at,
      what: describeBlock(this.blockType),
    });
    const need = this.v2 ? MAX_V2_ENTRY_BYTES : MAX_USER_ENTRY_BYTES;
    while (blockEnd - c.pos >= MIN_ENTRY_START_BYTES && c.end - c.pos >= Math.min(blockEnd - c.pos, need)) {
      this.readEntry(c, visit);
    }
    if (blockEnd - c.pos < MIN_ENTRY_START_BYTES) c.pos = c.end; // padding after the last entry
    return at + c.pos;
  }

  private readEntry(c: ByteCursor, visit: (c: Credential) => void): void {
    const start = c.pos;
    c.scope = ` in user list entry ${this.entries} (from byte ${c.baseOffset + start})`;
    const subLen = this.v2 ? c.u32('sub_len') : 0;
    if (this.v2 && (subLen < 5 || subLen > MAX_V2_ENTRY_BYTES)) c.fail(`sub_len ${subLen} outside 5–${MAX_V2_ENTRY_BYTES}`, start);
    const type = c.u8('type');
    const str = (label: string): Uint8Array => c.lenBytes(label, MAX_CREDENTIALS_STR_LEN - 1);
    let cred: Credential;
    if (type === USERBLOCK_TYPE_USER) {
      const id = c.u32('uid');
      const gid = c.u32('gid');
      cred = { kind: 'user', id, gid, name: str('user name'), home: str('user homedir'), shell: str('user shell') };
    } else {
      cred = { kind: 'group', id: c.u32('gid'), gid: 0, name: str('group name'), home: NONE, shell: NONE };
    }
    if (this.v2) {
      const used = c.pos - start;
      if (used > subLen) c.fail(`entry holds ${used} bytes, more than its sub_len ${subLen}`, start);
      c.bytes(subLen - used, 'fields newer than this reader');
    }
    c.scope = '';
    this.entries++;
    visit(cred);
  }
}
