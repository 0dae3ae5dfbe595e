/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file daemon.h  Becoming a daemon, and the pid file
 */

int daemon_detach(bool keep_stdin);
void daemon_pidfile(const char *path);
uint64_t daemon_raise_nofile(void);
