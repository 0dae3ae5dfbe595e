/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file ep_down.c  GET down: frames from HRAS to the HRAC
 *
 * Streaming (default): the response stays open and every batch of frames
 * is flushed as one FastCGI record: all that is queued when the writer
 * runs, woken once per loop iteration that queued frames (down_batch.h);
 * with a --coalesce-us, a busy stream also gathers for that long since
 * its last write (down_coalesce.h).  Without one, a waiting writer lends
 * its connection to the loop thread, which then writes the batch itself
 * and wakes the writer only when it cannot finish (down_direct.h); a keepalive
 * goes out first (so the HRAC can tell a buffering proxy from a slow one)
 * and after every idle keepalive interval.  The response ends after
 * down-max seconds; the HRAC has opened the next one by then, and a new
 * down request makes the older one end at once.
 *
 * Long poll (?mode=poll, for paths that buffer responses): the response
 * is held until frames are ready or poll-hold passes, and then carries
 * them with a Content-Length.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcgiapp.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "hracs.h"
#include "session.h"
#include "inbox.h"
#include "tunsrv.h"
#include "hreq.h"
#include "down_coalesce.h"
#include "down_direct.h"
#include "endpoints.h"

enum {
	DOWN_BUF_MIN = 65536,
	/* how late a vanished client is seen: a poll() per batch would be a
	 * syscall per packet at low load; a failed write ends a stream
	 * at once anyway */
	GONE_CHECK_US = 1000000,
	/* next_batch(): the loop thread left a record to finish */
	BATCH_OWED = -2,
};

struct down {
	struct hreq *q;
	struct session *s;
	uint32_t epoch, gen;
	bool poll;
	bool probe;       /* answer at once with a keepalive */
	uint64_t end;     /* us: the response ends here */
	uint64_t next_ka; /* us: keepalive due (streaming) */
	uint64_t keepalive;
	uint64_t gone_check; /* us: look at the connection next */
	struct down_coalesce co;
	bool gathered; /* this batch waited for the window */
	bool busy;     /* the last one did: sleep to the window's end */
	struct down_direct dd;
	uint8_t *buf;
	size_t bufsz;
};

/* nginx closed the request's connection: the client went away */
static bool client_gone(const struct down *d)
{
	struct pollfd p = { .fd = d->q->r->ipcFd, .events = POLLRDHUP };

	return poll(&p, 1, 0) > 0 &&
	       (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

static void wait_until(struct session *s, uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline / 1000000),
		.tv_nsec = (long)(deadline % 1000000) * 1000,
	};

	pthread_cond_timedwait(&s->cond, &s->lock, &ts);
}

/* Wait for frames (locked): the next one queued wakes us, or, lent to
 * the loop thread, is sent by it (down_direct.h) */
static void wait_frames(struct down *d, uint64_t deadline)
{
	struct session *s = d->s;

	s->down_waiting = true;
	/* streaming, where every write of ours is flushed before we wait:
	 * the loop thread's records never interleave with libfcgi's */
	if (!d->poll)
		down_direct_lend(s, &d->dd, deadline);
	wait_until(s, deadline);
	down_direct_reclaim(s, &d->dd);
	/* a superseded writer leaves the flag to the current one */
	if (s->down_gen == d->gen)
		s->down_waiting = false;
	/* what the loop thread sent counts as the stream's last write */
	if (d->dd.wrote) {
		d->next_ka = d->dd.wrote + d->keepalive;
		d->dd.wrote = 0;
	}
}

/* Bytes queued toward the HRAC (locked) */
static size_t queued(const struct session *s)
{
	return chan_media_queued(&s->chan) + s->chan.rel_bytes;
}

/*
 * Wait (session locked) until there is something to write
 * @return bytes filled, 0 at the end of the response, -1 if superseded,
 *         BATCH_OWED if a record the loop thread began must be finished
 */
