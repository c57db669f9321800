/**
 * Values of event parameters (`evt.arg.NAME`, `evt.res`) from their raw bytes
 * and libs parameter type (PT_*, driver/ppm_events_public.h). Integers keep
 * their width and sign: 64-bit values are bigint so nothing is rounded.
 */
import { PT, FLAG_TABLES } from './events/ppm_constants.js';
import { INT_PARAM_TYPES, type ParamInfo } from './events/event_table.js';
import { escapeBytes } from './escape.js';
import { errnoText } from './errno.js';

/** A field or parameter value; null is missing (`<NA>`). */
export type FieldValue = string | number | bigint | boolean | null;

const STRINGS = new Set<number>([PT.PT_CHARBUF, PT.PT_FSPATH, PT.PT_FSRELPATH]);
const FLAGS = new Set<number>([PT.PT_FLAGS8, PT.PT_FLAGS16, PT.PT_FLAGS32, PT.PT_ENUMFLAGS8, PT.PT_ENUMFLAGS16, PT.PT_ENUMFLAGS32, PT.PT_MODE]);

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

function flagNames(table: string | undefined, v: number | bigint): string | undefined {
  const entries = table ? FLAG_TABLES[table] : undefined;
  if (!entries) return undefined;
  const n = Number(v);
  const exact = entries.find(([, value]) => value === n);
  if (exact && (n === 0 || exact[1] !== 0)) return exact[0];
  const names = entries.filter(([, value]) => value !== 0 && (n & value) === value).map(([name]) => name);
  return names.length ? names.join('|') : undefined;
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

/** Text of one parameter as sysdig prints it: errno names, symbolic flags. */
export function paramText(info: ParamInfo | undefined, b: Uint8Array): string {
  const v = paramValue(info, b);
  if (v === null) return '<NA>';
  if (info?.type === PT.PT_ERRNO && typeof v !== 'string') return errnoText(BigInt(v));
  if (info && FLAGS.has(info.type) && (typeof v === 'number' || typeof v === 'bigint')) {
    return flagNames(info.flagTable, v) ?? String(v);
  }
  return String(v);
}
