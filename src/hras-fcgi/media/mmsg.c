/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file mmsg.c  The relay's UDP sockets, read in batches
 *
 * The batching itself is udp_mmsg's (shared with hrac); this is the
 * relay's way of taking a read: a handler per datagram.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <re.h>
#include "udp_mmsg.h"
#include "mmsg.h"

/* Where one read lands: the relay has one, every socket uses it */
struct mmsg_rx {
	struct udp_mmsg m;
};

_Static_assert((int)MMSG_BATCH == (int)UDP_MMSG_BATCH &&
                   (int)MMSG_SIZE == (int)UDP_MMSG_SIZE,
               "mmsg.h's sizes are udp_mmsg's");

int mmsg_rx_alloc(struct mmsg_rx **rxp)
{
	struct mmsg_rx *rx = mem_zalloc(sizeof(*rx), NULL);

	if (!rx)
		return ENOMEM;
	udp_mmsg_init(&rx->m);
	*rxp = rx;
	return 0;
}

/**
 * Read the datagrams waiting on @fd, up to MMSG_BATCH, and hand each to
 * @h (which may send, but must not close @fd)
 *
 * @return how many, or -errno (-EAGAIN: none was waiting)
 */
int mmsg_recv(struct mmsg_rx *rx, int fd, mmsg_recv_h *h, void *arg)
{
	int n = udp_mmsg_recv(&rx->m, fd);

	for (int i = 0; i < n; i++) {
		struct sa src;
		const uint8_t *p;
		size_t len;

		p = udp_mmsg_at(&rx->m, (unsigned)i, &len, &src);
		if (p) /* else not an IP source: nobody's packet */
			h(&src, p, len, arg);
	}
	return n;
}

/* A non-blocking UDP socket bound to @local, as libre's udp_listen
 * makes one (an IPv6 wildcard takes IPv4 too, no address reuse) */
int mmsg_bind(int *fdp, const struct sa *local)
{
	return udp_mmsg_bind(fdp, local, false);
}

/* One datagram from @fd; @return 0 or errno */
int mmsg_send(int fd, const struct sa *dst, const uint8_t *p, size_t len)
{
	return udp_mmsg_send(fd, dst, p, len);
}
