// fs.path.* field values of the current event (libs userspace/libsinsp/sinsp_filtercheck_fspath.cpp):
// the path a filesystem syscall operates on (name), or the source and target of one that has
// two (rename, link, symlink, mount). Per event id the shell says (ts/events/fspath_events.ts
// describes it once, from libsinsp's tables) what makes the event successful, which
// parameter — or the event's fd name — each of name, source and target reads, and how a
// relative path is resolved. The "raw" fields are the parameter as the syscall got it
// (cut at its first NUL; an empty or "(NULL)" string reads "<NA>", libsinsp's legacy null);
// the others are resolved against the cwd or a directory fd and normalised
// (sinsp_utils::concatenate_paths: ".", "..", repeated "/").

import { FRAME_TID } from "../frame";
import { EVENT_CAPACITY } from "../event_info";
import { findThread } from "../thread_table";
import { paramI64, paramLen, paramPtr, frameNparams } from "../params";
import { FdEntry, SCAP_FD_DIRECTORY } from "../fd_table";
import { fdOwner, resolvePath, resolveUnder, pathPtr, pathLen } from "../fd_events";
import { eventFdEntry, loadFdString, fdStr, fdStrLen } from "./fd_fields";
import { F_FD_NAME, F_FS_PATH_NAME, ARG_ANY } from "./layout";

/** What makes an event successful for these fields (libsinsp m_success_checks). */
export const FSP_OK_NONE: u8 = 0;
/** Its res parameter is 0. */
export const FSP_OK_RES_ZERO: u8 = 1;
/** Its fd parameter is not -1 (a failed open with another errno still passes, as in libsinsp). */
export const FSP_OK_FD_NOT_MINUS_1: u8 = 2;

/** The value a role reads: a parameter index, the event's fd name (fchmod, fchown), or none. */
export const FSP_FD_NAME: u8 = 0xfe;
export const FSP_NONE: u8 = 0xff;

// How a relative path resolves (libsinsp extract_single's switch on the event type).
/** Under the thread's cwd. */
export const FSP_DIR_CWD: u8 = 0;
/** Under the event's fd when it is a directory (format_dirfd: mkdirat, unlinkat, fchmodat, fchownat, symlinkat's source), else "<UNKNOWN>". */
export const FSP_DIR_EVENT_FD: u8 = 1;
/** The name of the fd the event opened, or "<UNKNOWN>" (openat, openat2). */
export const FSP_DIR_OPENED: u8 = 2;
/** "<UNKNOWN>" before it (symlinkat's target). */
export const FSP_DIR_UNKNOWN: u8 = 3;
/** Under the dirfd parameter of the role (parse_dirfd: renameat2). */
export const FSP_DIR_PARAM: u8 = 4;

/** Roles: fs.path.name, .source, .target; each field id pair is (resolved, raw). */
const ROLES: u32 = 3;
const OK_KIND = memory.data(<i32>EVENT_CAPACITY);
const OK_PARAM = memory.data(<i32>EVENT_CAPACITY);
const ROLE_PARAM = memory.data(<i32>(EVENT_CAPACITY * ROLES));
const ROLE_DIR = memory.data(<i32>(EVENT_CAPACITY * ROLES));
const ROLE_DIRFD = memory.data(<i32>(EVENT_CAPACITY * ROLES));

/** Clears every event id's description (before the shell sets them; a fresh module is zeroed, so OK_NONE). */
function clearRoles(): void {
  memory.fill(ROLE_PARAM, FSP_NONE, EVENT_CAPACITY * ROLES);
}
clearRoles();

/** The success check of event id `id`: kind (FSP_OK_*) and the parameter it reads. */
export function setFsPathEvent(id: u32, okKind: u8, okParam: u8): void {
  if (id >= EVENT_CAPACITY) return;
  store<u8>(OK_KIND + id, okKind);
  store<u8>(OK_PARAM + id, okParam);
}

/** Role `role` (0 name, 1 source, 2 target) of event id `id`: what it reads, how it resolves, the dirfd parameter for FSP_DIR_PARAM. */
export function setFsPathRole(id: u32, role: u32, param: u8, dir: u8, dirfd: u8): void {
  if (id >= EVENT_CAPACITY || role >= ROLES) return;
  const at = id * ROLES + role;
  store<u8>(ROLE_PARAM + at, param);
  store<u8>(ROLE_DIR + at, dir);
  store<u8>(ROLE_DIRFD + at, dirfd);
}

