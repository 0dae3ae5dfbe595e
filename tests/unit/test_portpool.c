/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_portpool.c  The media port pool: RTP/RTCP pairs, rotation
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "portpool.h"
#include "unit.h"

static int parse_ranges(void)
{
	static const struct {
		const char *s;
		int err;
		uint16_t lo, hi;
	} cases[] = {
		{ "10000-20000", 0, 10000, 20000 },
		{ "10001-20000", 0, 10002, 20000 }, /* an odd LO moves up */
		{ "1024-1025", 0, 1024, 1025 },     /* the lowest pair */
		{ "1023-1025", 0, 1024, 1025 },
		{ "65534-65535", 0, 65534, 65535 }, /* the highest pair */
		{ "1024-65535", 0, 1024, 65535 },
		{ "1022-2000", EINVAL, 0, 0 },   /* below 1024 */
		{ "1024-65536", EINVAL, 0, 0 },  /* above 65535 */
		{ "1024-1024", EINVAL, 0, 0 },   /* not a pair */
		{ "1025-1026", EINVAL, 0, 0 },   /* 1026 needs 1027 */
		{ "65535-65535", EINVAL, 0, 0 }, /* 65536 is no port */
		{ "2000-1024", EINVAL, 0, 0 },   /* reversed */
		{ "", EINVAL, 0, 0 },            /* malformed */
		{ "-", EINVAL, 0, 0 },
		{ "10000", EINVAL, 0, 0 },
		{ "10000-", EINVAL, 0, 0 },
		{ "-20000", EINVAL, 0, 0 },
		{ "abc-20000", EINVAL, 0, 0 },
		{ "10000-20000x", EINVAL, 0, 0 },
		{ "10000:20000", EINVAL, 0, 0 },
		{ "10000-20000-30000", EINVAL, 0, 0 },
		{ "10000--20000", EINVAL, 0, 0 },
		{ "18446744073709551615-20000", EINVAL, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint16_t lo = 1, hi = 1;
		int e = portpool_parse(cases[i].s, &lo, &hi);

		if (e != cases[i].err)
			fprintf(stderr, "\"%s\"\n", cases[i].s);
		TEST_EQ(e, cases[i].err);
		if (e) {
			/* nothing written on error */
			TEST_EQ(lo, 1);
			TEST_EQ(hi, 1);
			continue;
		}
		TEST_EQ(lo, cases[i].lo);
		TEST_EQ(hi, cases[i].hi);
	}
	return 0;
}

static int alloc_bounds(void)
{
	struct portpool *pp = NULL;

	TEST_EQ(portpool_alloc(&pp, 20000, 20000), EINVAL);
	TEST_EQ(portpool_alloc(&pp, 20001, 20002), EINVAL);
	TEST_EQ(portpool_alloc(&pp, 20002, 20000), EINVAL);
	TEST_ASSERT(pp == NULL);
	return 0;
}

/* Every pair of a range is handed out once, even, with its RTCP port
 * inside the range; then the pool is exhausted */
static int pairs_until_full(void)
{
	static const struct {
		uint16_t lo, hi;
		unsigned pairs;
	} ranges[] = {
		{ 30000, 30099, 50 }, { 30001, 30099, 49 }, /* odd LO */
		{ 30000, 30100, 50 },                       /* even HI */
		{ 65534, 65535, 1 },  { 1024, 1025, 1 },
	};

	for (size_t r = 0; r < ARRAY_SIZE(ranges); r++) {
		static uint8_t seen[65536];
		struct portpool *pp;
		uint16_t lo = ranges[r].lo, hi = ranges[r].hi, port = 0;

		memset(seen, 0, sizeof(seen));
		TEST_EQ(portpool_alloc(&pp, lo, hi), 0);
		for (unsigned n = 0; n < ranges[r].pairs; n++) {
			TEST_EQ(portpool_take(pp, &port), 0);
			TEST_EQ(port & 1, 0);
			TEST_ASSERT(port >= lo && port + 1 <= hi);
			TEST_ASSERT(!seen[port] && !seen[port + 1]);
			seen[port] = seen[port + 1] = 1;
			TEST_ASSERT(portpool_holds(pp, port));
		}
		port = 1;
		TEST_EQ(portpool_take(pp, &port), ENOSPC);
		TEST_EQ(port, 1);
		TEST_EQ(portpool_take(pp, &port), ENOSPC);
		mem_deref(pp);
	}
	return 0;
}

static int holds(void)
{
	struct portpool *pp;

	TEST_EQ(portpool_alloc(&pp, 40001, 40010), 0); /* 40002..40009 */
	TEST_ASSERT(portpool_holds(pp, 40002));
	TEST_ASSERT(portpool_holds(pp, 40008));
	TEST_ASSERT(!portpool_holds(pp, 40000));
	TEST_ASSERT(!portpool_holds(pp, 40003)); /* RTCP ports are not */
	TEST_ASSERT(!portpool_holds(pp, 40010)); /* 40011 is outside */
	TEST_ASSERT(!portpool_holds(pp, 0));
	TEST_ASSERT(!portpool_holds(pp, 65534));
	mem_deref(pp);
	return 0;
}

/* A port given back is the last to be handed out again */
static int rotation(void)
{
	struct portpool *pp;
	uint16_t a, b, c, d;

	TEST_EQ(portpool_alloc(&pp, 50000, 50005), 0); /* three pairs */
	TEST_EQ(portpool_take(pp, &a), 0);
	TEST_EQ(a, 50000);
	portpool_give(pp, a);
	TEST_EQ(portpool_take(pp, &b), 0);
	TEST_EQ(b, 50002);
	portpool_give(pp, b);
	TEST_EQ(portpool_take(pp, &c), 0);
	TEST_EQ(c, 50004);
	/* the search wraps to the start */
	TEST_EQ(portpool_take(pp, &d), 0);
	TEST_EQ(d, 50000);
	TEST_EQ(portpool_take(pp, &a), 0);
	TEST_EQ(a, 50002);
	TEST_EQ(portpool_take(pp, &a), ENOSPC);

	/* in a full pool, the one given back is the one taken next, and
	 * only once */
	portpool_give(pp, 50004);
	TEST_EQ(portpool_take(pp, &a), 0);
	TEST_EQ(a, 50004);
	TEST_EQ(portpool_take(pp, &a), ENOSPC);

	/* a free pair behind the search point is found after wrapping */
	portpool_give(pp, 50000);
	TEST_EQ(portpool_take(pp, &a), 0);
	TEST_EQ(a, 50000);
	mem_deref(pp);
	return 0;
}

/* Giving back what the pool does not hold, or twice, frees nothing
 * else */
static int give_foreign(void)
{
	struct portpool *pp;
	uint16_t a, b;

	TEST_EQ(portpool_alloc(&pp, 50000, 50003), 0); /* two pairs */
	TEST_EQ(portpool_take(pp, &a), 0);
	TEST_EQ(portpool_take(pp, &b), 0);
	TEST_ASSERT(a != b);
	portpool_give(pp, 50001); /* an RTCP port */
	portpool_give(pp, 49998); /* below */
	portpool_give(pp, 50004); /* above */
	portpool_give(NULL, a);
	TEST_EQ(portpool_take(pp, &a), ENOSPC);

	portpool_give(pp, b);
	portpool_give(pp, b); /* twice: still one free pair */
	TEST_EQ(portpool_take(pp, &a), 0);
	TEST_EQ(a, b);
	TEST_EQ(portpool_take(pp, &a), ENOSPC);
	mem_deref(pp);
	return 0;
}

static int pool_of_one(void)
{
	struct portpool *pp;
	uint16_t lo, hi, port = 0;

	TEST_EQ(portpool_parse("60001-60003", &lo, &hi), 0);
	TEST_EQ(portpool_alloc(&pp, lo, hi), 0);
	for (int i = 0; i < 3; i++) {
		TEST_EQ(portpool_take(pp, &port), 0);
		TEST_EQ(port, 60002);
		TEST_EQ(portpool_take(pp, &port), ENOSPC);
		portpool_give(pp, 60002);
	}
	mem_deref(pp);
	return 0;
}

/* A port carried over into a new pool is never handed out again */
static int mark_carried_over(void)
{
	struct portpool *pp;
	uint16_t port;

	TEST_EQ(portpool_alloc(&pp, 20000, 20005), 0);
	TEST_EQ(portpool_mark(pp, 20002), 0);
	TEST_EQ(portpool_mark(pp, 20002), EALREADY);
	TEST_EQ(portpool_mark(pp, 20003), ERANGE); /* odd: not a pair */
	TEST_EQ(portpool_mark(pp, 30000), ERANGE);
	TEST_EQ(portpool_take(pp, &port), 0);
	TEST_EQ(port, 20000);
	TEST_EQ(portpool_take(pp, &port), 0);
	TEST_EQ(port, 20004);
	TEST_EQ(portpool_take(pp, &port), ENOSPC);
	portpool_give(pp, 20002);
	TEST_EQ(portpool_take(pp, &port), 0);
	TEST_EQ(port, 20002);
	mem_deref(pp);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(parse_ranges),     UNIT_TEST(alloc_bounds),
		UNIT_TEST(pairs_until_full), UNIT_TEST(holds),
		UNIT_TEST(rotation),         UNIT_TEST(give_foreign),
		UNIT_TEST(pool_of_one),      UNIT_TEST(mark_carried_over),
	};

	return unit_main("portpool", tests, ARRAY_SIZE(tests));
}
