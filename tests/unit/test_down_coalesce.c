/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_down_coalesce.c  hras-fcgi's down writes: when a batch leaves
 * (down_coalesce.h)
 */
#include <stdint.h>
#include <re.h>
#include "down_coalesce.h"
#include "unit.h"

enum { FULL = 32768 };

/* A lone frame on an idle stream leaves at once, whatever the window */
static int idle_goes_at_once(void)
{
	struct down_coalesce c = { .window = 300 };

	TEST_EQ(down_coalesce_due(&c, 1000, 100, FULL), 1000); /* never wrote */
	down_coalesce_wrote(&c, 1000);
	TEST_EQ(down_coalesce_due(&c, 1300, 100, FULL),
	        1300); /* window passed */
	TEST_EQ(down_coalesce_due(&c, 90000, 100, FULL), 90000);
	return 0;
}

/* A busy stream gathers until the window since the last write ends */
static int busy_waits_for_window(void)
{
	struct down_coalesce c = { .window = 300 };

	down_coalesce_wrote(&c, 1000);
	TEST_EQ(down_coalesce_due(&c, 1001, 100, FULL), 1300);
	TEST_EQ(down_coalesce_due(&c, 1299, 100, FULL), 1300);
	/* bounded: never later than the window after the last write */
	down_coalesce_wrote(&c, 1300);
	TEST_EQ(down_coalesce_due(&c, 1350, 100, FULL), 1600);
	return 0;
}

/* Off, a full buffer, or a clock before the last write: at once */
static int at_once_otherwise(void)
{
	struct down_coalesce c = { .window = 0 };

	down_coalesce_wrote(&c, 1000);
	TEST_EQ(down_coalesce_due(&c, 1001, 100, FULL), 1001);
	c.window = 500;
	TEST_EQ(down_coalesce_due(&c, 1001, FULL, FULL), 1001);
	TEST_EQ(down_coalesce_due(&c, 1001, FULL - 1, FULL), 1500);
	TEST_EQ(down_coalesce_due(&c, 900, 100, FULL), 900);
	down_coalesce_wrote(&c, 0); /* a write at 0 still counts as one */
	TEST_EQ(down_coalesce_due(&c, 2, 100, FULL), 501);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(idle_goes_at_once),
		UNIT_TEST(busy_waits_for_window),
		UNIT_TEST(at_once_otherwise),
	};

	return unit_main("coalesce", tests, ARRAY_SIZE(tests));
}
