/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_tunnel_retry.c  When hrac tries a failed request again
 *
 * While the path is gone, tries come about every tenth of the outage so
 * far (at least 0.1 s, at most backoff-max), so the first usable moment
 * is caught soon; what will not mend by itself backs off exponentially;
 * a request that had lived a while starts a new run of failures.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <curl/curl.h>
#include <re.h>
#include "frame.h"
#include "frame_reader.h"
#include "chan.h"
#include "secret.h"
#include "mono.h"
#include "curl_loop.h"
#include "tunnel.h"
#include "tunnel_priv.h"
#include "unit.h"

static struct tunnel t = { .conf = { .backoff_max_ms = 30000 } };

/* A run of failures that began @ago_ms ago; the next wait */
static uint32_t after(uint64_t ago_ms, bool transient)
{
	struct retry r = { .fails = 3, .since = mono_us() - ago_ms * 1000 };

	return tunnel_retry_in(&t, &r, 0, transient);
}

static int transient_tracks_the_outage(void)
{
	for (int i = 0; i < 200; i++) {
		struct retry r = { 0 };
		uint32_t w = tunnel_retry_in(&t, &r, 0, true);

		/* the first failure: 50..150 ms */
		TEST_ASSERT(w >= 50 && w <= 150);
		TEST_EQ(r.fails, 1);
		/* 5 s into the outage: about 0.5 s */
		w = after(5000, true);
		TEST_ASSERT(w >= 250 && w <= 750);
	}
	return 0;
}

/* An hour: at most backoff-max, still jittered */
static int capped(void)
{
	uint32_t lo = UINT32_MAX, hi = 0;

	for (int i = 0; i < 200; i++) {
		uint32_t w = after(3600000, true);

		TEST_ASSERT(w >= 15000 && w <= 30000);
		lo = w < lo ? w : lo;
		hi = w > hi ? w : hi;
	}
	TEST_ASSERT(lo < 20000 && hi > 25000);
	return 0;
}

static int jittered(void)
{
	uint32_t lo = UINT32_MAX, hi = 0;

	for (int i = 0; i < 200; i++) {
		uint32_t w = after(10000, true);

		lo = w < lo ? w : lo;
		hi = w > hi ? w : hi;
	}
	/* spread over most of 500..1500 ms, not one value */
	TEST_ASSERT(lo < 700 && hi > 1300);
	return 0;
}

static int lasting_failures_back_off(void)
{
	struct retry r = { 0 };
	uint32_t w;

	w = tunnel_retry_in(&t, &r, 0, false);
	TEST_ASSERT(w >= 250 && w <= 500);
	w = tunnel_retry_in(&t, &r, 0, false);
	TEST_ASSERT(w >= 500 && w <= 1000);
	w = tunnel_retry_in(&t, &r, 0, false);
	TEST_ASSERT(w >= 1000 && w <= 2000);
	for (int i = 0; i < 20; i++)
		w = tunnel_retry_in(&t, &r, 0, false);
	TEST_ASSERT(w >= 15000 && w <= 30000);
	return 0;
}

/* A stream that worked for a while and then broke: a new outage */
static int proven_request_starts_afresh(void)
{
	struct retry r = { .fails = 40, .since = mono_us() - 600000000ull };
	uint32_t w;

	w = tunnel_retry_in(&t, &r, mono_us() - 3000000, true);
	TEST_EQ(r.fails, 1);
	TEST_ASSERT(w >= 50 && w <= 150);
	/* one that failed at once belongs to the run */
	r.since = mono_us() - 600000000ull;
	w = tunnel_retry_in(&t, &r, mono_us() - 100000, true);
	TEST_EQ(r.fails, 2);
	TEST_ASSERT(w >= 15000);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(transient_tracks_the_outage),
		UNIT_TEST(jittered),
		UNIT_TEST(capped),
		UNIT_TEST(lasting_failures_back_off),
		UNIT_TEST(proven_request_starts_afresh),
	};

	return unit_main("tunnel_retry", tests, ARRAY_SIZE(tests));
}
