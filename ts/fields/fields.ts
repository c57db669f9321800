/**
 * The fields scapdrift extracts, named as Falco/libsinsp name them
 * (libs userspace/libsinsp/sinsp_filtercheck_{event,thread}.cpp), with type,
 * unit and meaning. A field whose value the event or its thread does not have
 * is missing (`null`, printed `<NA>`), never 0.
 */
import type { EventView } from './event_view.js';
import { Has, StrSlot } from '../pipeline/wasm.js';
import { paramText, paramPairText, paramValue, rawargText, readInt, type FieldValue } from './param_format.js';
import { errnoText } from './errno.js';
import { escapeBytes, escapeText } from './escape.js';
import { isOpen, openKind, type OpenField } from './open_kind.js';
import { EC, PPME, PT } from '../events/ppm_constants.js';
import { F, ARG_ANY } from '../filter/layout.js';
import { PPM_SC_UNKNOWN, genericSyscall, syscallName } from '../events/syscalls.js';
import { enforcedDecision, enforcedPolicies } from '../enforce/abi.js';
import { localSecondText, nanosText } from './clock.js';

export type { FieldValue };

/** Value types, as `scapdrift fields` lists them. */
export type FieldType = 'u64' | 'i64' | 'u32' | 'string' | 'bool' | 'abstime' | 'reltime';

/** One extractable field. */
export interface FieldDef {
  name: string;
  type: FieldType;
  /** Unit of numeric values ("epoch ns", "ns", ...), empty when none. */
  unit: string;
  description: string;
  /** Takes an argument: `evt.arg.NAME` or `evt.arg[N]`. */
  takesArg?: boolean;
  /** Takes an optional ancestor index: `proc.aname[2]`, or `proc.aname` for every ancestor. */
  indexArg?: boolean;
  /** Takes a key in brackets: `container.mount.dest[/etc]`, `k8s.pod.label[app]`. */
  keyArg?: boolean;
  /** A list (libsinsp EPF_IS_LIST): its text is "(a,b)", its JSON an array. */
  list?: boolean;
  /** The value for filters and JSON. */
  extract(v: EventView, arg?: string): FieldValue;
  /** Text for `-p` output when it differs from String(value). */
  text?(v: EventView, arg?: string): string;
}

// PPM_EXE_* flags (libs driver/ppm_events_public.h).
const PPM_EXE_WRITABLE = 1;
const PPM_EXE_UPPER_LAYER = 2;
const PPM_EXE_FROM_MEMFD = 4;
const PPM_EXE_LOWER_LAYER = 8;
/** scapdrift's own execve flag: a `#!` script (assembly/lifecycle.ts SD_PPM_EXE_SCRIPT). */
export const SD_PPM_EXE_SCRIPT = 0x8000_0000;

/** The exec flags of an exec exit written by scapdrift's loader (the enforcement bits are its own), else null. */
function execExitFlags(v: EventView): number | null {
  if (!v.scriptFlagKnown || !rec(v) || !v.info || v.info.direction !== '<' || (v.info.name !== 'execve' && v.info.name !== 'execveat')) return null;
  return v.recU32(v.layout.exeFlags);
}

function rec(v: EventView): boolean {
  return v.thread() !== 0;
}
function present(v: EventView, bit: number): boolean {
  return rec(v) && (v.recU32(v.layout.presence) & bit) !== 0;
}
function exeFlag(v: EventView, flag: number): FieldValue {
  if (!rec(v)) return null;
  return ((v.recU32(v.layout.exeFlags) & flag) >>> 0) !== 0;
}
/** A value of the exe origin (assembly/drift.ts), present when presence bit `bit` is set. */
function origin<T>(v: EventView, bit: number, read: () => T): T | null {
  return present(v, bit) ? read() : null;
}
function str(v: EventView, slot: number): FieldValue {
  return rec(v) ? escapeBytes(v.recStringBytes(slot)) : null;
}
/** Arguments after argv[0], space-separated (the args parameter is NUL-separated). */
function args(v: EventView): FieldValue {
  if (!rec(v)) return null;
  const b = v.recStringBytes(StrSlot.ARGS);
  return escapeBytes(b, 0, b.length, 0, ' ');
}
/** The thread record of the parent of this thread's process (as proc.ppid finds it), or 0. */
function parentRecord(v: EventView): number {
  if (!rec(v)) return 0;
  const L = v.layout;
  const main = v.lookup(v.recI64(L.pid)) || v.thread();
  return v.lookup(v.i64At(main, L.ptid));
}
/**
 * proc.ppid as libsinsp computes it (get_ancestor_process): the pid of the main
 * thread of the parent of this thread's main thread; missing when either is unknown.
 */
function parentPid(v: EventView): FieldValue {
  const L = v.layout;
  const parent = parentRecord(v);
  if (parent === 0) return null;
  const parentMain = v.lookup(v.i64At(parent, L.pid)) || parent;
  return v.i64At(parentMain, L.pid);
}
/**
 * container.start_ts: in its own pid namespace, the namespace's start (libsinsp's value);
 * in the host's (docker run --pid=host), the first process seen entering the container
 * (assembly/container_id.ts), missing when the container was already running.
 */
function containerStart(v: EventView): bigint | null {
  if (!rec(v) || v.recU32(v.layout.containerIdLen) === 0) return null;
  const L = v.layout;
  if (present(v, Has.IN_OWN_PIDNS)) return present(v, Has.PIDNS_INIT_START_TS) ? v.recU64(L.pidnsInitStartTs) : null;
  return present(v, Has.CONTAINER_START) ? v.recU64(L.containerStartTs) : null;
}
/**
 * The return value is parameter 0 of a syscall exit event, whatever its name
 * (res, fd, ...); the generic "syscall" exit has none (libsinsp sinsp_evt::has_return_value).
 */
