// Walks from a thread to its ancestors through the thread table, as libsinsp's
// thread manager does (libs userspace/libsinsp/thread_manager.cpp:
// get_ancestor_process, traverse_parent_state, get_oldest_matching_ancestor).
// Nothing is stored: every walk reads the table, so it costs only where a field
// asks for it, and it allocates nothing.

import { ThreadRecord, IN_OWN_PIDNS } from "./thread_record";
import { findThread } from "./thread_table";

/**
 * The main thread of `r`'s process (tid = pid). When the table lacks it (a leader
 * that exited while its threads run on), `r` itself stands in: its ptid is the
 * leader's (proc.ppid's rule, ts/fields/fields.ts parentPid).
 */
export function mainThread(r: ThreadRecord): ThreadRecord {
  if (r.tid == r.pid) return r;
  const m = findThread(r.pid);
  return m == null ? r : m;
}

/**
 * libsinsp get_ancestor_process(tinfo, n): n = 0 is the main thread of `r`'s process,
 * 1 the main thread of its parent process (proc.pname, proc.apid[1]), and so on; null
 * when a link is not in the table.
 */
export function ancestorProcess(r: ThreadRecord, n: u32): ThreadRecord | null {
  let mt = mainThread(r);
  for (let i: u32 = 0; i < n; i++) {
    const p = findThread(mt.ptid);
    if (p == null) return null;
    mt = mainThread(p);
  }
  return mt;
}

// traverse_parent_state as an iterator: `slow` is the ancestor handed out, `fast`
// moves two links per step; meeting, or a thread that is its own parent, is a loop
// and ends the walk (libsinsp reports it and stops the same way).
let slow: usize = 0;
let fast: usize = 0;
let started: bool = false;

// @ts-ignore: decorator
@inline function parentOf(p: usize): usize {
  return p == 0 ? 0 : changetype<usize>(findThread(changetype<ThreadRecord>(p).ptid));
}

/** Starts a walk over the parent threads of `r` (by ptid, not by process). */
export function beginParents(r: ThreadRecord): void {
  slow = parentOf(changetype<usize>(r));
  fast = parentOf(slow);
  started = false;
}

/** The next ancestor of the walk begun by beginParents(), or 0 at its end. */
export function nextParent(): usize {
  if (!started) {
    started = true;
  } else {
    slow = parentOf(slow);
    for (let i = 0; i < 2; i++) {
      fast = parentOf(fast);
      if (slow != 0 && (slow == fast || changetype<ThreadRecord>(slow).tid == changetype<ThreadRecord>(slow).ptid)) {
        slow = 0;
        return 0;
      }
    }
  }
  if (slow == 0 || changetype<ThreadRecord>(slow).tid == -1) return 0;
  return slow;
}

/**
 * libsinsp get_oldest_matching_ancestor with a virtual id: the thread whose tid is
 * `id` (sid or vpgid of `r`) when `r` is in the host's pid namespace and the table
 * has it; else the oldest of the unbroken run of ancestors that share `id`; 0 when
 * none (or `id` is -1).
 */
export function oldestWithId(r: ThreadRecord, id: i64, bySid: bool): usize {
  if (id == -1) return 0;
  if ((r.presence & IN_OWN_PIDNS) == 0 && r.tid == r.vtid) {
    const leader = findThread(id);
    if (leader != null) return changetype<usize>(leader);
  }
  let found: usize = 0;
  beginParents(r);
  for (let p = nextParent(); p != 0; p = nextParent()) {
    const pr = changetype<ThreadRecord>(p);
    if ((bySid ? pr.sid : pr.vpgid) != id) break;
    found = p;
  }
  return found;
}
