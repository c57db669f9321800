// The scanner: walks scap blocks in the input buffer, validates each event
// frame, applies state-changing frames to the thread table and stops on every
// frame the emit mask selects and the filter (filter/vm.ts) matches (STATUS_EVENT), on a non-event block
// (STATUS_OTHER_BLOCK), on an incomplete block (STATUS_NEED_MORE) or on
// corruption (STATUS_FAULT); with setStateExecs, on an exec exit not emitted (STATUS_STATE_EXEC). Every length read from input is checked with
// unsigned comparisons before anything past it is loaded.

import {
  FRAME_TS, FRAME_TID, FRAME_LEN, FRAME_TYPE, FRAME_NPARAMS, FRAME_HEADER_V1, FRAME_HEADER_V2,
  MAX_PARAMS, BLOCK_HEADER, BLOCK_TRAILER, MAX_EVENT_BLOCK_BYTES, MAX_LARGE_EVENT_BLOCK_BYTES, MAX_BLOCK_BYTES,
  EV_BLOCK_TYPE, EV_BLOCK_TYPE_INT, EV_BLOCK_TYPE_V2, EV_BLOCK_TYPE_V2_LARGE,
  EVF_BLOCK_TYPE, EVF_BLOCK_TYPE_V2, EVF_BLOCK_TYPE_V2_LARGE,
} from "./frame";
import {
  STATUS_NEED_MORE, STATUS_EVENT, STATUS_OTHER_BLOCK, STATUS_FAULT, STATUS_STATE_EXEC, STATUS_OUTPUT,
  FAULT_NONE, FAULT_BLOCK_LENGTH, FAULT_BLOCK_TRAILER, FAULT_FRAME_LENGTH, FAULT_NPARAMS,
  FAULT_PARAM_LENGTH, FAULT_V1_NPARAMS, FAULT_PARAM_WIDTH,
} from "./status";
import {
  EVENT_CAPACITY, KIND_OTHER, KIND_CLONE, KIND_EXECVE, KIND_PROCEXIT, KIND_INITIAL_STATE,
  KIND_FILE_OPEN, KIND_SETSID, KIND_FD, eventKind, eventNparams, isKnownEvent, isLargePayload, paramWidth,
} from "./event_info";
import { PARAM_PTR, PARAM_LEN, setFrameNparams } from "./params";
import { onCloneExit, onExecveExit, onProcexitApplied, exitReaper } from "./lifecycle";
import { onThreadAttrExit } from "./thread_attrs";
import { onCredentialEvent } from "./users";
import { onFileEvent } from "./file_events";
import { onFdEvent, fdAction, fdTracking, applyPendingClose, FD_ACT_NONE } from "./fd_events";
import { filterCount, runFilters } from "./filter/vm";
import { isGenericExit, mayEmitGenericV2, syscallEmitted } from "./syscall";
import { SD_EXE_HASH_E, onExeHashEvent } from "./exe_hash";
import { formatting, formatEvent } from "./output";

// Input: a buffer owned by the scanner; the shell copies stream bytes into it.
let input: usize = 0;
let inputCapacity: u32 = 0;

// Cursor state, as offsets into the input buffer.
let cursor: u32 = 0;
let needed: u32 = 0;

// The current event (valid after STATUS_EVENT until the next scan()).
let framePtr: usize = 0;
let frameHeaderLen: u32 = 0;
let frameCpu: u32 = 0;
let blockStart: u32 = 0;
let eventNum: u64 = 0;
let initialPhase: bool = true;
/** In a later section of a concatenated capture (libsinsp does not number its leading user/group events). */
let laterSection: bool = false;

// Frames of ids the event table does not know, skipped.
let unknownEvents: u32 = 0;

/** Frames skipped because their event id is not in the event table. */
export function unknownEventCount(): u32 { return unknownEvents; }

// Fault details (valid after STATUS_FAULT).
let faultCode: i32 = FAULT_NONE;
let faultAt: u32 = 0;
let faultValue: u32 = 0;
// The frame's event id and the parameter's index (valid after FAULT_PARAM_WIDTH).
let faultEvent: u32 = 0;
let faultParam: u32 = 0;

