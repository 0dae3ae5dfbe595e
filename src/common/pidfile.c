/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file pidfile.c  A pid file locked for the life of the process
 *
 * The lock (flock) is taken before anything is bound, so that a second
 * instance started by mistake refuses at once and touches neither the
 * first one's sockets nor its pid file.  flock() and not fcntl(): the lock
 * belongs to the open file, so it passes to the daemon through fork()
 * and holds until the daemon's last descriptor of it closes, even after
 * a crash; a stale file left behind is simply locked again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "pidfile.h"

/* The pid the holder wrote, for the message; 0 if unreadable */
static long holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/**
 * Open and lock @path (created 0644 if missing)
 *
 * @return 0, EWOULDBLOCK (another process holds it; @err says which), or
 *         another errno (@err says it)
 */
int pidfile_lock(struct pidfile *pf, const char *path, char *err, size_t errsz)
{
	struct stat a, b;
	int fd, e;

	pf->fd = -1;
	pf->path = path;
	for (int tries = 0; tries < 10; tries++) {
		fd =
		    open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0) {
			e = errno;
			snprintf(err, errsz, "--pidfile %s: %s%s", path,
			         strerror(e),
			         e == ENOENT ? " (create its directory)" : "");
			return e;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			long pid;

			e = errno;
			pid = holder(fd);
			close(fd);
			if (e == EWOULDBLOCK && pid > 0)
				snprintf(err, errsz,
				         "another instance is running: the pid "
				         "file %s is locked by pid %ld",
				         path, pid);
			else if (e == EWOULDBLOCK)
				snprintf(err, errsz,
				         "another instance is running: the pid "
				         "file %s is locked",
				         path);
			else
				snprintf(err, errsz, "--pidfile %s: lock: %s",
				         path, strerror(e));
			return e;
		}
		/* the holder before us may have removed it meanwhile: a lock
		 * on a file no longer at @path guards nothing */
		if (!fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			pf->fd = fd;
			pf->dev = a.st_dev;
			pf->ino = a.st_ino;
			return 0;
		}
		close(fd);
	}
	snprintf(err, errsz, "--pidfile %s: keeps changing", path);
	return EAGAIN;
}

/* Write our pid (after daemonizing: the daemon's) */
int pidfile_write(struct pidfile *pf)
{
	char buf[32];
	int n;

	if (pf->fd < 0)
		return 0;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(pf->fd, 0) < 0 || pwrite(pf->fd, buf, (size_t)n, 0) != n)
		return errno ? errno : EIO;
	return 0;
}

/* Remove the file if it is still ours, then let go of the lock */
void pidfile_remove(struct pidfile *pf)
{
	struct stat st;

	if (pf->fd < 0)
		return;
	if (!stat(pf->path, &st) && st.st_dev == pf->dev &&
	    st.st_ino == pf->ino) {
		/* the directory may not be ours to write after dropping
		 * privileges: an empty file is then what says "not running",
		 * and the next start locks it again */
		if (unlink(pf->path) < 0 && ftruncate(pf->fd, 0) < 0)
			log_warn("pid file %s: %s", pf->path, strerror(errno));
	}
	close(pf->fd);
	pf->fd = -1;
}
