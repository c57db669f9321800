// container.id from a cgroups parameter: NUL-separated "subsys=/path" entries
// (libs parameter `cgroups`). A container runtime puts its 64-hex-digit id in
// the path, as a whole component (cgroupfs driver: /docker/<id>,
// /kubepods/.../<id>) or inside a systemd scope (docker-<id>.scope,
// cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope). Falco shows
// the first 12 digits; no match means the host.

import { ThreadRecord, CONTAINER_ID_BYTES } from "./thread_record";

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