/** The value loadFsPath() left. */
export let fsStr: usize = 0;
export let fsStrLen: u32 = 0;

const LEGACY_NULL = memory.data<u8>([0x3c, 0x4e, 0x41, 0x3e]); // "<NA>"
const NULL_TEXT = memory.data<u8>([0x28, 0x4e, 0x55, 0x4c, 0x4c, 0x29]); // "(NULL)"
const UNKNOWN = memory.data<u8>([60, 85, 78, 75, 78, 79, 87, 78, 62]); // "<UNKNOWN>"

// @ts-ignore: decorator
@inline function setStr(p: usize, n: u32): bool { fsStr = p; fsStrLen = n; return true; }

/** Raw string parameter `i` as libsinsp's evt.rawarg reads it, cut at its first NUL; false when absent. */
function rawParam(i: u32): bool {
  if (i >= frameNparams) return false;
  const p = paramPtr(i);
  const n = paramLen(i);
  if (n == 0 || (n == 7 && memory.compare(p, NULL_TEXT, 6) == 0 && load<u8>(p + 6) == 0)) return setStr(LEGACY_NULL, 4);
  let k: u32 = 0;
  while (k < n && load<u8>(p + k) != 0) k++;
  return setStr(p, k);
}

/** Whether the success check of event id `type` holds for the current frame. */
function succeeded(type: u32): bool {
  const kind = load<u8>(OK_KIND + type);
  if (kind == FSP_OK_NONE) return false;
  const i = <u32>load<u8>(OK_PARAM + type);
  if (paramLen(i) == 0) return false;
  const v = paramI64(i);
  return kind == FSP_OK_RES_ZERO ? v == 0 : v != -1;
}

/**
 * Loads fs.path field `field` (F_FS_PATH_NAME ... F_FS_PATH_TARGETRAW) of the event of id `type`
 * at `frame`; false when missing (another event, a failed one, no thread for a resolved path).
 */
export function loadFsPath(field: u32, frame: usize, type: u32): bool {
  if (type >= EVENT_CAPACITY || !succeeded(type)) return false;
  const k = field - F_FS_PATH_NAME;
  const at = type * ROLES + (k >> 1);
  const param = load<u8>(ROLE_PARAM + at);
  if (param == FSP_NONE) return false;
  if (param == FSP_FD_NAME) {
    if (!loadFdString(F_FD_NAME, ARG_ANY)) return false;
    setStr(fdStr, fdStrLen);
  } else if (!rawParam(param)) return false;
  if ((k & 1) != 0) return true;
  const tid = load<i64>(frame, FRAME_TID);
  if (findThread(tid) == null) return false;
  const owner = fdOwner(tid);
  if (fsStrLen > 0 && load<u8>(fsStr) == 0x2f) {
    resolvePath(owner, 0, false, fsStr, fsStrLen);
    return setStr(pathPtr(), pathLen);
  }
  if (fsStrLen == 0) return true; // an fd without a name: concatenate_paths(dir, "") is ""
  switch (load<u8>(ROLE_DIR + at)) {
    case FSP_DIR_EVENT_FD: {
      const e = eventFdEntry();
      const d = e != 0 && changetype<FdEntry>(e).type == SCAP_FD_DIRECTORY ? changetype<FdEntry>(e) : null;
      resolveUnder(d, fsStr, fsStrLen);
      break;
    }
    case FSP_DIR_OPENED: {
      const e = eventFdEntry();
      if (e == 0) return setStr(UNKNOWN, 9);
      const o = changetype<FdEntry>(e);
      if (o.nameLen == 0 || load<u8>(o.name) != 0x2f) return setStr(o.name, o.nameLen);
      resolvePath(owner, 0, false, o.name, o.nameLen);
      break;
    }
    case FSP_DIR_UNKNOWN: resolveUnder(null, fsStr, fsStrLen); break;
    case FSP_DIR_PARAM: resolvePath(owner, paramI64(<u32>load<u8>(ROLE_DIRFD + at)), true, fsStr, fsStrLen); break;
    default: resolvePath(owner, 0, false, fsStr, fsStrLen);
  }
  return setStr(pathPtr(), pathLen);
}
