/**
 * What the Wasm decoder is told about the event table before it decodes anything: per event id
 * its kind, parameter count and fixed widths, parameter roles, what it does to the fd table
 * (ts/events/fd_events.ts), its fs.path.* roles (ts/events/fspath_events.ts), its evt.category,
 * plus the generic exit, the user/group events and libs' native syscall numbers.
 *
 * Computed at build time, not at every start: scripts/gen_decoder_tables.mjs records the setter
 * calls of {@link describeDecoder} ({@link encodeDescription}) into build/decoder_tables.bin,
 * and every decoder instance applies that file in one call (assembly/description.ts
 * applyDescription; ts/pipeline/wasm.ts). test/decoder_tables.test.ts checks the file equals what
 * these sources compute, and that applying it leaves the same Wasm memory as the calls.
 */
import { EVENT_COUNT, eventInfo, fixedWidthBytes } from '../events/event_table.js';
import { EC, EF, PPME } from '../events/ppm_constants.js';
import { NATIVE_TO_PPM_SC } from '../events/syscalls.js';
import { fdEventDescriptions } from '../events/fd_events.js';
import { fsPathDescriptions } from '../events/fspath_events.js';
import { DESCRIPTION_HEADER_WORDS, DESCRIPTION_MAGIC, fingerprint, type DecoderExports } from './wasm.js';

/** The setters of the decoder that describe the event table (assembly/description.ts lists them as DESC_*). */
export type DescriptionCalls = Pick<DecoderExports,
  'setEventInfo' | 'setVforkEvent' | 'setParamWidth' | 'setEventRole' | 'setCredentialEvent' | 'setFdEvent' | 'setDirfdParam' |
  'setFsPathEvent' | 'setFsPathRole' | 'setEventCategory' | 'setGenericExitEvent' | 'setNativeSyscall'>;

/** The DESC_* opcode global of each setter (assembly/description.ts). */
const OPCODE_GLOBALS: Record<keyof DescriptionCalls, string> = {
  setEventInfo: 'DESC_SET_EVENT_INFO', setVforkEvent: 'DESC_SET_VFORK_EVENT', setParamWidth: 'DESC_SET_PARAM_WIDTH',
  setEventRole: 'DESC_SET_EVENT_ROLE', setCredentialEvent: 'DESC_SET_CREDENTIAL_EVENT', setFdEvent: 'DESC_SET_FD_EVENT',
  setDirfdParam: 'DESC_SET_DIRFD_PARAM', setFsPathEvent: 'DESC_SET_FS_PATH_EVENT', setFsPathRole: 'DESC_SET_FS_PATH_ROLE',
  setEventCategory: 'DESC_SET_EVENT_CATEGORY', setGenericExitEvent: 'DESC_SET_GENERIC_EXIT_EVENT', setNativeSyscall: 'DESC_SET_NATIVE_SYSCALL',
};

/**
 * Parameter roles (assembly/event_info.ts ROLE_<key>, read from the Wasm by name) by the libs
 * parameter name(s) that carry them.
 */
const ROLE_PARAM_NAMES: Readonly<Record<string, readonly string[]>> = {
  RES: ['res'], EXE: ['exe'], ARGS: ['args'], TID: ['tid'], PID: ['pid'], PTID: ['ptid'], CWD: ['cwd'], COMM: ['comm'],
  CGROUPS: ['cgroups'], FLAGS: ['flags'], UID: ['uid'], GID: ['gid'], VTID: ['vtid'], VPID: ['vpid'],
  PIDNS_INIT_START_TS: ['pidns_init_start_ts'], EXE_INO: ['exe_ino'], EXE_INO_CTIME: ['exe_ino_ctime'],
  EXE_INO_MTIME: ['exe_ino_mtime'], TRUSTED_EXEPATH: ['trusted_exepath'], LOGINUID: ['loginuid'],
  FD: ['fd', 'fdout', 'out_fd', 'fd_out', 'oldfd'], PATH: ['name', 'filename'], DEV: ['dev'], INO: ['ino'], MODE: ['mode'],
  OLDPATH: ['oldpath'], NEWPATH: ['newpath'], ENV: ['env'], TTY: ['tty'], VPGID: ['vpgid'],
  CAP_INHERITABLE: ['cap_inheritable'], CAP_PERMITTED: ['cap_permitted'], CAP_EFFECTIVE: ['cap_effective'],
  HOME: ['home'], SHELL: ['shell'], CONTAINER_ID: ['container_id'], EUID: ['euid', 'egid'], CREAT_FLAGS: ['creat_flags'],
  REAPER_TID: ['reaper_tid'],
};

