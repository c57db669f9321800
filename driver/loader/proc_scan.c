/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "proc_scan.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "scapdrift_abi.h"

/* Limits of libscap's reader (userspace/libscap/scap_limits.h). */
#define SCAP_MAX_PATH_SIZE 1024
#define SCAP_MAX_ARGS_SIZE 4096
#define SCAP_MAX_ENV_SIZE 4096

#define PROC_PID_INIT_INO 0xEFFFFFFCu /* inode of the initial pid namespace */
#define OVERLAYFS_SUPER_MAGIC_U 0x794c7630
#define NSEC_PER_SEC 1000000000ull
#define CAP_DAC_OVERRIDE_BIT 1
#define CAP_FOWNER_BIT 3
#define PPM_CAP_MASK ((1ull << 41) - 1)
#define MAX_GROUPS 256
#define MAX_PIDNS 1024

/* What /proc says about one thread (or its process), in PL v9 field order. */
struct pl_entry {
	uint64_t tid, pid, ptid, sid, vpgid;
	char comm[SCAP_MAX_PATH_SIZE];
	char exe[SCAP_MAX_PATH_SIZE];
	char exepath[SCAP_MAX_PATH_SIZE];
	uint8_t args[SCAP_MAX_ARGS_SIZE];
	uint16_t args_len;
	char cwd[SCAP_MAX_PATH_SIZE];
	uint64_t fdlimit;
	uint32_t flags, uid, gid, vmsize_kb, vmrss_kb, vmswap_kb;
	uint64_t pfmajor, pfminor;
	uint8_t env[SCAP_MAX_ENV_SIZE];
	uint16_t env_len;
	int64_t vtid, vpid;
	char root[SCAP_MAX_PATH_SIZE];
	uint64_t pidns_init_start_ts;
	uint32_t tty, loginuid;
	uint8_t exe_writable;
	uint64_t cap_inheritable, cap_permitted, cap_effective;
	uint8_t exe_upper_layer;
	uint64_t exe_ino, exe_ino_ctime, exe_ino_mtime;
	uint8_t exe_from_memfd, exe_lower_layer;
	int64_t pgid;
	uint8_t cgroups[SD_MAX_CGROUPS]; /* "subsys=/path\0" entries */
	uint16_t cgroups_len;
	bool cgroups_cut;                /* an entry did not fit */
};

/* Credentials from /proc/PID/task/TID/status, for the writable check. */
struct creds {
	uint32_t fsuid, fsgid;
	uint32_t groups[MAX_GROUPS];
	int ngroups;
};

/* pid namespace inode -> start of its init, ns since boot. */
struct pidns_map {
	uint64_t ino[MAX_PIDNS];
	uint64_t init_start_boot_ns[MAX_PIDNS];
	int n;
};

static long g_clk_tck;
static char g_cgroup2_mount[SCAP_MAX_PATH_SIZE]; /* where the unified hierarchy is mounted, or "" */

/* Whole small file into buf (NUL-terminated); returns bytes read or -1. */
static ssize_t read_file(const char *path, void *buf, size_t size) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if(fd < 0) {
		return -1;
	}
	size_t done = 0;
	while(done < size - 1) {
		ssize_t n = read(fd, (char *)buf + done, size - 1 - done);
		if(n < 0 && errno == EINTR) {
			continue;
		}
		if(n <= 0) {
			break;
		}
		done += (size_t)n;
	}
	close(fd);
	((char *)buf)[done] = 0;
	return (ssize_t)done;
}

static void read_link(const char *path, char *out, size_t size) {
	ssize_t n = readlink(path, out, size - 1);
	out[n > 0 ? n : 0] = 0;
}

/* The value after "Key:" in a status file, or NULL. */
static const char *status_field(const char *status, const char *key) {
	size_t klen = strlen(key);
	for(const char *line = status; line && *line; line = strchr(line, '\n')) {
		if(*line == '\n') {
			line++;
		}
		if(strncmp(line, key, klen) == 0 && line[klen] == ':') {
			return line + klen + 1;
		}
	}
	return NULL;
}

