/**
 * How each field of ts/fields/fields.ts is read by the filter VM: a VM field id and
 * a value kind, or one of the fields that depend on the event id alone
 * (evt.type, evt.dir: compiled into a type bitmap), evt.res (compiled into
 * checks of the return value) and the parameter fields (evt.arg, evt.rawres:
 * a per-type table of parameter index and kind).
 */
import { eventRow, EVENT_COUNT, type EventRow } from '../events/event_table.js';
import { EC, PPME, PT } from '../events/ppm_constants.js';
import { F, PK, PARAM_NONE, PARAM_TABLE_BYTES, FILTER_EVENT_IDS } from './layout.js';
import { CONTAINER_PLUGIN_FIELDS } from '../fields/fields.js';

/** The value kind of a filter field. */
export type FilterKind = 'unsigned' | 'signed' | 'bool' | 'string' | 'list' | 'param' | 'argtext' | 'type' | 'dir' | 'res' | 'failed' | 'isopen' | 'fdnet';

export interface FilterField {
  kind: FilterKind;
  /** VM field id (F.*); 0 for 'type' and 'dir'. */
  id: number;
  /** Takes an ancestor index (proc.aname[N]): the instruction's aux holds it (ARG_ANY for none). */
  indexArg?: boolean;
  /** For a 'param' field that reads one parameter of fixed name: its per-type table (built at its first use). */
  table?: () => Uint8Array;
  /**
   * For an 'fdnet' field (ts/filter/fd_net.ts): what its values are (an IPv4 address, a port, a
   * network) and the VM fields of the sides compared (either side matches, as libsinsp's
   * compare_ip/compare_port/compare_net; one side for fd.snet & co).
   */
  net?: { value: 'ip' | 'port' | 'cidr'; sides: number[] };
}

const u = (id: number): FilterField => ({ kind: 'unsigned', id });
const s = (id: number): FilterField => ({ kind: 'signed', id });
const b = (id: number): FilterField => ({ kind: 'bool', id });
const str = (id: number): FilterField => ({ kind: 'string', id });

/**
 * A per-type table built at its first use: each walks the 1,024 event ids, which a command that
 * never reads the field does not pay at start-up (bench/RESULTS.md, start-up).
 */
function lazyTable(pick: (row: EventRow, id: number) => [index: number, kind: number] | undefined): () => Uint8Array {
  let t: Uint8Array | undefined;
  return () => (t ??= table(pick));
}

/** evt.buffer: the `data` parameter (PT_BYTEBUF) of read/write/send/recv..., its bytes as they are. */
export const bufferTable = lazyTable((row) => {
  const i = row.params.findIndex(([name, type]) => name === 'data' && type === PT.PT_BYTEBUF);
  return i >= 0 ? [i, PK.BYTES] : undefined;
});