// A procexit is applied after the shell has seen the event (libsinsp removes
// the thread after the event is processed).
let pendingExitTid: i64 = 0;
let pendingExitTs: u64 = 0;
/** The procexit's reaper_tid, REAPER_UNKNOWN when the event has none (lifecycle.ts). */
let pendingExitReaper: i64 = 0;
let hasPendingExit: bool = false;

// Whether this instance owns the bytes being scanned (parallel decoding): when
// not, frames only update the thread table and numbering; nothing is emitted.
let owned: bool = true;

/** Sets whether the following bytes are this instance's to emit (see parallel.ts). */
export function setOwned(on: bool): void {
  owned = on;
}

// Whether exec exits that are not emitted come back as STATUS_STATE_EXEC (status.ts).
let stateExecs: bool = false;

/** Sets whether exec exits not emitted are returned as STATUS_STATE_EXEC. */
export function setStateExecs(on: bool): void {
  stateExecs = on;
}

/**
 * The splitter: from `start`, walks block headers only and returns the offset
 * of the first block boundary at or past `target`, or the last complete block
 * boundary before `end` (which may be `start` when no block is complete). A
 * length outside the valid range ends the walk there: the decoder reports it.
 */
export function splitBlocks(start: u32, end: u32, target: u32): u32 {
  let at = start;
  while (at < target && end - at >= BLOCK_HEADER) {
    const blen = load<u32>(input + at, 4);
    if (blen < BLOCK_HEADER + BLOCK_TRAILER || blen > MAX_BLOCK_BYTES || blen > end - at) break;
    at += blen;
  }
  return at;
}

// Which event ids stop the scan (1 byte per id); ids beyond EVENT_CAPACITY use the last slot.
const EMIT_MASK = memory.data(<i32>(EVENT_CAPACITY + 1));

export function setEmit(id: u32, on: bool): void {
  store<u8>(EMIT_MASK + (id < EVENT_CAPACITY ? id : EVENT_CAPACITY), on ? 1 : 0);
}

/** Ensures the input buffer holds at least `bytes`, keeping its content; returns its pointer. */
export function reserveInput(bytes: u32): usize {
  if (bytes <= inputCapacity) return input;
  let cap = inputCapacity == 0 ? <u32>(1 << 22) : inputCapacity;
  while (cap < bytes) cap <<= 1;
  input = input == 0 ? heap.alloc(cap) : heap.realloc(input, cap);
  inputCapacity = cap;
  return input;
}

export function inputPtr(): usize { return input; }
export function getCursor(): u32 { return cursor; }
export function setCursor(c: u32): void { cursor = c; }
export function neededBytes(): u32 { return needed; }
export function currentFrame(): usize { return framePtr; }
export function currentHeaderLen(): u32 { return frameHeaderLen; }
export function currentCpu(): u32 { return frameCpu; }
export function currentBlockStart(): u32 { return blockStart; }
export function currentEventNum(): u64 { return eventNum; }
export function getFaultCode(): i32 { return faultCode; }
export function getFaultAt(): u32 { return faultAt; }
export function getFaultValue(): u32 { return faultValue; }
export function getFaultEvent(): u32 { return faultEvent; }
export function getFaultParam(): u32 { return faultParam; }

/** Block type and length at the cursor (for STATUS_OTHER_BLOCK); the shell needs both. */
export function blockTypeAtCursor(): u32 { return load<u32>(input + cursor); }
export function blockLengthAtCursor(): u32 { return load<u32>(input + cursor, 4); }

/**
 * Skips the event block at the cursor after a frame-level fault (the block's
 * length and trailer were sound). It is numbered like any frame of a sound
 * block — unless its id is beyond the table — so that replicas that did not
 * validate it (parallel decoding) number the same.
 */
export function skipFaultyBlock(): void {
  const b = input + cursor;
  const pre: u32 = hasFlagsWord(load<u32>(b)) ? 6 : 2;
  const type = <u32>load<u16>(b + BLOCK_HEADER + pre, FRAME_TYPE);
  if (isKnownEvent(type)) {
    initialPhase = initialPhase && eventKind(type) == KIND_INITIAL_STATE;
    if (!(initialPhase && laterSection)) eventNum++;
  } else unknownEvents++;
  cursor += load<u32>(b, 4);
}

