/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_inbox.c  Frames from the workers to the loop thread: the
 * bound, each HRAC's share of it, and delivery in order
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <re.h>
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "hracs.h"
#include "session.h"
#include "inbox.h"
#include "unit.h"

enum {
	CAP = 1 << 16,
	FRAME = 1000,
};

struct seen {
	unsigned n[2];
	uint8_t last[2];
	bool order_ok;
	struct session *s[2];
};

static void on_frame(struct session *s, const uint8_t *frame, size_t len,
                     void *arg)
{
	struct seen *sn = arg;
	int k = s == sn->s[1];

	/* each session's frames come in the order they were put */
	if (len != FRAME || frame[0] != (uint8_t)(sn->last[k] + 1))
		sn->order_ok = false;
	sn->last[k] = frame[0];
	sn->n[k]++;
}

static void stop(void *arg)
{
	(void)arg;
	re_cancel();
}

/* Run the loop until what was rung has been drained */
static void spin(void)
{
	struct tmr t;

	tmr_init(&t);
	tmr_start(&t, 20, stop, NULL);
	re_main(NULL);
	tmr_cancel(&t);
}

/* Put frames from @s until refused; @return how many went in */
static unsigned fill(struct inbox *ib, struct session *s, uint8_t *seq)
{
	uint8_t frame[FRAME];
	unsigned n = 0;

	inbox_lock(ib);
	pthread_mutex_lock(&s->lock);
	while (inbox_room(ib, s, sizeof(frame))) {
		memset(frame, 0, sizeof(frame));
		frame[0] = ++*seq;
		inbox_put(ib, s, frame, sizeof(frame));
		n++;
	}
	pthread_mutex_unlock(&s->lock);
	inbox_unlock(ib);
	return n;
}

/* Open as one HRAC process would ("i1"), with a fixed request key */
static int sopen(struct sessions *t, const char *id, const char *peer,
                 struct session **sp, bool *replaced)
{
	struct session_open o = {
		.id = id, .peer = peer, .instance = "i1", .key = "k"
	};
	uint32_t resumed;

	return sessions_open(t, &o, sp, replaced, &resumed);
}

static int share_per_hrac(void)
{
	struct chan_limits lim;
	struct sessions *t;
	struct inbox *ib;
	struct seen sn;
	uint8_t seq[2] = { 0, 0 };
	unsigned a1, b1, a2;
	bool replaced;

	memset(&lim, 0, sizeof(lim));
	lim.rel_max_bytes = lim.media_max_bytes = 1 << 16;
	lim.rel_max_frames = 64;
	lim.rto = 1000000;
	lim.max_payload = FRAME_MAX_PAYLOAD;
	memset(&sn, 0, sizeof(sn));
	sn.order_ok = true;
	TEST_EQ(sessions_alloc(&t, 4, &lim), 0);
	TEST_EQ(sopen(t, "site-a", "p", &sn.s[0], &replaced), 0);
	TEST_EQ(sopen(t, "site-b", "p", &sn.s[1], &replaced), 0);
	TEST_EQ(inbox_alloc(&ib, CAP, on_frame, &sn), 0);

	/* one HRAC gets a quarter, and the other one still gets room */
	a1 = fill(ib, sn.s[0], &seq[0]);
	TEST_ASSERT(a1 >= CAP / 4 / (FRAME + 24) && a1 <= CAP / 4 / FRAME);
	b1 = fill(ib, sn.s[1], &seq[1]);
	TEST_EQ(b1, a1);
	/* once drained, the first has its share again */
	spin();
	TEST_EQ(sn.n[0], a1);
	TEST_EQ(sn.n[1], b1);
	TEST_ASSERT(sn.order_ok);
	a2 = fill(ib, sn.s[0], &seq[0]);
	TEST_EQ(a2, a1);
	spin();
	TEST_EQ(sn.n[0], a1 + a2);
	TEST_ASSERT(sn.order_ok);

	inbox_free(ib);
	session_deref(sn.s[0]);
	session_deref(sn.s[1]);
	sessions_free(t);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(share_per_hrac),
	};
	int r;

	if (libre_init())
		return 1;
	log_init("test_inbox", true, -3);
	r = unit_main("inbox", tests, ARRAY_SIZE(tests));
	libre_close();
	return r;
}
