/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_coalesce_rule.c  The timed coalescing rule both ends share
 * (coalesce_rule.h)
 */
#include <stdint.h>
#include <re.h>
#include "coalesce_rule.h"
#include "unit.h"

enum { T0 = 1000000 };

/* Idle (never wrote, window passed, clock gone back) or off: at once */
static int at_once(void)
{
	TEST_EQ(coalesce_rule_wait(0, T0, 300), 0);
	TEST_EQ(coalesce_rule_wait(T0, T0 + 300, 300), 0);
	TEST_EQ(coalesce_rule_wait(T0, T0 + 20000, 500), 0);
	TEST_EQ(coalesce_rule_wait(T0 + 5, T0, 300), 0);
	TEST_EQ(coalesce_rule_wait(T0, T0 + 1, 0), 0);
	return 0;
}

/* Busy: until the window since the last write ends, never longer */
static int busy_waits(void)
{
	TEST_EQ(coalesce_rule_wait(T0, T0, 300), 300);
	TEST_EQ(coalesce_rule_wait(T0, T0 + 1, 300), 299);
	TEST_EQ(coalesce_rule_wait(T0, T0 + 299, 300), 1);
	TEST_EQ(coalesce_rule_wait(T0, T0 + 100, COALESCE_RULE_MAX_US),
	        COALESCE_RULE_MAX_US - 100);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(at_once),
		UNIT_TEST(busy_waits),
	};

	return unit_main("coalesce_rule", tests, ARRAY_SIZE(tests));
}
