/**
 * Values of event parameters (`evt.arg.NAME`, `evt.res`) from their raw bytes
 * and libs parameter type (PT_*, driver/ppm_events_public.h). Integers keep
 * their width and sign: 64-bit values are bigint so nothing is rounded.
 */
import { PT, PF, FLAG_TABLES } from '../events/ppm_constants.js';
import { syscallName } from '../events/syscalls.js';
import { INT_PARAM_TYPES, type ParamInfo } from '../events/event_table.js';
import { escapeBytes } from './escape.js';
import { errnoText } from './errno.js';

/** A field or parameter value; null is missing (`<NA>`). */
export type FieldValue = string | number | bigint | boolean | null;

const STRINGS = new Set<number>([PT.PT_CHARBUF, PT.PT_FSPATH, PT.PT_FSRELPATH]);

/** Integer in `b` of its own width (1, 2, 4, 8 bytes), little endian. */
export function readInt(b: Uint8Array, signed: boolean): number | bigint | null {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (b.length) {
    case 1: return signed ? dv.getInt8(0) : dv.getUint8(0);
    case 2: return signed ? dv.getInt16(0, true) : dv.getUint16(0, true);
    case 4: return signed ? dv.getInt32(0, true) : dv.getUint32(0, true);
    case 8: return signed ? dv.getBigInt64(0, true) : dv.getBigUint64(0, true);
    default: return null;
  }
}

/** Bytes without one trailing NUL. */
function stripNul(b: Uint8Array): Uint8Array {
  return b.length > 0 && b[b.length - 1] === 0 ? b.subarray(0, b.length - 1) : b;
}

/**
 * Value of one parameter for JSON and filters: numbers for integer types,
 * escaped text otherwise. `null` when the frame carries it empty.
 */