function resIndex(v: EventView): number {
  const info = v.info;
  if (!info || info.direction !== '<' || (info.category & EC.EC_SYSCALL) === 0 || v.type === PPME.PPME_GENERIC_X || v.nparams === 0) return -1;
  return 0;
}
/** evt.type: the event's name, or for a generic exit its syscall's (ts/events/syscalls.ts). */
function eventType(v: EventView): string {
  if (v.type !== PPME.PPME_GENERIC_X) return v.info?.name ?? `unknown(${v.type})`;
  const id = v.param(0);
  const native = v.param(1);
  const sc = id?.length === 2 ? readInt(id, false) as number : PPM_SC_UNKNOWN;
  return syscallName(genericSyscall(sc, native?.length === 2 ? readInt(native, false) as number : undefined));
}
/** evt.is_open_*: the event's open flags, mode and result, read as libsinsp reads them (ts/fields/open_kind.ts). */
function openField(v: EventView, field: OpenField): boolean {
  const kind = openKind(v.type);
  if (kind === undefined) return false;
  const num = (name: string): number | undefined => { const b = v.param(v.paramIndex(name)); const n = b && b.length > 0 ? readInt(b, false) : null; return n === null ? undefined : Number(n); };
  const res = v.param(resIndex(v));
  const r = res ? readInt(res, true) : null;
  return isOpen(field, kind, num('flags'), num('mode'), r === null ? undefined : BigInt(r), v.info?.name === 'open_by_handle_at');
}
/** evt.time.iso8601 (libsinsp sinsp_utils::ts_to_iso_8601: "%FT%T", nanoseconds, "%z" of UTC). */
function iso8601(ts: bigint): string {
  const s = new Date(Number(ts / 1_000_000n)).toISOString().slice(0, 19);
  return `${s}.${String(ts % 1_000_000_000n).padStart(9, '0')}+0000`;
}
/** evt.args as libsinsp's TYPE_ARGS writes it. */
function eventArgs(v: EventView): string {
  if (v.type === PPME.PPME_GENERIC_X) return '';
  const parts: string[] = [];
  const fdText = (fd: bigint): string | undefined => v.fdText(fd);
  for (let i = 0; i < v.nparams; i++) parts.push(paramPairText(v.info?.params[i], v.info?.params[i]?.name ?? `arg${i}`, v.param(i)!, fdText));
  return parts.join(' ');
}
function argIndex(v: EventView, arg: string | undefined): number {
  if (arg === undefined) return -1;
  const m = /^\[?(\d+)\]?$/.exec(arg);
  return m ? Number(m[1]) : v.paramIndex(arg);
}

// Fields of the process state (ancestry, session, environment, capabilities), computed once,
// in Wasm, by the loaders conditions use (assembly/filter/fields.ts); here only named and typed.
/** The ancestor index of `arg` (digits) for the Wasm loaders: ARG_ANY when there is none. */
export function ancestorArg(arg: string | undefined): number {
  return arg === undefined ? ARG_ANY : Math.min(Number(arg), ARG_ANY - 1);
}
const wasmString = (id: number) => (v: EventView, arg?: string): FieldValue => {
  const b = v.wasmBytes(id, ancestorArg(arg));
  return b === null ? null : escapeBytes(b);
};
const wasmI64 = (id: number) => (v: EventView, arg?: string): FieldValue => v.wasmNumber(id, ancestorArg(arg));
const wasmU32 = (id: number) => (v: EventView): FieldValue => {
  const n = v.wasmNumber(id, 0);
  return n === null ? null : Number(n);
};
const wasmBool = (id: number) => (v: EventView): FieldValue => {
  const n = v.wasmNumber(id, 0);
  return n === null ? null : n !== 0n;
};
const ANCESTOR_INDEX = 'With [N], the Nth ancestor process (0: this process, 1: its parent); without, every ancestor nearest first, space-separated, and in a condition true when any ancestor matches (libsinsp).';
const CAPS = 'Capability names of the set bits, space-separated, as libsinsp prints them (CAP_CHOWN CAP_KILL ...); from the process list, execve and capset; empty when the capture carries none.';

/**
 * The container plugin's fields (falcosecurity/plugins `plugins/container`) that need the
 * runtime's metadata: name, type, and whether it takes a key (`container.label[app]`).
 * container.id, container.start_ts and container.duration are scapdrift's own (above).
 */
export const CONTAINER_PLUGIN_FIELDS: readonly (readonly [string, FieldType, boolean?])[] = [
  ['container.full_id', 'string'], ['container.name', 'string'], ['container.image', 'string'],
  ['container.image.id', 'string'], ['container.type', 'string'], ['container.privileged', 'bool'],
  ['container.mounts', 'string'], ['container.mount', 'string', true], ['container.mount.source', 'string', true],
  ['container.mount.dest', 'string', true], ['container.mount.mode', 'string', true], ['container.mount.rdwr', 'string', true],
  ['container.mount.propagation', 'string', true], ['container.image.repository', 'string'], ['container.image.tag', 'string'],
  ['container.image.digest', 'string'], ['container.healthcheck', 'string'], ['container.liveness_probe', 'string'],
  ['container.readiness_probe', 'string'], ['container.ip', 'string'], ['container.cni.json', 'string'],
  ['container.host_pid', 'bool'], ['container.host_network', 'bool'], ['container.host_ipc', 'bool'],
  ['container.label', 'string', true], ['container.labels', 'string'], ['container.user', 'string'],
  ['k8s.pod.name', 'string'], ['k8s.pod.id', 'string'], ['k8s.pod.uid', 'string'], ['k8s.pod.sandbox_id', 'string'],
  ['k8s.pod.full_sandbox_id', 'string'], ['k8s.pod.label', 'string', true], ['k8s.pod.labels', 'string'],
  ['k8s.pod.ip', 'string'], ['k8s.pod.cni.json', 'string'], ['k8s.ns.name', 'string'],
  ['proc.is_container_healthcheck', 'bool'], ['proc.is_container_liveness_probe', 'bool'],
  ['proc.is_container_readiness_probe', 'bool'],
];

/** An unsigned number printed in upper-case hex, as libsinsp prints PF_HEX fields (fd.dev: FE00). */
const wasmHex = (id: number) => (v: EventView): string => {
  const n = v.wasmNumber(id, 0);
  return n === null ? '<NA>' : n.toString(16).toUpperCase();
};
const FD_OF = 'of the event\'s fd (the fd it opens, or its fd parameter: libsinsp m_lastevent_fd)';
/**
 * The fd.* fields (libs sinsp_filtercheck_fd.cpp), computed in Wasm from the process's fd table
 * (assembly/fd_table.ts, assembly/filter/fd_fields.ts). Missing on events that neither create,
 * use nor destroy an fd.
 */
