/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Layer 2 (store): build one frame in the CPU's scratch slot and submit it.
 *
 *   scratch->rec   scratch->frame
 *   +-----------+--------+--------+------+----+--------+------------------+----------------+
 *   | cpu, pad  | ts u64 | tid u64| len  |type|nparams | u16 len[nparams] | params ...     |
 *   | 8 bytes   |        |        | u32  |u16 | u32    | lens_off = 26    | payload_off -> |
 *   +-----------+--------+--------+------+----+--------+------------------+----------------+
 *
 * Parameters are pushed in order; each push writes the value at payload_off and
 * its length in the next slot of the length array. Every access is masked with
 * (SD_FRAME_HALF - 1) and at most SD_FRAME_HALF long, which keeps it inside the
 * 2 * SD_FRAME_HALF slot for the verifier; sd_frame_submit() drops (and counts) a
 * frame whose end passed SD_FRAME_MAX.
 */
#pragma once

#include "../base/counters.h"
#include "path.h"

#define SD_FRAME_MASK (SD_FRAME_HALF - 1)

struct sd_frame {
	struct sd_scratch *s;
	__u32 param;       /* index of the next parameter */
	__u32 payload_off; /* where the next parameter's bytes go */
};

/* Reserve the CPU's scratch slot and write the fixed part of the header. */
static __always_inline bool sd_frame_begin(struct sd_frame *f, __u16 type, __u32 nparams) {
	__u32 cpu = bpf_get_smp_processor_id();
	f->s = bpf_map_lookup_elem(&sd_scratch_map, &cpu);
	if(!f->s) {
		sd_count(SD_CNT_DROP_SCRATCH);
		return false;
	}
	f->s->rec.cpu = (__u16)cpu;
	f->s->rec.reserved = 0;
	f->s->rec.reserved2 = 0;
	*(__u16 *)&f->s->frame[SD_FRAME_OFF_TYPE] = type;
	*(__u32 *)&f->s->frame[SD_FRAME_OFF_NPARAMS] = nparams;
	f->param = 0;
	f->payload_off = SD_FRAME_HDR_SIZE + nparams * sizeof(__u16);
	return true;
}

/*
 * A program too big for the verifier in one piece ends with sd_frame_save() and a
 * tail call; the next stage, on the same CPU (tracing programs run with migration
 * disabled), picks the frame up with sd_frame_resume().
 */
static __always_inline void sd_frame_save(struct sd_frame *f) {
	f->s->param = f->param;
	f->s->payload_off = f->payload_off;
}

static __always_inline bool sd_frame_resume(struct sd_frame *f) {
	__u32 cpu = bpf_get_smp_processor_id();
	f->s = bpf_map_lookup_elem(&sd_scratch_map, &cpu);
	if(!f->s) {
		sd_count(SD_CNT_DROP_SCRATCH);
		return false;
	}
	f->param = f->s->param;
	f->payload_off = f->s->payload_off;
	return true;
}

static __always_inline void sd_put_len(struct sd_frame *f, __u16 len) {
	__u32 at = (SD_FRAME_HDR_SIZE + f->param * sizeof(__u16)) & SD_FRAME_MASK;
	*(__u16 *)&f->s->frame[at] = len;
	f->param++;
	f->payload_off += len;
}

static __always_inline void *sd_payload(struct sd_frame *f) {
	return &f->s->frame[f->payload_off & SD_FRAME_MASK];
}

/* A parameter the driver cannot fill: length 0, no bytes. */
static __always_inline void sd_push_empty(struct sd_frame *f) {
	sd_put_len(f, 0);
}

static __always_inline void sd_push_u8(struct sd_frame *f, __u8 v) {
	*(__u8 *)sd_payload(f) = v;
	sd_put_len(f, sizeof(v));
}

static __always_inline void sd_push_u16(struct sd_frame *f, __u16 v) {
	*(__u16 *)sd_payload(f) = v;
	sd_put_len(f, sizeof(v));
}

static __always_inline void sd_push_u32(struct sd_frame *f, __u32 v) {
	*(__u32 *)sd_payload(f) = v;
	sd_put_len(f, sizeof(v));
}

static __always_inline void sd_push_u64(struct sd_frame *f, __u64 v) {
	*(__u64 *)sd_payload(f) = v;
	sd_put_len(f, sizeof(v));
}

