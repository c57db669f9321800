/**
 * Whether this process runs in the host's pid namespace. The driver stamps events with the
 * host's pids (the kernel's `task_struct` tgid/pid), but the process table read at start comes
 * from this process's /proc, which in a child pid namespace (`unshare -fp --mount-proc`, a
 * container without `--pid=host`, a pod without `hostPID: true`) lists only that namespace's
 * processes under their namespace pids: threads already running are then missing or wrong (pid 1
 * is the namespace's init), as for Falco, which needs the host's pid namespace too.
 */
import { readlinkSync } from 'node:fs';

/**
 * The initial pid namespace as `/proc/<pid>/ns/pid` names it: PROC_PID_INIT_INO (0xEFFFFFFC,
 * linux include/linux/proc_ns.h), the same inode on every Linux since 3.8.
 */
export const HOST_PID_NAMESPACE = 'pid:[4026531836]';

/**
 * The warning for a live capture run outside the host's pid namespace, or undefined when it
 * runs in it or the namespace cannot be read (no /proc). `readlink` reads `/proc/self/ns/pid`
 * (a parameter for tests).
 */
export function pidNamespaceWarning(readlink: (path: string) => string = readlinkSync): string | undefined {
  let ns: string;
  try {
    ns = readlink('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
  if (ns === HOST_PID_NAMESPACE) return undefined;
  return `running in pid namespace ${ns}, not the host's ${HOST_PID_NAMESPACE}: events carry the host's pids, but the process table read at start from /proc holds only this namespace's processes under their namespace pids, so fields of threads already running (proc.*, container.*) may be missing or wrong; run scapdrift in the host's pid namespace (docker --pid=host, Kubernetes hostPID: true)`;
}
