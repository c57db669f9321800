/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The enforcement policy, fed on the control fd one command per line:
 *
 *   policies MASK          SD_ENFORCE_* bits to apply
 *   max-kills N            kills per second at most
 *   trust DEV INO          a trusted writer's executable (stat() st_dev, st_ino)
 *   memfd-allow NAME       a memfd name that may run (without "memfd:")
 *   scope-cgroup ID        only tasks in this cgroup v2 (its directory's inode) or below
 *   commit                 apply what came since the last commit, at once
 *
 * A commit adds the new trusted and allowed entries before it removes the stale
 * ones, so a reload never leaves a moment with an empty trusted set; then writes
 * the configuration and prints "scapdrift-loader: enforcement: ...". An unknown or
 * malformed line is reported on stderr and the pending policy dropped (the last
 * committed one stays).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "scapdrift_abi.h"
#include "enforce.h"

#define PROG "scapdrift-loader"
/* How often the kill-switch file is looked for, ms. */
#define KILL_FILE_POLL_MS 50
#define LINE_MAX_BYTES 4200

struct sd_pending {
	uint64_t scope_cgroup_id;
	uint32_t policies;
	uint32_t max_kills;
	struct sd_inode_key *trusted;
	size_t ntrusted, cap_trusted;
	uint64_t *memfd;
	size_t nmemfd, cap_memfd;
	bool bad;
};

struct sd_enforcer {
	struct scapdrift_bpf *skel;
	int mode;
	int control_fd;
	const char *kill_file;
	bool quiet;
	pthread_t thread;
	volatile bool stop;
	struct sd_pending p;
};

static int g_off_fd = -1;

int sd_enforce_parse_mode(const char *text) {
	if(strcmp(text, "audit") == 0) {
		return SD_ENFORCE_AUDIT;
	}
	if(strcmp(text, "enforce") == 0) {
		return SD_ENFORCE_KILL;
	}
	return -1;
}

int sd_enforce_prepare(struct scapdrift_bpf *skel, int mode) {
	/* bpf_send_signal(): kernels >= 5.3; probed on the tracepoint type (tp_btf gets the
	 * same tracing helpers). */
	if(mode == SD_ENFORCE_KILL &&
	   libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_send_signal, NULL) != 1) {
		fprintf(stderr, PROG ": failed to enable enforcement: this kernel has no bpf_send_signal() "
		                "(needs >= 5.3), so an exec cannot be killed in the kernel; use -e audit\n");
		return -1;
	}
	skel->rodata->sd_enforce_enabled = 1;
	skel->rodata->sd_enforce_can_kill = mode == SD_ENFORCE_KILL;
	return 0;
}

void sd_enforce_kill_switch(void) {
	uint32_t zero = 0, one = 1;
	if(g_off_fd >= 0) {
		bpf_map_update_elem(g_off_fd, &zero, &one, BPF_ANY);
	}
}

static bool kill_switch_on(void) {
	uint32_t zero = 0, v = 0;
	return g_off_fd >= 0 && bpf_map_lookup_elem(g_off_fd, &zero, &v) == 0 && v;
}

static int write_cfg(struct sd_enforcer *e, uint32_t policies, uint32_t max_kills, uint64_t scope) {
	struct sd_enforce_cfg cfg = {
	        .scope_cgroup_id = scope,
	        .mode = (unsigned)e->mode,
	        .policies = policies,
	        .max_kills_per_sec = max_kills,
	        .spare_tgid = {(unsigned)getpid(), (unsigned)getppid()},
	};
	uint32_t zero = 0;
	return bpf_map_update_elem(bpf_map__fd(e->skel->maps.sd_enforce_cfg_map), &zero, &cfg, BPF_ANY);
}

static void pending_reset(struct sd_pending *p) {
	free(p->trusted);
	free(p->memfd);
	memset(p, 0, sizeof(*p));
}

static bool in_trusted(const struct sd_pending *p, const struct sd_inode_key *k) {
	for(size_t i = 0; i < p->ntrusted; i++) {
		if(p->trusted[i].ino == k->ino && p->trusted[i].dev == k->dev) {
			return true;
		}
	}
	return false;
}

