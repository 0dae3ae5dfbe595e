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
static int per_source(void)
{
	struct ratelimit *rl;
	struct sa a = addr("192.0.2.1", 5060), a2 = addr("192.0.2.1", 5070),
	          b = addr("192.0.2.2", 5060), c = addr("2001:db8::1", 5060);

	TEST_EQ(ratelimit_alloc(&rl, 1, 3, 1024), 0);
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
	uint32_t good_slot = sa_hash(&good, SA_ADDR) % SLOTS;
	uint64_t t = T0;
	unsigned flooders = 0;

	TEST_EQ(ratelimit_alloc(&rl, RATE, BURST, SLOTS), 0);
	for (int round = 0; round < 100; round++) {
		/* 1000 sources, 20 requests each */
		for (uint32_t i = 0; i < 1000; i++) {
			struct sa f;

			sa_set_in(&f, 0x0a000000 + i, 5060); /* 10.0.x.y */
			if (sa_hash(&f, SA_ADDR) % SLOTS == good_slot)
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

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(burst_then_refused), UNIT_TEST(refill_at_rate),
		UNIT_TEST(per_source),         UNIT_TEST(rate_zero_no_limit),
		UNIT_TEST(flood_of_sources),
	};

	return unit_main("ratelimit", tests, ARRAY_SIZE(tests));
}
