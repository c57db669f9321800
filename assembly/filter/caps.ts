// Capability names as libsinsp prints thread.cap_* (libs userspace/libsinsp/utils.cpp
// `capabilities` and caps_to_string): the names of the set bits, lowest first,
// space-separated. Bit i is the kernel's capability number i (include/uapi/linux/capability.h).

const NAMES: string[] = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
  "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
  "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
  "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
  "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
];

/**
 * Writes the names of the bits of `caps` that libsinsp names (bits above the table
 * are not printed, as in libsinsp) at `out`, at most `cap` bytes; returns the length.
 */
export function capsText(caps: u64, out: usize, cap: u32): u32 {
  let at: u32 = 0;
  for (let i = 0; i < NAMES.length; i++) {
    if ((caps & (<u64>1 << <u64>i)) == 0) continue;
    const name = NAMES[i];
    const n = <u32>name.length; // ASCII: one byte per UTF-16 unit
    if (at + n + 1 > cap) break;
    if (at > 0) store<u8>(out + at++, 32);
    for (let k: u32 = 0; k < n; k++) store<u8>(out + at + k, <u8>name.charCodeAt(k));
    at += n;
  }
  return at;
}
