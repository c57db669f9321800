/**
 * libsinsp's evt.is_open_read / _write / _create / _exec (sinsp_filtercheck_event.cpp
 * TYPE_ISOPEN_*): which exits count as an open (open, openat, openat2, open_by_handle_at) or a
 * creat, and the PPM flag and mode bits each field tests (driver/flags_table.c, read from the
 * generated FLAG_TABLES). The filter compiler builds the same tests (ts/filter/compiler.ts).
 */
import { FLAG_TABLES } from '../events/ppm_constants.js';
import { EVENT_COUNT, eventRow } from '../events/event_table.js';

const flag = (table: string, name: string): number => FLAG_TABLES[table]!.find(([n]) => n === name)![1];

/** PPM_O_* bits of the open flags, and PPM_S_IX* bits of the mode. */
export const OPEN_BITS = {
  RDONLY: flag('file_flags', 'O_RDONLY'),
  WRONLY: flag('file_flags', 'O_WRONLY'),
  CREAT: flag('file_flags', 'O_CREAT'),
  TMPFILE: flag('file_flags', 'O_TMPFILE'),
  F_CREATED: flag('file_flags', 'O_F_CREATED'),
  EXEC_MODE: flag('chmod_mode', 'S_IXUSR') | flag('chmod_mode', 'S_IXGRP') | flag('chmod_mode', 'S_IXOTH'),
} as const;

const OPEN_NAMES = new Set(['open', 'openat', 'openat2', 'open_by_handle_at']);

/** 'open' for the exits libsinsp reads open flags of, 'creat' for creat's exit, else undefined. */
export function openKind(id: number): 'open' | 'creat' | undefined {
  const e = eventRow(id);
  if (!e || e.direction !== '<') return undefined;
  if (OPEN_NAMES.has(e.name)) return 'open';
  return e.name === 'creat' ? 'creat' : undefined;
}

let idsOfKind: { open: readonly number[]; creat: readonly number[] } | undefined;

/** The event ids of `kind`, ascending; listed at the first call (the filter compiler's), not at start-up. */
export function openKindIds(kind: 'open' | 'creat'): readonly number[] {
  idsOfKind ??= {
    open: Array.from({ length: EVENT_COUNT }, (_, id) => id).filter((id) => openKind(id) === 'open'),
    creat: Array.from({ length: EVENT_COUNT }, (_, id) => id).filter((id) => openKind(id) === 'creat'),
  };
  return idsOfKind[kind];
}

/** The four fields. */
export type OpenField = 'read' | 'write' | 'create' | 'exec';

/**
 * The value of evt.is_open_`field` (false for any other event, never missing): `flags` and `mode`
 * are the event's open flags and mode (undefined when it has none), `res` its return value.
 */
export function isOpen(field: OpenField, kind: 'open' | 'creat' | undefined, flags: number | undefined, mode: number | undefined, res: bigint | undefined, byHandle: boolean): boolean {
  const f = flags ?? 0;
  if (kind === 'creat') return field === 'exec' && mode !== undefined && (mode & OPEN_BITS.EXEC_MODE) !== 0;
  if (kind !== 'open') return false;
  switch (field) {
    case 'read': return (f & OPEN_BITS.RDONLY) !== 0;
    case 'write': return (f & OPEN_BITS.WRONLY) !== 0;
    case 'create': return (f & OPEN_BITS.F_CREATED) !== 0 || ((f & OPEN_BITS.TMPFILE) !== 0 && res !== undefined && res >= 0n);
    case 'exec': return !byHandle && (f & (OPEN_BITS.TMPFILE | OPEN_BITS.CREAT)) !== 0 && mode !== undefined && (mode & OPEN_BITS.EXEC_MODE) !== 0;
  }
}
