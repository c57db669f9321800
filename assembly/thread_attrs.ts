// Thread attributes changed by their own syscalls, as libsinsp's parser changes
// them (libs userspace/libsinsp/parsers.cpp parse_setsid_exit, parse_capset_exit,
// parse_set*uid_exit, parse_set*gid_exit): the session id, the capability sets,
// the uid and the gid. Clone inheritance and execve are in lifecycle.ts.

import {
  KIND_SETSID, KIND_CAPSET, KIND_SETUID, ROLE_CAP_INHERITABLE, ROLE_CAP_PERMITTED, ROLE_CAP_EFFECTIVE, ROLE_UID,
  ROLE_GID, ROLE_EUID, roleIndex,
} from "./event_info";
import { paramEmpty, paramI64, paramU64 } from "./params";
import { findThread } from "./thread_table";
import { ThreadRecord, HAS_UID, HAS_GID } from "./thread_record";

/** A setsid, capset, set*uid or set*gid exit (kind KIND_SETSID and up) of thread `tid`. */
export function onThreadAttrExit(kind: u8, type: u32, tid: i64): void {
  // Parameter 0 is the return value: the new session id, or 0.
  const res = paramI64(0);
  if (res < 0) return;
  const rec = findThread(tid);
  if (rec == null) return;
  if (kind == KIND_SETSID) {
    rec.sid = res;
    return;
  }
  if (kind != KIND_CAPSET) {
    if (res == 0) setId(rec, type, kind == KIND_SETUID);
    return;
  }
  const eff = roleIndex(type, ROLE_CAP_EFFECTIVE);
  if (paramEmpty(eff)) return;
  rec.capInheritable = paramU64(roleIndex(type, ROLE_CAP_INHERITABLE));
  rec.capPermitted = paramU64(roleIndex(type, ROLE_CAP_PERMITTED));
  rec.capEffective = paramU64(eff);
}

/** The uid (or gid) a set*id exit leaves: the effective id (euid/egid), or setuid's/setgid's only one. */
function setId(rec: ThreadRecord, type: u32, user: bool): void {
  let i = roleIndex(type, ROLE_EUID);
  if (paramEmpty(i)) i = roleIndex(type, user ? ROLE_UID : ROLE_GID);
  if (paramEmpty(i)) return;
  const id = <u32>paramU64(i);
  if (user) { rec.uid = id; rec.presence |= HAS_UID; }
  else { rec.gid = id; rec.presence |= HAS_GID; }
}
