/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file daemon.c  Becoming a daemon, and the pid file
 *
 * Called before any thread exists: fork() keeps only the calling thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "log.h"
#include "daemon.h"

/**
 * Detach from the terminal: fork twice, new session, cwd /, standard
 * streams on /dev/null (standard input kept when it is a listening
 * socket handed over by spawn-fcgi)
 *
 * @return 0 in the daemon, or an errno
 */
int daemon_detach(bool keep_stdin)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return errno;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return errno;
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid > 0)
		_exit(0);

	if (chdir("/") < 0)
		return errno;
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return errno;
	if (!keep_stdin)
		dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

void daemon_pidfile(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f) {
		log_warn("pidfile %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

/**
 * Raise the soft limit of open files to the hard one: every call, relay
 * port, phone and tunnel request holds descriptors, and the usual soft
 * limit of 1024 is reached long before the programs' own bounds
 *
 * @return the limit now in force
 */
uint64_t daemon_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
}
