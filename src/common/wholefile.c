/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file wholefile.c  Replacing a file whole
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "wholefile.h"

/* Sync the directory that holds @path, so that a rename in it lasts */
static int sync_dir(const char *path)
{
	char dir[4096];
	int fd, e = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fsync(fd) < 0)
		e = errno;
	close(fd);
	return e;
}

/**
 * Write @path anew with what @writeh writes (it returns 0 or an errno)
 *
 * @param sync  fsync the file and its directory (state that must survive
 *              a crash); without it only the rename makes it whole
 * @return 0 or an errno; on error the old file stays as it was
 */
int wholefile_replace(const char *path, mode_t mode, bool sync,
                      wholefile_write_h *writeh, void *arg)
{
	char tmp[4096];
	FILE *f;
	int fd, e;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fchmod(fd, mode) < 0 || !(f = fdopen(fd, "w"))) {
		e = errno;
		close(fd);
		unlink(tmp);
		return e;
	}
	e = writeh(f, arg);
	if (!e && fflush(f))
		e = errno;
	if (!e && sync && fsync(fd) < 0)
		e = errno;
	if (fclose(f) && !e)
		e = errno;
	if (!e && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		return e;
	}
	return sync ? sync_dir(path) : 0;
}
