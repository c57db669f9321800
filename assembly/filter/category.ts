// evt.category of the current event (libs userspace/libsinsp/sinsp_filtercheck_event.cpp
// TYPE_CATEGORY, event.cpp sinsp_evt::get_category): the event table's category by name, and
// for I/O events (EC_IO_READ, EC_IO_WRITE, EC_IO_OTHER) file, net or ipc by the type of the
// event's fd ("unknown" when it has none, or another type). The shell gives each event id its
// CAT_* code (ts/wasm.ts, from the event table's EC_* category).

import { EVENT_CAPACITY } from "../event_info";
import {
  FdEntry, SCAP_FD_FILE, SCAP_FD_FILE_V2, SCAP_FD_DIRECTORY, SCAP_FD_IPV4_SOCK, SCAP_FD_IPV6_SOCK, SCAP_FD_IPV4_SERVSOCK,
  SCAP_FD_IPV6_SERVSOCK, SCAP_FD_FIFO, SCAP_FD_UNIX_SOCK, SCAP_FD_EVENT, SCAP_FD_SIGNALFD, SCAP_FD_INOTIFY, SCAP_FD_USERFAULTFD,
} from "../fd_table";
import { eventFdEntry } from "./fd_fields";

// Codes, in the order of NAMES.
export const CAT_UNKNOWN: u8 = 0;
export const CAT_OTHER: u8 = 1;
export const CAT_FILE: u8 = 2;
export const CAT_NET: u8 = 3;
export const CAT_IPC: u8 = 4;
export const CAT_MEMORY: u8 = 5;
export const CAT_PROCESS: u8 = 6;
export const CAT_SLEEP: u8 = 7;
export const CAT_SYSTEM: u8 = 8;
export const CAT_SIGNAL: u8 = 9;
export const CAT_USER: u8 = 10;
export const CAT_TIME: u8 = 11;
export const CAT_PROCESSING: u8 = 12;
export const CAT_WAIT: u8 = 13;
export const CAT_SCHEDULER: u8 = 14;
export const CAT_INTERNAL: u8 = 15;
/** An I/O event: the subcategory of its fd decides. */
export const CAT_IO: u8 = 16;
/** The I/O subcategory of a pipe, unix socket, eventfd, signalfd, inotify, userfaultfd (lower case, unlike the IPC category). */
const CAT_IO_IPC: u8 = 17;

const NAMES = [
  "unknown", "other", "file", "net", "IPC", "memory", "process", "sleep", "system", "signal", "user", "time", "processing",
  "wait", "scheduler", "internal", "", "ipc",
];
const TEXT = memory.data(16);
const CATEGORY = memory.data(<i32>EVENT_CAPACITY);

/** Sets the CAT_* code of event id `id` (0, unknown, until set). */
export function setEventCategory(id: u32, code: u8): void {
  if (id < EVENT_CAPACITY && code <= CAT_IO) store<u8>(CATEGORY + id, code);
}

/** sinsp_evt::get_category's subcategory of an I/O event, by its fd's type. */
function ioCategory(): u8 {
  const p = eventFdEntry();
  if (p == 0) return CAT_UNKNOWN;
  const t = changetype<FdEntry>(p).type;
  if (t == SCAP_FD_FILE || t == SCAP_FD_FILE_V2 || t == SCAP_FD_DIRECTORY) return CAT_FILE;
  if (t == SCAP_FD_IPV4_SOCK || t == SCAP_FD_IPV6_SOCK || t == SCAP_FD_IPV4_SERVSOCK || t == SCAP_FD_IPV6_SERVSOCK) return CAT_NET;
  if (t == SCAP_FD_FIFO || t == SCAP_FD_UNIX_SOCK || t == SCAP_FD_EVENT || t == SCAP_FD_SIGNALFD || t == SCAP_FD_INOTIFY || t == SCAP_FD_USERFAULTFD) return CAT_IO_IPC;
  return CAT_UNKNOWN;
}

/** The value categoryText() left. */
export let categoryPtr: usize = 0;
export let categoryLen: u32 = 0;

/** Loads evt.category of the event of id `type` (always present). */
export function loadCategory(type: u32): bool {
  let code = type < EVENT_CAPACITY ? load<u8>(CATEGORY + type) : CAT_UNKNOWN;
  if (code == CAT_IO) code = ioCategory();
  const s = NAMES[code];
  categoryLen = <u32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, TEXT, false);
  categoryPtr = TEXT;
  return true;
}