/* The last number of a whitespace-separated list (the innermost namespace's id). */
static bool last_number(const char *s, int64_t *out) {
	bool found = false;
	while(s && *s && *s != '\n') {
		char *end;
		long long v = strtoll(s, &end, 10);
		if(end == s) {
			s++;
			continue;
		}
		*out = v;
		found = true;
		s = end;
	}
	return found;
}

static int count_numbers(const char *s) {
	int n = 0;
	while(s && *s && *s != '\n') {
		char *end;
		strtoll(s, &end, 10);
		if(end == s) {
			s++;
			continue;
		}
		n++;
		s = end;
	}
	return n;
}

/* The n-th (0-based) number of a list, e.g. "Uid: real effective saved fs". */
static uint64_t nth_number(const char *s, int n, uint64_t dflt) {
	for(int i = 0; s && *s && *s != '\n';) {
		char *end;
		unsigned long long v = strtoull(s, &end, 10);
		if(end == s) {
			s++;
			continue;
		}
		if(i++ == n) {
			return v;
		}
		s = end;
	}
	return dflt;
}

static uint64_t hex_field(const char *s) {
	return s ? strtoull(s, NULL, 16) : 0;
}

static uint64_t pidns_ino(const char *dir) {
	char path[320], link[64];
	snprintf(path, sizeof(path), "%s/ns/pid", dir);
	read_link(path, link, sizeof(link));
	const char *b = strchr(link, '[');
	return b ? strtoull(b + 1, NULL, 10) : 0;
}

/* Field n (1-based, as in proc(5)) of /proc/.../stat, counted after the comm. */
static bool stat_fields(const char *dir, uint64_t *fields, int max) {
	char buf[1024], path[320];
	snprintf(path, sizeof(path), "%s/stat", dir);
	if(read_file(path, buf, sizeof(buf)) <= 0) {
		return false;
	}
	char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if(!p) {
		return false;
	}
	p += 2; /* field 3: state */
	memset(fields, 0, sizeof(*fields) * (size_t)max);
	for(int i = 3; i < max && *p; i++) {
		fields[i] = strtoull(p, &p, 10);
		while(*p == ' ') {
			p++;
		}
		if(i == 3) { /* state is a letter */
			while(*p && *p != ' ') {
				p++;
			}
		}
	}
	return true;
}

static uint64_t ticks_to_ns(uint64_t ticks) {
	return ticks * (NSEC_PER_SEC / (uint64_t)g_clk_tck);
}

/*
 * First pass: the init (NSpid innermost == 1) of every pid namespace, its start in
 * clock ticks from /proc, replaced by the ns-exact start of `exact` (the
 * eBPF task iterator's records) for the namespaces it lists.
 */
static void collect_pidns_inits(struct pidns_map *m, const struct sd_pidns_start *exact, size_t nexact) {
	DIR *proc = opendir("/proc");
	struct dirent *de;
	m->n = 0;
	while(proc && (de = readdir(proc)) && m->n < MAX_PIDNS) {
		if(!isdigit((unsigned char)de->d_name[0])) {
			continue;
		}
		char dir[32], path[64], status[4096];
		snprintf(dir, sizeof(dir), "/proc/%d", atoi(de->d_name));
		snprintf(path, sizeof(path), "%s/status", dir);
		if(read_file(path, status, sizeof(status)) <= 0) {
			continue;
		}
		int64_t inner = 0;
		if(!last_number(status_field(status, "NSpid"), &inner) || inner != 1) {
			continue;
		}
		uint64_t f[23];
		if(!stat_fields(dir, f, 23)) {
			continue;
		}
		m->ino[m->n] = pidns_ino(dir);
		m->init_start_boot_ns[m->n] = ticks_to_ns(f[22]); /* starttime */
		for(size_t i = 0; i < nexact; i++) {
			if(exact[i].ns_ino == m->ino[m->n]) {
				m->init_start_boot_ns[m->n] = exact[i].start_boot_ns;
				break;
			}
		}
		m->n++;
	}
	if(proc) {
		closedir(proc);
	}
}

