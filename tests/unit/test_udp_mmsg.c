/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_udp_mmsg.c  The batched read both programs share: the
 * sources of two reads in a row, and the IPv6 socket that takes IPv4
 * (the relay's) or not (hrac's).  test_mmsg and test_udpbatch test the
 * rest through each program's wrapper.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <re.h>
#include "udp_mmsg.h"
#include "unit.h"

int close(int fd); /* not <unistd.h>: see unit.h */

/* A socket bound to @ip, port chosen by the kernel, its address in @a */
static int bound(int *fd, struct sa *a, const char *ip, bool v6only)
{
	socklen_t len = sizeof(a->u);
	int e;

	if (sa_set_str(a, ip, 0))
		return EINVAL;
	e = udp_mmsg_bind(fd, a, v6only);
	if (e)
		return e;
	if (getsockname(*fd, &a->u.sa, &len))
		return errno;
	a->len = len;
	return 0;
}

/* Each read gives each datagram its own source, the lengths reset */
static int sources(void)
{
	struct udp_mmsg *m = calloc(1, sizeof(*m));
	struct sa ra, s1, s2, src;
	int rfd, f1, f2;
	const uint8_t *p;
	uint8_t pkt[3] = { 1, 2, 3 };
	size_t len;

	TEST_ASSERT(m != NULL);
	udp_mmsg_init(m);
	TEST_EQ(bound(&rfd, &ra, "127.0.0.1", true), 0);
	TEST_EQ(bound(&f1, &s1, "127.0.0.1", true), 0);
	TEST_EQ(bound(&f2, &s2, "127.0.0.1", true), 0);

	TEST_EQ(udp_mmsg_recv(m, rfd), -EAGAIN);
	TEST_EQ(udp_mmsg_send(f1, &ra, pkt, 3), 0);
	TEST_EQ(udp_mmsg_send(f2, &ra, pkt, 2), 0);
	TEST_EQ(udp_mmsg_recv(m, rfd), 2);
	p = udp_mmsg_at(m, 0, &len, &src);
	TEST_ASSERT(p != NULL);
	TEST_EQ(len, 3);
	TEST_MEMEQ(p, pkt, 3);
	TEST_ASSERT(sa_cmp(&src, &s1, SA_ALL));
	TEST_ASSERT(udp_mmsg_at(m, 1, &len, &src) != NULL);
	TEST_EQ(len, 2);
	TEST_ASSERT(sa_cmp(&src, &s2, SA_ALL));

	TEST_EQ(udp_mmsg_send(f2, &ra, pkt, 1), 0);
	TEST_EQ(udp_mmsg_recv(m, rfd), 1);
	TEST_ASSERT(udp_mmsg_at(m, 0, &len, &src) != NULL);
	TEST_EQ(len, 1);
	TEST_ASSERT(sa_cmp(&src, &s2, SA_ALL));

	close(rfd);
	close(f1);
	close(f2);
	free(m);
	return 0;
}

/* An IPv6 wildcard takes IPv4 too unless v6only (skipped without IPv6) */
static int v6only(void)
{
	struct udp_mmsg *m = calloc(1, sizeof(*m));
	struct sa a, s4, to;
	int fd, f4;
	uint8_t pkt[1] = { 7 };

	TEST_ASSERT(m != NULL);
	udp_mmsg_init(m);
	TEST_EQ(bound(&f4, &s4, "127.0.0.1", true), 0);
	for (int only = 0; only < 2; only++) {
		if (bound(&fd, &a, "::", only)) {
			fprintf(stderr, "no IPv6 here: v6only not tested\n");
			break;
		}
		TEST_EQ(sa_set_str(&to, "127.0.0.1", sa_port(&a)), 0);
		TEST_EQ(udp_mmsg_send(f4, &to, pkt, 1), 0);
		TEST_EQ(udp_mmsg_recv(m, fd), only ? -EAGAIN : 1);
		close(fd);
	}
	close(f4);
	free(m);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(sources),
		UNIT_TEST(v6only),
	};

	return unit_main("udp_mmsg", tests, ARRAY_SIZE(tests));
}
