/* SPDX-License-Identifier: Apache-2.0 */
#include "scap_writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* All multi-byte values are written little endian, which is the host order on x86_64. */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "scapdrift-loader writes host-order (little endian) blocks"
#endif

static uint32_t pad4(uint32_t len) {
	return (len + 3u) & ~3u;
}

int sd_buf_put(struct sd_buf *b, const void *data, size_t len) {
	if(b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while(cap < b->len + len) {
			cap *= 2;
		}
		uint8_t *p = realloc(b->data, cap);
		if(!p) {
			return -ENOMEM;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

int sd_buf_put_u8(struct sd_buf *b, uint8_t v) {
	return sd_buf_put(b, &v, sizeof(v));
}
int sd_buf_put_u16(struct sd_buf *b, uint16_t v) {
	return sd_buf_put(b, &v, sizeof(v));
}
int sd_buf_put_u32(struct sd_buf *b, uint32_t v) {
	return sd_buf_put(b, &v, sizeof(v));
}
int sd_buf_put_u64(struct sd_buf *b, uint64_t v) {
	return sd_buf_put(b, &v, sizeof(v));
}

void sd_buf_free(struct sd_buf *b) {
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void sd_out_init(struct sd_out *o, int fd) {
	memset(o, 0, sizeof(*o));
	o->fd = fd;
}

int sd_out_flush(struct sd_out *o) {
	size_t done = 0;
	while(done < o->buf.len && !o->error) {
		ssize_t n = write(o->fd, o->buf.data + done, o->buf.len - done);
		if(n < 0) {
			if(errno == EINTR) {
				continue;
			}
			o->error = errno;
			break;
		}
		done += (size_t)n;
	}
	o->buf.len = 0;
	return o->error ? -o->error : 0;
}

int sd_out_maybe_flush(struct sd_out *o, uint64_t now_ms) {
	if(o->buf.len == 0) {
		o->pending_since_ms = 0;
		return 0;
	}
	if(o->pending_since_ms == 0) {
		o->pending_since_ms = now_ms;
	}
	if(o->buf.len >= SD_OUT_BUFFER_BYTES || now_ms - o->pending_since_ms >= SD_FLUSH_AFTER_MS) {
		o->pending_since_ms = 0;
		return sd_out_flush(o);
	}
	return 0;
}

void sd_out_free(struct sd_out *o) {
	sd_buf_free(&o->buf);
}

/* Header, body, zero padding to 4 bytes, trailer. */
static int write_block(struct sd_out *o, uint32_t type, const void *body1, uint32_t len1,
                       const void *body2, uint32_t len2) {
	static const uint8_t zeros[4];
	uint32_t body = len1 + len2;
	uint32_t total = SD_BLOCK_HDR_SIZE + pad4(body) + SD_BLOCK_TRAILER_SIZE;
	int err = 0;
	err = err ? err : sd_buf_put_u32(&o->buf, type);
	err = err ? err : sd_buf_put_u32(&o->buf, total);
	err = err ? err : sd_buf_put(&o->buf, body1, len1);
	err = err ? err : sd_buf_put(&o->buf, body2, len2);
	err = err ? err : sd_buf_put(&o->buf, zeros, pad4(body) - body);
	err = err ? err : sd_buf_put_u32(&o->buf, total);
	if(!err && o->fd >= 0 && o->buf.len >= SD_OUT_BUFFER_BYTES) {
		err = sd_out_flush(o);
	}
	return err;
}

int sd_write_shb(struct sd_out *o) {
	/* fixed part (16 bytes), then the options: userappl = SD_SHB_USERAPPL, end of options */
	static const char appl[] = SD_SHB_USERAPPL;
	uint8_t body[16 + 4 + ((sizeof(appl) - 1 + 3) & ~3u) + 4] = {0};
	uint32_t magic = SD_SHB_MAGIC;
	uint16_t major = SD_SHB_MAJOR;
	uint16_t minor = SD_SHB_MINOR;
	uint64_t section_length = UINT64_MAX; /* unknown until sd_close_section() */
	uint16_t code = SD_SHB_OPT_USERAPPL, len = sizeof(appl) - 1;
	memcpy(body + 0, &magic, 4);
	memcpy(body + 4, &major, 2);
	memcpy(body + 6, &minor, 2);
	memcpy(body + 8, &section_length, 8);
	memcpy(body + 16, &code, 2);
	memcpy(body + 18, &len, 2);
	memcpy(body + 20, appl, len); /* padding and the end-of-options option (code 0, length 0) stay 0 */
	return write_block(o, SD_SHB_BLOCK_TYPE, body, sizeof(body), NULL, 0);
}

int sd_close_section(int fd) {
	uint32_t shb_len;
	struct stat st;
	if(fstat(fd, &st) != 0) {
		return -errno;
	}
	if(!S_ISREG(st.st_mode) || st.st_size == 0) {
		return 0; /* a pipe, or stopped before anything was written: nothing to patch */
	}
	if(pread(fd, &shb_len, sizeof(shb_len), 4) != sizeof(shb_len)) {
		return -EIO;
	}
	if((uint64_t)st.st_size < shb_len) {
		return -EIO;
	}
	uint64_t section_length = (uint64_t)st.st_size - shb_len;
	if(pwrite(fd, &section_length, sizeof(section_length), SD_SHB_SECTION_LENGTH_OFFSET) != sizeof(section_length)) {
		return -errno;
	}
	return 0;
}

int sd_write_mi(struct sd_out *o, const struct sd_machine_info *mi) {
	struct sd_buf b = {0};
	uint64_t flags = 0, reserved = 0;
	int err = 0;
	err = err ? err : sd_buf_put_u32(&b, mi->num_cpus);
	err = err ? err : sd_buf_put_u64(&b, mi->memory_size_bytes);
	err = err ? err : sd_buf_put_u64(&b, mi->max_pid);
	err = err ? err : sd_buf_put(&b, mi->hostname, SD_MI_HOSTNAME_LEN);
	err = err ? err : sd_buf_put_u64(&b, mi->boot_ts_epoch_ns);
	err = err ? err : sd_buf_put_u64(&b, flags);
	err = err ? err : sd_buf_put_u64(&b, reserved);
	err = err ? err : sd_buf_put_u64(&b, reserved);
	if(!err && b.len != SD_MI_BODY_SIZE) {
		err = -EINVAL;
	}
	err = err ? err : write_block(o, SD_MI_BLOCK_TYPE, b.data, (uint32_t)b.len, NULL, 0);
	sd_buf_free(&b);
	return err;
}

int sd_write_ul(struct sd_out *o, const struct sd_buf *entries) {
	if(entries->len == 0) {
		return 0; /* libs' dumper writes no UL block without a user list */
	}
	return write_block(o, SD_UL_BLOCK_TYPE_V2, entries->data, (uint32_t)entries->len, NULL, 0);
}

int sd_write_pl(struct sd_out *o, const struct sd_buf *entries) {
	if(entries->len == 0) {
		return 0; /* libs' dumper writes no PL block for an empty table either */
	}
	return write_block(o, SD_PL_BLOCK_TYPE_V9, entries->data, (uint32_t)entries->len, NULL, 0);
}

int sd_write_ev(struct sd_out *o, uint16_t cpu, const void *frame, uint32_t frame_len) {
	return write_block(o, SD_EV_BLOCK_TYPE_V2, &cpu, sizeof(cpu), frame, frame_len);
}
