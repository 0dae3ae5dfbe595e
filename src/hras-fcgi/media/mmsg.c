/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file mmsg.c  The relay's UDP sockets, read in batches
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <re.h>
#include "mmsg.h"

/* Where one read lands: the relay has one, every socket uses it */
struct mmsg_rx {
	struct mmsghdr h[MMSG_BATCH];
	struct iovec iov[MMSG_BATCH];
	struct sockaddr_storage src[MMSG_BATCH];
	uint8_t buf[MMSG_BATCH][MMSG_SIZE];
};

int mmsg_rx_alloc(struct mmsg_rx **rxp)
{
	struct mmsg_rx *rx = mem_zalloc(sizeof(*rx), NULL);

	if (!rx)
		return ENOMEM;
	for (int i = 0; i < MMSG_BATCH; i++) {
		rx->iov[i].iov_base = rx->buf[i];
		rx->iov[i].iov_len = MMSG_SIZE;
		rx->h[i].msg_hdr.msg_iov = &rx->iov[i];
		rx->h[i].msg_hdr.msg_iovlen = 1;
		rx->h[i].msg_hdr.msg_name = &rx->src[i];
	}
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
	int n;

	for (int i = 0; i < MMSG_BATCH; i++)
		rx->h[i].msg_hdr.msg_namelen = sizeof(rx->src[i]);
	n = recvmmsg(fd, rx->h, MMSG_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct sa src;
		size_t len = rx->h[i].msg_len;

		if (sa_set_sa(&src, (struct sockaddr *)&rx->src[i]))
			continue; /* not an IP source: nobody's packet */
		h(&src, rx->buf[i], len < MMSG_SIZE ? len : MMSG_SIZE, arg);
	}
	return n;
}

/* A non-blocking UDP socket bound to @local, as libre's udp_listen
 * makes one (an IPv6 wildcard takes IPv4 too, no address reuse) */
int mmsg_bind(int *fdp, const struct sa *local)
{
	int fd, e;

	fd = socket(sa_af(local), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	            IPPROTO_UDP);
	if (fd < 0)
		return errno;
	if (bind(fd, &local->u.sa, local->len) < 0) {
		e = errno;
		close(fd);
		return e;
	}
	*fdp = fd;
	return 0;
}

/* One datagram from @fd; @return 0 or errno */
int mmsg_send(int fd, const struct sa *dst, const uint8_t *p, size_t len)
{
	if (sendto(fd, p, len, MSG_DONTWAIT, &dst->u.sa, dst->len) < 0)
		return errno;
	return 0;
}
