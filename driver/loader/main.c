/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scapdrift-loader: loads the scapdrift eBPF programs and writes what they see as a
 * scap stream (SHB, MI, UL of the host's users and groups, PL from /proc, then one EV
 * block per event) to stdout or to a file.
 *
 *   open -> set rodata -> load -> register tail calls -> attach -> write SHB, MI, UL
 *   -> scan /proc on a second thread while this one drains the ring buffer into a
 *      spool (so a big process table can neither deadlock nor overflow the ring)
 *   -> write PL, then the spooled events
 *   -> poll the ring buffer (50 ms timeout) until SIGINT/SIGTERM, -d, or the parent's death
 *   -> detach -> drain -> flush -> report counters
 *
 * Readiness is on stderr ("capturing" once attached), never behind stdout: the
 * reader of the stream may start whenever it likes and the loader never waits on it
 * before the programs run. Counters ("counters: name=value ...") go to stderr at
 * exit, on SIGUSR1 and every -i milliseconds.
 *
 * Every failure prints "scapdrift-loader: failed to <step>: <reason>" and goes to
 * the one cleanup path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "scapdrift_abi.h"
#include "scapdrift.skel.h"
#include "proc_scan.h"
#include "scap_writer.h"
#include "users.h"
#include "enforce.h"

#define PROG "scapdrift-loader"
#define COUNT(x) __atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define POLL_TIMEOUT_MS SD_FLUSH_AFTER_MS
#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"
#define NSEC_PER_SEC 1000000000ull
#define NSEC_PER_MSEC 1000000ull
/* Events that arrive while /proc is scanned wait in memory up to this size; beyond
 * it they are dropped and counted (drop_start_spool). */
#define SPOOL_MAX_BYTES (64u * 1024 * 1024)
/* Ring-buffer poll timeout while the scan thread runs: how soon its end is noticed. */
#define SCAN_POLL_TIMEOUT_MS 10

static volatile sig_atomic_t g_stop;
static volatile sig_atomic_t g_report;
static bool g_verbose;

struct options {
	const char *out_path; /* NULL: stdout */
	double duration_s;    /* 0: until a signal */
	unsigned stats_interval_ms; /* 0: counters only at exit and on SIGUSR1 */
	bool quiet;
	int enforce_mode;      /* SD_ENFORCE_OFF (no -e), AUDIT or KILL */
	bool control_stdin;    /* -C: enforcement policy commands on stdin */
	const char *kill_file; /* -k: enforcement kill-switch file */
};

#define N_PROGS 3 /* attached: sys_exit, sched_process_exec, sched_process_exit */

struct loader {
	struct options opt;
	struct scapdrift_bpf *skel;
	struct bpf_link *links[N_PROGS];
	struct ring_buffer *rb;
	struct sd_out out;
	struct sd_out spool; /* EV blocks that arrive while the process table is scanned */
	bool spooling;       /* on_record() appends to `spool` rather than `out` */
	int out_fd;
	uint64_t boot_ts_epoch_ns;
	/* Counted by the main thread, read by the stats thread: atomic (COUNT/LOAD). */
	uint64_t malformed;   /* ring records that were not a whole frame */
	uint64_t spool_drops; /* records lost because the spool was full */
	uint64_t written;     /* EV blocks handed to the output (spooled ones included) */
	pthread_t stats_thread;
	bool stats_running;
	bool loaded;          /* programs loaded: the counters map can be read */
	struct sd_enforcer *enforcer;
};