export function paramValue(info: ParamInfo | undefined, b: Uint8Array): FieldValue {
  if (b.length === 0) return null;
  const type = info?.type ?? PT.PT_BYTEBUF;
  if (INT_PARAM_TYPES.get(type)?.signed === true) return readInt(b, true);
  if (STRINGS.has(type)) return escapeBytes(stripNul(b));
  if (type === PT.PT_BOOL) return readInt(b, false) !== 0 && readInt(b, false) !== 0n;
  if (type === PT.PT_DOUBLE && b.length === 8) return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
  if (type === PT.PT_CHARBUFARRAY || type === PT.PT_BYTEBUF) return escapeBytes(stripNul(b), 0, stripNul(b).length, 0, type === PT.PT_CHARBUFARRAY ? ' ' : '.');
  if (b.length === 1 || b.length === 2 || b.length === 4 || b.length === 8) {
    if (type !== PT.PT_SOCKADDR && type !== PT.PT_SOCKTUPLE && type !== PT.PT_FDLIST && type !== PT.PT_DYN) return readInt(b, false);
  }
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Linux signal names 1..31 (libsinsp sinsp_utils::signal_to_str). */
const SIGNALS = ['', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
  'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN',
  'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS'];
/** PPM_AF_* (driver/ppm_events_public.h) and PPM_AT_FDCWD. */
const PPM_AF_UNIX = 1;
const PPM_AF_INET = 2;
const PPM_AF_INET6 = 10;
const PPM_AT_FDCWD = -100n;

/** An integer of PT type `type` in print format `fmt`, as libsinsp's SET_NUMERIC_FORMAT: `%#o`, `%X`, `%09d` or decimal. */
function numberText(v: number | bigint, fmt: number, octPrefix: boolean): string {
  const n = BigInt(v);
  const abs = (x: bigint, bits: number): bigint => (x < 0n ? BigInt.asUintN(bits, x) : x);
  switch (fmt) {
    case PF.PF_OCT: return n === 0n ? '0' : `${octPrefix ? '0' : ''}${abs(n, 64).toString(8)}`;
    case PF.PF_HEX: return abs(n, 64).toString(16).toUpperCase();
    case PF.PF_10_PADDED_DEC: return n < 0n ? `-${String(-n).padStart(8, '0')}` : String(n).padStart(9, '0');
    default: return String(n);
  }
}

/** Names of the flags set in `v` (libsinsp get_param_as_str, PT_FLAGS and PT_ENUMFLAGS types): "" when none. */
function flagNames(table: string | undefined, v: number, exact: boolean): string {
  const names: string[] = [];
  let rest = v;
  for (const [name, value] of (table ? FLAG_TABLES[table] : undefined) ?? []) {
    if (exact) {
      if (value === v) names.push(name);
      continue;
    }
    if ((value === 0 && v === 0) || (value !== 0 && (rest & value) >>> 0 === value && rest !== 0)) {
      names.push(name);
      rest = (rest & ~value) >>> 0;
      if (value === v) break;
    }
  }
  return names.join('|');
}

/** Names of the mode bits of `v` (libsinsp get_param_as_str, PT_MODE): stops at an entry equal to the whole value. */
function modeNames(table: string | undefined, v: number): string {
  const names: string[] = [];
  let rest = v;
  for (const [name, value] of (table ? FLAG_TABLES[table] : undefined) ?? []) {
    if (value === v) { names.push(name); break; }
    if ((value === 0 && v === 0) || (value !== 0 && (rest & value) >>> 0 === value && rest !== 0)) {
      names.push(name);
      rest = (rest & ~value) >>> 0;
    }
  }
  return names.join('|');
}

const u16le = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
const ipv4 = (b: Uint8Array, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
/** An IPv6 address as inet_ntop writes it (RFC 5952: the longest run of two or more zero groups as ::). */
function ipv6(b: Uint8Array, at: number): string {
  const g = Array.from({ length: 8 }, (_, i) => (b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${ipv4(b, at + 12)}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
const isV4Mapped = (b: Uint8Array, at: number): boolean => b.subarray(at, at + 10).every((x) => x === 0) && b[at + 10] === 0xff && b[at + 11] === 0xff;
const cstr = (b: Uint8Array): string => { const z = b.indexOf(0); return escapeBytes(z < 0 ? b : b.subarray(0, z)); };

/** A PT_SOCKADDR as libsinsp writes it: "1.2.3.4:80", "::1:80", a unix path, or "family N". */
function sockaddrText(b: Uint8Array): string {
  switch (b[0]) {
    case PPM_AF_UNIX: return cstr(b.subarray(1));
    case PPM_AF_INET: return b.length >= 7 ? `${ipv4(b, 1)}:${u16le(b, 5)}` : 'INVALID IPv4';
    case PPM_AF_INET6: return b.length >= 19 ? `${ipv6(b, 1)}:${u16le(b, 17)}` : 'INVALID IPv6';
    default: return `family ${b[0]}`;
  }
}

/** A PT_SOCKTUPLE as libsinsp writes it: "sip:sport->dip:dport", or for unix sockets "src->dst path" in hex. */
function socktupleText(b: Uint8Array): string {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (b[0]) {
    case PPM_AF_UNIX:
      return b.length >= 17 ? `${dv.getBigUint64(1, true).toString(16)}->${dv.getBigUint64(9, true).toString(16)} ${cstr(b.subarray(17))}` : 'INVALID PATH';
    case PPM_AF_INET:
      return b.length >= 13 ? `${ipv4(b, 1)}:${u16le(b, 5)}->${ipv4(b, 7)}:${u16le(b, 11)}` : 'INVALID IPv4';
    case PPM_AF_INET6:
      if (b.length < 37) return 'INVALID IPv6';
      if (isV4Mapped(b, 1) && isV4Mapped(b, 19)) return `${ipv4(b, 13)}:${u16le(b, 17)}->${ipv4(b, 31)}:${u16le(b, 35)}`;
      return `${ipv6(b, 1)}:${u16le(b, 17)}->${ipv6(b, 19)}:${u16le(b, 35)}`;
    default: return `family ${b[0]}`;
  }
}

/** The type and name of an fd of the event's thread ("<f>/etc/passwd"), or undefined when unknown. */
export type FdText = (fd: bigint) => string | undefined;

/**
 * One parameter as libsinsp renders it (sinsp_evt::get_param_as_str): `text`, the plain form
 * (a number in the parameter's print format, a string, an address), and `resolved`, what it
 * resolves to ("O_RDONLY|O_CLOEXEC", "ENOENT", "AT_FDCWD", "SIGKILL", a syscall name), or "".
 * An fd is resolved to its type and name ("<f>/etc/passwd") by `fdText` (the decoder's fd table),
 * when given. Not resolved here: a pid's comm, a uid's user name, a relative path.
 */
export function paramStrings(info: ParamInfo | undefined, b: Uint8Array, fdText?: FdText): { text: string; resolved: string } {
  const type = info?.type ?? PT.PT_BYTEBUF;
  const fmt = info?.format ?? PF.PF_NA;
  const int = INT_PARAM_TYPES.get(type);
  const n = int && b.length === int.bytes ? readInt(b, int.signed)! : undefined;
  const plain = (text: string, resolved = ''): { text: string; resolved: string } => ({ text, resolved });
  switch (type) {
    case PT.PT_ERRNO: return plain(String(n ?? ''), n !== undefined && BigInt(n) < 0n ? errnoName(BigInt(n)) : '');
    case PT.PT_FD: {
      const fd = BigInt(n ?? 0);
      return plain(String(fd), fd === PPM_AT_FDCWD ? 'AT_FDCWD' : fd < 0n ? errnoName(fd) : fdText?.(fd) ?? '');
    }
    case PT.PT_PID: case PT.PT_FD32: case PT.PT_PID32: return plain(String(n ?? ''));
    case PT.PT_UID: case PT.PT_GID: return n === 0xffff_ffff ? plain('-1', '<NONE>') : plain(String(n ?? ''));
    case PT.PT_SYSCALLID: return plain(String(n ?? ''), syscallName(Number(n ?? 0)));
    case PT.PT_SIGTYPE: return plain(String(n ?? ''), SIGNALS[Number(n ?? 0)] ?? '');
    case PT.PT_RELTIME: {
      const v = BigInt(n ?? 0);
      return v === (1n << 64n) - 1n ? plain('none') : plain(String(v), `${Number(v) / 1e9}s`);
    }
    case PT.PT_FLAGS8: case PT.PT_FLAGS16: case PT.PT_FLAGS32:
    case PT.PT_ENUMFLAGS8: case PT.PT_ENUMFLAGS16: case PT.PT_ENUMFLAGS32: {
      const v = Number(n ?? 0);
      const exact = type === PT.PT_ENUMFLAGS8 || type === PT.PT_ENUMFLAGS16 || type === PT.PT_ENUMFLAGS32;
      return plain(String(v), flagNames(info?.flagTable, v, exact));
    }
    case PT.PT_MODE: {
      const v = Number(n ?? 0);
      return plain(numberText(v, fmt, true), modeNames(info?.flagTable, v));
    }
    case PT.PT_SOCKADDR: return plain(b.length === 0 ? '<NA>' : sockaddrText(b));
    case PT.PT_SOCKTUPLE: return plain(b.length === 0 ? 'NULL' : socktupleText(b));
    // libsinsp's binary_buffer_to_string (PF_NORMAL): printable ASCII as it is, every other byte '.'.
    case PT.PT_BYTEBUF: case PT.PT_CHARBUFARRAY:
      return plain(Buffer.from(b.map((c) => (c >= 0x20 && c < 0x7f ? c : 0x2e))).toString('latin1'));
    default: {
      if (n !== undefined) {
        // libsinsp prints PT_UINT64 through an int64 (%PRId64): values above 2^63 print negative.
        const v = type === PT.PT_UINT64 && fmt !== PF.PF_HEX && fmt !== PF.PF_OCT ? BigInt.asIntN(64, BigInt(n)) : n;
        return plain(numberText(v, fmt, true));
      }
      const v = paramValue(info, b);
      return plain(v === null ? '<NA>' : String(v));
    }
  }
}

function errnoName(v: bigint): string {
  const name = errnoText(v);
  return /^-?\d+$/.test(name) ? '' : name;
}

/**
 * evt.arg: the resolved text when there is one, else the plain text (libsinsp's TYPE_ARGSTR).
 * An empty parameter is "NULL" for the types libsinsp prints so, else missing (null).
 */
export function paramText(info: ParamInfo | undefined, b: Uint8Array, fdText?: FdText): string | null {
  if (b.length === 0) return EMPTY_AS_NULL.has(info?.type ?? PT.PT_BYTEBUF) ? 'NULL' : null;
  const { text, resolved } = paramStrings(info, b, fdText);
  return resolved !== '' ? resolved : text;
}

/** Types libsinsp prints "NULL" for when empty (the others "<NA>"): they could be empty before its converter. */
const EMPTY_AS_NULL = new Set<number>([PT.PT_BYTEBUF, PT.PT_SOCKTUPLE, PT.PT_FDLIST, PT.PT_CHARBUFARRAY, PT.PT_CHARBUF_PAIR_ARRAY, PT.PT_DYN]);

/** evt.args / evt.info: "name=text" or "name=text(resolved)" (libsinsp's TYPE_ARGS). */
export function paramPairText(info: ParamInfo | undefined, name: string, b: Uint8Array, fdText?: FdText): string {
  if (b.length === 0) return `${name}=${EMPTY_AS_NULL.has(info?.type ?? PT.PT_BYTEBUF) ? 'NULL' : '<NA>'}`;
  const { text, resolved } = paramStrings(info, b, fdText);
  return resolved !== '' ? `${name}=${text}(${resolved})` : `${name}=${text}`;
}

/** evt.rawarg text: the raw value in the parameter's print format, without resolution (libsinsp rawval_to_string). */
export function rawargText(info: ParamInfo | undefined, b: Uint8Array): string {
  const v = paramValue(info, b);
  if (v === null) return '<NA>';
  const int = info ? INT_PARAM_TYPES.get(info.type) : undefined;
  if (int && (typeof v === 'number' || typeof v === 'bigint')) return numberText(v, info!.format, false);
  return String(v);
}
