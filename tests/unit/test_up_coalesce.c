/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_up_coalesce.c  When the next write up the tunnel may go
 *
 * On an idle link (nothing written for the window, or ever) a frame
 * leaves at once; on a busy one it waits until the window since the last
 * write has passed, never longer.  The timer that ends the wait fires
 * after the delay, below libre's millisecond timers, and not once
 * cancelled.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "mono.h"
#include "coalesce.h"
#include "unit.h"

#define T0 1000000000ull /* us: an arbitrary start, far from 0 */

static int lone_packet_is_not_delayed(void)
{
	TEST_EQ(coalesce_wait(0, T0, 300), 0);          /* never wrote */
	TEST_EQ(coalesce_wait(T0, T0 + 300, 300), 0);   /* window over */
	TEST_EQ(coalesce_wait(T0, T0 + 20000, 300), 0); /* 20 ms idle */
	TEST_EQ(coalesce_wait(T0, T0 + 20000, 500), 0);
	TEST_EQ(coalesce_wait(T0 + 5, T0, 300), 0); /* a clock gone back */
	return 0;
}

static int busy_link_waits_for_the_window(void)
{
	TEST_EQ(coalesce_wait(T0, T0, 300), 300);
	TEST_EQ(coalesce_wait(T0, T0 + 1, 300), 299);
	TEST_EQ(coalesce_wait(T0, T0 + 100, 300), 200);
	TEST_EQ(coalesce_wait(T0, T0 + 299, 300), 1);
	TEST_EQ(coalesce_wait(T0, T0 + 100, 500), 400);
	return 0;
}

static int window_zero_never_waits(void)
{
	TEST_EQ(coalesce_wait(T0, T0, 0), 0);
	TEST_EQ(coalesce_wait(T0, T0 + 1, 0), 0);
	return 0;
}

struct fired {
	unsigned n;
	uint64_t at;
};

static void on_fire(void *arg)
{
	struct fired *f = arg;

	f->n++;
	f->at = mono_us();
	re_cancel();
}

static void guard(void *arg)
{
	(void)arg;
	re_cancel();
}

/* run the loop until the timer fires or @ms pass */
static void run_for(uint64_t ms)
{
	struct tmr g;

	tmr_init(&g);
	tmr_start(&g, ms, guard, NULL);
	re_main(NULL);
	tmr_cancel(&g);
}

static int timer_fires_after_the_wait(void)
{
	struct fired f = { 0 };
	struct coalesce *c = NULL;
	uint64_t t0;

	TEST_EQ(coalesce_alloc(&c, on_fire, &f), 0);
	TEST_ASSERT(!coalesce_armed(c));
	t0 = mono_us();
	TEST_EQ(coalesce_arm(c, 400), 0);
	TEST_ASSERT(coalesce_armed(c));
	run_for(1000);
	TEST_EQ(f.n, 1);
	TEST_ASSERT(!coalesce_armed(c));
	TEST_ASSERT(f.at - t0 >= 400);
	/* well below libre's timers' millisecond and a loaded box's jitter */
	TEST_ASSERT(f.at - t0 < 200000);

	/* cancelled: does not fire */
	TEST_EQ(coalesce_arm(c, 300), 0);
	coalesce_cancel(c);
	TEST_ASSERT(!coalesce_armed(c));
	run_for(20);
	TEST_EQ(f.n, 1);
	coalesce_free(c);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(lone_packet_is_not_delayed),
		UNIT_TEST(busy_link_waits_for_the_window),
		UNIT_TEST(window_zero_never_waits),
		UNIT_TEST(timer_fires_after_the_wait),
	};
	int r;

	if (libre_init())
		return 1;
	r = unit_main("coalesce", tests, ARRAY_SIZE(tests));
	libre_close();
	return r;
}