const FD_FIELDS: FieldDef[] = [
  { name: 'fd.num', type: 'i64', unit: '', description: `Number ${FD_OF}; -1 when it has none (a failed open).`, extract: wasmI64(F.FD_NUM) },
  { name: 'fd.type', type: 'string', unit: '', description: 'Type of the fd: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, memfd, pidfd, ...', extract: wasmString(F.FD_TYPE) },
  { name: 'fd.typechar', type: 'string', unit: '', description: 'Type of the fd as one character (f d 4 6 u p e s l i t n m P; o for unknown); of the event type when the fd is not in the table.', extract: wasmString(F.FD_TYPECHAR) },
  { name: 'fd.name', type: 'string', unit: '', description: 'Full name of the fd: the absolute path of a file (a relative open resolved against the cwd or its dirfd), the tuple of a socket (1.2.3.4:5->6.7.8.9:80), the path of a unix socket; for a failed open, the path asked for.', extract: wasmString(F.FD_NAME) },
  { name: 'fd.directory', type: 'string', unit: '', description: 'Directory of a file fd (fd.name up to its last /), the name of a directory fd.', extract: wasmString(F.FD_DIRECTORY) },
  { name: 'fd.filename', type: 'string', unit: '', description: 'File name of a file fd (fd.name after its last /).', extract: wasmString(F.FD_FILENAME) },
  { name: 'fd.ino', type: 'u64', unit: '', description: 'Inode of the fd (open exits with dev/ino, pipes, the capture\'s fd lists); 0 when unknown.', extract: wasmI64(F.FD_INO) },
  { name: 'fd.dev', type: 'u32', unit: '', description: 'Device of a file fd as libs encodes it, printed in hex as libsinsp (FE00).', extract: wasmU32(F.FD_DEV), text: wasmHex(F.FD_DEV) },
  { name: 'fd.sip', type: 'string', unit: '', description: 'Server IP address of a connected or listening inet socket.', extract: wasmString(F.FD_SIP) },
  { name: 'fd.sport', type: 'u32', unit: '', description: 'Server port of a connected or listening inet socket.', extract: wasmU32(F.FD_SPORT) },
  { name: 'fd.cip', type: 'string', unit: '', description: 'Client IP address of a connected inet socket.', extract: wasmString(F.FD_CIP) },
  { name: 'fd.cport', type: 'u32', unit: '', description: 'Client port of a connected inet socket.', extract: wasmU32(F.FD_CPORT) },
  { name: 'fd.l4proto', type: 'string', unit: '', description: 'Layer-4 protocol of an inet socket: tcp, udp, icmp, raw.', extract: wasmString(F.FD_L4PROTO) },
  { name: 'fd.sockfamily', type: 'string', unit: '', description: 'ip for inet sockets, unix for unix sockets.', extract: wasmString(F.FD_SOCKFAMILY) },
  { name: 'fd.nameraw', type: 'string', unit: '', description: 'Name of the fd as the open passed it, before resolution against the cwd or dirfd.', extract: wasmString(F.FD_NAMERAW) },
  { name: 'fd.lip', type: 'string', unit: '', description: 'Local IP address of a connected inet socket: the source of a connect, the destination of an accept (libsinsp asks the capture\'s interface list; scapdrift goes by the side that made the connection).', extract: wasmString(F.FD_LIP) },
  { name: 'fd.rip', type: 'string', unit: '', description: 'Remote IP address of a connected inet socket (the other side of fd.lip).', extract: wasmString(F.FD_RIP) },
  { name: 'fd.lport', type: 'u32', unit: '', description: 'Local port of a connected inet socket (as fd.lip).', extract: wasmU32(F.FD_LPORT) },
  { name: 'fd.rport', type: 'u32', unit: '', description: 'Remote port of a connected inet socket (as fd.rip).', extract: wasmU32(F.FD_RPORT) },
  { name: 'fd.is_server', type: 'bool', unit: '', description: 'The fd is a listening socket, or the server side of a connection (an accepted one).', extract: wasmBool(F.FD_IS_SERVER) },
  { name: 'fd.connected', type: 'bool', unit: '', description: 'The socket is connected (connect, accept, a TCP socket of the capture\'s fd lists).', extract: wasmBool(F.FD_CONNECTED) },
  { name: 'fd.name_changed', type: 'bool', unit: '', description: 'The event gave its fd a name it did not have (an open, an accept, a connect that named the socket by its tuple).', extract: wasmBool(F.FD_NAME_CHANGED) },
  ...([
    ['fd.cproto', F.FD_CPROTO, 'Client port of a connected inet socket as text (libsinsp port_to_string without name resolution: 443); empty for a connected socket of another family.'],
    ['fd.sproto', F.FD_SPROTO, 'Server port of a connected inet socket as text; empty for a listening socket, as libsinsp.'],
    ['fd.lproto', F.FD_LPROTO, 'Local port of a connected inet socket as text (as fd.lport).'],
    ['fd.rproto', F.FD_RPROTO, 'Remote port of a connected inet socket as text (as fd.rport).'],
    ['fd.uid', F.FD_UID, 'The thread id followed by fd.num, without a separator (tid 1442, fd 3: 14423), as libsinsp.'],
    ['fd.containername', F.FD_CONTAINERNAME, "container.id of the thread (empty for the host, as libsinsp's thread table holds it), ':', then fd.name."],
    ['fd.containerdirectory', F.FD_CONTAINERDIRECTORY, "container.id of the thread (empty for the host), ':', then fd.directory."],
  ] as const).map(([name, id, description]): FieldDef => ({ name, type: 'string', unit: '', description, extract: wasmString(id) })),
  { name: 'fd.types', type: 'string', unit: '', indexArg: true, list: true, description: "List of the types of the process's fds, each once, printed (file,pipe,ipv4) — ordered by lowest fd number (libsinsp: its hash table's order); with [N], of fd N alone. In a condition a list: in (every type is one of the values), intersects (one is), exists.", extract: wasmString(F.FD_TYPES) },
  { name: 'fd.dev.major', type: 'u32', unit: '', description: 'Major number of fd.dev.', extract: wasmU32(F.FD_DEV_MAJOR) },
  { name: 'fd.dev.minor', type: 'u32', unit: '', description: 'Minor number of fd.dev.', extract: wasmU32(F.FD_DEV_MINOR) },
  { name: 'fd.is_upper_layer', type: 'bool', unit: '', description: "The file was opened from an overlayfs upper layer (the open exit's PPM_FD_UPPER_LAYER flag).", extract: wasmBool(F.FD_IS_UPPER_LAYER) },
  { name: 'fd.is_lower_layer', type: 'bool', unit: '', description: "The file was opened from an overlayfs lower layer (PPM_FD_LOWER_LAYER).", extract: wasmBool(F.FD_IS_LOWER_LAYER) },
  ...([
    ['fd.ip', 'Filter only: an IPv4 address that either side of the socket has (= and in: either; != : neither), as libsinsp.'],
    ['fd.port', 'Filter only: a port that either side of the socket has.'],
    ['fd.proto', 'Filter only: as fd.port (libsinsp compares it as the port).'],
    ['fd.net', 'Filter only: an IPv4 network (CIDR, 10.0.0.0/8) that either side\'s address is in.'],
    ['fd.snet', 'Filter only: an IPv4 network the server address (fd.sip) is in.'],
    ['fd.cnet', 'Filter only: an IPv4 network the client address (fd.cip) is in.'],
    ['fd.lnet', 'Filter only: an IPv4 network the local address (fd.lip) is in.'],
    ['fd.rnet', 'Filter only: an IPv4 network the remote address (fd.rip) is in.'],
  ] as const).map(([name, description]): FieldDef => ({ name, type: 'string', unit: '', description, extract: () => null })),
  ...(['fd.sip.name', 'fd.cip.name', 'fd.lip.name', 'fd.rip.name'] as const).map((name): FieldDef => ({
    name, type: 'string', unit: '', extract: () => null,
    description: 'Domain name of that address, from DNS: libsinsp\'s DNS manager resolves it live; reading a capture there is none. Always missing.',
  })),
];

