// Thread attributes changed by their own syscalls, as libsinsp's parser changes
// them (libs userspace/libsinsp/parsers.cpp parse_setsid_exit, parse_capset_exit):
// the session id and the capability sets. Clone inheritance and execve are in
// lifecycle.ts.

import { KIND_SETSID, ROLE_CAP_INHERITABLE, ROLE_CAP_PERMITTED, ROLE_CAP_EFFECTIVE, roleIndex } from "./event_info";
import { paramEmpty, paramI64, paramU64 } from "./params";
import { findThread } from "./thread_table";

/** A setsid or capset exit (kind KIND_SETSID or KIND_CAPSET) of thread `tid`. */
export function onThreadAttrExit(kind: u8, type: u32, tid: i64): void {
  // Parameter 0 is the return value: the new session id, or capset's 0.
  const res = paramI64(0);
  if (res < 0) return;
  const rec = findThread(tid);
  if (rec == null) return;
  if (kind == KIND_SETSID) {
    rec.sid = res;
    return;
  }
  const eff = roleIndex(type, ROLE_CAP_EFFECTIVE);
  if (paramEmpty(eff)) return;
  rec.capInheritable = paramU64(roleIndex(type, ROLE_CAP_INHERITABLE));
  rec.capPermitted = paramU64(roleIndex(type, ROLE_CAP_PERMITTED));
  rec.capEffective = paramU64(eff);
}
