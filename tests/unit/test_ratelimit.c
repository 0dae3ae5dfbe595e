/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_ratelimit.c  Requests per second per source address
 *
 * Time is passed in (microseconds), so nothing here sleeps.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "ratelimit.h"
#include "unit.h"

enum {
	T0 = 1000000000, /* an arbitrary start, in us */
};

static struct sa addr(const char *ip, uint16_t port)
{
	struct sa sa;

	sa_set_str(&sa, ip, port);
	return sa;
}

/* How many requests in a row are allowed at @now (stops at @max) */
static unsigned allowed(struct ratelimit *rl, const struct sa *src,
                        uint64_t now, unsigned max)
{
	unsigned n = 0;

	while (n < max && ratelimit_allow(rl, src, now))
		n++;
	return n;
}

static int burst_then_refused(void)
{
	struct ratelimit *rl;
	struct sa a = addr("192.0.2.1", 5060);

	TEST_EQ(ratelimit_alloc(&rl, 10, 5, 64), 0);
	TEST_EQ(allowed(rl, &a, T0, 100), 5);
	TEST_ASSERT(!ratelimit_allow(rl, &a, T0));
	TEST_ASSERT(!ratelimit_allow(rl, &a, T0));
	mem_deref(rl);
	return 0;
}

/* 10 per second: a token every 100 ms, not a microsecond earlier; an
 * idle source saves up to the burst, no more */
static int refill_at_rate(void)
{
	struct ratelimit *rl, *rl2;
	struct sa a = addr("192.0.2.1", 5060);
	uint64_t t = T0;
	unsigned n = 0;

	/* (each call, even a refused one, starts a new interval, so the
	 * moment just before is probed on a second limiter) */
	TEST_EQ(ratelimit_alloc(&rl, 10, 5, 64), 0);
	TEST_EQ(ratelimit_alloc(&rl2, 10, 5, 64), 0);
	TEST_EQ(allowed(rl, &a, t, 100), 5);
	TEST_EQ(allowed(rl2, &a, t, 100), 5);
	TEST_ASSERT(!ratelimit_allow(rl2, &a, t + 99999));
	TEST_ASSERT(ratelimit_allow(rl, &a, t + 100000));
	TEST_ASSERT(!ratelimit_allow(rl, &a, t + 100000));

	/* a steady 10/s is allowed for as long as it lasts */
	t += 100000;
	for (int i = 0; i < 1000; i++) {
		t += 100000;
		TEST_ASSERT(ratelimit_allow(rl, &a, t));
		TEST_ASSERT(!ratelimit_allow(rl, &a, t));
	}

	/* 20/s is cut down to 10/s */
	for (int i = 0; i < 2000; i++) {
		t += 50000;
		n += ratelimit_allow(rl, &a, t);
	}
	TEST_EQ(n, 1000);

	/* 350 ms: 3 tokens, and the half left is kept */
	t += 350000;
	TEST_EQ(allowed(rl, &a, t, 100), 3);
	t += 50000;
	TEST_EQ(allowed(rl, &a, t, 100), 1);

	/* an hour idle: the burst, not 36000 */
	t += 3600ull * 1000000;
	TEST_EQ(allowed(rl, &a, t, 100), 5);

	/* a clock that steps back gives nothing */
	TEST_ASSERT(!ratelimit_allow(rl, &a, t - 1000000));
	mem_deref(rl2);
	mem_deref(rl);
	return 0;
}

/* Per address: ports do not matter, other addresses have their own */
/* An address of @fmt (one %u) whose slot differs from those of @v */
static struct sa apart(const struct ratelimit *rl, const char *fmt,
                       const struct sa *v, size_t n)
{
	char ip[64];
	struct sa sa;

	for (unsigned i = 1;; i++) {
		bool clash = false;

		snprintf(ip, sizeof(ip), fmt, i);
		sa = addr(ip, 5060);
		for (size_t k = 0; k < n; k++)
			clash |= ratelimit_slot(rl, &sa) ==
			         ratelimit_slot(rl, &v[k]);
		if (!clash)
			return sa;
	}
}

static int per_source(void)
{
	struct ratelimit *rl;
	struct sa a = addr("192.0.2.1", 5060), a2 = addr("192.0.2.1", 5070);
	struct sa b, c;

	TEST_EQ(ratelimit_alloc(&rl, 1, 3, 1024), 0);
	b = apart(rl, "192.0.2.%u", &a, 1);
	{
		struct sa ab[2] = { a, b };

		c = apart(rl, "2001:db8:%x::1", ab, 2);
	}
	TEST_EQ(allowed(rl, &a, T0, 100), 3);
	TEST_ASSERT(!ratelimit_allow(rl, &a2, T0)); /* same address */
	TEST_EQ(allowed(rl, &b, T0, 100), 3);
	TEST_EQ(allowed(rl, &c, T0, 100), 3);
	/* b's and c's requests gave a nothing */
	TEST_ASSERT(!ratelimit_allow(rl, &a, T0));
	TEST_ASSERT(ratelimit_allow(rl, &a, T0 + 1000000));
	TEST_ASSERT(!ratelimit_allow(rl, &a, T0 + 1000000));
	TEST_ASSERT(ratelimit_allow(rl, &b, T0 + 1000000));
	mem_deref(rl);
	return 0;
}

