/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file daemon.h  Becoming a daemon, readiness, the exit codes
 */

/* Exit codes, as the manual pages' EXIT STATUS gives them */
enum {
	DAEMON_EXIT_OK = 0,
	DAEMON_EXIT_START = 1,  /* cannot start: bind, in use, privileges */
	DAEMON_EXIT_CONFIG = 2, /* a bad option, file or value */
};

int daemon_detach(bool keep_stdin);
void daemon_ready(const char *status);
void daemon_failed(int code);
void daemon_stopping(void);
int daemon_dir_check(const char *opt, const char *path, const char *unit,
                     char *err, size_t errsz);
uint64_t daemon_raise_nofile(void);
