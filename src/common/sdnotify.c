/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sdnotify.c  Telling systemd how the service is (sd_notify(3))
 *
 * The protocol is one datagram of NAME=VALUE lines to the unix socket in
 * $NOTIFY_SOCKET (a path, or '@' for the abstract namespace), documented
 * by systemd as a stable interface: forty lines here instead of linking
 * libsystemd into both programs.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "sdnotify.h"

/**
 * Send STATE ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...",
 * several separated by newlines) to the service manager
 *
 * @return 0 when sent or when there is no service manager, or an errno
 */
int sdnotify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	size_t len;
	ssize_t n;
	int fd, e = 0;

	if (!path || !*path)
		return 0;
	if (path[0] != '/' && path[0] != '@')
		return EAFNOSUPPORT;
	len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return ENAMETOOLONG;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	           (struct sockaddr *)&sa,
	           (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	if (n < 0)
		e = errno;
	close(fd);
	return e;
}
