// Users and groups of the host, as libsinsp's user/group manager holds them
// (libs userspace/libsinsp/user.cpp): uid → name, home directory, shell and
// gid → name, from the capture's user/group events (useradded, userdeleted,
// groupadded, groupdeleted, the initial state libsinsp's dumper writes) and its
// UL blocks (fed by the shell, ts/pipeline/decoder.ts). Entries of a container's own
// database (non-empty container_id) are not kept: without the container plugin
// libsinsp looks every thread up in the host's.
//
// One open-addressing table for both, keyed by (kind, id) on the keyed hash
// (hash.ts), backward-shift deletion; each entry's strings in one heap blob.
// Bounded: MAX_ENTRIES entries (more are counted and dropped), strings cut at
// MAX_NAME_BYTES.

import { keyedHash } from "./hash";
import { EVENT_CAPACITY, ROLE_UID, ROLE_GID, ROLE_PATH, ROLE_HOME, ROLE_SHELL, ROLE_CONTAINER_ID, roleIndex } from "./event_info";
import { paramEmpty, paramPtr, paramStrLen, paramU64 } from "./params";

/** libs MAX_CREDENTIALS_STR_LEN: the longest name, home or shell kept (bytes). */
export const MAX_NAME_BYTES: u32 = 256;
/** Most users and groups kept together; a capture cannot grow the table past it. */
export const MAX_ENTRIES: u32 = 65536;

export const KIND_USER: u32 = 1;
export const KIND_GROUP: u32 = 2;

// String slots of an entry's blob.
export const CRED_NAME: u32 = 0;
export const CRED_HOME: u32 = 1;
export const CRED_SHELL: u32 = 2;

@unmanaged
class Entry {
  /** (kind << 32) | id; 0 = empty slot (kinds are non-zero). */
  key: u64;
  blob: usize;
  nameLen: u16;
  homeLen: u16;
  shellLen: u16;
}
const ENTRY_BYTES: usize = offsetof<Entry>();

const INITIAL_SLOTS: u32 = 256;
let slots: usize = 0;
let slotCount: u32 = 0;
let liveCount: u32 = 0;
let dropped: u32 = 0;

// @ts-ignore: decorator
@inline function slotAt(i: u32): Entry {
  return changetype<Entry>(slots + <usize>i * ENTRY_BYTES);
}

function allocSlots(n: u32): usize {
  const p = heap.alloc(<usize>n * ENTRY_BYTES);
  memory.fill(p, 0, <usize>n * ENTRY_BYTES);
  return p;
}

/** Users and groups not kept because the table held MAX_ENTRIES. */
export function credentialsDropped(): u32 {
  return dropped;
}

/** Empties the table (a new capture or section); the dropped count is kept unless `counts`. */
export function resetCredentials(counts: bool): void {
  if (slots != 0) {
    for (let i: u32 = 0; i < slotCount; i++) {
      const e = slotAt(i);
      if (e.key != 0 && e.blob != 0) heap.free(e.blob);
    }
    heap.free(slots);
  }
  slotCount = INITIAL_SLOTS;
  slots = allocSlots(slotCount);
  liveCount = 0;
  if (counts) dropped = 0;
}

// @ts-ignore: decorator
@inline function keyOf(kind: u32, id: u32): u64 {
  return (<u64>kind << 32) | <u64>id;
}

function find(key: u64): Entry | null {
  const mask = slotCount - 1;
  let i = keyedHash(key) & mask;
  while (true) {
    const e = slotAt(i);
    if (e.key == 0) return null;
    if (e.key == key) return e;
    i = (i + 1) & mask;
  }
}

function grow(): void {
  const old = slots;
  const oldCount = slotCount;
  slotCount = oldCount << 1;
  slots = allocSlots(slotCount);
  const mask = slotCount - 1;
  for (let j: u32 = 0; j < oldCount; j++) {
    const src = old + <usize>j * ENTRY_BYTES;
    const key = load<u64>(src);
    if (key == 0) continue;
    let i = keyedHash(key) & mask;
    while (slotAt(i).key != 0) i = (i + 1) & mask;
    memory.copy(changetype<usize>(slotAt(i)), src, ENTRY_BYTES);
  }
  heap.free(old);
}

// @ts-ignore: decorator
@inline function cut(n: u32): u32 {
  return n > MAX_NAME_BYTES ? MAX_NAME_BYTES : n;
}

/**
 * Adds or replaces user (KIND_USER) or group `id` with its strings (a group has no
 * home or shell: lengths 0). The strings are copied.
 */