const CLONE_NAMES = new Set(['clone', 'fork', 'vfork', 'clone3']);
/** Exits that create, write, chmod or rename a file, or name it by another fd (assembly/file_events.ts). */
const FILE_KINDS = new Map<string, string>([
  ...['open', 'openat', 'openat2', 'creat'].map((n) => [n, 'FILE_OPEN'] as const),
  ...['write', 'pwrite', 'writev', 'pwritev', 'copy_file_range', 'sendfile', 'splice'].map((n) => [n, 'FILE_WRITE'] as const),
  ...['chmod', 'fchmodat', 'fchmod'].map((n) => [n, 'FILE_CHMOD'] as const),
  ...['rename', 'renameat', 'renameat2', 'link', 'linkat'].map((n) => [n, 'FILE_RENAME'] as const),
  ['memfd_create', 'FILE_MEMFD'],
  ...['dup', 'dup2', 'dup3'].map((n) => [n, 'FILE_DUP'] as const),
]);
/** libsinsp sinsp::is_initialstate_event: consumed at open, never numbered. */
const INITIAL_STATE_IDS = new Set<number>([
  PPME.PPME_CONTAINER_JSON_2_E, PPME.PPME_USER_ADDED_E, PPME.PPME_USER_DELETED_E,
  PPME.PPME_GROUP_ADDED_E, PPME.PPME_GROUP_DELETED_E, PPME.PPME_ASYNCEVENT_E,
]);

/** The kind of event `id` (assembly/event_info.ts KIND_<name>, read from the Wasm by name). */
function kindOf(id: number, fdActions: ReadonlyMap<number, string>): string {
  const info = eventInfo(id);
  if (!info || info.params.length === 0) {
    return info && (info.name === 'procexit') && info.direction === '>' ? 'PROCEXIT' : 'OTHER';
  }
  if (INITIAL_STATE_IDS.has(id)) return 'INITIAL_STATE';
  if (info.direction === '>') return info.name === 'procexit' ? 'PROCEXIT' : 'OTHER';
  if (CLONE_NAMES.has(info.name)) return 'CLONE';
  if (info.name === 'execve' || info.name === 'execveat') return 'EXECVE';
  if (info.name === 'setsid') return 'SETSID';
  if (info.name === 'capset') return 'CAPSET';
  if (/^set(res|re)?uid$/.test(info.name)) return 'SETUID';
  if (/^set(res|re)?gid$/.test(info.name)) return 'SETGID';
  return FILE_KINDS.get(info.name) ?? (fdActions.get(id)! !== 'NONE' ? 'FD' : 'OTHER');
}

/**
 * The evt.category code (suffix of the Wasm's CAT_* globals, which hold the names) of an event
 * table category (libsinsp TYPE_CATEGORY's switch on the low bits of enum ppm_event_category).
 */
function categoryCode(category: number): string {
  const c = category & (EC.EC_SYSCALL - 1);
  if (c >= EC.EC_IO_READ && c <= EC.EC_IO_OTHER) return 'IO';
  const name = (Object.keys(EC) as (keyof typeof EC)[]).find((k) => EC[k] === c && k !== 'EC_IO_BASE');
  return name && name !== 'EC_SYSCALL' ? name.slice(3) : 'UNKNOWN';
}

/**
 * Describes the event table to a decoder through `ex`'s setters; `g` reads one of its exported
 * globals (KIND_*, ROLE_*, FD_ACT_*, SCAP_FD_*, FSP_*, CAT_*, CRED_OP_*) by name.
 */