/** Moves the cursor past the block at it (after the shell parsed a non-event block). */
export function skipBlock(): void {
  cursor += load<u32>(input + cursor, 4);
}

/**
 * A new section of a concatenated capture: its leading user/group events are consumed again,
 * and not numbered (libsinsp numbers those of the first section only).
 */
export function restartInitialPhase(): void {
  initialPhase = true;
  laterSection = true;
}

/** Resets the event numbering and the per-capture state (a new capture). */
export function resetScanner(): void {
  cursor = 0;
  needed = 0;
  eventNum = 0;
  unknownEvents = 0;
  initialPhase = true;
  laterSection = false;
  hasPendingExit = false;
  faultCode = FAULT_NONE;
}

function fault(code: i32, at: u32, value: u32): i32 {
  faultCode = code;
  faultAt = at;
  faultValue = value;
  return STATUS_FAULT;
}

// @ts-ignore: decorator
@inline function isEventBlock(t: u32): bool {
  return t == EV_BLOCK_TYPE_V2 || t == EV_BLOCK_TYPE || t == EV_BLOCK_TYPE_V2_LARGE ||
    t == EVF_BLOCK_TYPE_V2 || t == EVF_BLOCK_TYPE || t == EVF_BLOCK_TYPE_V2_LARGE ||
    t == EV_BLOCK_TYPE_INT;
}

// @ts-ignore: decorator
@inline function isV2Block(t: u32): bool {
  return t == EV_BLOCK_TYPE_V2 || t == EV_BLOCK_TYPE_V2_LARGE ||
    t == EVF_BLOCK_TYPE_V2 || t == EVF_BLOCK_TYPE_V2_LARGE;
}

// @ts-ignore: decorator
@inline function hasFlagsWord(t: u32): bool {
  return t == EVF_BLOCK_TYPE || t == EVF_BLOCK_TYPE_V2 || t == EVF_BLOCK_TYPE_V2_LARGE;
}

/**
 * Validates a v2 frame of at most `avail` bytes at `f` and fills the parameter
 * table (libscap validate_v2_event). Returns FAULT_NONE or the fault code.
 */
function walkV2(f: usize, avail: u32, at: u32): i32 {
  const len = load<u32>(f, FRAME_LEN);
  if (len < FRAME_HEADER_V2 || len > avail) { faultValue = len; faultAt = at + FRAME_LEN; return FAULT_FRAME_LENGTH; }
  const type = <u32>load<u16>(f, FRAME_TYPE);
  const nparams = load<u32>(f, FRAME_NPARAMS);
  const lenSize: u32 = isLargePayload(type) ? 4 : 2;
  if (nparams > MAX_PARAMS || FRAME_HEADER_V2 + nparams * lenSize > len) {
    faultValue = nparams; faultAt = at + FRAME_NPARAMS; return FAULT_NPARAMS;
  }
  return walkParams(f, type, FRAME_HEADER_V2, nparams, lenSize, len, at);
}

/**
 * Fills the parameter table from the length array; a length past the frame, or a non-empty
 * fixed-width parameter (event table) of another length, is a fault at its length entry.
 */
function walkParams(f: usize, type: u32, headerLen: u32, nparams: u32, lenSize: u32, len: u32, at: u32): i32 {
  let off: u32 = headerLen + nparams * lenSize;
  const lens = f + headerLen;
  for (let i: u32 = 0; i < nparams; i++) {
    const n: u32 = lenSize == 2 ? <u32>load<u16>(lens + (i << 1)) : load<u32>(lens + (i << 2));
    if (n > len - off) { faultValue = n; faultAt = at + headerLen + i * lenSize; return FAULT_PARAM_LENGTH; }
    const width = paramWidth(type, i);
    if (n != width && n != 0 && width != 0) {
      faultValue = n; faultAt = at + headerLen + i * lenSize; faultEvent = type; faultParam = i;
      return FAULT_PARAM_WIDTH;
    }
    store<u32>(PARAM_PTR + (i << 2), <u32>(f + off));
    store<u32>(PARAM_LEN + (i << 2), n);
    off += n;
  }
  setFrameNparams(nparams);
  return FAULT_NONE;
}