static int rate_zero_no_limit(void)
{
	struct ratelimit *rl;
	struct sa a = addr("192.0.2.1", 5060);

	TEST_EQ(ratelimit_alloc(&rl, 0, 1, 64), 0);
	TEST_EQ(allowed(rl, &a, T0, 100000), 100000);
	mem_deref(rl);
	return 0;
}

/*
 * The table is bounded (sources that share a slot share a bucket, which
 * may limit them more): a flood from a thousand other sources, none in
 * the well-behaved source's slot, never refuses it, and each flooder is
 * refused once past its burst.
 *
 * Not checked: that flooders sharing a slot are held to one rate
 * together, as ratelimit.h says; today a source that finds its slot
 * taken by another address starts with a full burst, so they are not.
 */
static int flood_of_sources(void)
{
	enum { SLOTS = 64, RATE = 10, BURST = 5 };
	struct ratelimit *rl;
	struct sa good = addr("198.51.100.7", 5060);
	uint32_t good_slot;
	uint64_t t = T0;
	unsigned flooders = 0;

	TEST_EQ(ratelimit_alloc(&rl, RATE, BURST, SLOTS), 0);
	good_slot = ratelimit_slot(rl, &good);
	for (int round = 0; round < 100; round++) {
		/* 1000 sources, 20 requests each */
		for (uint32_t i = 0; i < 1000; i++) {
			struct sa f;

			sa_set_in(&f, 0x0a000000 + i, 5060); /* 10.0.x.y */
			if (ratelimit_slot(rl, &f) == good_slot)
				continue;
			flooders += round == 0;
			TEST_ASSERT(allowed(rl, &f, t, 20) <= BURST);
		}
		/* the good source at half its rate */
		TEST_ASSERT(ratelimit_allow(rl, &good, t));
		t += 200000;
	}
	TEST_ASSERT(flooders > 900);
	mem_deref(rl);
	return 0;
}

/* Sources that share a slot share its bucket: taking turns gets them no
 * more than one source would get (a collision never refills it) */
static int shared_slot(void)
{
	enum { RATE = 50, BURST = 200, SECS = 10 };
	struct ratelimit *rl;
	struct sa a = addr("192.0.2.1", 5060), b = addr("198.51.100.9", 5060);
	uint64_t t = T0;
	unsigned n = 0;

	TEST_EQ(ratelimit_alloc(&rl, RATE, BURST, 1), 0);
	TEST_EQ(ratelimit_slot(rl, &a), ratelimit_slot(rl, &b));
	for (int i = 0; i < 10000 * SECS; i++, t += 100)
		n += ratelimit_allow(rl, i % 2 ? &a : &b, t);
	TEST_ASSERT(n <= BURST + RATE * SECS + 1);
	TEST_ASSERT(n >= BURST + RATE * SECS - 1);
	mem_deref(rl);
	return 0;
}

/* An IPv6 host has a whole /64: its addresses are one source */
static int ipv6_prefix(void)
{
	struct ratelimit *rl;
	struct sa x1 = addr("2001:db8:1:2::1", 5060);
	struct sa x2 = addr("2001:db8:1:2:ffff:ee:dd:cc", 5060);

	TEST_EQ(ratelimit_alloc(&rl, 1, 3, 65536), 0);
	TEST_EQ(ratelimit_slot(rl, &x1), ratelimit_slot(rl, &x2));
	TEST_EQ(allowed(rl, &x1, T0, 100), 3);
	TEST_EQ(allowed(rl, &x2, T0, 100), 0);
	mem_deref(rl);
	return 0;
}

/* A source that asks very often still refills at the rate: each call
 * must not lose the fraction of a token it brought */
static int frequent_refill(void)
{
	struct ratelimit *rl;
	struct sa a = addr("192.0.2.1", 5060);
	uint64_t t = T0;
	unsigned n = 0;

	TEST_EQ(ratelimit_alloc(&rl, 1, 1, 16), 0);
	for (int i = 0; i < 20000; i++, t += 500) /* 2000/s for 10 s */
		n += ratelimit_allow(rl, &a, t);
	TEST_EQ(n, 1 + 9); /* the burst, then one a second */
	mem_deref(rl);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(burst_then_refused), UNIT_TEST(refill_at_rate),
		UNIT_TEST(per_source),         UNIT_TEST(rate_zero_no_limit),
		UNIT_TEST(flood_of_sources),   UNIT_TEST(shared_slot),
		UNIT_TEST(ipv6_prefix),        UNIT_TEST(frequent_refill),
	};

	return unit_main("ratelimit", tests, ARRAY_SIZE(tests));
}
