/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_mmsg.c  The relay's sockets: every datagram waiting is taken
 * in one read, with its source, cut at MMSG_SIZE; sends go out as given
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <re.h>
#include "mmsg.h"
#include "unit.h"

int close(int fd); /* not <unistd.h>: see unit.h */

struct got {
	unsigned n;
	size_t len[MMSG_BATCH];
	uint8_t first[MMSG_BATCH];
	struct sa src;
};

static void on_pkt(const struct sa *src, const uint8_t *p, size_t len,
                   void *arg)
{
	struct got *g = arg;

	g->len[g->n] = len;
	g->first[g->n] = p[0];
	g->src = *src;
	g->n++;
}

/* A socket on 127.0.0.1, its address in @a */
static int loopback(int *fd, struct sa *a)
{
	socklen_t len = sizeof(a->u);

	TEST_EQ(sa_set_str(a, "127.0.0.1", 0), 0);
	TEST_EQ(mmsg_bind(fd, a), 0);
	TEST_EQ(getsockname(*fd, &a->u.sa, &len), 0);
	a->len = len;
	return 0;
}

static int batch_read(void)
{
	static uint8_t big[3000];
	struct mmsg_rx *rx = NULL;
	struct got g = { 0 };
	struct sa ra, sa;
	int rfd, sfd;

	TEST_EQ(mmsg_rx_alloc(&rx), 0);
	TEST_EQ(loopback(&rfd, &ra), 0);
	TEST_EQ(loopback(&sfd, &sa), 0);

	TEST_EQ(mmsg_recv(rx, rfd, on_pkt, &g), -EAGAIN); /* nothing yet */
	for (int i = 0; i < 5; i++) {
		uint8_t pkt[172];

		memset(pkt, i, sizeof(pkt));
		TEST_EQ(mmsg_send(sfd, &ra, pkt, sizeof(pkt)), 0);
	}
	TEST_EQ(mmsg_send(sfd, &ra, big, sizeof(big)), 0);

	TEST_EQ(mmsg_recv(rx, rfd, on_pkt, &g), 6); /* one read, all six */
	TEST_EQ(g.n, 6);
	for (int i = 0; i < 5; i++) {
		TEST_EQ(g.len[i], 172);
		TEST_EQ(g.first[i], i);
	}
	TEST_EQ(g.len[5], MMSG_SIZE); /* cut, as the relay always did */
	TEST_ASSERT(sa_cmp(&g.src, &sa, SA_ALL));
	TEST_EQ(mmsg_recv(rx, rfd, on_pkt, &g), -EAGAIN);

	close(rfd);
	close(sfd);
	mem_deref(rx);
	return 0;
}

/* More than a batch waiting: MMSG_BATCH now, the rest on the next read */
static int batch_bound(void)
{
	struct mmsg_rx *rx = NULL;
	struct got g = { 0 };
	struct sa ra, sa;
	int rfd, sfd;
	uint8_t pkt[20] = { 0 };

	TEST_EQ(mmsg_rx_alloc(&rx), 0);
	TEST_EQ(loopback(&rfd, &ra), 0);
	TEST_EQ(loopback(&sfd, &sa), 0);
	for (int i = 0; i < MMSG_BATCH + 3; i++)
		TEST_EQ(mmsg_send(sfd, &ra, pkt, sizeof(pkt)), 0);
	TEST_EQ(mmsg_recv(rx, rfd, on_pkt, &g), MMSG_BATCH);
	g.n = 0;
	TEST_EQ(mmsg_recv(rx, rfd, on_pkt, &g), 3);
	close(rfd);
	close(sfd);
	mem_deref(rx);
	return 0;
}

/* A port in use is EADDRINUSE, as the relay's port search expects */
static int port_taken(void)
{
	struct sa a;
	int fd, fd2 = -1;

	TEST_EQ(loopback(&fd, &a), 0);
	TEST_EQ(mmsg_bind(&fd2, &a), EADDRINUSE);
	TEST_EQ(fd2, -1);
	close(fd);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(batch_read),
		UNIT_TEST(batch_bound),
		UNIT_TEST(port_taken),
	};

	return unit_main("mmsg", tests, ARRAY_SIZE(tests));
}
