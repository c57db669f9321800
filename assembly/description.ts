// The decoder's description of the event table — what each event id is (kind, parameter count
// and widths, roles), what it does to the fd table, its fs.path.* roles, its evt.category, the
// generic exit and the native syscall numbers — applied in one call at start-up from a list of
// setter calls that the build computed (scripts/gen_decoder_tables.mjs, from
// ts/pipeline/decoder_description.ts, into build/decoder_tables.bin), instead of thousands of
// calls from JavaScript at every start.
//
// The list is u32 words: an opcode (DESC_*), then that setter's arguments, each as the shell
// would have passed it (a JavaScript number converted to i32), in the setter's parameter order:
//
//   +--------+--------+--------+-----+--------+--------+-----
//   | op     | arg 1  | arg 2  | ... | op     | arg 1  | ...
//   +--------+--------+--------+-----+--------+--------+-----
//
// test/decoder_tables.test.ts checks that applying it leaves the same memory as the calls.

import { setEventInfo, setEventRole, setVforkEvent, setParamWidth } from "./event_info";
import { setGenericExitEvent, setNativeSyscall } from "./syscall";
import { setFdEvent, setDirfdParam } from "./fd_events";
import { setFsPathEvent, setFsPathRole } from "./filter/fspath_fields";
import { setEventCategory } from "./filter/category";
import { setCredentialEvent } from "./users";

/** setEventInfo(id, kind, nparams, largePayload) */
export const DESC_SET_EVENT_INFO: u32 = 1;
/** setVforkEvent(id) */
export const DESC_SET_VFORK_EVENT: u32 = 2;
/** setParamWidth(id, index, bytes) */
export const DESC_SET_PARAM_WIDTH: u32 = 3;
/** setEventRole(id, role, index) */
export const DESC_SET_EVENT_ROLE: u32 = 4;
/** setCredentialEvent(id, op) */
export const DESC_SET_CREDENTIAL_EVENT: u32 = 5;
/** setFdEvent(id, action, location, flags, newType, typechar) */
export const DESC_SET_FD_EVENT: u32 = 6;
/** setDirfdParam(id, index) */
export const DESC_SET_DIRFD_PARAM: u32 = 7;
/** setFsPathEvent(id, okKind, okParam) */
export const DESC_SET_FS_PATH_EVENT: u32 = 8;
/** setFsPathRole(id, role, param, dir, dirfd) */
export const DESC_SET_FS_PATH_ROLE: u32 = 9;
/** setEventCategory(id, code) */
export const DESC_SET_EVENT_CATEGORY: u32 = 10;
/** setGenericExitEvent(id) */
export const DESC_SET_GENERIC_EXIT_EVENT: u32 = 11;
/** setNativeSyscall(native, sc) */
export const DESC_SET_NATIVE_SYSCALL: u32 = 12;

/** Arguments of opcode `op`, or 0 for a word that is no opcode. */
function arity(op: u32): u32 {
  switch (op) {
    case DESC_SET_EVENT_INFO: return 4;
    case DESC_SET_VFORK_EVENT: return 1;
    case DESC_SET_PARAM_WIDTH: return 3;
    case DESC_SET_EVENT_ROLE: return 3;
    case DESC_SET_CREDENTIAL_EVENT: return 2;
    case DESC_SET_FD_EVENT: return 6;
    case DESC_SET_DIRFD_PARAM: return 2;
    case DESC_SET_FS_PATH_EVENT: return 3;
    case DESC_SET_FS_PATH_ROLE: return 5;
    case DESC_SET_EVENT_CATEGORY: return 2;
    case DESC_SET_GENERIC_EXIT_EVENT: return 1;
    case DESC_SET_NATIVE_SYSCALL: return 2;
    default: return 0;
  }
}

/**
 * Applies the `count` words at `words` (the shell wrote them in the scratch buffer,
 * reserveScratch). Returns -1 when every call was applied, else the index of the first word
 * that is no opcode or whose arguments run past `count` (the calls before it are applied).
 */
export function applyDescription(words: usize, count: u32): i32 {
  let i: u32 = 0;
  while (i < count) {
    const op = load<u32>(words + (<usize>i << 2));
    const n = arity(op);
    if (n == 0 || n > count - i - 1) return <i32>i;
    const a = words + (<usize>(i + 1) << 2);
    switch (op) {
      case DESC_SET_EVENT_INFO: setEventInfo(load<u32>(a), <u8>load<u32>(a, 4), <u8>load<u32>(a, 8), load<u32>(a, 12) != 0); break;
      case DESC_SET_VFORK_EVENT: setVforkEvent(load<u32>(a)); break;
      case DESC_SET_PARAM_WIDTH: setParamWidth(load<u32>(a), load<u32>(a, 4), <u8>load<u32>(a, 8)); break;
      case DESC_SET_EVENT_ROLE: setEventRole(load<u32>(a), load<u32>(a, 4), <u8>load<u32>(a, 8)); break;
      case DESC_SET_CREDENTIAL_EVENT: setCredentialEvent(load<u32>(a), <u8>load<u32>(a, 4)); break;
      case DESC_SET_FD_EVENT:
        setFdEvent(load<u32>(a), <u8>load<u32>(a, 4), <u8>load<u32>(a, 8), <u8>load<u32>(a, 12), <u8>load<u32>(a, 16), <u8>load<u32>(a, 20));
        break;
      case DESC_SET_DIRFD_PARAM: setDirfdParam(load<u32>(a), <u8>load<u32>(a, 4)); break;
      case DESC_SET_FS_PATH_EVENT: setFsPathEvent(load<u32>(a), <u8>load<u32>(a, 4), <u8>load<u32>(a, 8)); break;
      case DESC_SET_FS_PATH_ROLE: setFsPathRole(load<u32>(a), load<u32>(a, 4), <u8>load<u32>(a, 8), <u8>load<u32>(a, 12), <u8>load<u32>(a, 16)); break;
      case DESC_SET_EVENT_CATEGORY: setEventCategory(load<u32>(a), <u8>load<u32>(a, 4)); break;
      case DESC_SET_GENERIC_EXIT_EVENT: setGenericExitEvent(load<u32>(a)); break;
      case DESC_SET_NATIVE_SYSCALL: setNativeSyscall(load<u32>(a), load<u32>(a, 4)); break;
    }
    i += 1 + n;
  }
  return -1;
}
