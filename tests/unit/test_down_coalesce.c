/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_down_coalesce.c  hras-fcgi's down writes: when a batch leaves
 *
 * By default, once per loop iteration (down_batch.h): the frames one
 * iteration queues wake each session's writer once, at its end, and a
 * lone frame goes in the iteration it came in.  With a --coalesce-us, a
 * busy stream also gathers for the window (down_coalesce.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "hracs.h"
#include "session.h"
#include "down_batch.h"
#include "down_coalesce.h"
#include "session_fix.h"
#include "unit.h"

/* -- the loop's batches ----------------------------------------------- */

enum { CALLS = 8, BURST = 5 };

static bool waiting(struct session *s)
{
	bool w;

	pthread_mutex_lock(&s->lock);
	w = s->down_waiting;
	pthread_mutex_unlock(&s->lock);
	return w;
}

/* A writer waiting for frames, as ep_down's does (without a thread: the
 * flag is what a wake-up clears) */
static void writer_waits(struct session *s)
{
	pthread_mutex_lock(&s->lock);
	s->down_waiting = true;
	pthread_mutex_unlock(&s->lock);
}

struct burst {
	struct session *s[CALLS];
	size_t n;         /* sessions the handler sends to */
	int fd[2];        /* a pipe: readable, as a relay socket would be */
	int err;          /* of the sends */
	bool rung_early;  /* a writer was woken inside the handler */
	uint64_t sent_at; /* us */
	uint64_t woke_at; /* us: the first tmr_poll after the handler */
	struct tmr after; /* armed by the handler after the flush's */
	struct down_batch *db;
};

static void after_flush(void *arg)
{
	struct burst *b = arg;

	b->woke_at = mono_us();
	re_cancel();
}

/* The loop's descriptor handler: a burst for every call, one iteration */
static void readable(int flags, void *arg)
{
	struct burst *b = arg;
	char c;

	(void)flags;
	if (read(b->fd[0], &c, 1) != 1)
		return;
	for (size_t i = 0; i < b->n; i++) {
		for (int k = 0; k < BURST; k++)
			b->err |= session_fix_rtp(b->s[i]);
		b->rung_early |= !waiting(b->s[i]);
	}
	b->sent_at = mono_us();
	/* a 0 ms timer armed after the flush's runs just after it */
	tmr_start(&b->after, 0, after_flush, b);
}

static void guard(void *arg)
{
	(void)arg;
	re_cancel();
}

/* The frames of many calls queued in one loop iteration wake each
 * writer once, when the iteration's descriptors are done, not per frame
 * and not later */
static int run_burst(struct burst *b)
{
	struct chan_limits lim;
	struct sessions *t;
	struct tmr g;
	bool replaced;
	uint32_t resumed;

	session_fix_limits(&lim);
	TEST_EQ(sessions_alloc(&t, CALLS, &lim), 0);
	sessions_set_batch(t, b->db);
	for (size_t i = 0; i < CALLS; i++) {
		char id[16];
		struct session_open o = {
			.id = id, .peer = "p", .instance = "i1", .key = "k"
		};

		snprintf(id, sizeof(id), "site-%zu", i);
		TEST_EQ(sessions_open(t, &o, &b->s[i], &replaced, &resumed), 0);
		writer_waits(b->s[i]);
	}
	TEST_EQ(pipe(b->fd), 0);
	TEST_EQ(fd_listen(b->fd[0], FD_READ, readable, b), 0);
	TEST_EQ(write(b->fd[1], "x", 1), 1);
	tmr_init(&b->after);
	tmr_init(&g);
	tmr_start(&g, 2000, guard, NULL);
	re_main(NULL);
	tmr_cancel(&g);
	tmr_cancel(&b->after);
	fd_close(b->fd[0]);
	close(b->fd[0]);
	close(b->fd[1]);

	TEST_EQ(b->err, 0);
	TEST_ASSERT(!b->rung_early);
	TEST_EQ(down_batch_pending(b->db), 0);
	TEST_ASSERT(b->woke_at); /* not the guard */
	for (size_t i = 0; i < CALLS; i++) {
		/* every touched writer woken, the others left alone */
		TEST_EQ(waiting(b->s[i]), i >= b->n);
		pthread_mutex_lock(&b->s[i]->lock);
		b->s[i]->down_waiting = false;
		pthread_mutex_unlock(&b->s[i]->lock);
		session_deref(b->s[i]);
	}
	sessions_free(t);
	return 0;
}

static int burst_wakes_once_per_iteration(void)
{
	struct burst b = { .n = CALLS };

	TEST_EQ(down_batch_alloc(&b.db), 0);
	TEST_EQ(run_burst(&b), 0);
	mem_deref(b.db);
	return 0;
}

/* One frame of one call: its writer is woken in the same iteration */
static int lone_frame_goes_at_once(void)
{
	struct burst b = { .n = 1 };

	TEST_EQ(down_batch_alloc(&b.db), 0);
	TEST_EQ(run_burst(&b), 0);
	TEST_ASSERT(b.woke_at - b.sent_at < 100000);
	mem_deref(b.db);
	return 0;
}

struct other {
	struct session *s;
	atomic_bool woken;
};

static void *other_thread(void *arg)
{
	struct other *o = arg;

	session_fix_rtp(o->s);
	atomic_store(&o->woken, !waiting(o->s));
	return NULL;
}

/* A sender on another thread (a worker) wakes the writer itself: no
 * loop iteration of its own would flush it */
static int other_thread_wakes_at_once(void)
{
	struct chan_limits lim;
	struct other o = { 0 };
	struct down_batch *db;
	struct sessions *t, *t2;
	struct session *s2;
	uint32_t resumed;
	bool replaced;
	pthread_t th;
	struct session_open so = {
		.id = "site-a", .peer = "p", .instance = "i1", .key = "k"
	};

	TEST_EQ(down_batch_alloc(&db), 0);
	session_fix_limits(&lim);
	TEST_EQ(sessions_alloc(&t, 1, &lim), 0);
	sessions_set_batch(t, db);
	TEST_EQ(sessions_open(t, &so, &o.s, &replaced, &resumed), 0);
	writer_waits(o.s);
	TEST_EQ(pthread_create(&th, NULL, other_thread, &o), 0);
	pthread_join(th, NULL);
	TEST_ASSERT(atomic_load(&o.woken));
	TEST_EQ(down_batch_pending(db), 0);

	/* the loop thread's send waits for the flush */
	writer_waits(o.s);
	TEST_EQ(session_fix_rtp(o.s), 0);
	TEST_ASSERT(waiting(o.s));
	TEST_EQ(down_batch_pending(db), 1);
	TEST_EQ(session_fix_rtp(o.s), 0);
	TEST_EQ(down_batch_pending(db), 1); /* one entry per session */
	down_batch_flush(db);
	TEST_ASSERT(!waiting(o.s));
	TEST_EQ(down_batch_pending(db), 0);

	/* a table without the loop's batches: at once */
	TEST_EQ(sessions_alloc(&t2, 1, &lim), 0);
	TEST_EQ(sessions_open(t2, &so, &s2, &replaced, &resumed), 0);
	writer_waits(s2);
	TEST_EQ(session_fix_rtp(s2), 0);
	TEST_ASSERT(!waiting(s2));
	TEST_EQ(down_batch_pending(db), 0);

	session_deref(s2);
	sessions_free(t2);
	session_deref(o.s);
	sessions_free(t);
	mem_deref(db);
	return 0;
}

/* -- the timed window (--coalesce-us > 0) -------------------------------- */

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
		UNIT_TEST(burst_wakes_once_per_iteration),
		UNIT_TEST(lone_frame_goes_at_once),
		UNIT_TEST(other_thread_wakes_at_once),
		UNIT_TEST(idle_goes_at_once),
		UNIT_TEST(busy_waits_for_window),
		UNIT_TEST(at_once_otherwise),
	};
	int r;

	log_init("test_down_coalesce", true, -2);
	if (libre_init())
		return 1;
	r = unit_main("down_coalesce", tests, ARRAY_SIZE(tests));
	libre_close();
	return r;
}
