/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file udpbatch.c  Datagrams in batches: recvmmsg and sendmmsg
 *
 * The read is udp_mmsg's (shared with hras-fcgi's relay); the queue of
 * datagrams to send, one sendmmsg per socket, is hrac's own.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <re.h>
#include "udp_mmsg.h"
#include "udpbatch.h"

struct udpbatch {
	/* the read's buffers and sources, and the queue's to send */
	struct udp_mmsg m;
	/* sending: each datagram's socket, length, and whose it is */
	int fd[UDPBATCH_MAX];
	size_t len[UDPBATCH_MAX];
	socklen_t namelen[UDPBATCH_MAX];
	void *arg[UDPBATCH_MAX];
	bool done[UDPBATCH_MAX]; /* flushed already */
	udpbatch_fail_h *failh;
	unsigned n; /* received, or queued to send */
};

_Static_assert((int)UDPBATCH_MAX == (int)UDP_MMSG_BATCH &&
                   (int)UDPBATCH_SZ == (int)UDP_MMSG_SIZE,
               "udpbatch.h's sizes are udp_mmsg's");

/* @failh: told of each queued datagram that could not be sent */
int udpbatch_alloc(struct udpbatch **bp, udpbatch_fail_h *failh)
{
	struct udpbatch *b = calloc(1, sizeof(*b));

	if (!b)
		return ENOMEM;
	b->failh = failh;
	udp_mmsg_init(&b->m);
	*bp = b;
	return 0;
}

void udpbatch_free(struct udpbatch *b)
{
	free(b);
}

/* A non-blocking UDP socket bound to @laddr (an IPv6 one for IPv6 only) */
int udpbatch_open(int *fdp, const struct sa *laddr)
{
	return udp_mmsg_bind(fdp, laddr, true);
}

/**
 * Read what @fd holds, up to UDPBATCH_MAX datagrams, in one system call
 *
 * @return How many were read (udpbatch_rx() gives each); 0 on none
 */
int udpbatch_recv(struct udpbatch *b, int fd)
{
	int n = udp_mmsg_recv(&b->m, fd);

	b->n = n > 0 ? (unsigned)n : 0;
	return (int)b->n;
}

/* The @i-th datagram read: its bytes (cut at UDPBATCH_SZ) and source
 * (AF_UNSPEC if not an IP address: no phone's) */
const uint8_t *udpbatch_rx(const struct udpbatch *b, unsigned i, size_t *len,
                           struct sa *src)
{
	(void)udp_mmsg_at(&b->m, i, len, src);
	return b->m.buf[i];
}

/**
 * Queue a copy of a datagram for @fd to @dst.  A full batch is sent
 * first; a datagram larger than UDPBATCH_SZ goes at once, after what is
 * queued, so the order is kept either way.
 *
 * @return 0 (queued or sent: a queued one's failure is told to the
 *         handler), or the error sending a large one
 */
int udpbatch_add(struct udpbatch *b, int fd, const struct sa *dst,
                 const uint8_t *p, size_t len, void *arg)
{
	unsigned i;

	if (b->n == UDPBATCH_MAX || len > UDPBATCH_SZ)
		udpbatch_flush(b);
	if (len > UDPBATCH_SZ)
		return udp_mmsg_send(fd, dst, p, len);

	i = b->n++;
	memcpy(b->m.buf[i], p, len);
	memcpy(&b->m.name[i], &dst->u, dst->len);
	b->namelen[i] = dst->len;
	b->len[i] = len;
	b->fd[i] = fd;
	b->arg[i] = arg;
	return 0;
}

/* Send the queued datagrams of socket b->fd[first], from @first on, in
 * one sendmmsg (or more, past a datagram that failed) */
static void flush_socket(struct udpbatch *b, unsigned first)
{
	struct mmsghdr mm[UDPBATCH_MAX];
	struct iovec iov[UDPBATCH_MAX];
	unsigned idx[UDPBATCH_MAX], k = 0, off = 0;
	int fd = b->fd[first];

	for (unsigned i = first; i < b->n; i++) {
		if (b->fd[i] != fd || b->done[i])
			continue;
		iov[k].iov_base = b->m.buf[i];
		iov[k].iov_len = b->len[i];
		memset(&mm[k], 0, sizeof(mm[k]));
		mm[k].msg_hdr.msg_name = &b->m.name[i];
		mm[k].msg_hdr.msg_namelen = b->namelen[i];
		mm[k].msg_hdr.msg_iov = &iov[k];
		mm[k].msg_hdr.msg_iovlen = 1;
		idx[k++] = i;
		b->done[i] = true;
	}
	while (off < k) {
		int r = sendmmsg(fd, mm + off, k - off, MSG_DONTWAIT);

		if (r > 0) {
			off += (unsigned)r;
			continue;
		}
		/* the one at @off failed: told, and the rest go on */
		if (b->failh)
			b->failh(b->arg[idx[off]], r < 0 ? errno : EIO);
		off++;
	}
}

/**
 * Send what is queued: one sendmmsg per socket
 *
 * @return How many datagrams were queued
 */
unsigned udpbatch_flush(struct udpbatch *b)
{
	unsigned n = b->n;

	for (unsigned i = 0; i < n; i++)
		b->done[i] = false;
	for (unsigned i = 0; i < n; i++)
		if (!b->done[i])
			flush_socket(b, i);
	b->n = 0;
	return n;
}

/* Forget what is queued (its sockets are closing) */
void udpbatch_drop(struct udpbatch *b)
{
	b->n = 0;
}

unsigned udpbatch_pending(const struct udpbatch *b)
{
	return b->n;
}
