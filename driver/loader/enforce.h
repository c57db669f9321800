/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Enforcement from the loader's side (driver/README.md, "Enforcement"): the mode
 * given with -e, the policy read from stdin (-C) into the BPF maps and reloadable
 * while capturing, the kill switch (SIGUSR2, or the file given with -k).
 */
#pragma once

#include <stdbool.h>
#include "scapdrift.skel.h"

struct sd_enforcer;

/* "audit" -> SD_ENFORCE_AUDIT, "enforce" -> SD_ENFORCE_KILL; -1 otherwise. */
int sd_enforce_parse_mode(const char *text);

/*
 * Before load: compile enforcement in (rodata). Returns 0, or -1 after printing
 * "failed to enable enforcement: ..." when the kernel cannot do it.
 */
int sd_enforce_prepare(struct scapdrift_bpf *skel, int mode);

/*
 * After load: writes the initial configuration (mode, no policy yet: nothing is
 * decided until the first `commit`), and starts the control thread that reads
 * policy commands from `control_fd` (-1: none) and watches `kill_file` (NULL:
 * none). Returns NULL after printing the failure.
 */
struct sd_enforcer *sd_enforce_start(struct scapdrift_bpf *skel, int mode, int control_fd,
                                     const char *kill_file, bool quiet);

/* The kill switch: never kill again (async-signal-safe: one map update). */
void sd_enforce_kill_switch(void);

void sd_enforce_stop(struct sd_enforcer *e);