/*
 * Start of the task's pid namespace, epoch ns: the host (initial) namespace began at
 * boot; another one when its init started (ns-exact from the task iterator, else
 * clock-tick resolution from /proc).
 */
static uint64_t pidns_start_epoch_ns(const struct pidns_map *m, uint64_t ns_ino, uint64_t boot_ts) {
	if(ns_ino == PROC_PID_INIT_INO || ns_ino == 0) {
		return boot_ts;
	}
	for(int i = 0; i < m->n; i++) {
		if(m->ino[i] == ns_ino) {
			return boot_ts + m->init_start_boot_ns[i];
		}
	}
	return 0; /* unknown: init not visible from here */
}

/* Is host id `id` mapped in /proc/PID/{uid,gid}_map? */
static bool id_mapped(const char *map_path, uint32_t id) {
	char buf[4096];
	if(read_file(map_path, buf, sizeof(buf)) <= 0) {
		return false;
	}
	for(char *line = buf; line && *line;) {
		unsigned long inside, outside, count;
		if(sscanf(line, "%lu %lu %lu", &inside, &outside, &count) == 3 && id >= outside &&
		   id - outside < count) {
			return true;
		}
		line = strchr(line, '\n');
		if(line) {
			line++;
		}
	}
	return false;
}

/* The same inode_permission()-like check as the eBPF side (helpers/extract/exe.h). */
static bool exe_writable(const char *dir, const char *exe_link, const struct stat *st,
                         const struct creds *c, uint64_t cap_effective) {
	struct statvfs vfs;
	uint32_t ftype = st->st_mode & S_IFMT;
	if(statvfs(exe_link, &vfs) == 0 && (vfs.f_flag & ST_RDONLY) &&
	   (ftype == S_IFREG || ftype == S_IFDIR || ftype == S_IFLNK)) {
		return false;
	}
	int fd = open(exe_link, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if(fd >= 0) {
		int attr = 0;
		bool immutable = ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0 && (attr & FS_IMMUTABLE_FL);
		close(fd);
		if(immutable) {
			return false;
		}
	}
	if(c->fsuid == st->st_uid) {
		return true;
	}
	uint32_t perm = st->st_mode;
	bool in_group = c->fsgid == st->st_gid;
	for(int i = 0; i < c->ngroups && !in_group; i++) {
		in_group = c->groups[i] == st->st_gid;
	}
	if(in_group) {
		perm >>= 3;
	}
	if(perm & S_IWOTH) {
		return true;
	}
	char path[320];
	snprintf(path, sizeof(path), "%s/uid_map", dir);
	bool uid_mapped = id_mapped(path, st->st_uid);
	snprintf(path, sizeof(path), "%s/gid_map", dir);
	bool gid_mapped = id_mapped(path, st->st_gid);
	if((cap_effective & (1ull << CAP_DAC_OVERRIDE_BIT)) && uid_mapped && gid_mapped) {
		return true;
	}
	return (cap_effective & (1ull << CAP_FOWNER_BIT)) && uid_mapped;
}

/*
 * Overlayfs layer of the executable: find its mount in /proc/PID/mountinfo (by the
 * mount id statx reports), then look for the file under that mount's upperdir.
 * Returns 0 (not overlay or unknown), 1 (upper) or 2 (lower).
 */
static int overlay_layer(const char *dir, const char *exe_link, const char *exepath) {
	struct statfs sfs;
	if(statfs(exe_link, &sfs) != 0 || (uint32_t)sfs.f_type != OVERLAYFS_SUPER_MAGIC_U) {
		return 0;
	}
	struct statx stx;
	if(statx(AT_FDCWD, exe_link, 0, STATX_MNT_ID, &stx) != 0 || !(stx.stx_mask & STATX_MNT_ID)) {
		return 0;
	}
	char path[320];
	snprintf(path, sizeof(path), "%s/mountinfo", dir);
	FILE *f = fopen(path, "re");
	if(!f) {
		return 0;
	}
	char line[4096];
	int layer = 0;
	while(fgets(line, sizeof(line), f)) {
		unsigned long long id;
		char root[1024], mnt_point[1024];
		if(sscanf(line, "%llu %*u %*s %1023s %1023s", &id, root, mnt_point) != 3 ||
		   id != stx.stx_mnt_id) {
			continue;
		}
		const char *upper = strstr(line, "upperdir=");
		if(!upper) {
			layer = 2; /* a read-only overlay: everything is lower */
			break;
		}
		upper += strlen("upperdir=");
		char upperdir[1024];
		size_t n = strcspn(upper, ",\n ");
		if(n >= sizeof(upperdir)) {
			break;
		}
		memcpy(upperdir, upper, n);
		upperdir[n] = 0;
		size_t mlen = strlen(mnt_point);
		const char *rel = exepath;
		if(strcmp(mnt_point, "/") != 0) {
			if(strncmp(exepath, mnt_point, mlen) != 0) {
				break; /* exe path not under its mount: unknown */
			}
			rel = exepath + mlen;
		}
		struct stat st;
		if(stat(upperdir, &st) != 0) {
			break; /* upperdir not reachable from here: unknown */
		}
		char candidate[3 * 1024];
		snprintf(candidate, sizeof(candidate), "%s%s%s", upperdir,
		         strcmp(root, "/") == 0 ? "" : root, rel);
		layer = lstat(candidate, &st) == 0 ? 1 : 2;
		break;
	}
	fclose(f);
	return layer;
}

static uint64_t fd_limit(const char *dir) {
	char path[320], buf[4096];
	snprintf(path, sizeof(path), "%s/limits", dir);
	if(read_file(path, buf, sizeof(buf)) <= 0) {
		return 0;
	}
	const char *l = strstr(buf, "Max open files");
	if(!l) {
		return 0;
	}
	l += strlen("Max open files");
	while(*l == ' ') {
		l++;
	}
	return strncmp(l, "unlimited", 9) == 0 ? UINT64_MAX : strtoull(l, NULL, 10);
}

/* ---- cgroups: /proc/PID/cgroup in the parameter's "subsys=/path" form ------- */

/* Mount point of the cgroup v2 (unified) hierarchy, from /proc/self/mounts. */
static void find_cgroup2_mount(void) {
	g_cgroup2_mount[0] = 0;
	FILE *f = fopen("/proc/self/mounts", "re");
	if(!f) {
		return;
	}
	char line[4096];
	while(fgets(line, sizeof(line), f)) {
		char dev[256], dir[SCAP_MAX_PATH_SIZE], type[64];
		if(sscanf(line, "%255s %1023s %63s", dev, dir, type) == 3 && strcmp(type, "cgroup2") == 0) {
			snprintf(g_cgroup2_mount, sizeof(g_cgroup2_mount), "%s", dir);
			break;
		}
	}
	fclose(f);
}

/* Append one "subsys=path\0" entry; an entry that does not fit is left out. */
static void cgroups_add(struct pl_entry *e, const char *subsys, size_t subsys_len, const char *path) {
	size_t path_len = strlen(path);
	size_t need = subsys_len + 1 + path_len + 1;
	if(e->cgroups_len + need > SD_MAX_CGROUPS) {
		e->cgroups_cut = true;
		return;
	}
	uint8_t *p = e->cgroups + e->cgroups_len;
	memcpy(p, subsys, subsys_len);
	p[subsys_len] = '=';
	memcpy(p + subsys_len + 1, path, path_len + 1);
	e->cgroups_len = (uint16_t)(e->cgroups_len + need);
}

/*
 * The unified hierarchy has one path for every controller, but a controller's
 * cgroup is the nearest one (the task's or an ancestor) that has the controller in
 * its cgroup.controllers: walk up from `path` and give each controller the first
 * level that lists it, as libscap does (and as the kernel's css pointers say).
 */
static void cgroups_add_v2(struct pl_entry *e, const char *path) {
	char rel[SCAP_MAX_PATH_SIZE], seen[1024] = " ";
	snprintf(rel, sizeof(rel), "%s", path);
	for(;;) {
		char file[2 * SCAP_MAX_PATH_SIZE + 32], line[1024];
		snprintf(file, sizeof(file), "%s%s/cgroup.controllers", g_cgroup2_mount,
		         strcmp(rel, "/") == 0 ? "" : rel);
		if(read_file(file, line, sizeof(line)) < 0) {
			return; /* gone, or outside our cgroup namespace's view */
		}
		for(char *tok = strtok(line, " \n"); tok; tok = strtok(NULL, " \n")) {
			char key[80];
			snprintf(key, sizeof(key), " %s ", tok);
			if(strstr(seen, key) || strlen(seen) + strlen(tok) + 2 > sizeof(seen)) {
				continue;
			}
			strcat(seen, tok);
			strcat(seen, " ");
			cgroups_add(e, tok, strlen(tok), rel);
		}
		char *slash = strrchr(rel, '/');
		if(!slash || strcmp(rel, "/") == 0) {
			return;
		}
		slash[slash == rel ? 1 : 0] = 0;
	}
}

/*
 * /proc/PID/cgroup lines "ID:ctrl1,ctrl2:/path" (v1) give "ctrl1=/path", "ctrl2=/path";
 * the line "0::/path" (v2) is resolved per controller. Paths are as the loader's
 * cgroup namespace sees them.
 */
static void fill_cgroups(struct pl_entry *e, const char *pdir) {
	char path[320], buf[8192];
	snprintf(path, sizeof(path), "%s/cgroup", pdir);
	ssize_t n = read_file(path, buf, sizeof(buf));
	if(n <= 0) {
		return;
	}
	if((size_t)n == sizeof(buf) - 1) {
		e->cgroups_cut = true; /* more lines than we read */
	}
	for(char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if(next) {
			*next++ = 0;
		}
		char *subsys = strchr(line, ':');
		char *cgpath = subsys ? strchr(subsys + 1, ':') : NULL;
		if(!cgpath) {
			continue;
		}
		subsys++;
		*cgpath++ = 0;
		if(*subsys == 0) {
			if(strcmp(line, "0") == 0 && g_cgroup2_mount[0]) {
				cgroups_add_v2(e, cgpath);
			}
			continue; /* a v1 hierarchy without controllers */
		}
		for(char *c = subsys; *c;) {
			size_t len = strcspn(c, ",");
			cgroups_add(e, c, len, cgpath);
			c += len;
			c += *c == ',';
		}
	}
}

/* Fill the process-wide fields (shared by every thread of `pid`). */
static void fill_process(struct pl_entry *e, const char *pdir, const struct pidns_map *nsmap,
                         uint64_t boot_ts) {
	char path[320];
	uint8_t cmdline[SCAP_MAX_ARGS_SIZE + 1];

	snprintf(path, sizeof(path), "%s/cmdline", pdir);
	ssize_t n = read_file(path, cmdline, sizeof(cmdline));
	if(n > 0) {
		size_t exe_len = strnlen((char *)cmdline, (size_t)n);
		snprintf(e->exe, sizeof(e->exe), "%.*s", (int)exe_len, cmdline);
		if((size_t)n > exe_len + 1) {
			/* keep one byte for a final NUL: libscap's reader may write one */
			size_t args_len = (size_t)n - exe_len - 1;
			if(args_len > SCAP_MAX_ARGS_SIZE - 1) {
				args_len = SCAP_MAX_ARGS_SIZE - 1;
			}
			memcpy(e->args, cmdline + exe_len + 1, args_len);
			if(e->args[args_len - 1] != 0) {
				e->args[args_len++] = 0;
			}
			e->args_len = (uint16_t)args_len;
		}
	}
	snprintf(path, sizeof(path), "%s/environ", pdir);
	n = read_file(path, e->env, sizeof(e->env));
	e->env_len = n > 0 ? (uint16_t)n : 0;

	char exe_link[320];
	snprintf(exe_link, sizeof(exe_link), "%s/exe", pdir);
	read_link(exe_link, e->exepath, sizeof(e->exepath));
	snprintf(path, sizeof(path), "%s/root", pdir);
	read_link(path, e->root, sizeof(e->root));
	e->fdlimit = fd_limit(pdir);

	char link[64];
	snprintf(path, sizeof(path), "%s/loginuid", pdir);
	e->loginuid = read_file(path, link, sizeof(link)) > 0 ? (uint32_t)strtoul(link, NULL, 10)
	                                                       : UINT32_MAX;
	e->pidns_init_start_ts = pidns_start_epoch_ns(nsmap, pidns_ino(pdir), boot_ts);
	fill_cgroups(e, pdir);

	/*
	 * The executable: stat() through the /proc/PID/exe magic link reaches the very
	 * file the process maps, resolved in the process's own root (container files,
	 * deleted files and memfds included).
	 */
	struct stat st;
	if(e->exepath[0] && stat(exe_link, &st) == 0) {
		e->exe_ino = st.st_ino;
		e->exe_ino_ctime = (uint64_t)st.st_ctim.tv_sec * NSEC_PER_SEC + (uint64_t)st.st_ctim.tv_nsec;
		e->exe_ino_mtime = (uint64_t)st.st_mtim.tv_sec * NSEC_PER_SEC + (uint64_t)st.st_mtim.tv_nsec;
		e->exe_from_memfd = strncmp(e->exepath, "/memfd:", 7) == 0;
		int layer = overlay_layer(pdir, exe_link, e->exepath);
		e->exe_upper_layer = layer == 1;
		e->exe_lower_layer = layer == 2;
	}
}

/* Fill the per-thread fields; false when the thread is a kernel thread or vanished. */
static bool fill_thread(struct pl_entry *e, const char *tdir, const char *pdir) {
	char path[320], status[4096];
	snprintf(path, sizeof(path), "%s/status", tdir);
	if(read_file(path, status, sizeof(status)) <= 0) {
		return false;
	}
	snprintf(path, sizeof(path), "%s/comm", tdir);
	if(read_file(path, e->comm, sizeof(e->comm)) > 0) {
		e->comm[strcspn(e->comm, "\n")] = 0;
	}
	uint64_t f[16];
	if(!stat_fields(tdir, f, 16)) {
		return false;
	}
	e->pgid = (int64_t)f[5];
	e->sid = f[6];
	e->tty = (uint32_t)f[7];
	e->pfminor = f[10];
	e->pfmajor = f[12];

	e->pid = nth_number(status_field(status, "Tgid"), 0, e->tid);
	e->ptid = nth_number(status_field(status, "PPid"), 0, 0);
	e->uid = (uint32_t)nth_number(status_field(status, "Uid"), 1, 0);
	e->gid = (uint32_t)nth_number(status_field(status, "Gid"), 1, 0);
	e->vmsize_kb = (uint32_t)nth_number(status_field(status, "VmSize"), 0, 0);
	e->vmrss_kb = (uint32_t)nth_number(status_field(status, "VmRSS"), 0, 0);
	e->vmswap_kb = (uint32_t)nth_number(status_field(status, "VmSwap"), 0, 0);
	e->cap_inheritable = hex_field(status_field(status, "CapInh")) & PPM_CAP_MASK;
	e->cap_permitted = hex_field(status_field(status, "CapPrm")) & PPM_CAP_MASK;
	e->cap_effective = hex_field(status_field(status, "CapEff")) & PPM_CAP_MASK;
	e->vtid = (int64_t)e->tid;
	e->vpid = (int64_t)e->pid;
	e->vpgid = (uint64_t)e->pgid;
	last_number(status_field(status, "NSpid"), &e->vtid);
	last_number(status_field(status, "NStgid"), &e->vpid);
	int64_t vpgid;
	if(count_numbers(status_field(status, "NSpgid")) > 1 &&
	   last_number(status_field(status, "NSpgid"), &vpgid)) {
		e->vpgid = (uint64_t)vpgid;
	}
	/* Threads share the files table: libs marks them CLONE_THREAD | CLONE_FILES. */
	e->flags = e->tid == e->pid ? 0 : (SD_PPM_CL_CLONE_THREAD | SD_PPM_CL_CLONE_FILES);

	/* cwd, with the trailing slash libsinsp keeps */
	snprintf(path, sizeof(path), "%s/cwd", tdir);
	read_link(path, e->cwd, sizeof(e->cwd) - 1);
	size_t clen = strlen(e->cwd);
	if(clen > 0 && e->cwd[clen - 1] != '/') {
		e->cwd[clen] = '/';
		e->cwd[clen + 1] = 0;
	}

	if(e->exe_ino) {
		struct creds c = {0};
		c.fsuid = (uint32_t)nth_number(status_field(status, "Uid"), 3, 0);
		c.fsgid = (uint32_t)nth_number(status_field(status, "Gid"), 3, 0);
		const char *g = status_field(status, "Groups");
		while(g && *g && *g != '\n' && c.ngroups < MAX_GROUPS) {
			char *end;
			unsigned long v = strtoul(g, &end, 10);
			if(end == g) {
				g++;
				continue;
			}
			c.groups[c.ngroups++] = (uint32_t)v;
			g = end;
		}
		char exe_link[320];
		struct stat st;
		snprintf(exe_link, sizeof(exe_link), "%s/exe", pdir);
		if(stat(exe_link, &st) == 0) {
			e->exe_writable = exe_writable(pdir, exe_link, &st, &c, e->cap_effective);
		}
	}
	return true;
}

static int put_str(struct sd_buf *b, const char *s) {
	uint16_t len = (uint16_t)strnlen(s, SCAP_MAX_PATH_SIZE);
	int err = sd_buf_put_u16(b, len);
	return err ? err : sd_buf_put(b, s, len);
}

static int put_bytes(struct sd_buf *b, const void *p, uint16_t len) {
	int err = sd_buf_put_u16(b, len);
	return err ? err : sd_buf_put(b, p, len);
}

/* One PL v9 entry, laid out as libs' scap_write_proclist_entry_bufs() writes it. */
static int put_entry(struct sd_buf *b, const struct pl_entry *e) {
	size_t start = b->len;
	int err = 0;
	err = err ? err : sd_buf_put_u32(b, 0); /* entry length, patched below */
	err = err ? err : sd_buf_put_u64(b, e->tid);
	err = err ? err : sd_buf_put_u64(b, e->pid);
	err = err ? err : sd_buf_put_u64(b, e->ptid);
	err = err ? err : sd_buf_put_u64(b, e->sid);
	err = err ? err : sd_buf_put_u64(b, e->vpgid);
	err = err ? err : put_str(b, e->comm);
	err = err ? err : put_str(b, e->exe);
	err = err ? err : put_str(b, e->exepath);
	err = err ? err : put_bytes(b, e->args, e->args_len);
	err = err ? err : put_str(b, e->cwd);
	err = err ? err : sd_buf_put_u64(b, e->fdlimit);
	err = err ? err : sd_buf_put_u32(b, e->flags);
	err = err ? err : sd_buf_put_u32(b, e->uid);
	err = err ? err : sd_buf_put_u32(b, e->gid);
	err = err ? err : sd_buf_put_u32(b, e->vmsize_kb);
	err = err ? err : sd_buf_put_u32(b, e->vmrss_kb);
	err = err ? err : sd_buf_put_u32(b, e->vmswap_kb);
	err = err ? err : sd_buf_put_u64(b, e->pfmajor);
	err = err ? err : sd_buf_put_u64(b, e->pfminor);
	err = err ? err : put_bytes(b, e->env, e->env_len);
	err = err ? err : sd_buf_put_u64(b, (uint64_t)e->vtid);
	err = err ? err : sd_buf_put_u64(b, (uint64_t)e->vpid);
	err = err ? err : put_bytes(b, e->cgroups, e->cgroups_len);
	err = err ? err : put_str(b, e->root);
	err = err ? err : sd_buf_put_u64(b, e->pidns_init_start_ts);
	err = err ? err : sd_buf_put_u32(b, e->tty);
	err = err ? err : sd_buf_put_u32(b, e->loginuid);
	err = err ? err : sd_buf_put_u8(b, e->exe_writable);
	err = err ? err : sd_buf_put_u64(b, e->cap_inheritable);
	err = err ? err : sd_buf_put_u64(b, e->cap_permitted);
	err = err ? err : sd_buf_put_u64(b, e->cap_effective);
	err = err ? err : sd_buf_put_u8(b, e->exe_upper_layer);
	err = err ? err : sd_buf_put_u64(b, e->exe_ino);
	err = err ? err : sd_buf_put_u64(b, e->exe_ino_ctime);
	err = err ? err : sd_buf_put_u64(b, e->exe_ino_mtime);
	err = err ? err : sd_buf_put_u8(b, e->exe_from_memfd);
	err = err ? err : sd_buf_put_u8(b, e->exe_lower_layer);
	err = err ? err : sd_buf_put_u64(b, (uint64_t)e->pgid);
	if(!err) {
		uint32_t len = (uint32_t)(b->len - start);
		memcpy(b->data + start, &len, sizeof(len));
	}
	return err;
}

int sd_proc_scan(struct sd_buf *entries, uint64_t boot_ts, const struct sd_pidns_start *exact,
                 size_t nexact, struct sd_proc_scan_stats *stats) {
	g_clk_tck = sysconf(_SC_CLK_TCK);
	if(g_clk_tck <= 0) {
		g_clk_tck = 100;
	}
	memset(stats, 0, sizeof(*stats));
	struct pidns_map *nsmap = calloc(1, sizeof(*nsmap));
	struct pl_entry *proc_e = malloc(sizeof(*proc_e));
	struct pl_entry *thr_e = malloc(sizeof(*thr_e));
	DIR *proc = opendir("/proc");
	int err = 0;
	if(!nsmap || !proc_e || !thr_e || !proc) {
		err = proc ? -ENOMEM : -errno;
		goto out;
	}
	collect_pidns_inits(nsmap, exact, nexact);
	find_cgroup2_mount();

	struct dirent *de;
	while(!err && (de = readdir(proc))) {
		if(!isdigit((unsigned char)de->d_name[0])) {
			continue;
		}
		char pdir[32], tasks[48];
		snprintf(pdir, sizeof(pdir), "/proc/%d", atoi(de->d_name));
		char exe_probe[SCAP_MAX_PATH_SIZE];
		char link_path[320];
		snprintf(link_path, sizeof(link_path), "%s/exe", pdir);
		read_link(link_path, exe_probe, sizeof(exe_probe));
		char cmd_probe[2];
		snprintf(link_path, sizeof(link_path), "%s/cmdline", pdir);
		if(!exe_probe[0] && read_file(link_path, cmd_probe, sizeof(cmd_probe)) <= 0) {
			/* As libs: no cmdline and no exe is a kernel thread, a zombie, or gone.
			 * A process whose exe link we may not read (no ptrace access) is kept. */
			stats->skipped++;
			continue;
		}
		memset(proc_e, 0, sizeof(*proc_e));
		fill_process(proc_e, pdir, nsmap, boot_ts);

		snprintf(tasks, sizeof(tasks), "%s/task", pdir);
		DIR *td = opendir(tasks);
		struct dirent *te;
		while(td && !err && (te = readdir(td))) {
			if(!isdigit((unsigned char)te->d_name[0])) {
				continue;
			}
			char tdir[64];
			snprintf(tdir, sizeof(tdir), "/proc/%d/task/%d", atoi(de->d_name), atoi(te->d_name));
			memcpy(thr_e, proc_e, sizeof(*thr_e));
			thr_e->tid = strtoull(te->d_name, NULL, 10);
			if(!fill_thread(thr_e, tdir, pdir)) {
				stats->skipped++;
				continue;
			}
			err = put_entry(entries, thr_e);
			stats->threads++;
			stats->cgroups_cut += thr_e->cgroups_cut;
		}
		if(td) {
			closedir(td);
		}
	}
out:
	if(proc) {
		closedir(proc);
	}
	free(nsmap);
	free(proc_e);
	free(thr_e);
	return err;
}
