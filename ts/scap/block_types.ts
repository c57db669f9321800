/**
 * Block type ids of the scap capture format (libs `userspace/libscap/scap_savefile.h`).
 *
 * A capture is a sequence of pcapng-style blocks, all little endian:
 *
 * ```
 * +------------+--------------------+---------------------------+--------------------+
 * | type (u32) | total length (u32) | body (total - 12 bytes)   | total length (u32) |
 * +------------+--------------------+---------------------------+--------------------+
 * ```
 *
 * The `_INT` ids are the "unofficial" numbers used before the first libs release; readers still
 * accept them. Ids are numbers in 0..2^32-1 (compare with `>>> 0` when built from an Int32).
 */

/** Section header block (pcapng's "\r\n\n\r"; the same in both byte orders). */
export const SHB_BLOCK_TYPE = 0x0a0d0d0a;
/** Byte-order magic held by the section header in host (little-endian) order. */
export const SHB_MAGIC = 0x1a2b3c4d;
/** {@link SHB_MAGIC} as a little-endian reader sees it in a big-endian capture. */
export const SHB_MAGIC_SWAPPED = 0x4d3c2b1a;
/** Newest section-header major version libs reads (it rejects greater ones). */
export const SHB_CURRENT_MAJOR_VERSION = 1;
/** Section-header minor version libs writes. */
export const SHB_CURRENT_MINOR_VERSION = 2;

/** Machine info block: the raw `scap_machine_info` struct. */
export const MI_BLOCK_TYPE = 0x201;
/** Pre-release id of {@link MI_BLOCK_TYPE}. */
export const MI_BLOCK_TYPE_INT = 0x8002abcd;

/** Process list, version 1. */
export const PL_BLOCK_TYPE_V1 = 0x202;
/** Pre-release id of {@link PL_BLOCK_TYPE_V1}. */
export const PL_BLOCK_TYPE_V1_INT = 0x8000abcd;
/** Process list, version 2: adds vmsize/vmrss/vmswap and page faults. */
export const PL_BLOCK_TYPE_V2 = 0x207;
/** Pre-release id of {@link PL_BLOCK_TYPE_V2}. */
export const PL_BLOCK_TYPE_V2_INT = 0x8013abcd;
/** Process list, version 3: adds env. */
export const PL_BLOCK_TYPE_V3 = 0x209;
/** Pre-release id of {@link PL_BLOCK_TYPE_V3}. */
export const PL_BLOCK_TYPE_V3_INT = 0x8014abcd;
/** Process list, version 4: adds vtid, vpid, cgroups. */
export const PL_BLOCK_TYPE_V4 = 0x210;
/** Process list, version 5: adds root. */
export const PL_BLOCK_TYPE_V5 = 0x211;
/** Process list, version 6: adds sid. */
export const PL_BLOCK_TYPE_V6 = 0x212;
/** Process list, version 7: adds exepath. */
export const PL_BLOCK_TYPE_V7 = 0x213;
/** Process list, version 8: adds vpgid. */
export const PL_BLOCK_TYPE_V8 = 0x214;
/** Process list, version 9: per-entry length prefix; later fields are appended, found by length. */
export const PL_BLOCK_TYPE_V9 = 0x215;

/** File-descriptor list of one thread. */
export const FDL_BLOCK_TYPE = 0x203;
/** Pre-release id of {@link FDL_BLOCK_TYPE}. */
export const FDL_BLOCK_TYPE_INT = 0x8001abcd;
/** File-descriptor list with a per-entry length prefix. */
export const FDL_BLOCK_TYPE_V2 = 0x218;

/** Event block: u16 cpu id, then one frame with the 22-byte header (no nparams). */
export const EV_BLOCK_TYPE = 0x204;
/** Pre-release id of {@link EV_BLOCK_TYPE}. */
export const EV_BLOCK_TYPE_INT = 0x8010abcd;
/** Event block: u16 cpu id, then one frame with the 26-byte header (with nparams). */
export const EV_BLOCK_TYPE_V2 = 0x216;
/** {@link EV_BLOCK_TYPE_V2} for events whose parameter lengths are u32. */
export const EV_BLOCK_TYPE_V2_LARGE = 0x221;

