// Generic syscall events: libs sends a syscall without an event of its own as PPME_GENERIC_E/X,
// with parameter 0 `ID` (a ppm_sc code, u16) and parameter 1 `nativeID` (the architecture's
// syscall number, u16). libsinsp names the exit by the ppm_sc code; when that is PPM_SC_UNKNOWN
// and nativeID is present, by the code its syscall table gives the native number
// (sinsp_filtercheck_event.cpp TYPE_TYPE, libscap scap_native_id_to_ppm_sc()). The shell fills
// the event id and the native table at start-up from ts/events/syscalls.ts (generated from libs).

import { paramLen, paramU64 } from "./params";
import { FRAME_HEADER_V2, FRAME_NPARAMS, MAX_PARAMS } from "./frame";

/** Native syscall numbers the table covers (x86_64 has fewer than 512). */
export const NATIVE_CAPACITY: u32 = 1024;
/** ppm_sc codes an emit mask or filter bitmap covers (PPM_SC_MAX is 454 today). */
export const SYSCALL_CAPACITY: u32 = 1024;

const PPM_SC_UNKNOWN: u32 = 0;
const PARAM_ID: u32 = 0;
const PARAM_NATIVE_ID: u32 = 1;

const NATIVE_TO_SC = memory.data(<i32>(NATIVE_CAPACITY * 2));
/** Per ppm_sc code: whether a generic exit of that syscall stops the scan (see scanner.ts). */
const EMIT_SC = memory.data(<i32>SYSCALL_CAPACITY);
/** Event id of PPME_GENERIC_X (u32 max until the shell says). */
let genericExitId: u32 = 0xffff_ffff;

/** Records the event id of the generic exit (PPME_GENERIC_X). */
export function setGenericExitEvent(id: u32): void {
  genericExitId = id;
}

/** Records that native syscall `native` is ppm_sc code `sc`. */
export function setNativeSyscall(native: u32, sc: u32): void {
  if (native < NATIVE_CAPACITY) store<u16>(NATIVE_TO_SC + (native << 1), <u16>sc);
}

// @ts-ignore: decorator
@inline export function isGenericExit(type: u32): bool {
  return type == genericExitId;
}

/** ppm_sc code of the current frame, a generic exit (parameters walked). */
export function currentSyscall(): u32 {
  const id = paramLen(PARAM_ID) == 2 ? <u32>paramU64(PARAM_ID) : PPM_SC_UNKNOWN;
  if (id != PPM_SC_UNKNOWN || paramLen(PARAM_NATIVE_ID) != 2) return id;
  const native = <u32>paramU64(PARAM_NATIVE_ID);
  return native < NATIVE_CAPACITY ? <u32>load<u16>(NATIVE_TO_SC + (native << 1)) : PPM_SC_UNKNOWN;
}

/** Sets whether generic exits of every ppm_sc code are emitted. */
export function setEmitAllSyscalls(on: bool): void {
  memory.fill(EMIT_SC, on ? 1 : 0, SYSCALL_CAPACITY);
}

/** Sets whether generic exits of ppm_sc code `sc` are emitted. */
export function setEmitSyscall(sc: u32, on: bool): void {
  if (sc < SYSCALL_CAPACITY) store<u8>(EMIT_SC + sc, on ? 1 : 0);
}

/**
 * Whether a generic exit's v2 frame at `f` (`len` bytes, sound block) may be of an emitted
 * syscall, from its `ID` parameter alone, before its parameters are walked: false only when ID is
 * a known ppm_sc code (2 bytes, inside the frame) that is not emitted. Anything else (PPM_SC_UNKNOWN:
 * the native number decides; an odd layout: the walk reports it) answers true, and the frame is
 * walked and checked by {@link syscallEmitted} as before. A filtered read then skips the walk of
 * most generic exits (~10 % of busy.scap's frames).
 */
export function mayEmitGenericV2(f: usize, len: u32): bool {
  const nparams = load<u32>(f, FRAME_NPARAMS);
  if (nparams < 1 || nparams > MAX_PARAMS || FRAME_HEADER_V2 + nparams * 2 + 2 > len) return true;
  if (load<u16>(f + FRAME_HEADER_V2) != 2) return true;
  const sc = <u32>load<u16>(f + FRAME_HEADER_V2 + nparams * 2);
  return sc == PPM_SC_UNKNOWN || sc >= SYSCALL_CAPACITY || load<u8>(EMIT_SC + sc) != 0;
}

/** Whether the current frame, a generic exit, is of a syscall that is emitted. */
export function syscallEmitted(): bool {
  const sc = currentSyscall();
  return sc < SYSCALL_CAPACITY && load<u8>(EMIT_SC + sc) != 0;
}