const FS_RESOLVED = 'resolved as libsinsp: an absolute path normalised (".", "..", "//"); a relative one under the cwd, or for mkdirat, unlinkat, fchmodat, fchownat and symlinkat the dirfd (a directory in the fd table, else "<UNKNOWN>" before it), renameat2 its olddirfd/newdirfd, openat/openat2 the name of the fd it opened';
const FS_WHEN = 'Only when the syscall succeeded (res = 0; open, openat, openat2: fd ≠ -1, so ENOENT passes). Source: libsinsp sinsp_filtercheck_fspath.cpp (computed in Wasm, assembly/filter/fspath_fields.ts).';
const FS_RAW = 'as the syscall got it (not resolved; an empty path reads "<NA>")';
/**
 * The fs.path.* fields (libs sinsp_filtercheck_fspath.cpp), computed in Wasm
 * (assembly/filter/fspath_fields.ts; per event ts/events/fspath_events.ts). Missing on other
 * events and when the syscall failed (res ≠ 0; for open/openat/openat2 fd = -1).
 */
const FS_PATH_FIELDS: FieldDef[] = ([
  ['fs.path.name', F.FS_PATH_NAME, `Path a filesystem syscall operates on (mkdir, mkdirat, rmdir, unlink, unlinkat, open, openat, openat2, chmod, fchmodat, chown, lchown, fchownat, umount, quotactl's special; fchmod and fchown: fd.name), ${FS_RESOLVED}.`],
  ['fs.path.nameraw', F.FS_PATH_NAMERAW, `fs.path.name ${FS_RAW}.`],
  ['fs.path.source', F.FS_PATH_SOURCE, `Source path of rename, renameat, renameat2 (oldpath), link and linkat (newpath: the new link), symlink and symlinkat (linkpath), mount (dev), ${FS_RESOLVED}.`],
  ['fs.path.sourceraw', F.FS_PATH_SOURCERAW, `fs.path.source ${FS_RAW}.`],
  ['fs.path.target', F.FS_PATH_TARGET, `Target path of rename, renameat, renameat2 (newpath), link and linkat (oldpath: the existing file), symlink and symlinkat (target: for symlinkat a relative target reads "<UNKNOWN>" before it, as libsinsp), mount (dir), ${FS_RESOLVED}.`],
  ['fs.path.targetraw', F.FS_PATH_TARGETRAW, `fs.path.target ${FS_RAW}.`],
] as const).map(([name, id, description]): FieldDef => ({ name, type: 'string', unit: '', description: `${description} ${FS_WHEN}`, extract: wasmString(id) }));

/** Local wall-clock time of an epoch-ns timestamp, with ns: "HH:MM:SS.nnnnnnnnn". */
export function clockText(ts: bigint): string {
  return `${localSecondText(Number(ts / 1_000_000_000n), false)}.${nanosText(ts)}`;
}
function dateText(ts: bigint): string {
  return `${localSecondText(Number(ts / 1_000_000_000n), true)}.${nanosText(ts)}`;
}

