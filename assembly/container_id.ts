// container.id from a cgroups parameter: NUL-separated "subsys=/path" entries
// (libs parameter `cgroups`). A container runtime puts its 64-hex-digit id in
// the path, as a whole component (cgroupfs driver: /docker/<id>,
// /kubepods/.../<id>) or inside a systemd scope (docker-<id>.scope,
// cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope). Falco shows
// the first 12 digits; no match means the host.

import { ThreadRecord, CONTAINER_ID_BYTES, HAS_CONTAINER_START } from "./thread_record";

const FULL_ID_DIGITS: u32 = 64;

// @ts-ignore: decorator
@inline function isHex(c: u32): bool {
  return (c - 48 < 10) || (c - 97 < 6);
}

// @ts-ignore: decorator
@inline function isBoundary(c: u32): bool {
  // Characters that may precede or follow the id in a cgroup path.
  return c == 47 /* / */ || c == 45 /* - */ || c == 61 /* = */ || c == 46 /* . */ || c == 58 /* : */ || c == 0;
}

/**
 * Sets rec.containerId from the cgroups bytes at [ptr, ptr+len). Returns true
 * when an id was found; leaves "host" (length 0) otherwise.
 */
export function setContainerId(rec: ThreadRecord, ptr: usize, len: u32): bool {
  let run: u32 = 0;
  for (let i: u32 = 0; i <= len; i++) {
    const c: u32 = i < len ? <u32>load<u8>(ptr + i) : 0;
    if (isHex(c)) {
      run++;
      continue;
    }
    if (run == FULL_ID_DIGITS && isBoundary(c)) {
      const start = i - run;
      const before: u32 = start == 0 ? 47 : <u32>load<u8>(ptr + start - 1);
      if (isBoundary(before)) {
        rec.containerId0 = load<u64>(ptr + start);
        rec.containerId1 = load<u32>(ptr + start + 8);
        rec.containerIdLen = CONTAINER_ID_BYTES;
        return true;
      }
    }
    run = 0;
  }
  rec.containerIdLen = 0;
  return false;
}

// Container starts seen in the capture. A container that shares the host's pid
// namespace (docker run --pid=host) has no namespace start of its own: its
// start is when its first process entered it — an execve or clone exit whose
// cgroups name the container while the thread's known previous state (its own
// record, or its parent's) named another or the host, as a runtime's init moves
// into the container's cgroups before it execs the entrypoint. The first such
// time per container id is kept, for MAX_CONTAINER_STARTS containers (then no
// more are learnt). A container already running when the capture began has no
// known start.
const MAX_CONTAINER_STARTS: u32 = 1024;
const START_ID0 = memory.data(<i32>(MAX_CONTAINER_STARTS * 8), 8);
const START_ID1 = memory.data(<i32>(MAX_CONTAINER_STARTS * 4), 4);
const START_TS = memory.data(<i32>(MAX_CONTAINER_STARTS * 8), 8);
let startCount: u32 = 0;

/** The slot of `rec`'s container id in the start table, or -1. */
function findStart(rec: ThreadRecord): i32 {
  for (let i: u32 = 0; i < startCount; i++) {
    if (load<u64>(START_ID0 + (<usize>i << 3)) == rec.containerId0 && load<u32>(START_ID1 + (<usize>i << 2)) == rec.containerId1) {
      return <i32>i;
    }
  }
  return -1;
}

/**
 * Sets the container id of `rec` from cgroups bytes [ptr, ptr+len) seen at epoch
 * ns `ts`, and its containerStartTs: kept when the id is unchanged (inherited on
 * clone), else the container's start from the table — first recording `ts` as
 * that start when `known` (the previous id is the thread's or its parent's, not a
 * default of a thread first seen here) and the container is new to the table.
 */
export function enterContainer(rec: ThreadRecord, ptr: usize, len: u32, ts: u64, known: bool): void {
  const len0 = rec.containerIdLen;
  const id0 = rec.containerId0;
  const id1 = rec.containerId1;
  if (!setContainerId(rec, ptr, len)) {
    rec.presence &= ~HAS_CONTAINER_START;
    return;
  }
  if (len0 == rec.containerIdLen && id0 == rec.containerId0 && id1 == rec.containerId1) return;
  let i = findStart(rec);
  if (i < 0 && known && startCount < MAX_CONTAINER_STARTS) {
    i = <i32>startCount;
    startCount++;
    store<u64>(START_ID0 + (<usize>i << 3), rec.containerId0);
    store<u32>(START_ID1 + (<usize>i << 2), rec.containerId1);
    store<u64>(START_TS + (<usize>i << 3), ts);
  }
  if (i < 0) {
    rec.presence &= ~HAS_CONTAINER_START;
  } else {
    rec.containerStartTs = load<u64>(START_TS + (<usize>i << 3));
    rec.presence |= HAS_CONTAINER_START;
  }
}

/** Forgets the container starts (a new capture or section). */
export function resetContainerStarts(): void {
  startCount = 0;
}