/** Interface list. */
export const IL_BLOCK_TYPE = 0x205;
/** Pre-release id of {@link IL_BLOCK_TYPE}. */
export const IL_BLOCK_TYPE_INT = 0x8011abcd;
/** Interface list with a per-entry length prefix. */
export const IL_BLOCK_TYPE_V2 = 0x219;

/** User and group list. */
export const UL_BLOCK_TYPE = 0x206;
/** Pre-release id of {@link UL_BLOCK_TYPE}. */
export const UL_BLOCK_TYPE_INT = 0x8012abcd;
/** User and group list with a per-entry length prefix. */
export const UL_BLOCK_TYPE_V2 = 0x220;

/** Event block with a u32 of flags after the cpu id (22-byte frame header). */
export const EVF_BLOCK_TYPE = 0x208;
/** Event block with flags, 26-byte frame header. */
export const EVF_BLOCK_TYPE_V2 = 0x217;
/** {@link EVF_BLOCK_TYPE_V2} for events whose parameter lengths are u32. */
export const EVF_BLOCK_TYPE_V2_LARGE = 0x222;

/** Block header size: type (u32) + total length (u32). */
export const BLOCK_HEADER_BYTES = 8;
/** Size of the trailing copy of the total length. */
export const BLOCK_TRAILER_BYTES = 4;
/** Smallest possible block: header + trailer, empty body. */
export const MIN_BLOCK_BYTES = BLOCK_HEADER_BYTES + BLOCK_TRAILER_BYTES;

const NAMES: ReadonlyMap<number, string> = new Map([
  [SHB_BLOCK_TYPE, 'SHB_BLOCK_TYPE'],
  [MI_BLOCK_TYPE, 'MI_BLOCK_TYPE'],
  [MI_BLOCK_TYPE_INT, 'MI_BLOCK_TYPE_INT'],
  [PL_BLOCK_TYPE_V1, 'PL_BLOCK_TYPE_V1'],
  [PL_BLOCK_TYPE_V1_INT, 'PL_BLOCK_TYPE_V1_INT'],
  [PL_BLOCK_TYPE_V2, 'PL_BLOCK_TYPE_V2'],
  [PL_BLOCK_TYPE_V2_INT, 'PL_BLOCK_TYPE_V2_INT'],
  [PL_BLOCK_TYPE_V3, 'PL_BLOCK_TYPE_V3'],
  [PL_BLOCK_TYPE_V3_INT, 'PL_BLOCK_TYPE_V3_INT'],
  [PL_BLOCK_TYPE_V4, 'PL_BLOCK_TYPE_V4'],
  [PL_BLOCK_TYPE_V5, 'PL_BLOCK_TYPE_V5'],
  [PL_BLOCK_TYPE_V6, 'PL_BLOCK_TYPE_V6'],
  [PL_BLOCK_TYPE_V7, 'PL_BLOCK_TYPE_V7'],
  [PL_BLOCK_TYPE_V8, 'PL_BLOCK_TYPE_V8'],
  [PL_BLOCK_TYPE_V9, 'PL_BLOCK_TYPE_V9'],
  [FDL_BLOCK_TYPE, 'FDL_BLOCK_TYPE'],
  [FDL_BLOCK_TYPE_INT, 'FDL_BLOCK_TYPE_INT'],
  [FDL_BLOCK_TYPE_V2, 'FDL_BLOCK_TYPE_V2'],
  [EV_BLOCK_TYPE, 'EV_BLOCK_TYPE'],
  [EV_BLOCK_TYPE_INT, 'EV_BLOCK_TYPE_INT'],
  [EV_BLOCK_TYPE_V2, 'EV_BLOCK_TYPE_V2'],
  [EV_BLOCK_TYPE_V2_LARGE, 'EV_BLOCK_TYPE_V2_LARGE'],
  [IL_BLOCK_TYPE, 'IL_BLOCK_TYPE'],
  [IL_BLOCK_TYPE_INT, 'IL_BLOCK_TYPE_INT'],
  [IL_BLOCK_TYPE_V2, 'IL_BLOCK_TYPE_V2'],
  [UL_BLOCK_TYPE, 'UL_BLOCK_TYPE'],
  [UL_BLOCK_TYPE_INT, 'UL_BLOCK_TYPE_INT'],
  [UL_BLOCK_TYPE_V2, 'UL_BLOCK_TYPE_V2'],
  [EVF_BLOCK_TYPE, 'EVF_BLOCK_TYPE'],
  [EVF_BLOCK_TYPE_V2, 'EVF_BLOCK_TYPE_V2'],
  [EVF_BLOCK_TYPE_V2_LARGE, 'EVF_BLOCK_TYPE_V2_LARGE'],
]);

