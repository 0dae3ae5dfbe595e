/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_udpbatch.c  Datagrams in batches, over loopback
 *
 * One read takes up to UDPBATCH_MAX datagrams, each with its source, a
 * long one cut; queued datagrams for several sockets each leave by their
 * own socket, to their own address, in order, however many are queued;
 * one that cannot be sent is told to the handler and the rest still go.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <re.h>
#include "udpbatch.h"
#include "unit.h"

int close(int fd);

/* a socket on 127.0.0.1, its address in @a */
static int sock(struct sa *a)
{
	struct sa any;
	int fd;

	sa_set_str(&any, "127.0.0.1", 0);
	if (udpbatch_open(&fd, &any))
		return -1;
	a->len = sizeof(a->u);
	if (getsockname(fd, &a->u.sa, &a->len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int sendn(int fd, const struct sa *to, unsigned n, size_t len)
{
	uint8_t buf[4000];

	for (unsigned i = 0; i < n; i++) {
		memset(buf, (int)i, sizeof(buf));
		if (sendto(fd, buf, len, 0, &to->u.sa, to->len) != (ssize_t)len)
			return 1;
	}
	return 0;
}

static int read_in_batches(void)
{
	struct udpbatch *b = NULL;
	struct sa ra, sa, src;
	const uint8_t *p;
	int rfd = sock(&ra), sfd = sock(&sa);
	size_t len;

	TEST_ASSERT(rfd >= 0 && sfd >= 0);
	TEST_EQ(udpbatch_alloc(&b, NULL), 0);
	TEST_EQ(udpbatch_recv(b, rfd), 0); /* nothing yet */

	TEST_EQ(sendn(sfd, &ra, UDPBATCH_MAX + 8, 172), 0);
	TEST_EQ(udpbatch_recv(b, rfd), UDPBATCH_MAX);
	for (unsigned i = 0; i < UDPBATCH_MAX; i++) {
		p = udpbatch_rx(b, i, &len, &src);
		TEST_EQ(len, 172);
		TEST_EQ(p[0], i);
		TEST_ASSERT(sa_cmp(&src, &sa, SA_ALL));
	}
	TEST_EQ(udpbatch_recv(b, rfd), 8);
	p = udpbatch_rx(b, 7, &len, &src);
	TEST_EQ(p[171], UDPBATCH_MAX + 7);

	/* longer than a buffer: cut */
	TEST_EQ(sendn(sfd, &ra, 1, 3000), 0);
	TEST_EQ(udpbatch_recv(b, rfd), 1);
	udpbatch_rx(b, 0, &len, &src);
	TEST_EQ(len, UDPBATCH_SZ);

	udpbatch_free(b);
	close(rfd);
	close(sfd);
	return 0;
}

static unsigned failed;
static void *failed_arg;

static void on_fail(void *arg, int err)
{
	(void)err;
	failed++;
	failed_arg = arg;
}

/* @n datagrams arrive at @fd from @from, numbered from @first */
static int arrived(struct udpbatch *rx, int fd, const struct sa *from,
                   unsigned first, unsigned n, size_t want_len)
{
	unsigned got = 0;

	while (got < n) {
		int k = udpbatch_recv(rx, fd);

		TEST_ASSERT(k > 0);
		for (int i = 0; i < k; i++) {
			struct sa src;
			size_t len;
			const uint8_t *p =
			    udpbatch_rx(rx, (unsigned)i, &len, &src);

			TEST_EQ(len, want_len);
			TEST_EQ(p[0], (first + got) & 0xff);
			TEST_ASSERT(sa_cmp(&src, from, SA_ALL));
			got++;
		}
	}
	TEST_EQ(udpbatch_recv(rx, fd), 0);
	return 0;
}

static int send_by_socket_in_order(void)
{
	struct udpbatch *tx = NULL, *rx = NULL;
	struct sa a1, a2, r1, r2, v6;
	int s1 = sock(&a1), s2 = sock(&a2), d1 = sock(&r1), d2 = sock(&r2);
	uint8_t pkt[172];
	int tag;

	TEST_ASSERT(s1 >= 0 && s2 >= 0 && d1 >= 0 && d2 >= 0);
	TEST_EQ(udpbatch_alloc(&tx, on_fail), 0);
	TEST_EQ(udpbatch_alloc(&rx, NULL), 0);

	/* interleaved: s1 -> d1 and s2 -> d2, more than one batch holds */
	for (unsigned i = 0; i < 40; i++) {
		memset(pkt, (int)i, sizeof(pkt));
		TEST_EQ(udpbatch_add(tx, s1, &r1, pkt, sizeof(pkt), &tag), 0);
		memset(pkt, (int)(100 + i), sizeof(pkt));
		TEST_EQ(udpbatch_add(tx, s2, &r2, pkt, sizeof(pkt), &tag), 0);
	}
	TEST_ASSERT(udpbatch_pending(tx) > 0);
	udpbatch_flush(tx);
	TEST_EQ(udpbatch_pending(tx), 0);
	TEST_EQ(arrived(rx, d1, &a1, 0, 40, sizeof(pkt)), 0);
	TEST_EQ(arrived(rx, d2, &a2, 100, 40, sizeof(pkt)), 0);
	TEST_EQ(failed, 0);

	/* one that cannot go (an IPv6 address for an IPv4 socket) is told;
	 * the ones around it go */
	sa_set_str(&v6, "::1", 9);
	memset(pkt, 1, sizeof(pkt));
	TEST_EQ(udpbatch_add(tx, s1, &r1, pkt, sizeof(pkt), NULL), 0);
	TEST_EQ(udpbatch_add(tx, s1, &v6, pkt, sizeof(pkt), &tag), 0);
	memset(pkt, 2, sizeof(pkt));
	TEST_EQ(udpbatch_add(tx, s1, &r1, pkt, sizeof(pkt), NULL), 0);
	udpbatch_flush(tx);
	TEST_EQ(failed, 1);
	TEST_ASSERT(failed_arg == &tag);
	TEST_EQ(arrived(rx, d1, &a1, 1, 2, sizeof(pkt)), 0);

	/* a long one goes on its own, after what was queued */
	{
		static uint8_t big[3000];

		memset(pkt, 7, sizeof(pkt));
		memset(big, 8, sizeof(big));
		TEST_EQ(udpbatch_add(tx, s1, &r1, pkt, sizeof(pkt), NULL), 0);
		TEST_EQ(udpbatch_add(tx, s1, &r1, big, sizeof(big), NULL), 0);
		TEST_EQ(udpbatch_pending(tx), 0);
		TEST_EQ(udpbatch_recv(rx, d1), 2);
		{
			struct sa src;
			size_t len;
			const uint8_t *p = udpbatch_rx(rx, 0, &len, &src);

			TEST_ASSERT(len == sizeof(pkt) && p[0] == 7);
			p = udpbatch_rx(rx, 1, &len, &src);
			TEST_ASSERT(len == UDPBATCH_SZ && p[0] == 8);
		}
	}

	udpbatch_free(tx);
	udpbatch_free(rx);
	close(s1);
	close(s2);
	close(d1);
	close(d2);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(read_in_batches),
		UNIT_TEST(send_by_socket_in_order),
	};

	return unit_main("udpbatch", tests, ARRAY_SIZE(tests));
}
