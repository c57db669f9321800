// Layout of one event frame, as the drivers write it into a ring buffer and as
// scap files store it inside an event block (libs driver/ppm_events_public.h,
// struct ppm_evt_hdr).
//
//   0        8        16     20     22          26
//   +--------+--------+------+------+-----------+--------------------+------------+
//   | ts u64 | tid u64| len  | type | nparams   | lens[nparams]      | params ... |
//   | epoch ns        | u32  | u16  | u32 (v2)  | u16 each, u32 each |            |
//   +--------+--------+------+------+-----------+ for large payload  +------------+
//                                                 events
// `len` counts the whole frame, header included. Old captures (EV/EVF block
// v1) have no `nparams`: the header is 22 bytes and the count is derived from
// the event table and `len` (libs userspace/libscap/engine/savefile/scap_savefile.c).

export const FRAME_TS: u32 = 0;
export const FRAME_TID: u32 = 8;
export const FRAME_LEN: u32 = 16;
export const FRAME_TYPE: u32 = 20;
export const FRAME_NPARAMS: u32 = 22;
/** Header size with nparams (EV/EVF block v2 and every live frame). */
export const FRAME_HEADER_V2: u32 = 26;
/** Header size without nparams (EV/EVF block v1). */
export const FRAME_HEADER_V1: u32 = 22;
/** PPM_MAX_EVENT_PARAMS in libs: no event has more parameters. */
export const MAX_PARAMS: u32 = 32;

// Layout of a scap block (libs userspace/libscap/scap_savefile.h):
//
//   +------------+--------------------+------------------------+------------------+
//   | type u32   | total_length u32   | body (padded to 4)     | total_length u32 |
//   +------------+--------------------+------------------------+------------------+
// An event block body is: cpuid u16, [flags u32 for EVF blocks], one frame.
export const BLOCK_HEADER: u32 = 8;
export const BLOCK_TRAILER: u32 = 4;
/** Largest block accepted; a longer length is treated as corruption, never allocated. */
export const MAX_BLOCK_BYTES: u32 = 256 << 20;
/**
 * Largest event block: libscap reads at most 65,536 bytes after the block header of an event
 * block (READER_BUF_SIZE, userspace/libscap/engine/savefile), except for large-payload ones, which
 * scapdrift takes up to 16 MiB. A decoding thread holds one event block whole, so these bound it.
 */
export const MAX_EVENT_BLOCK_BYTES: u32 = BLOCK_HEADER + 65536;
export const MAX_LARGE_EVENT_BLOCK_BYTES: u32 = 16 << 20;

export const EV_BLOCK_TYPE: u32 = 0x204;
export const EV_BLOCK_TYPE_INT: u32 = 0x8010abcd;
export const EV_BLOCK_TYPE_V2: u32 = 0x216;
export const EV_BLOCK_TYPE_V2_LARGE: u32 = 0x221;
export const EVF_BLOCK_TYPE: u32 = 0x208;
export const EVF_BLOCK_TYPE_V2: u32 = 0x217;
export const EVF_BLOCK_TYPE_V2_LARGE: u32 = 0x222;
