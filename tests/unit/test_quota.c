/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_quota.c  How much of a shared bound one party may hold
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <re.h>
#include "quota.h"
#include "unit.h"

static int take_give(void)
{
	struct quota *q;

	TEST_EQ(quota_alloc(&q, 3), 0);
	TEST_ASSERT(quota_take(q, "o:192.0.2.1"));
	TEST_ASSERT(quota_take(q, "o:192.0.2.1"));
	TEST_ASSERT(quota_take(q, "o:192.0.2.1"));
	TEST_ASSERT(!quota_take(q, "o:192.0.2.1"));
	/* another party is not touched by the first one's use */
	TEST_ASSERT(quota_take(q, "i:site-a"));
	TEST_EQ(quota_held(q, "o:192.0.2.1"), 3);
	TEST_EQ(quota_held(q, "i:site-a"), 1);
	quota_give(q, "o:192.0.2.1");
	TEST_ASSERT(quota_take(q, "o:192.0.2.1"));
	TEST_ASSERT(!quota_take(q, "o:192.0.2.1"));
	/* given back to 0, a party is forgotten; giving more is harmless */
	quota_give(q, "i:site-a");
	quota_give(q, "i:site-a");
	quota_give(q, "nobody");
	TEST_EQ(quota_held(q, "i:site-a"), 0);
	TEST_EQ(quota_limit(q), 3);
	mem_deref(q);

	TEST_EQ(quota_alloc(&q, 0), 0);
	TEST_ASSERT(!quota_take(q, "o:192.0.2.1"));
	mem_deref(q);
	return 0;
}

/* An IPv6 host has its whole /64: one key */
static int keys(void)
{
	char k1[QUOTA_KEY_MAX], k2[QUOTA_KEY_MAX], k3[QUOTA_KEY_MAX];
	struct sa a;

	sa_set_str(&a, "2001:db8:1:2::1", 5060);
	quota_key_addr(k1, &a);
	sa_set_str(&a, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 1);
	quota_key_addr(k2, &a);
	sa_set_str(&a, "2001:db8:1:3::1", 5060);
	quota_key_addr(k3, &a);
	TEST_STREQ(k1, "o:2001:0db8:0001:0002::/64");
	TEST_STREQ(k1, k2);
	TEST_ASSERT(strcmp(k1, k3));
	sa_set_str(&a, "198.51.100.7", 5060);
	quota_key_addr(k1, &a);
	TEST_STREQ(k1, "o:198.51.100.7");
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(take_give),
		UNIT_TEST(keys),
	};

	return unit_main("quota", tests, ARRAY_SIZE(tests));
}