static void fail(const char *step, const char *fmt, ...) {
	va_list ap;
	fprintf(stderr, PROG ": failed to %s: ", step);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_signal(int sig) {
	if(sig == SIGUSR1) {
		g_report = 1;
	} else if(sig == SIGUSR2) {
		sd_enforce_kill_switch(); /* one bpf() syscall: at once, and async-signal-safe */
	} else {
		g_stop = 1;
	}
}

/* libbpf's own messages (and the verifier log) only with -v; failures get our one line. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap) {
	return g_verbose ? vfprintf(stderr, fmt, ap) : 0;
}

static uint64_t clock_ns(clockid_t id) {
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* CLOCK_REALTIME - CLOCK_BOOTTIME, from the tightest of a few bracketed samples. */
static uint64_t boot_ts_epoch_ns(void) {
	uint64_t best = 0, best_window = UINT64_MAX;
	for(int i = 0; i < 5; i++) {
		uint64_t b0 = clock_ns(CLOCK_BOOTTIME);
		uint64_t rt = clock_ns(CLOCK_REALTIME);
		uint64_t b1 = clock_ns(CLOCK_BOOTTIME);
		if(b1 - b0 < best_window) {
			best_window = b1 - b0;
			best = rt - (b0 + (b1 - b0) / 2);
		}
	}
	return best;
}

static void usage(FILE *f) {
	fprintf(f,
	        "usage: " PROG " [-w FILE] [-d SECONDS] [-i MS] [-e audit|enforce [-C] [-k FILE]] [-q] [-v]\n"
	        "  -w FILE     write the scap stream to FILE (default: stdout)\n"
	        "  -d SECONDS  stop after SECONDS (default: until SIGINT/SIGTERM)\n"
	        "  -i MS       print the counters on stderr every MS milliseconds\n"
	        "  -e MODE     enforcement at exec: audit (decide, report) or enforce (also kill)\n"
	        "  -C          read the enforcement policy from stdin (see driver/README.md)\n"
	        "  -k FILE     enforcement kill switch: no kill once FILE exists (also SIGUSR2)\n"
	        "  -q          quiet: no start/stop messages (drops are still reported)\n"
	        "  -v          verbose libbpf output (verifier log on load errors)\n"
	        "SIGUSR1 prints the counters; SIGINT/SIGTERM (and the parent's exit) stop with a\n"
	        "complete stream.\n");
}

static int parse_options(int argc, char **argv, struct options *o) {
	int c;
	while((c = getopt(argc, argv, "w:d:i:e:Ck:qvh")) != -1) {
		switch(c) {
		case 'e':
			o->enforce_mode = sd_enforce_parse_mode(optarg);
			if(o->enforce_mode < 0) {
				fail("parse options", "-e needs audit or enforce, got '%s'", optarg);
				return -1;
			}
			break;
		case 'C':
			o->control_stdin = true;
			break;
		case 'k':
			o->kill_file = optarg;
			break;
		case 'w':
			o->out_path = optarg;
			break;
		case 'd': {
			char *end;
			o->duration_s = strtod(optarg, &end);
			if(*end || o->duration_s <= 0) {
				fail("parse options", "-d needs a positive number of seconds, got '%s'", optarg);
				return -1;
			}
			break;
		}
		case 'i': {
			char *end;
			unsigned long ms = strtoul(optarg, &end, 10);
			if(*end || ms == 0 || ms > 3600000) {
				fail("parse options", "-i needs milliseconds between 1 and 3600000, got '%s'", optarg);
				return -1;
			}
			o->stats_interval_ms = (unsigned)ms;
			break;
		}
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			g_verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if(optind < argc) {
		fail("parse options", "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if((o->control_stdin || o->kill_file) && o->enforce_mode == SD_ENFORCE_OFF) {
		fail("parse options", "-C and -k need -e audit or -e enforce");
		return -1;
	}
	return 0;
}

/* Per-cause counters, summed over CPUs. */
static int read_counters(struct loader *l, uint64_t totals[SD_CNT_MAX]) {
	int ncpus = libbpf_num_possible_cpus();
	if(ncpus <= 0) {
		return -1;
	}
	uint64_t *values = calloc((size_t)ncpus, sizeof(uint64_t));
	if(!values) {
		return -1;
	}
	int fd = bpf_map__fd(l->skel->maps.sd_counters);
	for(uint32_t cause = 0; cause < SD_CNT_MAX; cause++) {
		totals[cause] = 0;
		if(bpf_map_lookup_elem(fd, &cause, values) == 0) {
			for(int cpu = 0; cpu < ncpus; cpu++) {
				totals[cause] += values[cpu];
			}
		}
	}
	free(values);
	return 0;
}

static void report_counters(struct loader *l, bool at_exit) {
	static const char *names[SD_CNT_MAX] = SD_CNT_NAMES;
	uint64_t totals[SD_CNT_MAX];
	if(!l->loaded || read_counters(l, totals) != 0) {
		return;
	}
	uint64_t malformed = LOAD(l->malformed), spool_drops = LOAD(l->spool_drops), written = LOAD(l->written);
	bool any_drop = malformed != 0 || spool_drops != 0;
	for(int i = SD_CNT_DROP_RINGBUF; i <= SD_CNT_TRUNCATED; i++) {
		any_drop |= totals[i] != 0;
	}
	if(l->opt.quiet && !any_drop && at_exit) {
		return;
	}
	fprintf(stderr, PROG ": counters:");
	for(int i = 0; i < SD_CNT_MAX; i++) {
		fprintf(stderr, " %s=%llu", names[i], (unsigned long long)totals[i]);
	}
	fprintf(stderr, " malformed=%llu drop_start_spool=%llu written=%llu\n", (unsigned long long)malformed,
	        (unsigned long long)spool_drops, (unsigned long long)written);
}

/* Ring-buffer callback: one record = sd_record_hdr + frame -> one EV block. */
static int on_record(void *ctx, void *data, size_t size) {
	struct loader *l = ctx;
	if(size < SD_RECORD_HDR_SIZE + SD_FRAME_HDR_SIZE) {
		COUNT(l->malformed);
		return 0;
	}
	const struct sd_record_hdr *rec = data;
	const uint8_t *frame = (const uint8_t *)data + SD_RECORD_HDR_SIZE;
	uint32_t len;
	memcpy(&len, frame + SD_FRAME_OFF_LEN, sizeof(len));
	if(len < SD_FRAME_HDR_SIZE || len > size - SD_RECORD_HDR_SIZE) {
		COUNT(l->malformed);
		return 0;
	}
	if(l->spooling) {
		if(l->spool.buf.len + SD_BLOCK_HDR_SIZE + SD_BLOCK_TRAILER_SIZE + 4 + len > SPOOL_MAX_BYTES) {
			COUNT(l->spool_drops);
			return 0;
		}
		COUNT(l->written);
		return sd_write_ev(&l->spool, rec->cpu, frame, len);
	}
	COUNT(l->written);
	return sd_write_ev(&l->out, rec->cpu, frame, len);
}

/* Refuse early with one clear line when the machine cannot run the driver. */
static int check_environment(void) {
	if(geteuid() != 0) {
		fail("start", "not root (loading eBPF programs needs root)");
		return -1;
	}
	if(access(BTF_VMLINUX, R_OK) != 0) {
		fail("start", "no kernel BTF at " BTF_VMLINUX " (the kernel needs CONFIG_DEBUG_INFO_BTF=y)");
		return -1;
	}
	return 0;
}

static const char *load_reason(int err) {
	static char buf[256];
	if(err == -EPERM || err == -EACCES) {
		snprintf(buf, sizeof(buf),
		         "eBPF not permitted (%s): lockdown, a seccomp/LSM policy or a container without "
		         "CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN; run with -v for the kernel's log",
		         strerror(-err));
	} else {
		snprintf(buf, sizeof(buf), "%s (run with -v for the verifier log)", strerror(-err));
	}
	return buf;
}

/*
 * Programs that make a caller's path argument absolute use bpf_loop() (kernel >=
 * 5.17). Without it they are not loaded: chmod/fchmodat, rename and link events
 * are not sent and scripts are described without their file; the rest runs.
 */
static bool path_programs(struct loader *l) {
	struct bpf_program *progs[] = {
	        l->skel->progs.sd_chmod_x,      l->skel->progs.sd_fchmodat_x,
	        l->skel->progs.sd_rename_x,     l->skel->progs.sd_renameat_x,
	        l->skel->progs.sd_renameat2_x,  l->skel->progs.sd_link_x,
	        l->skel->progs.sd_linkat_x,     l->skel->progs.sd_sched_process_exec_script,
	};
	bool have = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, NULL) == 1;
	for(size_t i = 0; !have && i < sizeof(progs) / sizeof(progs[0]); i++) {
		bpf_program__set_autoload(progs[i], false);
	}
	return have;
}

/* sys_exit tail table: syscall number (x86_64) -> program; and the exec script stage. */
static int register_tail_calls(struct loader *l) {
	struct {
		uint32_t nr;
		struct bpf_program *prog;
	} table[] = {
	        {56, l->skel->progs.sd_clone_x},   {57, l->skel->progs.sd_fork_x},
	        {58, l->skel->progs.sd_vfork_x},   {59, l->skel->progs.sd_execve_x},
	        {322, l->skel->progs.sd_execveat_x}, {435, l->skel->progs.sd_clone3_x},
	        /* file events */
	        {2, l->skel->progs.sd_open_x},     {257, l->skel->progs.sd_openat_x},
	        {437, l->skel->progs.sd_openat2_x}, {85, l->skel->progs.sd_creat_x},
	        {1, l->skel->progs.sd_write_x},    {18, l->skel->progs.sd_pwrite64_x},
	        {20, l->skel->progs.sd_writev_x},  {296, l->skel->progs.sd_pwritev_x},
	        {326, l->skel->progs.sd_copy_file_range_x}, {40, l->skel->progs.sd_sendfile_x},
	        {90, l->skel->progs.sd_chmod_x},   {268, l->skel->progs.sd_fchmodat_x},
	        {452, l->skel->progs.sd_fchmodat_x}, /* fchmodat2 */
	        {91, l->skel->progs.sd_fchmod_x},  {82, l->skel->progs.sd_rename_x},
	        {264, l->skel->progs.sd_renameat_x}, {316, l->skel->progs.sd_renameat2_x},
	        {86, l->skel->progs.sd_link_x},    {265, l->skel->progs.sd_linkat_x},
	        {319, l->skel->progs.sd_memfd_create_x},
	        {32, l->skel->progs.sd_dup_x},     {33, l->skel->progs.sd_dup2_x},
	        {292, l->skel->progs.sd_dup3_x},
	};
	int map_fd = bpf_map__fd(l->skel->maps.sd_sys_exit_tails);
	for(size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int prog_fd = bpf_program__fd(table[i].prog);
		if(prog_fd < 0) {
			continue; /* not loaded: see path_programs() */
		}
		if(bpf_map_update_elem(map_fd, &table[i].nr, &prog_fd, BPF_ANY) != 0) {
			fail("register tail calls", "syscall %u: %s", table[i].nr, strerror(errno));
			return -1;
		}
	}
	uint32_t slot = SD_EXEC_STAGE_SCRIPT_SLOT;
	int script_fd = bpf_program__fd(l->skel->progs.sd_sched_process_exec_script);
	if(script_fd >= 0 &&
	   bpf_map_update_elem(bpf_map__fd(l->skel->maps.sd_exec_stages), &slot, &script_fd, BPF_ANY) != 0) {
		fail("register tail calls", "exec script stage: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int attach(struct loader *l) {
	struct bpf_program *progs[N_PROGS] = {l->skel->progs.sd_sys_exit, l->skel->progs.sd_sched_process_exec,
	                                      l->skel->progs.sd_sched_process_exit};
	for(int i = 0; i < N_PROGS; i++) {
		l->links[i] = bpf_program__attach(progs[i]);
		if(!l->links[i]) {
			int err = -errno;
			fail("attach", "%s: %s", bpf_program__name(progs[i]), load_reason(err));
			return -1;
		}
	}
	return 0;
}

/*
 * ns-exact starts of the pid namespaces' inits, from the task iterator, for the
 * process table. Empty (the table falls back to /proc's clock ticks) on failure.
 */
static size_t read_pidns_starts(struct loader *l, struct sd_pidns_start **out) {
	*out = NULL;
	struct bpf_link *link = bpf_program__attach_iter(l->skel->progs.sd_pidns_iter, NULL);
	int fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	size_t n = 0, cap = 0;
	struct sd_pidns_start rec;
	while(fd >= 0 && read(fd, &rec, sizeof(rec)) == (ssize_t)sizeof(rec)) {
		if(n == cap) {
			cap = cap ? 2 * cap : 64;
			struct sd_pidns_start *bigger = realloc(*out, cap * sizeof(rec));
			if(!bigger) {
				break;
			}
			*out = bigger;
		}
		(*out)[n++] = rec;
	}
	if(fd >= 0) {
		close(fd);
	}
	bpf_link__destroy(link);
	return n;
}

static void detach(struct loader *l) {
	for(int i = 0; i < N_PROGS; i++) {
		bpf_link__destroy(l->links[i]);
		l->links[i] = NULL;
	}
}

static int write_headers(struct loader *l) {
	struct sd_machine_info mi = {0};
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES);
	long page_size = sysconf(_SC_PAGESIZE);
	mi.num_cpus = ncpus > 0 ? (uint32_t)ncpus : 0;
	mi.memory_size_bytes = pages > 0 && page_size > 0 ? (uint64_t)pages * (uint64_t)page_size : 0;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
	unsigned long long pid_max = 0;
	if(f) {
		if(fscanf(f, "%llu", &pid_max) != 1) {
			pid_max = 0;
		}
		fclose(f);
	}
	mi.max_pid = pid_max;
	gethostname(mi.hostname, sizeof(mi.hostname) - 1);
	mi.boot_ts_epoch_ns = l->boot_ts_epoch_ns;

	/* The host's users and groups follow MI, as in libs' dumper (user.name & co. of every reader). */
	struct sd_buf users = {0};
	struct sd_userlist_stats user_stats;
	int err = sd_read_userlist(&users, &user_stats);
	err = err ? err : sd_write_shb(&l->out);
	err = err ? err : sd_write_mi(&l->out, &mi);
	err = err ? err : sd_write_ul(&l->out, &users);
	err = err ? err : sd_out_flush(&l->out); /* the reader sees the stream begin at once */
	sd_buf_free(&users);
	if(err) {
		fail("write headers", "%s", strerror(-err));
		return -1;
	}
	return 0;
}

/* The /proc scan, run on its own thread while the main one drains the ring buffer. */
struct scan_job {
	struct loader *l;
	struct sd_buf entries; /* PL entries */
	struct sd_proc_scan_stats stats;
	int err;               /* 0 or a negative errno */
	atomic_bool done;
};

static void *scan_thread(void *arg) {
	struct scan_job *job = arg;
	struct sd_pidns_start *starts;
	size_t nstarts = read_pidns_starts(job->l, &starts);
	job->err = sd_proc_scan(&job->entries, job->l->boot_ts_epoch_ns, starts, nstarts, &job->stats);
	free(starts);
	atomic_store(&job->done, true);
	return NULL;
}

/*
 * The process table (PL), then the events that arrived while it was read. Events are
 * captured from the attach on: they wait in the spool (up to SPOOL_MAX_BYTES) so that
 * they follow the PL in the stream, as libs' readers expect.
 */
static int write_process_table(struct loader *l) {
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	struct scan_job job = {.l = l};
	sd_out_init(&l->spool, -1);
	l->spooling = true;
	pthread_t tid;
	int err = pthread_create(&tid, NULL, scan_thread, &job);
	if(err) {
		scan_thread(&job); /* no thread: scan here; the ring buffer holds what comes meanwhile */
	} else {
		while(!atomic_load(&job.done)) {
			int n = ring_buffer__poll(l->rb, SCAN_POLL_TIMEOUT_MS);
			if(n < 0 && n != -EINTR) {
				fail("poll the ring buffer", "%s", strerror(-n));
				break;
			}
		}
		pthread_join(tid, NULL);
	}
	ring_buffer__consume(l->rb);
	l->spooling = false;
	err = job.err;
	err = err ? err : sd_write_pl(&l->out, &job.entries);
	err = err ? err : sd_out_flush(&l->out);
	sd_buf_free(&job.entries);
	if(err) {
		sd_out_free(&l->spool);
		fail("write the process table", "%s", strerror(-err));
		return -1;
	}
	size_t spooled = l->spool.buf.len;
	l->spool.fd = l->out_fd;
	err = sd_out_flush(&l->spool);
	sd_out_free(&l->spool);
	if(err) {
		fail("write output", "%s", strerror(-err));
		return -1;
	}
	if(!l->opt.quiet) {
		fprintf(stderr, PROG ": process table: %zu threads in %llu ms (%zu bytes of events held meanwhile)\n",
		        job.stats.threads, (unsigned long long)((clock_ns(CLOCK_MONOTONIC) - t0) / NSEC_PER_MSEC), spooled);
	}
	if(job.stats.cgroups_cut) {
		fprintf(stderr, PROG ": process table: %zu cgroups lists cut at %d bytes\n",
		        job.stats.cgroups_cut, SD_MAX_CGROUPS);
	}
	return 0;
}

/*
 * Counters every -i ms from a thread of their own: they keep coming (drops included) while
 * the main thread is blocked writing to a reader that does not read.
 */
static void *stats_thread(void *arg) {
	struct loader *l = arg;
	struct timespec step = {.tv_sec = l->opt.stats_interval_ms / 1000,
	                        .tv_nsec = (long)(l->opt.stats_interval_ms % 1000) * 1000000L};
	while(!g_stop) {
		struct timespec left = step;
		while(nanosleep(&left, &left) != 0 && errno == EINTR && !g_stop) {
		}
		if(!g_stop) {
			report_counters(l, false);
		}
	}
	return NULL;
}

static void start_stats(struct loader *l) {
	if(l->opt.stats_interval_ms && pthread_create(&l->stats_thread, NULL, stats_thread, l) == 0) {
		l->stats_running = true;
	}
}

static int run(struct loader *l) {
	uint64_t start_ms = clock_ns(CLOCK_MONOTONIC) / NSEC_PER_MSEC;
	uint64_t deadline_ms =
	        l->opt.duration_s > 0 ? start_ms + (uint64_t)(l->opt.duration_s * 1000.0) : UINT64_MAX;
	while(!g_stop) {
		int n = ring_buffer__poll(l->rb, POLL_TIMEOUT_MS);
		if(n < 0 && n != -EINTR) {
			fail("poll the ring buffer", "%s", strerror(-n));
			return -1;
		}
		uint64_t now_ms = clock_ns(CLOCK_MONOTONIC) / NSEC_PER_MSEC;
		if(sd_out_maybe_flush(&l->out, now_ms) != 0 || l->out.error) {
			fail("write output", "%s", strerror(l->out.error));
			return -1;
		}
		if(g_report) {
			g_report = 0;
			report_counters(l, false);
		}
		if(now_ms >= deadline_ms) {
			break;
		}
	}
	return 0;
}

int main(int argc, char **argv) {
	struct loader l = {.out_fd = -1};
	int rc = 1;

	if(parse_options(argc, argv, &l.opt) != 0) {
		return 2;
	}
	if(check_environment() != 0) {
		return 1;
	}
	libbpf_set_print(libbpf_log);

	if(l.opt.out_path) {
		l.out_fd = open(l.opt.out_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644); /* read too: sd_close_section() */
		if(l.out_fd < 0) {
			fail("open output", "%s: %s", l.opt.out_path, strerror(errno));
			goto cleanup;
		}
	} else {
		if(isatty(STDOUT_FILENO)) {
			fail("open output", "stdout is a terminal; use -w FILE or a pipe");
			goto cleanup;
		}
		l.out_fd = STDOUT_FILENO;
	}
	sd_out_init(&l.out, l.out_fd);

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Never outlive the process that reads the stream (e.g. a SIGKILLed scapdrift). */
	pid_t parent = getppid();
	if(prctl(PR_SET_PDEATHSIG, SIGTERM) == 0 && getppid() != parent) {
		g_stop = 1; /* it exited before the request took effect */
	}

	l.skel = scapdrift_bpf__open();
	if(!l.skel) {
		fail("open the eBPF object", "%s", strerror(errno));
		goto cleanup;
	}

	l.boot_ts_epoch_ns = boot_ts_epoch_ns();
	l.skel->rodata->sd_boot_ts_epoch_ns = l.boot_ts_epoch_ns;
	int ncpus = libbpf_num_possible_cpus();
	if(ncpus <= 0 || bpf_map__set_max_entries(l.skel->maps.sd_scratch_map, (uint32_t)ncpus) != 0) {
		fail("set rodata", "cannot size the scratch map for %d CPUs", ncpus);
		goto cleanup;
	}

	if(!path_programs(&l)) {
		fprintf(stderr, PROG ": warning: no bpf_loop() (kernel < 5.17): chmod, rename and link "
		                "events are not sent, scripts are not described\n");
	}
	if(l.opt.enforce_mode != SD_ENFORCE_OFF && sd_enforce_prepare(l.skel, l.opt.enforce_mode) != 0) {
		goto cleanup;
	}
	int err = scapdrift_bpf__load(l.skel);
	if(err) {
		fail("load", "%s", load_reason(err));
		goto cleanup;
	}
	l.loaded = true;
	if(g_stop) { /* stopped while loading (seconds on a busy host): nothing was written */
		rc = 0;
		goto cleanup;
	}
	if(l.opt.enforce_mode != SD_ENFORCE_OFF) {
		l.enforcer = sd_enforce_start(l.skel, l.opt.enforce_mode, l.opt.control_stdin ? STDIN_FILENO : -1,
		                              l.opt.kill_file, l.opt.quiet);
		if(!l.enforcer) {
			goto cleanup;
		}
	}
	if(register_tail_calls(&l) != 0 || attach(&l) != 0) {
		goto cleanup;
	}
	l.rb = ring_buffer__new(bpf_map__fd(l.skel->maps.sd_events), on_record, &l, NULL);
	if(!l.rb) {
		fail("open the ring buffer", "%s", strerror(errno));
		goto cleanup;
	}
	if(!l.opt.quiet) {
		fprintf(stderr, PROG ": capturing (pid %d, boot_ts_epoch=%llu)\n", (int)getpid(),
		        (unsigned long long)l.boot_ts_epoch_ns);
	}
	start_stats(&l);
	/* A stop asked for during start-up ends it at the next step: nothing is half written. */
	if((!g_stop && write_headers(&l) != 0) || (!g_stop && write_process_table(&l) != 0) || run(&l) != 0) {
		goto cleanup;
	}
	rc = 0;

cleanup:
	if(l.stats_running) {
		g_stop = 1;
		pthread_join(l.stats_thread, NULL);
	}
	detach(&l);
	sd_enforce_stop(l.enforcer);
	if(l.rb) {
		ring_buffer__consume(l.rb); /* what was produced before the detach */
	}
	if(l.out_fd >= 0) {
		if(sd_out_flush(&l.out) != 0 && rc == 0) {
			fail("write output", "%s", strerror(l.out.error));
			rc = 1;
		}
		int close_err = rc == 0 ? sd_close_section(l.out_fd) : 0;
		if(close_err) {
			fail("close the recording", "%s", strerror(-close_err));
			rc = 1;
		}
		report_counters(&l, true);
		sd_out_free(&l.out);
		if(l.out_fd != STDOUT_FILENO) {
			close(l.out_fd);
		}
	}
	ring_buffer__free(l.rb);
	scapdrift_bpf__destroy(l.skel);
	return rc;
}
