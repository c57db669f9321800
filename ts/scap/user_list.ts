/**
 * User-list (UL) blocks: the users and groups of the host at capture start
 * (libs userspace/libscap/engine/savefile/scap_savefile.c, scap_read_userlist).
 *
 * Entry layout (UL_BLOCK_TYPE_V2 prefixes each with u32 entry length, itself included):
 *   type u8 (0 = user, else group)
 *   user:  uid u32, gid u32, name, homedir, shell   (each u16 length + bytes, no NUL)
 *   group: gid u32, name
 * The block is padded to 4 bytes; fewer than 4 bytes left ends the list.
 */
import { ByteCursor } from './byte_cursor.js';
import { BLOCK_HEADER_BYTES, UL_BLOCK_TYPE_V2, describeBlock } from './block_types.js';

/** libscap USERBLOCK_TYPE_USER. */
const USERBLOCK_TYPE_USER = 0;

export interface UserInfo { uid: number; gid: number; name: string; homedir: string; shell: string }
export interface GroupInfo { gid: number; name: string }
export interface UserList { users: UserInfo[]; groups: GroupInfo[] }

/**
 * Decodes a UL block body (without header and trailer). Throws E_BAD_BLOCK naming the absolute
 * offset when an entry overruns its declared length or the block.
 */
export function parseUserList(blockType: number, body: Uint8Array, blockOffset: number): UserList {
  const c = new ByteCursor(body, { baseOffset: blockOffset + BLOCK_HEADER_BYTES, what: `block ${describeBlock(blockType)}` });
  const out: UserList = { users: [], groups: [] };
  const v2 = blockType === UL_BLOCK_TYPE_V2;
  while (c.remaining() >= 4) {
    const start = c.pos;
    const blockEnd = c.end;
    if (v2) {
      const len = c.u32('user entry length');
      if (len < 5 || len > blockEnd - start) c.fail(`user entry length ${len} does not fit in the block`, start);
      c.end = start + len;
    }
    const type = c.u8('user entry type');
    if (type === USERBLOCK_TYPE_USER) {
      out.users.push({
        uid: c.u32('uid'), gid: c.u32('gid'), name: c.lenString('user name'),
        homedir: c.lenString('home directory'), shell: c.lenString('shell'),
      });
    } else {
      out.groups.push({ gid: c.u32('gid'), name: c.lenString('group name') });
    }
    if (v2) {
      c.pos = c.end; // newer fields this reader does not know
      c.end = blockEnd;
    }
  }
  return out;
}