static __always_inline void sd_push_s64(struct sd_frame *f, __s64 v) {
	sd_push_u64(f, (__u64)v);
}

/* Count the outcome of a string read of at most `max` bytes; true when usable. */
static __always_inline bool sd_str_read_ok(long n, __u32 max) {
	if(n < 0) {
		sd_count(SD_CNT_READ_FAULT);
		return false;
	}
	if(n == 0) {
		return false;
	}
	if((__u32)n == max && max > SD_MAX_COMM) {
		sd_count(SD_CNT_TRUNCATED); /* filled the limit: probably cut (a comm never is) */
	}
	return true;
}

/* NUL-terminated string from user memory (PT_CHARBUF / PT_FSPATH); returns its length. */
static __always_inline long sd_push_user_str(struct sd_frame *f, const void *src, __u32 max) {
	long n = src ? bpf_probe_read_user_str(sd_payload(f), max, src) : 0;
	if(!sd_str_read_ok(n, max)) {
		sd_push_empty(f);
		return 0;
	}
	sd_put_len(f, (__u16)n);
	return n;
}

/* NUL-terminated string from kernel memory; returns its length. */
static __always_inline long sd_push_kernel_str(struct sd_frame *f, const void *src, __u32 max) {
	long n = src ? bpf_probe_read_kernel_str(sd_payload(f), max, src) : 0;
	if(!sd_str_read_ok(n, max)) {
		sd_push_empty(f);
		return 0;
	}
	sd_put_len(f, (__u16)n);
	return n;
}

/*
 * `len` bytes of user memory (PT_BYTEBUF), cut at SD_MAX_ARGS_ENV. Used for the
 * NUL-separated args/env areas of a process; a cut area keeps a final NUL.
 */
static __always_inline void sd_push_user_bytes(struct sd_frame *f, unsigned long src, __u64 len) {
	if(!src || len == 0) {
		sd_push_empty(f);
		return;
	}
	bool cut = false;
	if(len > SD_MAX_ARGS_ENV) {
		len = SD_MAX_ARGS_ENV;
		cut = true;
		sd_count(SD_CNT_TRUNCATED);
	}
	__u32 n = (__u32)len;
	sd_barrier_var(n);
	if(n > SD_MAX_ARGS_ENV) {
		n = SD_MAX_ARGS_ENV;
	}
	__u8 *dst = sd_payload(f);
	if(bpf_probe_read_user(dst, n, (const void *)src) != 0) {
		sd_count(SD_CNT_READ_FAULT);
		sd_push_empty(f);
		return;
	}
	if(cut) {
		f->s->frame[(f->payload_off + n - 1) & SD_FRAME_MASK] = 0;
	}
	sd_put_len(f, (__u16)n);
}

/*
 * A NULL-terminated array of user string pointers (argv/envp of a failed execve)
 * as one PT_BYTEBUF of NUL-separated strings, starting at entry `first`, cut at
 * SD_MAX_ARGS_ENV bytes or SD_MAX_ARGV entries. `ia32`: the pointers are 32-bit.
 */
static __always_inline void sd_push_user_str_array(struct sd_frame *f, unsigned long array,
                                                   __u32 first, bool ia32) {
	if(!array) {
		sd_push_empty(f);
		return;
	}
	SD_LOOP_VAR(f->s, loop_a) = 0; /* bytes written so far */
	for(__u32 i = first; i < SD_MAX_ARGV; i++) {
		unsigned long p = 0;
		long err;
		if(ia32) {
			__u32 p32 = 0;
			err = bpf_probe_read_user(&p32, sizeof(p32), (void *)(array + i * sizeof(p32)));
			p = p32;
		} else {
			err = bpf_probe_read_user(&p, sizeof(p), (void *)(array + i * sizeof(p)));
		}
		if(err != 0) {
			sd_count(SD_CNT_READ_FAULT);
			break;
		}
		if(!p) {
			break;
		}
		__u32 total = SD_LOOP_VAR(f->s, loop_a);
		if(total >= SD_MAX_ARGS_ENV) {
			break;
		}
		__u32 at = (f->payload_off + total) & SD_FRAME_MASK;
		long n = bpf_probe_read_user_str(&f->s->frame[at], SD_MAX_ARGS_ENV, (void *)p);
		if(n < 0) {
			sd_count(SD_CNT_READ_FAULT);
			break;
		}
		total += (__u32)n;
		if(total >= SD_MAX_ARGS_ENV) {
			total = SD_MAX_ARGS_ENV;
			f->s->frame[(f->payload_off + total - 1) & SD_FRAME_MASK] = 0;
			sd_count(SD_CNT_TRUNCATED);
		} else if(i == SD_MAX_ARGV - 1) {
			sd_count(SD_CNT_TRUNCATED);
		}
		SD_LOOP_VAR(f->s, loop_a) = total;
	}
	__u32 total = SD_LOOP_VAR(f->s, loop_a);
	sd_put_len(f, (__u16)(total > SD_MAX_ARGS_ENV ? SD_MAX_ARGS_ENV : total));
}