static bool in_memfd(const struct sd_pending *p, uint64_t h) {
	for(size_t i = 0; i < p->nmemfd; i++) {
		if(p->memfd[i] == h) {
			return true;
		}
	}
	return false;
}

/* Adds the pending set to `map_fd`, then deletes the keys that are not in it. */
static int sync_set(int map_fd, const void *keys, size_t n, size_t key_size,
                    bool (*keep)(const struct sd_pending *, const void *), const struct sd_pending *p) {
	uint8_t one = 1;
	for(size_t i = 0; i < n; i++) {
		if(bpf_map_update_elem(map_fd, (const char *)keys + i * key_size, &one, BPF_ANY) != 0) {
			return -errno;
		}
	}
	char key[16], next[16];
	void *prev = NULL;
	while(bpf_map_get_next_key(map_fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		if(!keep(p, key)) {
			bpf_map_delete_elem(map_fd, key);
			prev = NULL; /* the walk restarts after a delete */
		}
	}
	return 0;
}

static bool keep_trusted(const struct sd_pending *p, const void *k) {
	return in_trusted(p, k);
}

static bool keep_memfd(const struct sd_pending *p, const void *k) {
	uint64_t h;
	memcpy(&h, k, sizeof(h));
	return in_memfd(p, h);
}

static void commit(struct sd_enforcer *e) {
	struct sd_pending *p = &e->p;
	if(p->bad) {
		fprintf(stderr, PROG ": enforcement: policy not applied (bad lines above); the previous one stays\n");
		pending_reset(p);
		return;
	}
	int err = sync_set(bpf_map__fd(e->skel->maps.sd_enforce_trusted_map), p->trusted, p->ntrusted,
	                   sizeof(struct sd_inode_key), keep_trusted, p);
	err = err ? err
	          : sync_set(bpf_map__fd(e->skel->maps.sd_enforce_memfd_map), p->memfd, p->nmemfd,
	                     sizeof(uint64_t), keep_memfd, p);
	err = err ? err : write_cfg(e, p->policies, p->max_kills, p->scope_cgroup_id);
	if(err) {
		fprintf(stderr, PROG ": enforcement: failed to apply the policy: %s\n", strerror(err < 0 ? -err : errno));
	} else {
		fprintf(stderr,
		        PROG ": enforcement: mode=%s policies=0x%x trusted=%zu memfd_allowed=%zu "
		        "max_kills_per_sec=%u scope_cgroup_id=%llu kill_switch=%s\n",
		        e->mode == SD_ENFORCE_KILL ? "enforce" : "audit", p->policies, p->ntrusted, p->nmemfd,
		        p->max_kills, (unsigned long long)p->scope_cgroup_id, kill_switch_on() ? "on" : "off");
	}
	pending_reset(p);
}

static uint64_t memfd_hash(const char *name) {
	uint64_t h = SD_FNV64_OFFSET;
	const char *prefix = "memfd:";
	size_t n = 0;
	for(const char *c = prefix; *c && n < SD_MEMFD_NAME_MAX - 1; c++, n++) {
		h = (h ^ (uint8_t)*c) * SD_FNV64_PRIME;
	}
	for(const char *c = name; *c && n < SD_MEMFD_NAME_MAX - 1; c++, n++) {
		h = (h ^ (uint8_t)*c) * SD_FNV64_PRIME;
	}
	return h;
}

/* Room for one more element in *arr (n used of *cap); false when out of memory. */
static bool grow(void **arr, size_t *cap, size_t n, size_t elem_size) {
	if(n < *cap) {
		return true;
	}
	size_t bigger_cap = *cap ? 2 * *cap : 16;
	void *bigger = realloc(*arr, bigger_cap * elem_size);
	if(!bigger) {
		return false;
	}
	*arr = bigger;
	*cap = bigger_cap;
	return true;
}

static void command(struct sd_enforcer *e, char *line) {
	struct sd_pending *p = &e->p;
	unsigned long long a, b;
	char extra;
	if(strcmp(line, "commit") == 0) {
		commit(e);
	} else if(sscanf(line, "policies %llu %c", &a, &extra) == 1 && a < (1u << SD_ENFORCE_POLICY_COUNT)) {
		p->policies = (uint32_t)a;
	} else if(sscanf(line, "scope-cgroup %llu %c", &a, &extra) == 1) {
		p->scope_cgroup_id = a;
	} else if(sscanf(line, "max-kills %llu %c", &a, &extra) == 1 && a <= UINT32_MAX) {
		p->max_kills = (uint32_t)a;
	} else if(sscanf(line, "trust %llu %llu %c", &a, &b, &extra) == 2 && a <= UINT32_MAX) {
		if(p->ntrusted >= SD_ENFORCE_TRUSTED_MAX) {
			fprintf(stderr, PROG ": enforcement: more than %d trusted writers\n", SD_ENFORCE_TRUSTED_MAX);
			p->bad = true;
			return;
		}
		if(!grow((void **)&p->trusted, &p->cap_trusted, p->ntrusted, sizeof(*p->trusted))) {
			p->bad = true;
			return;
		}
		p->trusted[p->ntrusted++] = (struct sd_inode_key){.ino = b, .dev = (uint32_t)a};
	} else if(strncmp(line, "memfd-allow ", 12) == 0 && line[12]) {
		if(p->nmemfd >= SD_ENFORCE_MEMFD_MAX) {
			fprintf(stderr, PROG ": enforcement: more than %d allowed memfd names\n", SD_ENFORCE_MEMFD_MAX);
			p->bad = true;
			return;
		}
		if(!grow((void **)&p->memfd, &p->cap_memfd, p->nmemfd, sizeof(*p->memfd))) {
			p->bad = true;
			return;
		}
		p->memfd[p->nmemfd++] = memfd_hash(line + 12);
	} else {
		fprintf(stderr, PROG ": enforcement: bad control line '%.80s'\n", line);
		p->bad = true;
	}
}

static void *control_thread(void *arg) {
	struct sd_enforcer *e = arg;
	char buf[LINE_MAX_BYTES];
	size_t len = 0;
	bool eof = e->control_fd < 0;
	bool switched = false;
	while(!e->stop) {
		if(!switched && e->kill_file && access(e->kill_file, F_OK) == 0) {
			sd_enforce_kill_switch();
			switched = true;
			fprintf(stderr, PROG ": enforcement: kill switch thrown (%s exists): no more kills\n", e->kill_file);
		}
		struct pollfd pfd = {.fd = eof ? -1 : e->control_fd, .events = POLLIN};
		int n = poll(&pfd, 1, KILL_FILE_POLL_MS);
		if(n <= 0 || eof) {
			continue;
		}
		ssize_t got = read(e->control_fd, buf + len, sizeof(buf) - 1 - len);
		if(got <= 0) {
			eof = true;
			continue;
		}
		len += (size_t)got;
		char *start = buf, *nl;
		while((nl = memchr(start, '\n', buf + len - start))) {
			*nl = '\0';
			command(e, start);
			start = nl + 1;
		}
		len -= (size_t)(start - buf);
		memmove(buf, start, len);
		if(len == sizeof(buf) - 1) { /* a line longer than any command */
			fprintf(stderr, PROG ": enforcement: control line too long\n");
			e->p.bad = true;
			len = 0;
		}
	}
	return NULL;
}

struct sd_enforcer *sd_enforce_start(struct scapdrift_bpf *skel, int mode, int control_fd,
                                     const char *kill_file, bool quiet) {
	struct sd_enforcer *e = calloc(1, sizeof(*e));
	if(!e) {
		fprintf(stderr, PROG ": failed to enable enforcement: out of memory\n");
		return NULL;
	}
	e->skel = skel;
	e->mode = mode;
	e->control_fd = control_fd;
	e->kill_file = kill_file;
	e->quiet = quiet;
	g_off_fd = bpf_map__fd(skel->maps.sd_enforce_off_map);
	if(write_cfg(e, 0, 0, 0) != 0) {
		fprintf(stderr, PROG ": failed to enable enforcement: %s\n", strerror(errno));
		free(e);
		return NULL;
	}
	if(pthread_create(&e->thread, NULL, control_thread, e) != 0) {
		fprintf(stderr, PROG ": failed to enable enforcement: no control thread\n");
		free(e);
		return NULL;
	}
	return e;
}

void sd_enforce_stop(struct sd_enforcer *e) {
	if(!e) {
		return;
	}
	e->stop = true;
	pthread_join(e->thread, NULL);
	pending_reset(&e->p);
	free(e);
}