const defs: FieldDef[] = [
  { name: 'evt.num', type: 'u64', unit: '', description: 'Event number, from 1 in file order, as libsinsp counts (the leading user/group events included, though never shown).', extract: (v) => v.num },
  { name: 'evt.time', type: 'string', unit: '', description: 'Event time of day, local time, with nanoseconds.', extract: (v) => clockText(v.ts) },
  { name: 'evt.datetime', type: 'string', unit: '', description: 'Event date and time, local time, with nanoseconds.', extract: (v) => dateText(v.ts) },
  { name: 'evt.time.iso8601', type: 'string', unit: '', description: 'Event time in ISO 8601, UTC, with nanoseconds (2026-11-29T19:07:31.421539124+0000), as libsinsp.', extract: (v) => iso8601(v.ts) },
  { name: 'evt.hostname', type: 'string', unit: '', description: "Host name of the capture's machine-info block; missing when the capture has none.", extract: (v) => (v.hostname === undefined ? null : escapeText(v.hostname)) },
  { name: 'evt.rawtime', type: 'abstime', unit: 'epoch ns', description: 'Event timestamp.', extract: (v) => v.ts },
  { name: 'evt.type', type: 'string', unit: '', description: "Event name (libs event table), e.g. execve; a generic syscall exit (libs' syscall event) is named by its syscall, e.g. fadvise64, as libsinsp does.", extract: eventType },
  { name: 'evt.dir', type: 'string', unit: '', description: "'>' for enter events, '<' for exit events.", extract: (v) => v.info?.direction ?? null },
  { name: 'evt.cpu', type: 'u32', unit: '', description: 'CPU that produced the event.', extract: (v) => v.cpu },
  {
    name: 'evt.res', type: 'string', unit: '', description: 'Return value as libsinsp prints it: SUCCESS when ≥ 0, else the errno name (ENOENT); evt.rawres has the number.',
    extract: (v) => { const b = v.param(resIndex(v)); const n = b ? readInt(b, true) : null; return n === null ? null : errnoText(BigInt(n)); },
  },
  {
    name: 'evt.failed', type: 'bool', unit: '', description: 'The syscall returned an error (return value < 0); missing for an event without a return value, as libsinsp.',
    extract: (v) => { const b = v.param(resIndex(v)); const n = b ? readInt(b, true) : null; return n === null ? null : BigInt(n) < 0n; },
  },
  ...(['read', 'write', 'create', 'exec'] as const).map((f): FieldDef => ({
    name: `evt.is_open_${f}`, type: 'bool', unit: '', extract: (v) => openField(v, f),
    description: {
      read: 'An open, openat, openat2 or open_by_handle_at exit whose flags ask for reading (PPM O_RDONLY bit); false for any other event.',
      write: 'An open-family exit whose flags ask for writing (PPM O_WRONLY bit); false for any other event.',
      create: 'An open-family exit that created the file (O_F_CREATED, or O_TMPFILE and it succeeded); false for any other event.',
      exec: 'An open-family exit with O_CREAT or O_TMPFILE whose mode has an execute bit, or a creat exit whose mode has one; false for any other event.',
    }[f],
  })),
  {
    name: 'evt.rawres', type: 'i64', unit: '', description: 'Return value as a number.',
    extract: (v) => { const b = v.param(resIndex(v)); return b ? readInt(b, true) : null; },
  },
  {
    name: 'evt.arg', type: 'string', unit: '', takesArg: true, description: 'A parameter by name (evt.arg.flags) or position (evt.arg[2]) as libsinsp renders it: flags and modes by name (O_RDONLY|O_CLOEXEC), errnos (ENOENT), AT_FDCWD, signals, octal modes, addresses (1.2.3.4:80), an fd as its type and name (<f>/etc/passwd, from the fd table); compared as that text (an fd the table knows as <f>/etc/passwd, one it does not as its number). Not resolved yet: pid comms, user names (the number).',
    extract: (v, a) => { const i = argIndex(v, a); const b = v.param(i); return b ? paramText(v.info?.params[i], b, (fd) => v.fdText(fd)) : null; },
  },
  {
    name: 'evt.rawarg', type: 'string', unit: '', takesArg: true, description: 'A parameter by name or position as its raw value: numbers compare as numbers (printed in the parameter\'s print format, e.g. hex flags 1001), strings as they are.',
    extract: (v, a) => { const i = argIndex(v, a); const b = v.param(i); return b ? paramValue(v.info?.params[i], b) : null; },
    text: (v, a) => { const i = argIndex(v, a); const b = v.param(i); return b ? rawargText(v.info?.params[i], b) : '<NA>'; },
  },
  {
    name: 'evt.buffer', type: 'string', unit: '', description: 'The data buffer of an event that has one (the data parameter of read, write, sendto, recvfrom, ...): its bytes, non-printable ones shown as "." (libsinsp\'s default buffer format).',
    extract: (v) => { const i = v.paramIndex('data'); const b = v.param(i); return b && v.info?.params[i]?.type === PT.PT_BYTEBUF ? paramValue(v.info.params[i], b) : null; },
  },
  { name: 'evt.category', type: 'string', unit: '', description: 'Category of the event (libs event table): file, net, IPC, memory, process, sleep, system, signal, user, time, processing, wait, scheduler, internal, other; for I/O events (read, write, ...) file, net or ipc by the type of their fd, unknown when it is not in the fd table or of another type (memfd, eventpoll, ...), as libsinsp; computed in Wasm (assembly/filter/category.ts), usable in conditions.', extract: wasmString(F.EVT_CATEGORY) },
  { name: 'evt.args', type: 'string', unit: '', description: 'All parameters as name=value, with what a value resolves to in parentheses (fd=-2(ENOENT) flags=4097(O_RDONLY|O_CLOEXEC)), as libsinsp; empty for a generic syscall exit.', extract: eventArgs },
  { name: 'evt.info', type: 'string', unit: '', description: 'libsinsp\'s event information: for syscall events evt.args.', extract: eventArgs },
  { name: 'thread.tid', type: 'i64', unit: '', description: 'Thread id (host pid namespace).', extract: (v) => v.tid },
  { name: 'proc.tid', type: 'i64', unit: '', description: 'Alias of thread.tid.', extract: (v) => v.tid },
  { name: 'proc.pid', type: 'i64', unit: '', description: 'Process id (thread group id, host pid namespace).', extract: (v) => (rec(v) ? v.recI64(v.layout.pid) : null) },
  { name: 'proc.ppid', type: 'i64', unit: '', description: 'Pid of the parent process (missing when the parent is not in the thread table).', extract: parentPid },
  { name: 'proc.vpid', type: 'i64', unit: '', description: 'Process id in its own pid namespace.', extract: (v) => (present(v, Has.VPID) ? v.recI64(v.layout.vpid) : null) },
  { name: 'thread.vtid', type: 'i64', unit: '', description: 'Thread id in its own pid namespace.', extract: (v) => (rec(v) ? v.recI64(v.layout.vtid) : null) },
  { name: 'proc.name', type: 'string', unit: '', description: 'Command name (task comm, up to 16 bytes).', extract: (v) => str(v, StrSlot.COMM) },
  { name: 'proc.exe', type: 'string', unit: '', description: 'argv[0] of the last execve.', extract: (v) => str(v, StrSlot.EXE) },
  { name: 'proc.exepath', type: 'string', unit: '', description: 'Full path of the executable (execve trusted_exepath, or /proc/PID/exe at capture start); ends in " (deleted)" when the file was unlinked and the driver says so (scapdrift\'s, libs\' kernel module).', extract: (v) => str(v, StrSlot.EXEPATH) },
  { name: 'proc.args', type: 'string', unit: '', description: 'Arguments after argv[0], space-separated.', extract: args },
  {
    name: 'proc.cmdline', type: 'string', unit: '', description: 'proc.name followed by proc.args.',
    extract: (v) => { const n = str(v, StrSlot.COMM); const a = args(v); return n === null ? null : a ? `${n} ${a}` : n; },
  },
  { name: 'proc.cwd', type: 'string', unit: '', description: 'Current working directory.', extract: (v) => str(v, StrSlot.CWD) },
  { name: 'proc.pid.ts', type: 'abstime', unit: 'epoch ns', description: 'Start of the thread: its clone exit timestamp (missing for threads from the process list).', extract: (v) => (present(v, Has.CLONE_TS) ? v.recU64(v.layout.cloneTs) : null) },
  { name: 'user.uid', type: 'u32', unit: '', description: 'User id of the thread.', extract: (v) => (present(v, Has.UID) ? v.recU32(v.layout.uid) : null) },
  { name: 'user.loginuid', type: 'i64', unit: '', description: 'Audit login uid (-1 when unset).', extract: (v) => (present(v, Has.LOGINUID) ? v.recU32(v.layout.loginuid) | 0 : null) },
  { name: 'proc.exe_ino', type: 'u64', unit: '', description: 'Inode number of the executable (mm->exe_file).', extract: (v) => (present(v, Has.EXE_INO) ? v.recU64(v.layout.exeIno) : null) },
  { name: 'proc.exe_ino.ctime', type: 'abstime', unit: 'epoch ns', description: 'Last status change (chmod, chown, write, link) of the executable inode.', extract: (v) => (present(v, Has.EXE_INO_CTIME) ? v.recU64(v.layout.exeInoCtime) : null) },
  { name: 'proc.exe_ino.mtime', type: 'abstime', unit: 'epoch ns', description: 'Last content modification of the executable inode.', extract: (v) => (present(v, Has.EXE_INO_MTIME) ? v.recU64(v.layout.exeInoMtime) : null) },
  {
    name: 'proc.exe_ino.ctime_duration_proc_start', type: 'reltime', unit: 'ns',
    description: 'Process start (clone ts) minus exe ctime, computed at execve. Signed: negative when the executable changed after the process started (libsinsp wraps it to a huge unsigned value); missing when either time is 2^63 ns or later (not a plausible time).',
    extract: (v) => (present(v, Has.CTIME_DURATION_PROC_START) ? v.recI64(v.layout.ctimeDurationProcStart) : null),
  },
  {
    name: 'proc.exe_ino.ctime_duration_pidns_start', type: 'reltime', unit: 'ns',
    description: 'Exe ctime minus pid-namespace init start, only when the ctime is later: never negative; missing when the ctime is 2^63 ns or later (not a plausible time).',
    extract: (v) => (present(v, Has.CTIME_DURATION_PIDNS_START) ? v.recI64(v.layout.ctimeDurationPidnsStart) : null),
  },
  { name: 'proc.pidns_init_start_ts', type: 'abstime', unit: 'epoch ns', description: 'Start of the pid namespace init task (container start, or host boot).', extract: (v) => (present(v, Has.PIDNS_INIT_START_TS) ? v.recU64(v.layout.pidnsInitStartTs) : null) },
  { name: 'container.id', type: 'string', unit: '', description: "Container id (12 hex digits) from the cgroups of the process, or 'host'.", extract: (v) => (rec(v) ? v.containerId() || 'host' : null) },
  { name: 'container.start_ts', type: 'abstime', unit: 'epoch ns', description: "Container start: proc.pidns_init_start_ts of a process in a container with its own pid namespace; for one sharing the host's (docker run --pid=host), when the capture saw the container's first process enter its cgroups (missing when it was already running).", extract: containerStart },
  {
    name: 'container.duration', type: 'reltime', unit: 'ns', description: 'Event timestamp minus container.start_ts; missing when the event timestamp is not a plausible time (2^63 ns or later).',
    extract: (v) => { const s = containerStart(v); return s === null || v.ts > v.maxPlausibleEpochNs ? null : v.ts - s; },
  },
  { name: 'proc.is_exe_writable', type: 'bool', unit: '', description: 'The executable is writable by the process user (PPM_EXE_WRITABLE).', extract: (v) => exeFlag(v, PPM_EXE_WRITABLE) },
  { name: 'proc.is_exe_upper_layer', type: 'bool', unit: '', description: 'The executable is in an overlayfs upper layer: added to the container (PPM_EXE_UPPER_LAYER).', extract: (v) => exeFlag(v, PPM_EXE_UPPER_LAYER) },
  { name: 'proc.is_exe_lower_layer', type: 'bool', unit: '', description: 'The executable is in an overlayfs lower layer: from the image (PPM_EXE_LOWER_LAYER).', extract: (v) => exeFlag(v, PPM_EXE_LOWER_LAYER) },
  { name: 'proc.is_exe_from_memfd', type: 'bool', unit: '', description: 'The executable is a memfd: fileless execution (PPM_EXE_FROM_MEMFD).', extract: (v) => exeFlag(v, PPM_EXE_FROM_MEMFD) },
  { name: 'proc.is_exe_script', type: 'bool', unit: '', description: "The process runs a '#!' script: proc.exepath and proc.exe_ino* describe the script, proc.exe_interpreter the interpreter (flag bit 31 of scapdrift's driver; missing in captures of other writers, whose drivers do not say).", extract: (v) => (v.scriptFlagKnown ? exeFlag(v, SD_PPM_EXE_SCRIPT) : null) },
  {
    name: 'proc.exe_interpreter', type: 'string', unit: '', description: "Resolved path of the interpreter the kernel ran for a '#!' script (e.g. /usr/bin/dash for #!/bin/sh); missing otherwise.",
    extract: (v) => { const s = str(v, StrSlot.INTERPRETER); return s === '' ? null : s; },
  },
  {
    name: 'proc.exe_sha256', type: 'string', unit: '', description: "SHA-256 (hex) of the executable's bytes as the kernel ran it (the file behind the exec: memfds, deleted files, overlay upper layers included; a '#!' script's own bytes), hashed by scapdrift's live capture once per identity (dev, ino, ctime, mtime, size) and saved in its recordings (ts/hash/); missing when the capture holds no hash for it (other writers, a hash not ready in time, a file gone before it was opened, larger than the size limit).",
    extract: wasmString(F.EXE_SHA256),
  },
  { name: 'proc.pexe_sha256', type: 'string', unit: '', description: 'proc.exe_sha256 of the parent process (the process proc.ppid names).', extract: wasmString(F.PEXE_SHA256) },
  { name: 'proc.exe_interpreter_sha256', type: 'string', unit: '', description: "SHA-256 (hex) of the interpreter the kernel ran for a '#!' script (the file of proc.exe_interpreter, as /proc/PID/exe opened it); missing otherwise.", extract: wasmString(F.EXE_INTERPRETER_SHA256) },
  { name: 'drift.baseline.known', type: 'bool', unit: '', description: "With --baseline: whether this exec is in its workload's learned profile (path, digest, parent, writer); in the baseline rule's alerts, missing elsewhere (not usable in conditions: the rule is the condition).", extract: (v) => v.baselineVerdict?.known ?? null },
  { name: 'drift.baseline.profile', type: 'string', unit: '', description: 'With --baseline: the workload profile the exec was judged against (container:ID, unit:NAME.service, scope:NAME, host).', extract: (v) => v.baselineVerdict?.profile ?? null },
  { name: 'drift.baseline.reason', type: 'string', unit: '', description: "With --baseline: why the exec is outside its profile: 'new path', 'new hash for a known path', 'new parent' or 'new writer'; missing when it is inside.", extract: (v) => v.baselineVerdict?.reason ?? null },
  { name: 'drift.exe_writer.pid', type: 'i64', unit: '', description: 'Pid of the process that last created or wrote the executable during the capture (open for writing with O_CREAT/O_TRUNC, write, copy_file_range, ...); missing when the capture did not see it made.', extract: (v) => origin(v, Has.EXE_WRITTEN, () => v.recI64(v.layout.writerPid)) },
  { name: 'drift.exe_writer.name', type: 'string', unit: '', description: 'Name (comm) of that process; missing when its thread was unknown (drift.exe_writer.pid is then its tid).', extract: (v) => origin(v, Has.WRITER_NAME, () => escapeBytes(v.recInlineBytes(v.layout.writerComm, v.layout.writerCommLen))) },
  { name: 'drift.exe_written_ts', type: 'abstime', unit: 'epoch ns', description: 'Time of that last creation or write.', extract: (v) => origin(v, Has.EXE_WRITTEN, () => v.recU64(v.layout.writtenTs)) },
  { name: 'drift.exe_written_duration', type: 'reltime', unit: 'ns', description: 'From the last write of the executable to the execve that ran it (signed).', extract: (v) => origin(v, Has.EXE_WRITTEN, () => v.recI64(v.layout.writtenDuration)) },
  { name: 'drift.exe_chmod.pid', type: 'i64', unit: '', description: 'Pid of the process whose chmod/fchmod/fchmodat last left an execute bit set on the executable during the capture; missing when none was seen.', extract: (v) => origin(v, Has.EXE_CHMOD, () => v.recI64(v.layout.chmodPid)) },
  { name: 'drift.exe_chmod.name', type: 'string', unit: '', description: 'Name (comm) of that process; missing when its thread was unknown (drift.exe_chmod.pid is then its tid).', extract: (v) => origin(v, Has.CHMOD_NAME, () => escapeBytes(v.recInlineBytes(v.layout.chmodComm, v.layout.chmodCommLen))) },
  { name: 'drift.exe_chmod_ts', type: 'abstime', unit: 'epoch ns', description: 'Time of that chmod.', extract: (v) => origin(v, Has.EXE_CHMOD, () => v.recU64(v.layout.chmodTs)) },
  { name: 'drift.exe_chmod_duration', type: 'reltime', unit: 'ns', description: 'From that chmod to the execve that ran the executable (signed).', extract: (v) => origin(v, Has.EXE_CHMOD, () => v.recI64(v.layout.chmodDuration)) },
  { name: 'proc.pname', type: 'string', unit: '', description: 'Name (comm) of the parent process: the main thread of the parent of this process\'s main thread (libsinsp get_ancestor_process); missing when not in the thread table.', extract: wasmString(F.PROC_PNAME) },
  { name: 'proc.pexe', type: 'string', unit: '', description: 'argv[0] of the parent process.', extract: wasmString(F.PROC_PEXE) },
  { name: 'proc.pexepath', type: 'string', unit: '', description: 'proc.exepath of the parent process.', extract: wasmString(F.PROC_PEXEPATH) },
  { name: 'proc.pcmdline', type: 'string', unit: '', description: 'proc.cmdline of the parent process.', extract: wasmString(F.PROC_PCMDLINE) },
  { name: 'proc.aname', type: 'string', unit: '', indexArg: true, description: `Name (comm) of an ancestor process. ${ANCESTOR_INDEX}`, extract: wasmString(F.PROC_ANAME) },
  { name: 'proc.aexe', type: 'string', unit: '', indexArg: true, description: `argv[0] of an ancestor process. ${ANCESTOR_INDEX}`, extract: wasmString(F.PROC_AEXE) },
  { name: 'proc.aexepath', type: 'string', unit: '', indexArg: true, description: `proc.exepath of an ancestor process. ${ANCESTOR_INDEX}`, extract: wasmString(F.PROC_AEXEPATH) },
  { name: 'proc.acmdline', type: 'string', unit: '', indexArg: true, description: `proc.cmdline of an ancestor process. ${ANCESTOR_INDEX}`, extract: wasmString(F.PROC_ACMDLINE) },
  { name: 'proc.apid', type: 'i64', unit: '', indexArg: true, description: 'Pid of an ancestor process: [N] as proc.aname[N]; without an index the process itself, and in a condition any ancestor (libsinsp).', extract: wasmI64(F.PROC_APID) },
  { name: 'proc.cmdnargs', type: 'u64', unit: '', description: 'Number of arguments after argv[0].', extract: wasmI64(F.PROC_CMDNARGS) },
  { name: 'proc.env', type: 'string', unit: '', description: 'Environment (NAME=value, space-separated) from the last execve or the process list, inherited on fork; a thread shows its process\'s. Empty when the capture carries none (at most 4 KiB, as libs sends it).', extract: wasmString(F.PROC_ENV) },
  { name: 'proc.sid', type: 'i64', unit: '', description: 'Session id (process list, inherited on clone, setsid\'s return); -1 when unknown.', extract: wasmI64(F.PROC_SID) },
  { name: 'proc.sname', type: 'string', unit: '', description: 'Name of the session leader: the thread whose tid is proc.sid, or the oldest ancestor of the run sharing proc.sid (libsinsp); empty when none.', extract: wasmString(F.PROC_SNAME) },
  { name: 'proc.vpgid', type: 'i64', unit: '', description: 'Process group id in the process\'s pid namespace (process list, execve, inherited on clone); -1 when unknown.', extract: wasmI64(F.PROC_VPGID) },
  { name: 'proc.vpgid.name', type: 'string', unit: '', description: 'Name of the process group leader, found as proc.sname is for the session.', extract: wasmString(F.PROC_VPGID_NAME) },
  { name: 'proc.vpgid.exe', type: 'string', unit: '', description: 'argv[0] of the process group leader.', extract: wasmString(F.PROC_VPGID_EXE) },
  { name: 'proc.vpgid.exepath', type: 'string', unit: '', description: 'proc.exepath of the process group leader.', extract: wasmString(F.PROC_VPGID_EXEPATH) },
  { name: 'proc.sid.exe', type: 'string', unit: '', description: 'argv[0] of the session leader (found as for proc.sname).', extract: wasmString(F.PROC_SID_EXE) },
  { name: 'proc.sid.exepath', type: 'string', unit: '', description: 'proc.exepath of the session leader.', extract: wasmString(F.PROC_SID_EXEPATH) },
  { name: 'proc.cmdlenargs', type: 'u64', unit: 'bytes', description: 'Total length of the arguments after argv[0], separators not counted.', extract: wasmI64(F.PROC_CMDLENARGS) },
  { name: 'proc.pvpid', type: 'i64', unit: '', description: 'proc.vpid of the parent thread (by ptid); missing when not in the thread table.', extract: wasmI64(F.PROC_PVPID) },
  { name: 'proc.duration', type: 'reltime', unit: 'ns', description: 'Event timestamp minus the thread\'s start (its clone exit, proc.pid.ts); missing for a thread from the process list (the file holds no start).', extract: wasmI64(F.PROC_DURATION) },
  { name: 'proc.ppid.duration', type: 'reltime', unit: 'ns', description: 'proc.duration of the parent process (as proc.pname finds it).', extract: wasmI64(F.PROC_PPID_DURATION) },
  { name: 'proc.ppid.ts', type: 'abstime', unit: 'epoch ns', description: 'proc.pid.ts of the parent thread (by its ptid); missing when unknown (libsinsp prints 0).', extract: wasmI64(F.PROC_PPID_TS) },
  { name: 'proc.exeline', type: 'string', unit: '', description: 'proc.exe, a space, then the arguments space-separated (libsinsp: the space even without arguments).', extract: wasmString(F.PROC_EXELINE) },
  { name: 'proc.fdopencount', type: 'u64', unit: '', description: "Fds in the process's fd table (at most 1,024: the table's bound).", extract: wasmI64(F.PROC_FDOPENCOUNT) },
  { name: 'proc.loginshellid', type: 'i64', unit: '', description: 'Pid of the eldest process, among this one and its ancestors, whose name ends in "sh" (libsinsp); missing when none.', extract: wasmI64(F.PROC_LOGINSHELLID) },
  ...(['stdin', 'stdout', 'stderr'] as const).flatMap((s, fd): FieldDef[] => [
    { name: `proc.${s}.type`, type: 'string', unit: '', description: `fd.type of fd ${fd} of the process (its fd table); missing when it is not there.`, extract: wasmString(F[`PROC_${s.toUpperCase() as 'STDIN' | 'STDOUT' | 'STDERR'}_TYPE`]) },
    { name: `proc.${s}.name`, type: 'string', unit: '', description: `fd.name of fd ${fd} of the process.`, extract: wasmString(F[`PROC_${s.toUpperCase() as 'STDIN' | 'STDOUT' | 'STDERR'}_NAME`]) },
  ]),
  { name: 'thread.nametid', type: 'string', unit: '', description: 'proc.name followed by thread.tid (bash1234), as libsinsp.', extract: wasmString(F.THREAD_NAMETID) },
  { name: 'thread.ismain', type: 'bool', unit: '', description: 'The thread is its process\'s main thread (tid = pid).', extract: wasmBool(F.THREAD_ISMAIN) },
  { name: 'user.name', type: 'string', unit: '', description: 'Name of user.uid in the capture\'s users (user/group events, UL block); root for uid 0 without one; missing otherwise (libsinsp falls back to the reading host\'s database, scapdrift does not).', extract: wasmString(F.USER_NAME) },
  { name: 'user.homedir', type: 'string', unit: '', description: 'Home directory of user.uid (/root for uid 0 without an entry).', extract: wasmString(F.USER_HOMEDIR) },
  { name: 'user.shell', type: 'string', unit: '', description: 'Login shell of user.uid.', extract: wasmString(F.USER_SHELL) },
  { name: 'user.loginname', type: 'string', unit: '', description: 'Name of user.loginuid, found as user.name is.', extract: wasmString(F.USER_LOGINNAME) },
  { name: 'group.gid', type: 'u32', unit: '', description: 'Group id of the thread.', extract: wasmU32(F.GROUP_GID) },
  { name: 'group.name', type: 'string', unit: '', description: 'Name of group.gid in the capture\'s groups; root for gid 0 without one; missing otherwise.', extract: wasmString(F.GROUP_NAME) },
  { name: 'proc.is_sid_leader', type: 'bool', unit: '', description: 'proc.sid equals proc.vpid.', extract: wasmBool(F.PROC_IS_SID_LEADER) },
  { name: 'proc.is_vpgid_leader', type: 'bool', unit: '', description: 'proc.vpgid equals proc.vpid.', extract: wasmBool(F.PROC_IS_VPGID_LEADER) },
  { name: 'proc.tty', type: 'u32', unit: '', description: 'Controlling terminal as the driver sends it (the tty\'s device number; 0 = none): process list, execve, inherited on clone.', extract: wasmU32(F.PROC_TTY) },
  { name: 'thread.cap_permitted', type: 'string', unit: '', description: `Permitted capabilities. ${CAPS}`, extract: wasmString(F.CAP_PERMITTED) },
  { name: 'thread.cap_inheritable', type: 'string', unit: '', description: `Inheritable capabilities. ${CAPS}`, extract: wasmString(F.CAP_INHERITABLE) },
  { name: 'thread.cap_effective', type: 'string', unit: '', description: `Effective capabilities. ${CAPS}`, extract: wasmString(F.CAP_EFFECTIVE) },
  ...FD_FIELDS,
  ...FS_PATH_FIELDS,
  ...CONTAINER_PLUGIN_FIELDS.map(([name, type, keyArg]): FieldDef => ({
    name, type, unit: type === 'abstime' ? 'epoch ns' : '', ...(keyArg ? { keyArg } : {}), extract: () => null,
    description: 'Container plugin field: container runtime or Kubernetes metadata, which no capture carries (Falco\'s container plugin asks the runtime live). Always missing; rules using it load and evaluate it as Falco does a missing value.',
  })),
  { name: 'drift.enforced', type: 'string', unit: '', description: "The enforcement decision on this exec (capture --enforce): 'killed' (SIGKILL before the program's first instruction) or 'would-kill' (audit, kill switch, rate limit, or pid 1 / the capture's own); missing when no policy matched, enforcement was off, or the capture was not written by scapdrift's loader (flag bits 29-30 of its driver).", extract: (v) => { const f = execExitFlags(v); return f === null ? null : enforcedDecision(f); } },
  { name: 'drift.enforced_policy', type: 'string', unit: '', description: 'The enforcement policies that matched this exec, comma-separated (written_untrusted, memfd, deleted, upper_layer; flag bits 24-27 of scapdrift\'s driver); missing when none did.', extract: (v) => { const f = execExitFlags(v); return f === null ? null : enforcedPolicies(f); } },
];

