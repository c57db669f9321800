/**
 * Syscall names of generic events. libs sends a syscall without an event of its own as
 * PPME_GENERIC_E/X with parameter `ID` (a ppm_sc code, u16) and `nativeID` (the architecture's
 * syscall number); libsinsp prints the exit's evt.type as the ppm_sc code's name
 * (userspace/libsinsp/sinsp_filtercheck_event.cpp TYPE_TYPE: scap_get_ppm_sc_name(), and when
 * the code is PPM_SC_UNKNOWN and nativeID is present, scap_native_id_to_ppm_sc(nativeID)).
 * Tables generated from libs by scripts/gen_syscall_table.mjs (syscall_table_data.ts).
 */
import { PPM_SC_MAX, PPM_SC_NAMES, NATIVE_TO_PPM_SC } from './syscall_table_data.js';

export { PPM_SC_MAX, PPM_SC_NAMES, NATIVE_TO_PPM_SC };

/** PPM_SC_UNKNOWN. */
export const PPM_SC_UNKNOWN = 0;

/**
 * The ppm_sc code libsinsp names a generic exit by: `id` (parameter ID), or when that is
 * PPM_SC_UNKNOWN and `nativeId` (parameter nativeID) is present, its x86_64 mapping
 * (PPM_SC_UNKNOWN when the table has none).
 */
export function genericSyscall(id: number, nativeId: number | undefined): number {
  if (id !== PPM_SC_UNKNOWN || nativeId === undefined) return id;
  return NATIVE_TO_PPM_SC[nativeId] ?? PPM_SC_UNKNOWN;
}

/** Name of ppm_sc code `sc` ("" when unassigned or out of range), as scap_get_ppm_sc_name(). */
export function syscallName(sc: number): string {
  return PPM_SC_NAMES[sc] ?? '';
}

const NAMES = new Set(PPM_SC_NAMES.filter((name) => name !== ''));

/** Whether `name` is the name of some ppm_sc code. */
export function isSyscallName(name: string): boolean {
  return NAMES.has(name);
}