/** Every filterable field by name; fields of ts/fields/fields.ts absent here cannot be filtered on. */
const MAP: Record<string, FilterField> = {
  'evt.num': u(F.EVT_NUM),
  'evt.rawtime': u(F.EVT_RAWTIME),
  'evt.cpu': u(F.EVT_CPU),
  'evt.type': { kind: 'type', id: 0 },
  'evt.dir': { kind: 'dir', id: 0 },
  'evt.res': { kind: 'res', id: F.PARAM },
  'evt.rawres': { kind: 'param', id: F.PARAM },
  'evt.failed': { kind: 'failed', id: F.PARAM },
  'evt.is_open_read': { kind: 'isopen', id: F.PARAM },
  'evt.is_open_write': { kind: 'isopen', id: F.PARAM },
  'evt.is_open_create': { kind: 'isopen', id: F.PARAM },
  'evt.is_open_exec': { kind: 'isopen', id: F.PARAM },
  'evt.arg': { kind: 'argtext', id: F.PARAM },
  'evt.rawarg': { kind: 'param', id: F.PARAM },
  'evt.buffer': { kind: 'param', id: F.PARAM, table: bufferTable },
  'thread.tid': s(F.TID),
  'proc.tid': s(F.TID),
  'proc.pid': s(F.PID),
  'proc.ppid': s(F.PPID),
  'proc.vpid': s(F.VPID),
  'thread.vtid': s(F.VTID),
  'proc.pid.ts': u(F.PID_TS),
  'user.uid': u(F.UID),
  'user.loginuid': s(F.LOGINUID),
  'proc.exe_ino': u(F.EXE_INO),
  'proc.exe_ino.ctime': u(F.EXE_INO_CTIME),
  'proc.exe_ino.mtime': u(F.EXE_INO_MTIME),
  'proc.exe_ino.ctime_duration_proc_start': s(F.CTIME_DURATION_PROC_START),
  'proc.exe_ino.ctime_duration_pidns_start': s(F.CTIME_DURATION_PIDNS_START),
  'proc.pidns_init_start_ts': u(F.PIDNS_INIT_START_TS),
  'container.start_ts': u(F.CONTAINER_START_TS),
  'container.duration': s(F.CONTAINER_DURATION),
  'proc.is_exe_writable': b(F.IS_EXE_WRITABLE),
  'proc.is_exe_upper_layer': b(F.IS_EXE_UPPER_LAYER),
  'proc.is_exe_lower_layer': b(F.IS_EXE_LOWER_LAYER),
  'proc.is_exe_from_memfd': b(F.IS_EXE_FROM_MEMFD),
  'proc.name': str(F.PROC_NAME),
  'proc.exe': str(F.PROC_EXE),
  'proc.exepath': str(F.PROC_EXEPATH),
  'proc.args': str(F.PROC_ARGS),
  'proc.cmdline': str(F.PROC_CMDLINE),
  'proc.cwd': str(F.PROC_CWD),
  'container.id': str(F.CONTAINER_ID),
  'proc.is_exe_script': b(F.IS_EXE_SCRIPT),
  'proc.exe_interpreter': str(F.EXE_INTERPRETER),
  'proc.exe_sha256': str(F.EXE_SHA256),
  'proc.pexe_sha256': str(F.PEXE_SHA256),
  'proc.exe_interpreter_sha256': str(F.EXE_INTERPRETER_SHA256),
  'drift.exe_writer.pid': s(F.WRITER_PID),
  'drift.exe_writer.name': str(F.WRITER_NAME),
  'drift.exe_written_ts': u(F.WRITTEN_TS),
  'drift.exe_written_duration': s(F.WRITTEN_DURATION),
  'drift.exe_chmod.pid': s(F.CHMOD_PID),
  'drift.exe_chmod.name': str(F.CHMOD_NAME),
  'drift.exe_chmod_ts': u(F.CHMOD_TS),
  'drift.exe_chmod_duration': s(F.CHMOD_DURATION),
  'proc.pname': str(F.PROC_PNAME),
  'proc.pexe': str(F.PROC_PEXE),
  'proc.pexepath': str(F.PROC_PEXEPATH),
  'proc.pcmdline': str(F.PROC_PCMDLINE),
  'proc.aname': { ...str(F.PROC_ANAME), indexArg: true },
  'proc.aexe': { ...str(F.PROC_AEXE), indexArg: true },
  'proc.aexepath': { ...str(F.PROC_AEXEPATH), indexArg: true },
  'proc.acmdline': { ...str(F.PROC_ACMDLINE), indexArg: true },
  'proc.apid': { ...s(F.PROC_APID), indexArg: true },
  'proc.cmdnargs': u(F.PROC_CMDNARGS),
  'proc.env': str(F.PROC_ENV),
  'proc.sid': s(F.PROC_SID),
  'proc.sname': str(F.PROC_SNAME),
  'proc.vpgid': s(F.PROC_VPGID),
  'proc.vpgid.name': str(F.PROC_VPGID_NAME),
  'proc.vpgid.exe': str(F.PROC_VPGID_EXE),
  'proc.vpgid.exepath': str(F.PROC_VPGID_EXEPATH),
  'proc.sid.exe': str(F.PROC_SID_EXE),
  'proc.sid.exepath': str(F.PROC_SID_EXEPATH),
  'proc.cmdlenargs': u(F.PROC_CMDLENARGS),
  'proc.pvpid': s(F.PROC_PVPID),
  'thread.ismain': b(F.THREAD_ISMAIN),
  'user.name': str(F.USER_NAME),
  'user.homedir': str(F.USER_HOMEDIR),
  'user.shell': str(F.USER_SHELL),
  'user.loginname': str(F.USER_LOGINNAME),
  'group.name': str(F.GROUP_NAME),
  'group.gid': u(F.GROUP_GID),
  'proc.is_sid_leader': b(F.PROC_IS_SID_LEADER),
  'proc.is_vpgid_leader': b(F.PROC_IS_VPGID_LEADER),
  'proc.tty': u(F.PROC_TTY),
  'thread.cap_permitted': str(F.CAP_PERMITTED),
  'thread.cap_inheritable': str(F.CAP_INHERITABLE),
  'thread.cap_effective': str(F.CAP_EFFECTIVE),
  'thread.nametid': str(F.THREAD_NAMETID),
  'proc.exeline': str(F.PROC_EXELINE),
  'proc.stdin.type': str(F.PROC_STDIN_TYPE),
  'proc.stdout.type': str(F.PROC_STDOUT_TYPE),
  'proc.stderr.type': str(F.PROC_STDERR_TYPE),
  'proc.stdin.name': str(F.PROC_STDIN_NAME),
  'proc.stdout.name': str(F.PROC_STDOUT_NAME),
  'proc.stderr.name': str(F.PROC_STDERR_NAME),
  'proc.ppid.ts': u(F.PROC_PPID_TS),
  'proc.fdopencount': u(F.PROC_FDOPENCOUNT),
  'proc.loginshellid': s(F.PROC_LOGINSHELLID),
  'proc.duration': s(F.PROC_DURATION),
  'proc.ppid.duration': s(F.PROC_PPID_DURATION),
  'fd.num': s(F.FD_NUM),
  'fd.type': str(F.FD_TYPE),
  'fd.typechar': str(F.FD_TYPECHAR),
  'fd.name': str(F.FD_NAME),
  'fd.directory': str(F.FD_DIRECTORY),
  'fd.filename': str(F.FD_FILENAME),
  'fd.ino': u(F.FD_INO),
  'fd.dev': u(F.FD_DEV),
  'fd.sip': str(F.FD_SIP),
  'fd.sport': u(F.FD_SPORT),
  'fd.cip': str(F.FD_CIP),
  'fd.cport': u(F.FD_CPORT),
  'fd.l4proto': str(F.FD_L4PROTO),
  'fd.sockfamily': str(F.FD_SOCKFAMILY),
  'fd.nameraw': str(F.FD_NAMERAW),
  'fd.lip': str(F.FD_LIP),
  'fd.rip': str(F.FD_RIP),
  'fd.lport': u(F.FD_LPORT),
  'fd.rport': u(F.FD_RPORT),
  'fd.is_server': b(F.FD_IS_SERVER),
  'fd.connected': b(F.FD_CONNECTED),
  'fd.name_changed': b(F.FD_NAME_CHANGED),
  'fd.cproto': str(F.FD_CPROTO),
  'fd.sproto': str(F.FD_SPROTO),
  'fd.lproto': str(F.FD_LPROTO),
  'fd.rproto': str(F.FD_RPROTO),
  'fd.uid': str(F.FD_UID),
  'fd.containername': str(F.FD_CONTAINERNAME),
  'fd.containerdirectory': str(F.FD_CONTAINERDIRECTORY),
  'fd.types': { kind: 'list', id: F.FD_TYPES, indexArg: true },
  'fd.dev.major': u(F.FD_DEV_MAJOR),
  'fd.dev.minor': u(F.FD_DEV_MINOR),
  'fd.is_upper_layer': b(F.FD_IS_UPPER_LAYER),
  'fd.is_lower_layer': b(F.FD_IS_LOWER_LAYER),
  // libsinsp compares fd.proto as fd.port (compare_port).
  'fd.proto': { kind: 'fdnet', id: F.FD_PORT_SRC, net: { value: 'port', sides: [F.FD_PORT_SRC, F.FD_PORT_DST] } },
  'fd.ip': { kind: 'fdnet', id: F.FD_NET_SRC, net: { value: 'ip', sides: [F.FD_NET_SRC, F.FD_NET_DST] } },
  'fd.port': { kind: 'fdnet', id: F.FD_PORT_SRC, net: { value: 'port', sides: [F.FD_PORT_SRC, F.FD_PORT_DST] } },
  'fd.net': { kind: 'fdnet', id: F.FD_NET_SRC, net: { value: 'cidr', sides: [F.FD_NET_SRC, F.FD_NET_DST] } },
  'fd.snet': { kind: 'fdnet', id: F.FD_SNET, net: { value: 'cidr', sides: [F.FD_SNET] } },
  'fd.cnet': { kind: 'fdnet', id: F.FD_CNET, net: { value: 'cidr', sides: [F.FD_CNET] } },
  'fd.lnet': { kind: 'fdnet', id: F.FD_LNET, net: { value: 'cidr', sides: [F.FD_LNET] } },
  'fd.rnet': { kind: 'fdnet', id: F.FD_RNET, net: { value: 'cidr', sides: [F.FD_RNET] } },
  'evt.category': str(F.EVT_CATEGORY),
  'fs.path.name': str(F.FS_PATH_NAME),
  'fs.path.nameraw': str(F.FS_PATH_NAMERAW),
  'fs.path.source': str(F.FS_PATH_SOURCE),
  'fs.path.sourceraw': str(F.FS_PATH_SOURCERAW),
  'fs.path.target': str(F.FS_PATH_TARGET),
  'fs.path.targetraw': str(F.FS_PATH_TARGETRAW),
  // Names from DNS: libsinsp resolves them with its DNS manager, which reading a file does not feed.
  'fd.sip.name': str(F.NONE),
  'fd.cip.name': str(F.NONE),
  'fd.lip.name': str(F.NONE),
  'fd.rip.name': str(F.NONE),
};

