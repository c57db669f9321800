/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host's users and groups as one UL block (v2), as libscap reads and dumps them
 * (userspace/libscap/linux/scap_userlist.c, scap_savefile.c scap_write_userlist):
 * with HOST_ROOT set, $HOST_ROOT/etc/passwd and $HOST_ROOT/etc/group through
 * fgetpwent/fgetgrent (no list at all when passwd is missing there); without it,
 * getpwent/getgrent (NSS). Entries, one after the other:
 *
 *   user:  u32 entry_len | u8 type 0 | u32 uid | u32 gid | u16 len, name | u16 len, home | u16 len, shell
 *   group: u32 entry_len | u8 type 1 | u32 gid | u16 len, name
 *
 * entry_len counts its own 4 bytes; names are cut to SD_MAX_CREDENTIALS_STR_LEN - 1
 * bytes, paths to SD_MAX_PATH_SIZE - 1, as libscap's fixed-size copies cut them.
 */
#pragma once

#include "scap_writer.h"

#define SD_USERBLOCK_TYPE_USER 0
#define SD_USERBLOCK_TYPE_GROUP 1
#define SD_MAX_CREDENTIALS_STR_LEN 256
#define SD_MAX_PATH_SIZE 1024

struct sd_userlist_stats {
	uint32_t users;
	uint32_t groups;
};

/* Appends the UL entries of the host's users and groups to `entries`. 0 or a negative errno. */
int sd_read_userlist(struct sd_buf *entries, struct sd_userlist_stats *stats);
