/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file pidfile.h  A pid file locked for the life of the process
 */

struct pidfile {
	int fd; /* -1: none */
	dev_t dev;
	ino_t ino;
	const char *path;
};

int pidfile_lock(struct pidfile *pf, const char *path, char *err, size_t errsz);
int pidfile_write(struct pidfile *pf);
void pidfile_remove(struct pidfile *pf);
