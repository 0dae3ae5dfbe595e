/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file daemon.c  Becoming a daemon, readiness, and the open-files limit
 *
 * daemon_detach() is called before any thread exists: fork() keeps only
 * the calling thread.  The first process does not exit at once: it waits
 * on a pipe until the daemon is ready (daemon_ready(): sockets bound,
 * privileges dropped) or has failed, and exits with the daemon's code.
 * Until then the daemon keeps the terminal as stderr, so a start-up error
 * found only when binding (a port in use) reaches the one who started it,
 * and a script sees the right exit status.  The same point tells systemd
 * (Type=notify) that the service is up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "sdnotify.h"
#include "daemon.h"

/* the daemon's end of the readiness pipe; -1: none (foreground, or
 * already told) */
static int ready_fd = -1;

/* The first process: wait for the daemon's word, exit with its code */
static void __attribute__((noreturn)) wait_ready(int fd)
{
	unsigned char code;
	ssize_t n;

	do
		n = read(fd, &code, 1);
	while (n < 0 && errno == EINTR);
	/* nothing said: the daemon died before it could tell */
	_exit(n == 1 ? code : DAEMON_EXIT_START);
}

/**
 * Detach from the terminal: fork twice, new session, cwd /, standard
 * input on /dev/null (kept when it is a listening socket handed over by
 * spawn-fcgi).  Standard output and error stay until daemon_ready().
 * The process that called this exits only when the daemon is ready, or
 * with the daemon's exit code when it fails.
 *
 * @return 0 in the daemon, or an errno
 */
int daemon_detach(bool keep_stdin)
{
	int p[2];
	pid_t pid;
	int fd;

	fflush(NULL);
	if (pipe2(p, O_CLOEXEC) < 0)
		return errno;
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid > 0) {
		close(p[1]);
		wait_ready(p[0]);
	}
	close(p[0]);
	if (setsid() < 0)
		return errno;
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid > 0)
		_exit(0); /* the first process waits on the pipe, not us */

	ready_fd = p[1];
	if (chdir("/") < 0)
		return errno;
	if (!keep_stdin) {
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return errno;
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	return 0;
}

/* Tell the waiting first process @code, and let go of the terminal */
static void tell(int code)
{
	unsigned char c = (unsigned char)code;
	int fd;

	if (ready_fd < 0)
		return;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	if (write(ready_fd, &c, 1) < 0)
		log_debug("readiness pipe: %s", strerror(errno));
	close(ready_fd);
	ready_fd = -1;
}

/**
 * The service is up (every socket bound, privileges dropped): the first
 * process exits 0, the terminal is let go, systemd hears READY=1
 *
 * @param status  a line for systemd's STATUS=, or NULL
 */
void daemon_ready(const char *status)
{
	char msg[512];

	tell(DAEMON_EXIT_OK);
	snprintf(msg, sizeof(msg), "READY=1%s%s", status ? "\nSTATUS=" : "",
	         status ? status : "");
	(void)sdnotify(msg);
}

/* Start-up failed: the first process exits with @code (the daemon's error
 * line went to the terminal before this) */
void daemon_failed(int code)
{
	tell(code);
}

void daemon_stopping(void)
{
	(void)sdnotify("STOPPING=1");
}

/**
 * Before start-up: the directory a file named by option @opt goes in must
 * exist (nothing creates it later); @unit says the systemd directive that
 * would make it
 */
int daemon_dir_check(const char *opt, const char *path, const char *unit,
                     char *err, size_t errsz)
{
	char buf[4096];
	const char *dir;
	struct stat st;

	if (!path)
		return 0;
	snprintf(buf, sizeof(buf), "%s", path);
	dir = dirname(buf);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errsz,
		         "%s %s: the directory %s does not exist (create it, "
		         "e.g. install -d -o sofw %s, or %s= in a systemd "
		         "unit)",
		         opt, path, dir, dir, unit);
		return ENOENT;
	}
	return 0;
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
