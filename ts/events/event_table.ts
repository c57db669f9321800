/**
 * Event schema lookups for .scap kernel events.
 *
 * Backed by the generated tables in `event_table_data.ts` (from falcosecurity/libs
 * `driver/event_table.c`, the `g_event_info[]` array) and `ppm_constants.ts`
 * (from `driver/ppm_events_public.h` / `driver/flags_table.c`).
 *
 * Each event's schema is materialised at its first lookup (a tiny read does not pay for all
 * 454 at start-up); every lookup after that is O(1) (an array index or a Map get).
 */

import { EVENT_TABLE_DATA, type EventTuple, type ParamTuple } from './event_table_data.js';
import { EF, PPM_EVENT_MAX, PT } from './ppm_constants.js';

/** One declared parameter of an event (libs `struct ppm_param_info`). */
export interface ParamInfo {
  /** Parameter name as in libs, e.g. "exe_ino". */
  name: string;
  /** PT_* type id (see `PT` in ppm_constants.ts); decides the wire encoding. */
  type: number;
  /** PT_* type name, e.g. "PT_UINT64". */
  typeName: string;
  /** PF_* print format id (see `PF`), e.g. PF_DEC, PF_HEX, PF_OCT. */
  format: number;
  /** Name of the flag table (key of `FLAG_TABLES`) used to render this param symbolically, if any. */
  flagTable?: string;
}

/** Schema of one event id (libs `struct ppm_event_info`). */
export interface EventInfo {
  /** Event id (ppm_event_code), equal to its index in the table. */
  id: number;
  /** Event name, shared by all versions and both directions, e.g. "execve". Unused slots are "NA". */
  name: string;
  /** Enum identifier, e.g. "PPME_SYSCALL_EXECVE_19_X". */
  enumName: string;
  /** '>' for enter events (*_E, even ids), '<' for exit events (*_X, odd ids). */
  direction: '>' | '<';
  /** EC_* category bits (syscall category in the low bits, event source in the high bits). */
  category: number;
  /** EF_* flag bits. */
  flags: number;
  /** Parameters in wire order; length is the declared nparams. */
  params: ParamInfo[];
}

/** Number of event ids (PPM_EVENT_MAX); valid ids are 0..EVENT_COUNT-1. */
export const EVENT_COUNT: number = PPM_EVENT_MAX;

const PT_NAMES: string[] = [];
for (const [k, v] of Object.entries(PT)) {
  if (PT_NAMES[v] === undefined) PT_NAMES[v] = k;
}

/** '>' for an enter event (PPME_*_E), '<' for an exit. */
const directionOf = (enumName: string): '>' | '<' => (enumName.endsWith('_E') ? '>' : '<');

function build(id: number, t: EventTuple): EventInfo {
  const [enumName, name, category, flags, params] = t;
  return Object.freeze({
    id,
    name,
    enumName,
    direction: directionOf(enumName),
    category,
    flags,
    params: params.map(([pname, type, format, flagTable]) => {
      const p: ParamInfo = { name: pname, type, typeName: PT_NAMES[type] ?? `PT_${type}`, format };
      if (flagTable !== undefined) p.flagTable = flagTable;
      return Object.freeze(p);
    }),
  }) as EventInfo;
}

if (EVENT_TABLE_DATA.length !== EVENT_COUNT) {
  throw new Error(`event table has ${EVENT_TABLE_DATA.length} entries, expected PPM_EVENT_MAX=${EVENT_COUNT}`);
}
/**
 * The schema of each id, built when first asked for: a command that looks at a few events does
 * not build all of them at start-up (bench/RESULTS.md, start-up).
 */
const EVENTS: (EventInfo | undefined)[] = [];

/** Width in bytes and signedness of an integer parameter type. */
export interface IntParamType { bytes: 1 | 2 | 4 | 8; signed: boolean }

/**
 * The integer PT_* types: their width in bytes and their signedness (libs
 * userspace/libscap/scap_event.c, scap_event_encode_params; driver/ppm_param_helpers.h).
 */