/**
 * A v1 frame (22-byte header, no nparams): the count is the largest n ≤ the
 * table's nparams whose lengths end exactly at `len` (libscap's conversion rule).
 */
function walkV1(f: usize, avail: u32, at: u32): i32 {
  const len = load<u32>(f, FRAME_LEN);
  if (len < FRAME_HEADER_V1 || len > avail) { faultValue = len; faultAt = at + FRAME_LEN; return FAULT_FRAME_LENGTH; }
  const type = <u32>load<u16>(f, FRAME_TYPE);
  if (!isKnownEvent(type)) { setFrameNparams(0); return FAULT_NONE; }
  const lenSize: u32 = isLargePayload(type) ? 4 : 2;
  let n = eventNparams(type);
  while (true) {
    const lensEnd = FRAME_HEADER_V1 + n * lenSize;
    if (lensEnd <= len) {
      let end: u64 = <u64>lensEnd;
      for (let i: u32 = 0; i < n; i++) {
        end += lenSize == 2 ? <u64>load<u16>(f + FRAME_HEADER_V1 + (i << 1)) : <u64>load<u32>(f + FRAME_HEADER_V1 + (i << 2));
      }
      if (end < <u64>len) break; // libscap: corrupted, cannot calculate nparams
      if (end == <u64>len) return walkParams(f, type, FRAME_HEADER_V1, n, lenSize, len, at);
    }
    if (n == 0) break;
    n--;
  }
  faultValue = type; faultAt = at;
  return FAULT_V1_NPARAMS;
}

/**
 * Walks from the cursor to `end` (offsets into the input buffer). See the
 * STATUS_* codes in status.ts for what the shell does next.
 */
