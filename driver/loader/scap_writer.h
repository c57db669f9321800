/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scap stream the loader writes: libs' pcapng-like blocks
 * (userspace/libscap/scap_savefile.h), as libs' dumper lays them out:
 *
 *   block := u32 type | u32 total_len | body | zero pad to 4 | u32 total_len
 *
 *   SHB 0x0A0D0D0A  magic 0x1A2B3C4D, version 1.2, section_length -1
 *   MI  0x201       packed scap_machine_info (180 bytes), boot_ts_epoch in it
 *   UL  0x220 (v2)  the host's users and groups (users.h), each entry led by its u32 length
 *   PL  0x215 (v9)  one entry per thread alive at start, each led by its u32 length
 *   EV  0x216 (v2)  u16 cpuid | one frame (see ../include/scapdrift_abi.h)
 *
 * Writes are buffered; sd_out_maybe_flush() pushes them out when the buffer is
 * large or old enough, so a live reader sees events within 100 ms.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SD_SHB_BLOCK_TYPE 0x0A0D0D0Au
#define SD_SHB_MAGIC 0x1A2B3C4Du
#define SD_SHB_MAJOR 1
#define SD_SHB_MINOR 2
#define SD_MI_BLOCK_TYPE 0x201u
#define SD_PL_BLOCK_TYPE_V9 0x215u
#define SD_UL_BLOCK_TYPE_V2 0x220u
#define SD_EV_BLOCK_TYPE_V2 0x216u

/* The SHB names its writer in a pcapng userappl option (libs skips SHB options), and its
 * section_length (at this file offset) stays -1 until the recording is closed cleanly:
 * a recording that was cut short keeps -1 and `scapdrift read` says so. */
#define SD_SHB_OPT_USERAPPL 4
#define SD_SHB_USERAPPL "scapdrift-loader"
#define SD_SHB_SECTION_LENGTH_OFFSET 16

#define SD_BLOCK_HDR_SIZE 8
#define SD_BLOCK_TRAILER_SIZE 4
#define SD_MI_HOSTNAME_LEN 128
#define SD_MI_BODY_SIZE (4 + 8 + 8 + SD_MI_HOSTNAME_LEN + 8 + 8 + 8 + 8)

#define SD_OUT_BUFFER_BYTES (256 * 1024)
/* Bytes wait at most this long in the buffer; with the loader's poll timeout of the
 * same length, an event reaches the output within 2 * SD_FLUSH_AFTER_MS = 100 ms. */
#define SD_FLUSH_AFTER_MS 50

/* A growable byte buffer (also used to assemble the PL block before its length is known). */
struct sd_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

int sd_buf_put(struct sd_buf *b, const void *data, size_t len);
int sd_buf_put_u8(struct sd_buf *b, uint8_t v);
int sd_buf_put_u16(struct sd_buf *b, uint16_t v);
int sd_buf_put_u32(struct sd_buf *b, uint32_t v);
int sd_buf_put_u64(struct sd_buf *b, uint64_t v);
void sd_buf_free(struct sd_buf *b);

/* Buffered block output. A spool is an sd_out with fd -1: it only grows (never flushed)
 * until its fd is set and sd_out_flush() writes it out. */
struct sd_out {
	int fd;
	struct sd_buf buf;
	uint64_t pending_since_ms; /* when the buffer last went from empty to not empty */
	int error; /* errno of the first failed write, 0 if none */
};

struct sd_machine_info {
	uint32_t num_cpus;
	uint64_t memory_size_bytes;
	uint64_t max_pid;
	char hostname[SD_MI_HOSTNAME_LEN];
	uint64_t boot_ts_epoch_ns;
};

void sd_out_init(struct sd_out *o, int fd);
int sd_out_flush(struct sd_out *o);
int sd_out_maybe_flush(struct sd_out *o, uint64_t now_ms);
void sd_out_free(struct sd_out *o);

int sd_write_shb(struct sd_out *o);
/* A recording on a regular file is complete: set its section_length to the bytes after
 * the SHB (pcapng). Nothing for a pipe. 0 or a negative errno. */
int sd_close_section(int fd);
int sd_write_mi(struct sd_out *o, const struct sd_machine_info *mi);
/* `entries`: the UL entries (users.h), each already led by its own u32 length. */
int sd_write_ul(struct sd_out *o, const struct sd_buf *entries);
/* `entries`: the PL entries, each already led by its own u32 length. */
int sd_write_pl(struct sd_out *o, const struct sd_buf *entries);
int sd_write_ev(struct sd_out *o, uint16_t cpu, const void *frame, uint32_t frame_len);
