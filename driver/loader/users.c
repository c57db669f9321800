/* SPDX-License-Identifier: Apache-2.0 */
#include "users.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libscap scap_get_host_root(): HOST_ROOT, or "" when unset. */
static const char *host_root(void) {
	const char *r = getenv("HOST_ROOT");
	return r ? r : "";
}

static uint16_t cut_len(const char *s, size_t max) {
	return s ? (uint16_t)strnlen(s, max - 1) : 0;
}

static int put_str(struct sd_buf *b, const char *s, uint16_t len) {
	int err = sd_buf_put_u16(b, len);
	return err ? err : sd_buf_put(b, s ? s : "", len);
}

static int put_user(struct sd_buf *b, const struct passwd *p) {
	uint16_t name = cut_len(p->pw_name, SD_MAX_CREDENTIALS_STR_LEN);
	uint16_t home = cut_len(p->pw_dir, SD_MAX_PATH_SIZE);
	uint16_t shell = cut_len(p->pw_shell, SD_MAX_PATH_SIZE);
	uint32_t len = 4 + 1 + 4 + 4 + 2 + name + 2 + home + 2 + shell;
	int err = sd_buf_put_u32(b, len);
	err = err ? err : sd_buf_put_u8(b, SD_USERBLOCK_TYPE_USER);
	err = err ? err : sd_buf_put_u32(b, p->pw_uid);
	err = err ? err : sd_buf_put_u32(b, p->pw_gid);
	err = err ? err : put_str(b, p->pw_name, name);
	err = err ? err : put_str(b, p->pw_dir, home);
	err = err ? err : put_str(b, p->pw_shell, shell);
	return err;
}

static int put_group(struct sd_buf *b, const struct group *g) {
	uint16_t name = cut_len(g->gr_name, SD_MAX_CREDENTIALS_STR_LEN);
	uint32_t len = 4 + 1 + 4 + 2 + name;
	int err = sd_buf_put_u32(b, len);
	err = err ? err : sd_buf_put_u8(b, SD_USERBLOCK_TYPE_GROUP);
	err = err ? err : sd_buf_put_u32(b, g->gr_gid);
	err = err ? err : put_str(b, g->gr_name, name);
	return err;
}

/* libscap writes all users, then all groups. */
int sd_read_userlist(struct sd_buf *entries, struct sd_userlist_stats *stats) {
	const char *root = host_root();
	int err = 0;
	memset(stats, 0, sizeof(*stats));
	if(root[0] != '\0') {
		char path[SD_MAX_PATH_SIZE];
		snprintf(path, sizeof(path), "%s/etc/passwd", root);
		FILE *f = fopen(path, "re");
		if(!f) {
			return 0; /* as libscap: no passwd in the host root, no list */
		}
		for(struct passwd *p; !err && (p = fgetpwent(f)) != NULL; stats->users++) {
			err = put_user(entries, p);
		}
		fclose(f);
		snprintf(path, sizeof(path), "%s/etc/group", root);
		f = fopen(path, "re");
		if(f) {
			for(struct group *g; !err && (g = fgetgrent(f)) != NULL; stats->groups++) {
				err = put_group(entries, g);
			}
			fclose(f);
		}
		return err;
	}
	setpwent();
	for(struct passwd *p; !err && (p = getpwent()) != NULL; stats->users++) {
		err = put_user(entries, p);
	}
	endpwent();
	setgrent();
	for(struct group *g; !err && (g = getgrent()) != NULL; stats->groups++) {
		err = put_group(entries, g);
	}
	endgrent();
	return err;
}