export function putCredential(kind: u32, id: u32, name: usize, nameLen: u32, home: usize, homeLen: u32, shell: usize, shellLen: u32): void {
  const key = keyOf(kind, id);
  let e = find(key);
  if (e == null) {
    if (liveCount >= MAX_ENTRIES) { dropped++; return; }
    if ((liveCount + 1) << 1 > slotCount) grow();
    const mask = slotCount - 1;
    let i = keyedHash(key) & mask;
    while (slotAt(i).key != 0) i = (i + 1) & mask;
    e = slotAt(i);
    e.key = key;
    e.blob = 0;
    liveCount++;
  }
  nameLen = cut(nameLen);
  homeLen = cut(homeLen);
  shellLen = cut(shellLen);
  const total = nameLen + homeLen + shellLen;
  const blob = total > 0 ? heap.alloc(total) : 0;
  memory.copy(blob, name, nameLen);
  memory.copy(blob + nameLen, home, homeLen);
  memory.copy(blob + nameLen + homeLen, shell, shellLen);
  if (e.blob != 0) heap.free(e.blob);
  e.blob = blob;
  e.nameLen = <u16>nameLen;
  e.homeLen = <u16>homeLen;
  e.shellLen = <u16>shellLen;
}

/** Removes user or group `id` if present. */
export function deleteCredential(kind: u32, id: u32): void {
  const key = keyOf(kind, id);
  const mask = slotCount - 1;
  let i = keyedHash(key) & mask;
  while (true) {
    const e = slotAt(i);
    if (e.key == 0) return;
    if (e.key == key) break;
    i = (i + 1) & mask;
  }
  if (slotAt(i).blob != 0) heap.free(slotAt(i).blob);
  liveCount--;
  let hole = i;
  let j = (i + 1) & mask;
  while (true) {
    const e = slotAt(j);
    if (e.key == 0) break;
    const home = keyedHash(e.key) & mask;
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      memory.copy(changetype<usize>(slotAt(hole)), changetype<usize>(e), ENTRY_BYTES);
      hole = j;
    }
    j = (j + 1) & mask;
  }
  memory.fill(changetype<usize>(slotAt(hole)), 0, ENTRY_BYTES);
}

/** Where credentialString() leaves its result. */
export let credPtr: usize = 0;
export let credLen: u32 = 0;

/** String `slot` (CRED_*) of user or group `id`: false when the table has no such entry. */
export function credentialString(kind: u32, id: u32, slot: u32): bool {
  const e = find(keyOf(kind, id));
  if (e == null) return false;
  const n = <u32>e.nameLen;
  const h = <u32>e.homeLen;
  if (slot == CRED_NAME) { credPtr = e.blob; credLen = n; }
  else if (slot == CRED_HOME) { credPtr = e.blob + n; credLen = h; }
  else { credPtr = e.blob + n + h; credLen = <u32>e.shellLen; }
  return true;
}

// What each user/group event does (the shell marks the ids at start-up, ts/pipeline/wasm.ts).
export const CRED_OP_USER_ADDED: u8 = 1;
export const CRED_OP_USER_DELETED: u8 = 2;
export const CRED_OP_GROUP_ADDED: u8 = 3;
export const CRED_OP_GROUP_DELETED: u8 = 4;
const CRED_OP = memory.data(<i32>EVENT_CAPACITY);

/** Marks event `id` as a user/group event doing `op` (CRED_OP_*). */
export function setCredentialEvent(id: u32, op: u8): void {
  if (id < EVENT_CAPACITY) store<u8>(CRED_OP + id, op);
}

// @ts-ignore: decorator
@inline function str(type: u32, role: u32): usize {
  return paramPtr(roleIndex(type, role));
}
// @ts-ignore: decorator
@inline function len(type: u32, role: u32): u32 {
  return paramStrLen(roleIndex(type, role));
}

/**
 * Applies a user/group event of type `type` (libs parsers.cpp parse_user_evt,
 * parse_group_evt); other ids, and entries of a container's database, change nothing.
 */
export function onCredentialEvent(type: u32): void {
  const op = type < EVENT_CAPACITY ? load<u8>(CRED_OP + type) : 0;
  if (op == 0 || len(type, ROLE_CONTAINER_ID) != 0) return;
  const user = op <= CRED_OP_USER_DELETED;
  const idRole = user ? ROLE_UID : ROLE_GID;
  if (paramEmpty(roleIndex(type, idRole))) return;
  const id = <u32>paramU64(roleIndex(type, idRole));
  const kind = user ? KIND_USER : KIND_GROUP;
  if (op == CRED_OP_USER_DELETED || op == CRED_OP_GROUP_DELETED) { deleteCredential(kind, id); return; }
  putCredential(kind, id, str(type, ROLE_PATH), len(type, ROLE_PATH),
    str(type, ROLE_HOME), user ? len(type, ROLE_HOME) : 0, str(type, ROLE_SHELL), user ? len(type, ROLE_SHELL) : 0);
}