// The container plugin's fields read as missing: one VM id that never loads.
for (const [name, type] of CONTAINER_PLUGIN_FIELDS) MAP[name] = type === 'bool' ? b(F.NONE) : str(F.NONE);

/** The filter view of field definition `name` (a ts/fields/fields.ts name), or undefined. */
export function filterField(name: string): FilterField | undefined {
  return MAP[name];
}

const SIGNED_PT = new Set<number>([PT.PT_INT8, PT.PT_INT16, PT.PT_INT32, PT.PT_INT64, PT.PT_ERRNO, PT.PT_FD, PT.PT_PID, PT.PT_FD32, PT.PT_PID32]);
const STRING_PT = new Set<number>([PT.PT_CHARBUF, PT.PT_FSPATH, PT.PT_FSRELPATH]);
/** Types a filter cannot compare (they print as hex, lists or floats). */
const OPAQUE_PT = new Set<number>([PT.PT_BYTEBUF, PT.PT_CHARBUFARRAY, PT.PT_SOCKADDR, PT.PT_SOCKTUPLE, PT.PT_FDLIST, PT.PT_DYN, PT.PT_DOUBLE]);

/** Kind of a parameter of type `pt` as the VM reads it (ts/fields/param_format.ts paramValue's rules). */
function paramKind(pt: number | undefined): number {
  if (pt === undefined || OPAQUE_PT.has(pt)) return PK.NONE;
  if (SIGNED_PT.has(pt)) return PK.SIGNED;
  if (STRING_PT.has(pt)) return PK.STRING;
  return PK.UNSIGNED;
}

