/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file report.c  The status report, handed from the loop thread to workers
 *
 * The JSON versions cost: at 200 calls libre's encoder took 10-12 ms,
 * and rendered every second on the loop thread that held every relay's
 * packets as long (the bench's round trips: each second's slowest,
 * 12-30 ms, at one moment of it); on a thread of its own it still took
 * the CPU from the packets' processes on a busy box.  So they are
 * encoded by the report's own thread, and only while someone asks for
 * them (report_wanted): a request that finds no recent one waits for the
 * next (report_copy).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "mono.h"
#include "report.h"

enum {
	WANTED_MS = 60000, /* rendered this long after the last request */
	FRESH_MS = 2000,   /* older: it was not being rendered */
	WAIT_MS = 2000,    /* a request waits for a new one this long */
};

struct report {
	pthread_mutex_t lock;
	pthread_cond_t wake;  /* the encoder: something is pending */
	pthread_cond_t fresh; /* requests: a snapshot was published */
	pthread_t encoder;
	bool stop;
	struct odict *pending[REPORT_KINDS]; /* to encode: the newest only */
	char *text[REPORT_KINDS];            /* latest snapshots, NUL-ended */
	size_t len[REPORT_KINDS];
	uint64_t made_ms[REPORT_KINDS];  /* when each was published */
	uint64_t asked_ms[REPORT_KINDS]; /* when each was last asked for */
};

/* The report's JSON text of @o, published as version @k */
int report_encode(struct report *r, enum report_kind k, const struct odict *o)
{
	struct mbuf *mb = mbuf_alloc(4096);
	int err;

	if (!mb)
		return ENOMEM;
	err = mbuf_printf(mb, "%H\n", json_encode_odict, o);
	if (!err)
		err = report_publish(r, k, (const char *)mb->buf, mb->end);
	mem_deref(mb);
	return err;
}

/* Take the next snapshot to encode (with the lock held) */
static struct odict *next_pending(struct report *r, int *k)
{
	for (int i = 0; i < REPORT_KINDS; i++) {
		struct odict *o = r->pending[i];

		if (o) {
			r->pending[i] = NULL;
			*k = i;
			return o;
		}
	}
	return NULL;
}

static void *encoder_main(void *arg)
{
	struct report *r = arg;

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		struct odict *o;
		int k;

		o = next_pending(r, &k);
		if (!o) {
			pthread_cond_wait(&r->wake, &r->lock);
			continue;
		}
		pthread_mutex_unlock(&r->lock);
		(void)report_encode(r, (enum report_kind)k, o);
		mem_deref(o);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* wait_fresh's deadline is on mono_ms()'s clock, not the wall's */
static void cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(c, &ca);
	pthread_condattr_destroy(&ca);
}

int report_alloc(struct report **rp)
{
	struct report *r = calloc(1, sizeof(*r));
	sigset_t all, old;
	int err;

	if (!r)
		return ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	cond_init_monotonic(&r->fresh);
	/* the process's signals are the loop thread's, never the encoder's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&r->encoder, NULL, encoder_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pthread_cond_destroy(&r->fresh);
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return err;
	}
	*rp = r;
	return 0;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->encoder, NULL);
	pthread_cond_destroy(&r->fresh);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	for (int k = 0; k < REPORT_KINDS; k++) {
		mem_deref(r->pending[k]);
		free(r->text[k]);
	}
	free(r);
}

/**
 * Loop thread: @o (its reference is the report's now) is to be encoded as
 * version @k, by the report's thread; one not yet encoded is replaced
 */
void report_publish_odict(struct report *r, enum report_kind k, struct odict *o)
{
	struct odict *old;

	pthread_mutex_lock(&r->lock);
	old = r->pending[k];
	r->pending[k] = o;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	mem_deref(old);
}

/* Loop thread: the new snapshot replaces the old */
int report_publish(struct report *r, enum report_kind k, const char *text,
                   size_t len)
{
	char *copy;

	if (len > REPORT_MAX)
		return EMSGSIZE;
	copy = malloc(len + 1);
	if (!copy)
		return ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&r->lock);
	free(r->text[k]);
	r->text[k] = copy;
	r->len[k] = len;
	r->made_ms[k] = mono_ms();
	pthread_cond_broadcast(&r->fresh);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* Loop thread: is version @k worth rendering (asked for lately)? */
bool report_wanted(struct report *r, enum report_kind k)
{
	bool wanted;

	pthread_mutex_lock(&r->lock);
	wanted = r->asked_ms[k] && mono_ms() - r->asked_ms[k] < WANTED_MS;
	pthread_mutex_unlock(&r->lock);
	return wanted;
}

/* With the lock: until a snapshot of @k newer than @since, WAIT_MS at
 * most (a loop that is stuck does not hold the request for ever) */
static void wait_fresh(struct report *r, enum report_kind k, uint64_t since)
{
	uint64_t until = since + WAIT_MS;
	struct timespec ts = { .tv_sec = (time_t)(until / 1000),
		               .tv_nsec = (long)(until % 1000) * 1000000 };

	while (r->made_ms[k] < since && !r->stop)
		if (pthread_cond_timedwait(&r->fresh, &r->lock, &ts))
			break;
}

/* Worker: a copy of the latest snapshot (free() it); EAGAIN: none yet.
 * One not rendered lately (no one asked) is waited for, a second or so */
int report_copy(struct report *r, enum report_kind k, char **text, size_t *len)
{
	uint64_t now = mono_ms();
	int err = 0;

	pthread_mutex_lock(&r->lock);
	r->asked_ms[k] = now;
	if (r->text[k] && now - r->made_ms[k] > FRESH_MS)
		wait_fresh(r, k, now);
	if (!r->text[k]) {
		err = EAGAIN;
	} else {
		*text = malloc(r->len[k] + 1);
		if (*text) {
			memcpy(*text, r->text[k], r->len[k] + 1);
			*len = r->len[k];
		} else {
			err = ENOMEM;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}