/** Process-list block type → format version (1..9). */
const PL_VERSIONS: ReadonlyMap<number, number> = new Map([
  [PL_BLOCK_TYPE_V1, 1],
  [PL_BLOCK_TYPE_V1_INT, 1],
  [PL_BLOCK_TYPE_V2, 2],
  [PL_BLOCK_TYPE_V2_INT, 2],
  [PL_BLOCK_TYPE_V3, 3],
  [PL_BLOCK_TYPE_V3_INT, 3],
  [PL_BLOCK_TYPE_V4, 4],
  [PL_BLOCK_TYPE_V5, 5],
  [PL_BLOCK_TYPE_V6, 6],
  [PL_BLOCK_TYPE_V7, 7],
  [PL_BLOCK_TYPE_V8, 8],
  [PL_BLOCK_TYPE_V9, 9],
]);

const EVENT_BLOCK_TYPES: ReadonlySet<number> = new Set([
  EV_BLOCK_TYPE,
  EV_BLOCK_TYPE_INT,
  EV_BLOCK_TYPE_V2,
  EV_BLOCK_TYPE_V2_LARGE,
  EVF_BLOCK_TYPE,
  EVF_BLOCK_TYPE_V2,
  EVF_BLOCK_TYPE_V2_LARGE,
]);

/** Lower-case hex id as the messages print it: `hex(0x216)` → "0x216". */
export function hexId(type: number): string {
  return `0x${(type >>> 0).toString(16)}`;
}

/** Symbolic name of a block type ("EV_BLOCK_TYPE_V2"), or "unknown 0x1234". */
export function blockTypeName(type: number): string {
  return NAMES.get(type >>> 0) ?? `unknown ${hexId(type)}`;
}

/** How messages name a block: "block 0x216 (EV_BLOCK_TYPE_V2)". */
export function describeBlock(type: number): string {
  return `block ${hexId(type)} (${blockTypeName(type)})`;
}

/** True for the block types libscap knows (scap_savefile.h); others are skipped by their length. */
export function isKnownBlockType(type: number): boolean {
  return NAMES.has(type >>> 0);
}

/** True for every event block type (EV and EVF, all versions, the large variants, `_INT`). */
export function isEventBlock(type: number): boolean {
  return EVENT_BLOCK_TYPES.has(type >>> 0);
}

/** True for every process-list block type (V1..V9 and the `_INT` variants). */
export function isProcessListBlock(type: number): boolean {
  return PL_VERSIONS.has(type >>> 0);
}

/** Process-list format version (1..9) of a block type, or undefined if it is not a PL block. */
export function plVersion(type: number): number | undefined {
  return PL_VERSIONS.get(type >>> 0);
}

/** Event blocks whose body carries a u32 of flags after the cpu id (libs scap_dump with flags). */
const EVF_BLOCK_TYPES: ReadonlySet<number> = new Set([EVF_BLOCK_TYPE, EVF_BLOCK_TYPE_V2, EVF_BLOCK_TYPE_V2_LARGE]);

/**
 * Bytes from an event block's body to its frame (whose first field is the u64 ts, epoch ns):
 * 2 (the u16 cpu id) for EV blocks, 6 (cpu id, u32 flags) for EVF blocks; undefined for a block
 * that is not an event block.
 */
export function eventFrameOffset(type: number): number | undefined {
  if (!isEventBlock(type)) return undefined;
  return EVF_BLOCK_TYPES.has(type >>> 0) ? 6 : 2;
}