function table(pick: (row: EventRow, id: number) => [index: number, kind: number] | undefined): Uint8Array {
  const t = new Uint8Array(PARAM_TABLE_BYTES);
  for (let id = 0; id < FILTER_EVENT_IDS; id++) {
    const row = id < EVENT_COUNT ? eventRow(id) : undefined;
    const hit = row ? pick(row, id) : undefined;
    t[id * 2] = hit && hit[0] < PARAM_NONE ? hit[0] : PARAM_NONE;
    t[id * 2 + 1] = hit ? hit[1] : PK.NONE;
  }
  return t;
}

/** evt.rawres: parameter 0 of a syscall exit event (not the generic one), signed. */
export const rawresTable = lazyTable((row, id) =>
  row.direction === '<' && (row.category & EC.EC_SYSCALL) !== 0 && id !== PPME.PPME_GENERIC_X && row.params.length > 0
    ? [0, PK.SIGNED] : undefined);

const argTables = new Map<string, Uint8Array>();

/**
 * The per-type table of parameter `arg` (a name, or all digits: a position). `text`: as evt.arg
 * compares it, libsinsp's rendered text (strings as they are, the rest PK.TEXT: rendered by the
 * shell, ts/fields/param_format.ts paramText); else as evt.rawarg, the raw value.
 */
export function argTable(arg: string, text = false): Uint8Array {
  const key = `${text ? 't' : 'r'}${arg}`;
  let t = argTables.get(key);
  if (!t) {
    const byIndex = /^\d+$/.test(arg) ? Number(arg) : undefined;
    t = table((row) => {
      const i = byIndex ?? row.params.findIndex(([name]) => name === arg);
      if (i < 0 || i >= row.params.length) return undefined;
      const type = row.params[i]![1];
      return [i, text ? (STRING_PT.has(type) ? PK.STRING : PK.TEXT) : paramKind(type)];
    });
    argTables.set(key, t);
  }
  return t;
}
