/**
 * The machine info block (MI): the packed `scap_machine_info` struct written raw
 * (libs `userspace/libscap/scap_machine_info.h`), 180 bytes in every released libs.
 *
 * ```
 * offset  size  field
 *      0     4  num_cpus             u32
 *      4     8  memory_size_bytes    u64   bytes of physical memory
 *     12     8  max_pid              u64
 *     20   128  hostname             char[128], NUL-terminated
 *    148     8  boot_ts_epoch        u64   host boot time, epoch ns   (was reserved1: 0 in old captures)
 *    156     8  flags                u64   PPM_BPF_STATS_ENABLED, ... (was reserved2: 0 in old captures)
 *    164     8  reserved3            u64
 *    172     8  reserved4            u64
 * ```
 *
 * The struct has kept its size; fields were carved out of the reserved ones. A body shorter than
 * 180 bytes is accepted down to the hostname, and the fields it lacks stay undefined.
 */

import { BLOCK_HEADER_BYTES, MI_BLOCK_TYPE, describeBlock } from './block_types.js';
import { ByteCursor, decodeUtf8 } from './byte_cursor.js';

/** Bytes of the hostname field (NUL-padded). */
const HOSTNAME_BYTES = 128;
/** Bytes up to and including the hostname: the part every capture has. */
const MI_REQUIRED_BYTES = 4 + 8 + 8 + HOSTNAME_BYTES;
/** Size of `scap_machine_info` on disk. */
export const MACHINE_INFO_BYTES = MI_REQUIRED_BYTES + 4 * 8;

/** `flags` bit: the kernel had `kernel.bpf_stats_enabled` set (PPM_BPF_STATS_ENABLED). */
export const MI_FLAG_BPF_STATS_ENABLED = 1n;

/** What the machine info block says about the host that recorded the capture. */
export interface MachineInfo {
  /** Number of online CPUs. */
  numCpus: number;
  /** Physical memory, bytes. */
  memorySizeBytes: bigint;
  /** Highest pid number (kernel.pid_max). */
  maxPid: bigint;
  /** Host name (UTF-8, up to the first NUL). */
  hostname: string;
  /**
   * Host boot time, epoch ns: add it to a "ns since boot" value (pidns_init_start_ts) to get
   * epoch ns. Undefined when the file holds 0 (captures from before the field existed).
   */
  bootTsEpochNs?: bigint;
  /** Bit set of MI_FLAG_* values; 0n in captures from before the field existed. */
  flags?: bigint;
}

/**
 * Parses a machine-info block body (MI_BLOCK_TYPE or MI_BLOCK_TYPE_INT; without block header and
 * trailer). `blockOffset` is the stream offset of the block start. Throws E_BAD_BLOCK when the
 * body is too short to hold the hostname.
 */
export function parseMachineInfo(body: Uint8Array, blockOffset: number): MachineInfo {
  const c = new ByteCursor(body, {
    baseOffset: blockOffset + BLOCK_HEADER_BYTES,
    what: describeBlock(MI_BLOCK_TYPE),
  });
  if (body.byteLength < MI_REQUIRED_BYTES) {
    c.fail(`body is ${body.byteLength} bytes, machine info needs at least ${MI_REQUIRED_BYTES}`);
  }
  const numCpus = c.u32('num_cpus');
  const memorySizeBytes = c.u64('memory_size_bytes');
  const maxPid = c.u64('max_pid');
  const hostnameBytes = c.bytes(HOSTNAME_BYTES, 'hostname');
  const nul = hostnameBytes.indexOf(0);
  const hostname = decodeUtf8(nul < 0 ? hostnameBytes : hostnameBytes.subarray(0, nul));
  const info: MachineInfo = { numCpus, memorySizeBytes, maxPid, hostname };
  if (c.remaining() >= 8) {
    const bootTs = c.u64('boot_ts_epoch');
    if (bootTs !== 0n) info.bootTsEpochNs = bootTs;
  }
  if (c.remaining() >= 8) info.flags = c.u64('flags');
  return info;
}
