/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_tunnel_stall.c  When hrac judges a silent path stalled
 *
 * While frames move, a down direction silent for 0.2 s gets a PING; no
 * byte down 0.3 s later and the path is stalled: fresh requests go beside
 * the stalled ones, the first at once, then every 0.1..0.3 s (a tenth of
 * the stall once that is longer, jittered, at most backoff-max), until a
 * byte comes down.  An idle tunnel is not pinged.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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

#define MS 1000ull
#define T0 (1000000 * MS) /* an arbitrary start, far from 0 */

static struct tunnel t;

/* a call: frames went up and came down until T0 */
static void moving(void)
{
	memset(&t, 0, sizeof(t));
	t.conf.backoff_max_ms = 30000;
	t.last_rx = t.last_up_tx = T0;
}

static int moving_path_is_left_alone(void)
{
	moving();
	for (uint64_t now = T0; now < T0 + 5000 * MS; now += 50 * MS) {
		t.last_rx = now - 20 * MS; /* a packet every 20 ms */
		TEST_EQ(tunnel_stall_check(&t, now), STALL_NONE);
	}
	return 0;
}

/* silent: one PING; the PONG (any byte down) ends it */
static int silence_pings_once(void)
{
	moving();
	TEST_EQ(tunnel_stall_check(&t, T0 + 150 * MS), STALL_NONE);
	TEST_EQ(tunnel_stall_check(&t, T0 + 200 * MS), STALL_PING);
	TEST_EQ(tunnel_stall_check(&t, T0 + 250 * MS), STALL_NONE);
	TEST_EQ(tunnel_stall_check(&t, T0 + 450 * MS), STALL_NONE);
	t.last_rx = T0 + 460 * MS; /* the PONG */
	TEST_EQ(tunnel_stall_check(&t, T0 + 500 * MS), STALL_NONE);
	TEST_EQ(t.stall_ping, 0);
	/* silent again: a new PING, not a stall */
	TEST_EQ(tunnel_stall_check(&t, T0 + 700 * MS), STALL_PING);
	return 0;
}

/* no PONG: fresh tries at once, then 0.1..0.3 s apart; a byte ends it */
static int stall_tries_fresh_requests(void)
{
	uint64_t now, last = 0;
	unsigned tries = 0;

	moving();
	TEST_EQ(tunnel_stall_check(&t, T0 + 200 * MS), STALL_PING);
	TEST_EQ(tunnel_stall_check(&t, T0 + 450 * MS), STALL_NONE);
	TEST_EQ(tunnel_stall_check(&t, T0 + 500 * MS), STALL_FRESH);
	TEST_EQ(t.stall_since, T0 + 500 * MS);
	last = T0 + 500 * MS;
	for (now = T0 + 510 * MS; now < T0 + 1500 * MS; now += 10 * MS) {
		if (tunnel_stall_check(&t, now) != STALL_FRESH)
			continue;
		TEST_ASSERT(now - last >= 100 * MS && now - last <= 310 * MS);
		last = now;
		tries++;
	}
	/* 1 s of stall: 3 to 10 more tries */
	TEST_ASSERT(tries >= 3 && tries <= 10);
	TEST_EQ(t.stall_tries, tries + 1);
	t.last_rx = now;
	TEST_EQ(tunnel_stall_check(&t, now + 10 * MS), STALL_NONE);
	TEST_EQ(t.stall_since, 0);
	TEST_EQ(t.stall_tries, 0);
	return 0;
}

/* a long stall: about a tenth of it between tries, at most backoff-max */
static int long_stall_slows_down(void)
{
	uint64_t now, last;

	moving();
	t.stall_ping = T0 + 200 * MS;
	t.stall_since = T0 + 500 * MS;
	t.stall_next = T0 + 10500 * MS; /* 10 s into the stall */
	TEST_EQ(tunnel_stall_check(&t, T0 + 10500 * MS), STALL_FRESH);
	TEST_ASSERT(t.stall_next >= T0 + 10500 * MS + 500 * MS &&
	            t.stall_next <= T0 + 10500 * MS + 1500 * MS);
	now = last = T0 + 3600000 * MS; /* an hour */
	t.stall_next = now;
	TEST_EQ(tunnel_stall_check(&t, now), STALL_FRESH);
	TEST_ASSERT(t.stall_next - last >= 15000 * MS &&
	            t.stall_next - last <= 30000 * MS);
	return 0;
}

/* idle either way for 2 s: the keepalives' business, no PING */
static int idle_tunnel_is_not_pinged(void)
{
	moving();
	TEST_EQ(tunnel_stall_check(&t, T0 + 2300 * MS), STALL_NONE);
	TEST_EQ(tunnel_stall_check(&t, T0 + 60000 * MS), STALL_NONE);
	/* a keepalive goes up: its silence is worth a PING */
	t.last_up_tx = T0 + 60000 * MS;
	TEST_EQ(tunnel_stall_check(&t, T0 + 60250 * MS), STALL_PING);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(moving_path_is_left_alone),
		UNIT_TEST(silence_pings_once),
		UNIT_TEST(stall_tries_fresh_requests),
		UNIT_TEST(long_stall_slows_down),
		UNIT_TEST(idle_tunnel_is_not_pinged),
	};

	return unit_main("tunnel_stall", tests, ARRAY_SIZE(tests));
}