static ssize_t next_batch(struct down *d)
{
	struct session *s = d->s;
	uint64_t now;
	size_t n;
	bool ka;

	for (;;) {
		uint64_t deadline;

		now = mono_us();
		/* first, even when superseded: a record must not be cut */
		if (down_direct_owed(&d->dd))
			return BATCH_OWED;
		if (!session_current(s, d->epoch) || s->down_gen != d->gen)
			return -1;
		if (now >= d->gone_check) {
			d->gone_check = now + GONE_CHECK_US;
			if (client_gone(d))
				return 0;
		}

		chan_timeout(&s->chan, now);
		ka = d->poll ? now >= d->end || d->probe : now >= d->next_ka;
		if (ka)
			break;
		/* with a --coalesce-us, frames that come within the window
		 * since the last write are gathered until it ends; a stream
		 * whose last batch was gathered so sleeps to the window's end
		 * at once, not woken for each frame meanwhile: one sleep per
		 * batch.  Without (0, the default), what is queued goes now.
		 * The window is read each time: a reload may change it. */
		d->co.window = d->q->t->cfg->coalesce_us;
		deadline =
		    down_coalesce_due(&d->co, now, queued(s), d->bufsz / 2);
		if (deadline > now && (d->busy || chan_pending(&s->chan))) {
			d->gathered = true;
			wait_until(s, deadline);
			continue;
		}
		if (chan_pending(&s->chan))
			break;
		/* a window passed without a frame: idle again */
		d->busy = d->gathered = false;
		if (now >= d->end)
			return 0;

		deadline = min(d->end, chan_next_deadline(&s->chan));
		if (!d->poll)
			deadline = min(deadline, d->next_ka);
		/* look at the connection now and then: a client that went
		 * away must not hold the session (and its identity) until
		 * the next keepalive */
		deadline = min(deadline, d->gone_check);
		wait_frames(d, deadline);
	}

	n = chan_fill(&s->chan, d->buf, d->bufsz, now, ka);
	/* all that was queued was media too old to send: a keepalive goes
	 * instead, so that a stream does not end and a long poll is never
	 * left without an answer (nginx would send 502) */
	if (!n)
		n = chan_fill(&s->chan, d->buf, d->bufsz, now, true);
	down_coalesce_wrote(&d->co, now);
	d->busy = d->gathered;
	d->gathered = false;
	return (ssize_t)n;
}

static void attach(struct down *d)
{
	struct session *s = d->s;

	pthread_mutex_lock(&s->lock);
	d->gen = ++s->down_gen;
	s->down_active++;
	s->down_direct = NULL; /* the loop thread no longer writes to the
	                          older stream: its writer is superseded */
	/* whatever the last stream carried may be lost: send it again */
	chan_rewind(&s->chan);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void detach(struct down *d)
{
	struct session *s = d->s;

	pthread_mutex_lock(&s->lock);
	if (--s->down_active == 0)
		s->idle_since = mono_us();
	pthread_mutex_unlock(&s->lock);
}

/* The stream ends: a write to nginx failed (the frames stay queued
 * until acknowledged) */
static void client_went_away(const struct down *d)
{
	log_info("down stream of '%s' to %s ended: the client went away",
	         d->s->id, d->q->peer);
}

static void stream(struct down *d)
{
	static const char *ctype = "application/octet-stream";
	struct session *s = d->s;

	if (!d->poll && (hreq_start(d->q, 200, ctype, -1, NULL) ||
	                 hreq_write(d->q, NULL, 0, true)))
		return;

	for (;;) {
		ssize_t n;

		pthread_mutex_lock(&s->lock);
		n = next_batch(d);
		if (n > 0) {
			s->bytes_down += (uint64_t)n;
			s->down_writes++;
		}
		pthread_mutex_unlock(&s->lock);

		if (n == BATCH_OWED) {
			if (!down_direct_finish(&d->dd))
				continue;
			client_went_away(d);
			return;
		}
		if (n < 0) {
			log_debug("down stream of '%s' from %s superseded",
			          s->id, d->q->peer);
			return;
		}
		if (n == 0)
			return;

		if (d->poll) {
			if (hreq_start(d->q, 200, ctype, n, NULL) == 0)
				hreq_write(d->q, d->buf, (size_t)n, true);
			return;
		}
		if (hreq_write(d->q, d->buf, (size_t)n, true)) {
			client_went_away(d);
			return;
		}
		d->next_ka = mono_us() + d->keepalive;
	}
}

void ep_down(struct hreq *q)
{
	const struct tunsrv_conf *cfg = q->t->cfg;
	struct down d = { .q = q };
	uint64_t now;
	bool current;

	d.s = ep_session(q, &d.epoch);
	if (!d.s)
		return;

	pthread_mutex_lock(&d.s->lock);
	current = session_current(d.s, d.epoch);
	d.bufsz = max((size_t)DOWN_BUF_MIN, chan_fill_min(&d.s->chan));
	pthread_mutex_unlock(&d.s->lock);

	d.buf = malloc(d.bufsz);
	if (!current || !d.buf) {
		hreq_error(q, current ? 500 : 404,
		           current ? "internal" : "unknown-session", NULL,
		           current ? "out of memory" : "session replaced");
		goto out;
	}

	d.poll = hreq_query_is(q, "mode", "poll");
	d.probe = !d.poll || hreq_query_is(q, "probe", "1");
	d.keepalive = (uint64_t)cfg->keepalive * 1000000;
	now = mono_us();
	d.end =
	    now + (uint64_t)(d.poll ? cfg->poll_hold : cfg->down_max) * 1000000;
	d.next_ka = now; /* the first keepalive is the stream's probe */
	d.dd.fd = q->r->ipcFd;
	d.dd.request_id = (uint16_t)q->r->requestId;
	d.dd.window = &cfg->coalesce_us;
	d.dd.buf = d.buf;
	d.dd.size = d.bufsz;

	log_debug("down %s of '%s' from %s", d.poll ? "poll" : "stream",
	          d.s->id, q->peer);

	attach(&d);
	stream(&d);
	detach(&d);

out:
	free(d.buf);
	session_deref(d.s);
}