/* Entry 0 of a user string-pointer array (argv[0]) as a PT_CHARBUF. */
static __always_inline void sd_push_user_array_first(struct sd_frame *f, unsigned long array,
                                                     bool ia32) {
	unsigned long p = 0;
	if(array) {
		if(ia32) {
			__u32 p32 = 0;
			bpf_probe_read_user(&p32, sizeof(p32), (void *)array);
			p = p32;
		} else {
			bpf_probe_read_user(&p, sizeof(p), (void *)array);
		}
	}
	sd_push_user_str(f, (void *)p, SD_MAX_PATH);
}

/* A path built in `pb` (store/path.h) as a PT_FSPATH / PT_CHARBUF; NULL: none (empty). */
static __always_inline void sd_push_path_buf(struct sd_frame *f, struct sd_path_buf *pb) {
	if(pb) {
		sd_push_kernel_str(f, &pb->buf[pb->pos & SD_PATH_MASK], SD_MAX_PATH);
	} else {
		sd_push_empty(f);
	}
}

/* The absolute path of `path`, built in the scratch slot (f->s->path); false when empty. */
static __always_inline bool sd_push_path(struct sd_frame *f, const struct path *path) {
	if(sd_path_build_from(&f->s->path, path)) {
		sd_push_path_buf(f, &f->s->path);
		return true;
	}
	sd_push_empty(f);
	return false;
}

/* What d_path() (and so readlink of /proc/PID/exe) appends to an unlinked file's path. */
#define SD_DELETED_SUFFIX " (deleted)"

/*
 * Appends SD_DELETED_SUFFIX to the string parameter pushed last (its NUL moves
 * to the end); nothing when that parameter is empty.
 */
static __always_inline void sd_append_deleted_suffix(struct sd_frame *f) {
	__u32 at = (SD_FRAME_HDR_SIZE + (f->param - 1) * sizeof(__u16)) & SD_FRAME_MASK;
	__u16 len = *(__u16 *)&f->s->frame[at];
	if(len == 0) {
		return;
	}
	__builtin_memcpy(&f->s->frame[(f->payload_off - 1) & SD_FRAME_MASK], SD_DELETED_SUFFIX,
	                 sizeof(SD_DELETED_SUFFIX));
	*(__u16 *)&f->s->frame[at] = len + sizeof(SD_DELETED_SUFFIX) - 1;
	f->payload_off += sizeof(SD_DELETED_SUFFIX) - 1;
}

/* Stamp time, thread and length, then copy the record to the ring buffer. */
static __always_inline void sd_frame_submit(struct sd_frame *f) {
	__u32 len = f->payload_off;
	if(len > SD_FRAME_MAX) {
		sd_count(SD_CNT_DROP_TOO_LARGE);
		return;
	}
	*(__u32 *)&f->s->frame[SD_FRAME_OFF_LEN] = len;
	*(__u64 *)&f->s->frame[SD_FRAME_OFF_TID] = bpf_get_current_pid_tgid() & 0xffffffff;
	/* Time taken last, just before the copy, to keep ring order close to time order. */
	*(__u64 *)&f->s->frame[SD_FRAME_OFF_TS] = bpf_ktime_get_boot_ns() + sd_boot_ts_epoch_ns;
	__u32 size = len + SD_RECORD_HDR_SIZE;
	sd_barrier_var(size);
	if(size > SD_FRAME_MAX + SD_RECORD_HDR_SIZE) {
		return;
	}
	if(bpf_ringbuf_output(&sd_events, &f->s->rec, size, 0) != 0) {
		sd_count(SD_CNT_DROP_RINGBUF);
		return;
	}
	sd_count(SD_CNT_EVENTS);
}
