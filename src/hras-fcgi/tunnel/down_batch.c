/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file down_batch.c  One wake-up of a down writer per loop iteration
 *
 * Loop thread only (the one that allocated it), but for
 * down_batch_add()'s test of the caller's thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include "mono.h"
#include "frame.h"
#include "chan.h"
#include "hracs.h"
#include "session.h"
#include "down_batch.h"
#include "down_direct.h"

struct down_batch {
	pthread_t loop;
	struct tmr tmr;
	struct session *v[DOWN_BATCH_MAX]; /* referenced */
	size_t n;
};

static void flush_tmr(void *arg)
{
	down_batch_flush(arg);
}

static void destructor(void *arg)
{
	struct down_batch *b = arg;

	down_batch_flush(b); /* its sessions' references go */
	tmr_cancel(&b->tmr);
}

/**
 * Batch the sends of the calling thread, which must be the loop thread
 * (a 0 ms timer of its loop flushes)
 */
int down_batch_alloc(struct down_batch **bp)
{
	struct down_batch *b = mem_zalloc(sizeof(*b), destructor);

	if (!b)
		return ENOMEM;
	tmr_init(&b->tmr);
	b->loop = pthread_self();
	*bp = b;
	return 0;
}

/**
 * Mark @s (locked) as having news for its writer, to be woken at the end
 * of this loop iteration
 *
 * @return false when the caller must wake the writer itself: no @b, not
 *         the loop thread, or the list full
 */
bool down_batch_add(struct down_batch *b, struct session *s)
{
	if (!b || !pthread_equal(pthread_self(), b->loop))
		return false;
	if (s->down_batched)
		return true;
	if (b->n >= DOWN_BATCH_MAX)
		return false;
	s->down_batched = true;
	b->v[b->n++] = session_ref(s);
	if (!tmr_isrunning(&b->tmr))
		tmr_start(&b->tmr, 0, flush_tmr, b);
	return true;
}

/* For each session touched since the last flush: the loop thread sends
 * what is queued over its waiting writer's connection, or wakes the
 * writer once to do it (down_direct.h) */
void down_batch_flush(struct down_batch *b)
{
	uint64_t now;
	size_t n;

	if (!b)
		return;
	now = mono_us();
	n = b->n;
	b->n = 0;
	for (size_t i = 0; i < n; i++) {
		struct session *s = b->v[i];
		bool wake;

		pthread_mutex_lock(&s->lock);
		s->down_batched = false;
		wake = s->down_waiting && !down_direct_write(s, now);
		if (wake)
			s->down_waiting = false;
		pthread_mutex_unlock(&s->lock);
		/* signalled after the unlock: a writer woken under our lock
		 * would at once block on it again (a futex wait and wake
		 * more per batch).  Its state changed under the lock; a late
		 * signal is a spurious wake-up, which it tolerates. */
		if (wake)
			pthread_cond_broadcast(&s->cond);
		session_deref(s);
		b->v[i] = NULL;
	}
}

/* Sessions waiting for the flush (tests) */
size_t down_batch_pending(const struct down_batch *b)
{
	return b ? b->n : 0;
}
