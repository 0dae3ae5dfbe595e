/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sockbuf.c  Larger receive buffers for sockets libre opened
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <re.h>
#include "sockbuf.h"

/**
 * Grow the receive buffer of the datagram socket bound to @laddr
 *
 * @return 0, or ENOENT when no such socket is open
 */
int sockbuf_grow_bound(const struct sa *laddr, int bytes)
{
	struct rlimit rl;
	int found = ENOENT;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return errno;
	for (int fd = 3; fd < (int)rl.rlim_cur && fd < 65536; fd++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss), tl = sizeof(int);
		struct stat st;
		struct sa a;
		int type;

		if (fstat(fd, &st) || !S_ISSOCK(st.st_mode))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) ||
		    type != SOCK_DGRAM)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &len))
			continue;
		sa_init(&a, AF_UNSPEC);
		if (sa_set_sa(&a, (struct sockaddr *)&ss) ||
		    !sa_cmp(&a, laddr, SA_ALL))
			continue;
		/* as root beyond rmem_max; else up to it */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes,
		               sizeof(bytes)))
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes,
			                 sizeof(bytes));
		found = 0;
	}
	return found;
}