export function scan(end: u32): i32 {
  applyPendingClose();
  if (hasPendingExit) {
    onProcexitApplied(pendingExitTid, pendingExitTs, pendingExitReaper);
    hasPendingExit = false;
  }
  while (true) {
    const rem = end - cursor;
    if (rem < BLOCK_HEADER) { needed = BLOCK_HEADER; return STATUS_NEED_MORE; }
    const b = input + cursor;
    const btype = load<u32>(b);
    if (!isEventBlock(btype)) return STATUS_OTHER_BLOCK;
    const blen = load<u32>(b, 4);
    const v2 = isV2Block(btype);
    const hdr: u32 = v2 ? FRAME_HEADER_V2 : FRAME_HEADER_V1;
    const pre: u32 = hasFlagsWord(btype) ? 6 : 2; // cpuid u16 [+ flags u32]
    const maxLen = btype == EV_BLOCK_TYPE_V2_LARGE || btype == EVF_BLOCK_TYPE_V2_LARGE ? MAX_LARGE_EVENT_BLOCK_BYTES : MAX_EVENT_BLOCK_BYTES;
    if (blen < BLOCK_HEADER + pre + hdr + BLOCK_TRAILER || blen > maxLen) {
      return fault(FAULT_BLOCK_LENGTH, cursor + 4, blen);
    }
    if (rem < blen) { needed = blen; return STATUS_NEED_MORE; }
    if (load<u32>(b + blen - BLOCK_TRAILER) != blen) {
      return fault(FAULT_BLOCK_TRAILER, cursor + blen - BLOCK_TRAILER, load<u32>(b + blen - BLOCK_TRAILER));
    }
    const f = b + BLOCK_HEADER + pre;
    const type = <u32>load<u16>(f, FRAME_TYPE); // inside the block: blen covers the header
    // scapdrift's exe-hash metadata (exe_hash.ts): state for every replica, never numbered
    // or delivered (libscap skips it as an id beyond its table).
    if (type == SD_EXE_HASH_E && v2) {
      const code = walkV2(f, blen - BLOCK_HEADER - pre - BLOCK_TRAILER, cursor + BLOCK_HEADER + pre);
      if (code != FAULT_NONE) { faultCode = code; return STATUS_FAULT; }
      onExeHashEvent();
      cursor += blen;
      continue;
    }
    const kind = eventKind(type);
    // A frame is walked (validated, its parameter table filled) when its parameters are used: it
    // changes state (the thread table; fd events while fds are tracked), or this instance owns it
    // and emits its type (the filter, the output read them). The others — another worker's batch,
    // a type no condition or rule can match — are hopped over, as libsinsp loads an event's
    // parameters only when something asks (sinsp_evt::get_param, SINSP_EF_PARAMS_LOADED).
    const state = kind != KIND_OTHER && (kind != KIND_FD || fdTracking());
    const selected = owned && load<u8>(EMIT_MASK + (type < EVENT_CAPACITY ? type : EVENT_CAPACITY)) != 0 &&
      !(v2 && isGenericExit(type) && !mayEmitGenericV2(f, blen - BLOCK_HEADER - pre - BLOCK_TRAILER));
    if (state || selected) {
      const frameAt = cursor + BLOCK_HEADER + pre;
      const avail = blen - BLOCK_HEADER - pre - BLOCK_TRAILER;
      const code = v2 ? walkV2(f, avail, frameAt) : walkV1(f, avail, frameAt);
      if (code != FAULT_NONE) { faultCode = code; return STATUS_FAULT; }
    }

    blockStart = cursor;
    cursor += blen;
    // An id beyond the event table (a newer driver, or corruption) is walked and
    // skipped, never numbered or delivered, as libscap does; the shell reports the count.
    if (!isKnownEvent(type)) { unknownEvents++; continue; }
    // libsinsp consumes the leading user/group/container events at open: numbered, never shown
    // (those of a later section of a concatenated capture are not even numbered).
    if (kind == KIND_INITIAL_STATE) {
      onCredentialEvent(type);
      if (initialPhase) {
        if (!laterSection) eventNum++;
        continue;
      }
    }
    eventNum++;
    initialPhase = false;
    const tid = load<i64>(f, FRAME_TID);
    if (kind == KIND_CLONE) onCloneExit(type, tid, load<u64>(f, FRAME_TS));
    else if (kind == KIND_EXECVE) onExecveExit(type, tid, load<u64>(f, FRAME_TS));
    else if (kind >= KIND_SETSID && kind < KIND_FD) onThreadAttrExit(kind, type, tid);
    else if (kind >= KIND_FILE_OPEN && kind < KIND_SETSID) onFileEvent(kind, type, tid, load<u64>(f, FRAME_TS));
    if (fdAction(type) != FD_ACT_NONE) { if (fdTracking()) onFdEvent(eventNum, type, tid); }
    else if (kind == KIND_PROCEXIT) {
      pendingExitTid = tid;
      pendingExitTs = load<u64>(f, FRAME_TS);
      pendingExitReaper = exitReaper(type);
      hasPendingExit = true;
    }
    const cpu = <u32>load<u16>(b, BLOCK_HEADER);
    // Emitted: the type is selected (for a generic exit, its syscall) and, when a filter is set,
    // some program matches.
    if (!selected ||
      (isGenericExit(type) && !syscallEmitted()) ||
      (filterCount() > 0 && !runFilters(f, type, cpu, eventNum))) {
      applyPendingClose();
      if (hasPendingExit) { onProcexitApplied(pendingExitTid, pendingExitTs, pendingExitReaper); hasPendingExit = false; }
      if (!stateExecs || kind != KIND_EXECVE) continue;
      framePtr = f;
      frameHeaderLen = hdr;
      frameCpu = cpu;
      return STATUS_STATE_EXEC;
    }
    framePtr = f;
    frameHeaderLen = hdr;
    frameCpu = cpu;
    if (!formatting) return STATUS_EVENT;
    // Formatted here (output.ts); the shell sees the output buffer only when it is full.
    const full = formatEvent(f, type, cpu, eventNum);
    // State changes that wait until the event was seen: the close, the exit.
    applyPendingClose();
    if (hasPendingExit) { onProcexitApplied(pendingExitTid, pendingExitTs, pendingExitReaper); hasPendingExit = false; }
    if (full) return STATUS_OUTPUT;
  }
}

