/**
 * Event schema lookups for .scap kernel events.
 *
 * Backed by the generated tables in `event_table_data.ts` (from falcosecurity/libs
 * `driver/event_table.c`, the `g_event_info[]` array) and `ppm_constants.ts`
 * (from `driver/ppm_events_public.h` / `driver/flags_table.c`).
 *
 * Everything is materialised once at module load; every lookup below is O(1)
 * (an array index or a Map get).
 */

import { EVENT_TABLE_DATA, type EventTuple } from './event_table_data.js';
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

function build(id: number, t: EventTuple): EventInfo {
  const [enumName, name, category, flags, params] = t;
  return Object.freeze({
    id,
    name,
    enumName,
    direction: enumName.endsWith('_E') ? '>' : '<',
    category,
    flags,
    params: params.map(([pname, type, format, flagTable]) => {
      const p: ParamInfo = { name: pname, type, typeName: PT_NAMES[type] ?? `PT_${type}`, format };
      if (flagTable !== undefined) p.flagTable = flagTable;
      return Object.freeze(p);
    }),
  }) as EventInfo;
}

const EVENTS: EventInfo[] = EVENT_TABLE_DATA.map((t, id) => build(id, t));
if (EVENTS.length !== EVENT_COUNT) {
  throw new Error(`event table has ${EVENTS.length} entries, expected PPM_EVENT_MAX=${EVENT_COUNT}`);
}

/** Per event: param name -> index. Names are unique within one event in libs. */
const PARAM_INDEX: Map<string, number>[] = EVENTS.map((e) => {
  const m = new Map<string, number>();
  e.params.forEach((p, i) => {
    if (!m.has(p.name)) m.set(p.name, i);
  });
  return m;
});

const IDS_BY_NAME = new Map<string, number[]>();
for (const e of EVENTS) {
  const list = IDS_BY_NAME.get(e.name);
  if (list) list.push(e.id);
  else IDS_BY_NAME.set(e.name, [e.id]);
}

const LARGE_PAYLOAD: Uint8Array = Uint8Array.from(EVENTS, (e) => ((e.flags & EF.EF_LARGE_PAYLOAD) !== 0 ? 1 : 0));

/**
 * Schema of event `id`, or undefined when `id` is not an integer in 0..EVENT_COUNT-1.
 * The returned object is shared and frozen; do not mutate it.
 * Source: libs driver/event_table.c (g_event_info[id]).
 */
export function eventInfo(id: number): EventInfo | undefined {
  return EVENTS[id];
}

/**
 * Index (0-based, wire order) of parameter `name` in event `id`, or -1 if the event does
 * not declare it (or the id is unknown).
 */
export function paramIndex(id: number, name: string): number {
  return PARAM_INDEX[id]?.get(name) ?? -1;
}

/**
 * All event ids whose event name is `name` (every version, both directions), ascending.
 * Returns a fresh array; empty when no event has that name.
 */
export function eventIdsByName(name: string): number[] {
  return IDS_BY_NAME.get(name)?.slice() ?? [];
}

/**
 * True when event `id` carries EF_LARGE_PAYLOAD: its parameter-length array in the frame
 * uses u32 entries instead of u16. False for unknown ids.
 */
export function isLargePayload(id: number): boolean {
  return LARGE_PAYLOAD[id] === 1;
}
