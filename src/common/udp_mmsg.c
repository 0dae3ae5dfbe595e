/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file udp_mmsg.c  UDP datagrams read in batches, into buffers allocated
 * once
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <re.h>
#include "udp_mmsg.h"

/* Point each message at its buffer and source: once, at allocation */
void udp_mmsg_init(struct udp_mmsg *m)
{
	memset(m->msg, 0, sizeof(m->msg));
	for (unsigned i = 0; i < UDP_MMSG_BATCH; i++) {
		m->iov[i].iov_base = m->buf[i];
		m->iov[i].iov_len = UDP_MMSG_SIZE;
		m->msg[i].msg_hdr.msg_iov = &m->iov[i];
		m->msg[i].msg_hdr.msg_iovlen = 1;
		m->msg[i].msg_hdr.msg_name = &m->name[i];
	}
}

/**
 * Read the datagrams waiting on @fd, up to UDP_MMSG_BATCH, in one system
 * call; udp_mmsg_at() gives each
 *
 * @return how many, or -errno (-EAGAIN: none was waiting)
 */
int udp_mmsg_recv(struct udp_mmsg *m, int fd)
{
	int n;

	/* the kernel writes the source's length back: room for any again */
	for (unsigned i = 0; i < UDP_MMSG_BATCH; i++)
		m->msg[i].msg_hdr.msg_namelen = sizeof(m->name[i]);
	n = recvmmsg(fd, m->msg, UDP_MMSG_BATCH, MSG_DONTWAIT, NULL);
	return n < 0 ? -errno : n;
}

/**
 * The @i-th datagram of the last read: its bytes, cut at UDP_MMSG_SIZE,
 * and its source
 *
 * @return the bytes, or NULL when the source is not an IP address (no
 *         party's packet: @src is then AF_UNSPEC)
 */
const uint8_t *udp_mmsg_at(const struct udp_mmsg *m, unsigned i, size_t *len,
                           struct sa *src)
{
	size_t n = m->msg[i].msg_len;

	*len = n < UDP_MMSG_SIZE ? n : UDP_MMSG_SIZE;
	if (sa_set_sa(src, (const struct sockaddr *)&m->name[i])) {
		sa_init(src, AF_UNSPEC);
		return NULL;
	}
	return m->buf[i];
}

/* A non-blocking UDP socket bound to @local; @v6only: an IPv6 one takes
 * IPv6 only (otherwise an IPv6 wildcard takes IPv4 too, as libre's
 * udp_listen has it) */
int udp_mmsg_bind(int *fdp, const struct sa *local, bool v6only)
{
	int fd, on = 1, e;

	fd = socket(sa_af(local), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	            IPPROTO_UDP);
	if (fd < 0)
		return errno;
	if (v6only && sa_af(local) == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		                 sizeof(on));
	if (bind(fd, &local->u.sa, local->len) < 0) {
		e = errno;
		close(fd);
		return e;
	}
	*fdp = fd;
	return 0;
}

/* One datagram from @fd, at once; @return 0 or errno */
int udp_mmsg_send(int fd, const struct sa *dst, const uint8_t *p, size_t len)
{
	if (sendto(fd, p, len, MSG_DONTWAIT, &dst->u.sa, dst->len) < 0)
		return errno;
	return 0;
}