/** Every field, in documentation order. */
export const FIELDS: readonly FieldDef[] = defs;
const byName = new Map(defs.map((d) => [d.name, d]));

/** A field reference parsed from text: the definition and its argument, if any. */
export interface FieldRef {
  def: FieldDef;
  arg?: string;
  /** The text as written, e.g. "evt.arg.flags". */
  text: string;
}

/** Resolves "evt.arg.flags", "evt.arg[2]", "proc.name"; undefined when unknown. */
export function resolveField(text: string): FieldRef | undefined {
  const direct = byName.get(text);
  if (direct && !direct.takesArg) return { def: direct, text };
  const m = /^([a-z0-9_.]+?)(?:\.([A-Za-z0-9_]+)|\[(\d+)\])$/.exec(text);
  if (m) {
    const def = byName.get(m[1]!);
    if (def?.takesArg) return { def, arg: m[2] ?? m[3]!, text };
    if (def?.indexArg && m[3] !== undefined) return { def, arg: m[3], text };
  }
  const k = /^([a-z0-9_.]+)\[(.+)\]$/.exec(text);
  if (k) {
    const def = byName.get(k[1]!);
    if (def?.keyArg) return { def, arg: k[2]!, text };
  }
  return undefined;
}

/** The closest known field name (for "did you mean"), by edit distance. */
export function suggestField(text: string): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const d of defs) {
    const dist = editDistance(text, d.name);
    if (dist < bestD) { bestD = dist; best = d.name; }
  }
  return bestD <= Math.max(3, text.length / 3) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** Value of `ref` for the current event. */
export function extractField(v: EventView, ref: FieldRef): FieldValue {
  return ref.def.extract(v, ref.arg);
}

/** Text of `ref` for `-p` output: `<NA>` when missing. */
export function fieldText(v: EventView, ref: FieldRef): string {
  if (ref.def.text) return ref.def.text(v, ref.arg);
  const val = ref.def.extract(v, ref.arg);
  return val === null ? '<NA>' : String(val);
}