export function describeDecoder(ex: DescriptionCalls, g: (name: string) => number): void {
  const fdEvents = fdEventDescriptions();
  const fdActions = new Map(fdEvents.map((d) => [d.id, d.action]));
  const roleOfParam = new Map(Object.entries(ROLE_PARAM_NAMES).flatMap(([role, names]) => names.map((name) => [name, g(`ROLE_${role}`)] as const)));
  for (let id = 0; id < EVENT_COUNT; id++) {
    const info = eventInfo(id)!;
    ex.setEventInfo(id, g(`KIND_${kindOf(id, fdActions)}`), info.params.length, (info.flags & EF.EF_LARGE_PAYLOAD) !== 0 ? 1 : 0);
    if (info.name === 'vfork' && info.direction === '<') ex.setVforkEvent(id);
    info.params.forEach((p, index) => {
      ex.setParamWidth(id, index, fixedWidthBytes(p.type));
      const role = roleOfParam.get(p.name);
      if (role !== undefined) ex.setEventRole(id, role, index);
    });
  }
  // User and group events (assembly/users.ts CRED_OP_*).
  ex.setCredentialEvent(PPME.PPME_USER_ADDED_E, g('CRED_OP_USER_ADDED'));
  ex.setCredentialEvent(PPME.PPME_USER_DELETED_E, g('CRED_OP_USER_DELETED'));
  ex.setCredentialEvent(PPME.PPME_GROUP_ADDED_E, g('CRED_OP_GROUP_ADDED'));
  ex.setCredentialEvent(PPME.PPME_GROUP_DELETED_E, g('CRED_OP_GROUP_DELETED'));
  for (const d of fdEvents) {
    const flags = (d.creates ? EF.EF_CREATES_FD : 0) | (d.destroys ? EF.EF_DESTROYS_FD : 0) | (d.uses ? EF.EF_USES_FD : 0);
    ex.setFdEvent(d.id, g(`FD_ACT_${d.action}`), d.location ?? g('FD_PARAM_NONE'), flags, d.newType ? g(`SCAP_FD_${d.newType}`) : 0, d.typechar.charCodeAt(0));
    ex.setDirfdParam(d.id, d.dirfd ?? g('FD_PARAM_NONE'));
  }
  for (const d of fsPathDescriptions()) {
    ex.setFsPathEvent(d.id, g(d.ok === 'res' ? 'FSP_OK_RES_ZERO' : 'FSP_OK_FD_NOT_MINUS_1'), d.okParam);
    d.roles.forEach((r, role) => { if (r) ex.setFsPathRole(d.id, role, r.param < 0 ? g('FSP_FD_NAME') : r.param, g(`FSP_DIR_${r.dir}`), r.dirfd); });
  }
  for (let id = 0; id < EVENT_COUNT; id++) ex.setEventCategory(id, g(`CAT_${categoryCode(eventInfo(id)!.category)}`));
  ex.setGenericExitEvent(PPME.PPME_GENERIC_X);
  NATIVE_TO_PPM_SC.forEach((sc, native) => ex.setNativeSyscall(native, sc));
}

/**
 * build/decoder_tables.bin: the calls of {@link describeDecoder} as assembly/description.ts applies them: for each call its
 * DESC_* opcode (read by `g`), then its arguments as the JavaScript-to-Wasm call converts them
 * (ToInt32, stored as u32); after a header naming the {@link fingerprint} `wasm` of the Wasm
 * module whose globals `g` reads, the number of call words and their fingerprint (a stale or
 * changed file is refused at load: ts/pipeline/wasm.ts staleDescription).
 */
export function encodeDescription(g: (name: string) => number, wasm: number): Uint32Array {
  const words: number[] = [DESCRIPTION_MAGIC, wasm, 0, 0];
  const recorder = Object.fromEntries(Object.entries(OPCODE_GLOBALS).map(([method, global]) => {
    const op = g(global);
    return [method, (...args: number[]) => { words.push(op, ...args.map((a) => a | 0)); }];
  })) as unknown as DescriptionCalls;
  describeDecoder(recorder, g);
  const out = Uint32Array.from(words, (w) => w >>> 0);
  out[2] = out.length - DESCRIPTION_HEADER_WORDS;
  out[3] = fingerprint(new Uint8Array(out.buffer, DESCRIPTION_HEADER_WORDS * 4));
  return out;
}