export const INT_PARAM_TYPES: ReadonlyMap<number, IntParamType> = new Map(([
  [1, true, [PT.PT_INT8]],
  [1, false, [PT.PT_UINT8, PT.PT_FLAGS8, PT.PT_ENUMFLAGS8, PT.PT_SIGTYPE, PT.PT_L4PROTO, PT.PT_SOCKFAMILY]],
  [2, true, [PT.PT_INT16]],
  [2, false, [PT.PT_UINT16, PT.PT_FLAGS16, PT.PT_ENUMFLAGS16, PT.PT_SYSCALLID, PT.PT_PORT]],
  [4, true, [PT.PT_INT32, PT.PT_FD32, PT.PT_PID32]],
  [4, false, [PT.PT_UINT32, PT.PT_FLAGS32, PT.PT_ENUMFLAGS32, PT.PT_UID, PT.PT_GID, PT.PT_MODE, PT.PT_SIGSET, PT.PT_IPV4ADDR, PT.PT_BOOL]],
  [8, true, [PT.PT_INT64, PT.PT_ERRNO, PT.PT_FD, PT.PT_PID]],
  [8, false, [PT.PT_UINT64, PT.PT_RELTIME, PT.PT_ABSTIME]],
] as const).flatMap(([bytes, signed, types]) => types.map((t): [number, IntParamType] => [t, { bytes, signed }])));

/** Bytes of a PT_DOUBLE parameter. */
const DOUBLE_BYTES = 8;

/**
 * Bytes a parameter of PT type `type` must have when it is not empty — an integer type's width,
 * or a double's — or 0 for a variable-length type (strings, buffers, socket addresses, ...).
 * A non-empty parameter of another length is a corrupt frame (libsinsp rejects it on read).
 */
export function fixedWidthBytes(type: number): number {
  return INT_PARAM_TYPES.get(type)?.bytes ?? (type === PT.PT_DOUBLE ? DOUBLE_BYTES : 0);
}

/** An event's row as libs declares it, without the schema objects of {@link eventInfo}. */
export interface EventRow {
  name: string;
  direction: '>' | '<';
  /** EC_* category bits. */
  category: number;
  /** EF_* flag bits. */
  flags: number;
  /** Parameters in wire order: [name, PT_* type, PF_* format, flag table?]. */
  params: readonly ParamTuple[];
}

/**
 * The row of event `id` (libs driver/event_table.c g_event_info[id]), or undefined for an id
 * beyond the table: for the tables over every id made at start-up (the output's event names,
 * evt.rawres), which build no {@link EventInfo}.
 */
export function eventRow(id: number): EventRow | undefined {
  const t = EVENT_TABLE_DATA[id];
  return t && { name: t[1], direction: directionOf(t[0]), category: t[2], flags: t[3], params: t[4] };
}

/** Per event: param name -> index (built with the event's first lookup). Names are unique within one event in libs. */
const PARAM_INDEX: Map<string, number>[] = [];

/** Event ids by event name, built at the first lookup. */
let idsByName: Map<string, number[]> | undefined;

/**
 * Schema of event `id`, or undefined when `id` is not an integer in 0..EVENT_COUNT-1.
 * The returned object is shared and frozen; do not mutate it.
 * Source: libs driver/event_table.c (g_event_info[id]).
 */
export function eventInfo(id: number): EventInfo | undefined {
  if (!Number.isInteger(id) || id < 0 || id >= EVENT_COUNT) return undefined;
  return (EVENTS[id] ??= build(id, EVENT_TABLE_DATA[id]!));
}

/**
 * Index (0-based, wire order) of parameter `name` in event `id`, or -1 if the event does
 * not declare it (or the id is unknown).
 */
export function paramIndex(id: number, name: string): number {
  const info = eventInfo(id);
  if (!info) return -1;
  let m = PARAM_INDEX[id];
  if (!m) {
    m = new Map<string, number>();
    for (const [i, p] of info.params.entries()) if (!m.has(p.name)) m.set(p.name, i);
    PARAM_INDEX[id] = m;
  }
  return m.get(name) ?? -1;
}

/**
 * All event ids whose event name is `name` (every version, both directions), ascending.
 * Returns a fresh array; empty when no event has that name.
 */
export function eventIdsByName(name: string): number[] {
  if (!idsByName) {
    idsByName = new Map<string, number[]>();
    for (const [id, [, n]] of EVENT_TABLE_DATA.entries()) {
      const list = idsByName.get(n);
      if (list) list.push(id);
      else idsByName.set(n, [id]);
    }
  }
  return idsByName.get(name)?.slice() ?? [];
}

/**
 * True when event `id` carries EF_LARGE_PAYLOAD: its parameter-length array in the frame
 * uses u32 entries instead of u16. False for unknown ids.
 */
export function isLargePayload(id: number): boolean {
  const info = eventInfo(id);
  return info !== undefined && (info.flags & EF.EF_LARGE_PAYLOAD) !== 0;
}
