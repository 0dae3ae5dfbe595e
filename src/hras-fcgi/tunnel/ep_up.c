/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file ep_up.c  POST up: frames from the HRAC to HRAS
 *
 * The same handler serves a long chunked POST (streaming) and one short
 * POST per batch (for proxies that buffer request bodies): either way the
 * body is a sequence of frames, read as it arrives.
 *
 * nginx passes a chunked body with an empty CONTENT_LENGTH, so the body
 * is read to EOF, never by length.  libfcgi's FCGX_GetStr blocks until it
 * has all it was asked for, so the loop waits for one byte and then takes
 * what libfcgi already holds: frames are handled as they arrive, and a
 * client trickling bytes is caught by the frame timeout.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <fcgiapp.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "frame_reader.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "hracs.h"
#include "up_route.h"
#include "session.h"
#include "inbox.h"
#include "tunsrv.h"
#include "hreq.h"
#include "endpoints.h"

enum {
	UP_CHUNK = 16384,
	UP_PER_SESSION = 4, /* streaming, its successor, batches */
};

struct up {
	struct hreq *q;
	struct session *s;
	struct inbox *ib;
	uint32_t epoch;
	uint64_t frames;
	uint64_t refused;
	uint64_t now_ms; /* when this chunk came (up_route's counts) */
	bool inbox_held; /* this chunk has a frame for the loop thread */
	struct up_route_batch out; /* this chunk's frames that routes took */
};

/*
 * The inbox is locked only once a chunk has a frame for the loop
 * thread, and then till the chunk's end: a settled call's media, sent
 * from here (up_route.h), takes no lock that the workers of the other
 * HRACs wait on.  Lock order: the session, then the inbox.
 */
static void hold_inbox(struct up *u)
{
	if (u->inbox_held)
		return;
	inbox_lock(u->ib);
	u->inbox_held = true;
}

/* Per frame, with the session locked (and the inbox, once held) */
static int on_frame(const struct frame *f, void *arg)
{
	struct up *u = arg;
	const uint8_t *wire;
	size_t len;
	bool ping = f->type == FRAME_KEEPALIVE && (f->flags & FRAME_F_PING);
	bool carries = f->type != FRAME_KEEPALIVE || ping;

	wire = frame_wire(f, &len);
	u->frames++;

	/* a settled call's media goes out from here (up_route.h) */
	if (up_route_take(u->s, f, u->now_ms, &u->out)) {
		(void)chan_rx(&u->s->chan, f);
		return 0;
	}

	/* refuse before accepting: a reliable frame not acknowledged is
	 * resent by the HRAC once the loop thread has caught up */
	if (carries)
		hold_inbox(u);
	if (carries && !inbox_room(u->ib, u->s, len)) {
		inbox_count_refused(u->ib);
		u->refused++;
		return 0;
	}

	if (chan_rx(&u->s->chan, f) != CHAN_DELIVER || !carries)
		return 0; /* duplicate, ack only, or a PONG of ours */

	inbox_put(u->ib, u->s, wire, len);
	return 0;
}

/* Hand a chunk of body to the frame reader under the session lock */
static int feed(struct up *u, struct frame_reader *fr, const uint8_t *data,
                size_t n)
{
	struct session *s = u->s;
	int e;

	u->now_ms = mono_ms();
	/* payloads in @data stay put till the next read */
	u->out.lo = data;
	u->out.hi = data + n;
	pthread_mutex_lock(&s->lock);
	if (!session_current(s, u->epoch)) {
		e = ESTALE;
	} else {
		e = frame_reader_feed(fr, data, n, on_frame, u);
		s->bytes_up += n;
		/* the writer sends acks (and anything just queued) now */
		if (s->chan.ack_due)
			session_wake_writer(s);
	}
	up_route_hold(s, &u->out);
	pthread_mutex_unlock(&s->lock);
	if (u->inbox_held) {
		/* rings the loop thread's doorbell if a frame was put */
		u->inbox_held = false;
		inbox_unlock(u->ib);
	}
	up_route_send_batch(s, &u->out);

	return e;
}

static void refuse(struct up *u, int status, const char *code, const char *what,
                   uint64_t offset)
{
	log_warn("up stream of '%s' from %s refused after %llu frames: %s "
	         "(at byte %llu)",
	         u->s->id, u->q->peer, (unsigned long long)u->frames, what,
	         (unsigned long long)offset);
	hreq_error(u->q, status, code, NULL, "%s at byte %llu", what,
	           (unsigned long long)offset);
}

static void serve(struct up *u, struct frame_reader *fr)
{
	const struct tunsrv_conf *cfg = u->q->t->cfg;
	uint64_t pending_since = 0, pending_frames = 0, offset = 0;
	uint8_t buf[UP_CHUNK];
	char ok[64];
	int n, e;

	/* an HRAC sends keepalives; twice that silence is a dead client */
	ep_read_timeout(u->q, 2 * cfg->keepalive + 10);

	while ((n = hreq_read_some(u->q, buf, sizeof(buf))) > 0) {
		e = feed(u, fr, buf, (size_t)n);
		if (e == ESTALE) {
			log_info("up stream of '%s' from %s ended: session "
			         "re-opened or closed",
			         u->s->id, u->q->peer);
			hreq_error(u->q, 404, "unknown-session", NULL,
			           "session replaced or closed");
			return;
		}
		if (e == EMSGSIZE) {
			refuse(u, 413, "frame-too-large",
			       "frame payload over max-payload", fr->offset);
			return;
		}
		if (e) {
			refuse(u, 400, "bad-frame", frame_strerror(e),
			       fr->offset);
			return;
		}
		offset += (uint64_t)n;

		/* a frame must not trickle in: bound its time to complete */
		if (!frame_reader_pending(fr)) {
			pending_since = 0;
		} else if (!pending_since || fr->frames != pending_frames) {
			pending_since = mono_us();
			pending_frames = fr->frames;
		} else if (mono_us() - pending_since >
		           (uint64_t)cfg->frame_timeout * 1000000) {
			refuse(u, 408, "timeout",
			       "frame not completed within frame-timeout",
			       fr->offset);
			return;
		}
	}

	if (n == -EAGAIN || n == -EWOULDBLOCK) {
		log_info("up stream of '%s' from %s ended: no data for %u s",
		         u->s->id, u->q->peer, 2 * cfg->keepalive + 10);
		hreq_error(u->q, 408, "timeout", NULL, "no data in time");
		return;
	}
	if (n < 0) {
		log_debug("up stream of '%s' from %s ended: the client went "
		          "away",
		          u->s->id, u->q->peer);
		return;
	}
	if (frame_reader_pending(fr)) {
		refuse(u, 400, "truncated", "body ends inside a frame", offset);
		return;
	}

	if (u->refused)
		log_warn("up stream of '%s': %llu frames refused, the loop "
		         "thread is behind (inbox full)",
		         u->s->id, (unsigned long long)u->refused);

	n = snprintf(ok, sizeof(ok), "frames %llu\n",
	             (unsigned long long)u->frames);
	if (hreq_start(u->q, 200, "text/plain", n, NULL) == 0)
		hreq_write(u->q, ok, (size_t)n, true);
}

void ep_up(struct hreq *q)
{
	struct up u = { .q = q, .ib = q->t->inbox };
	struct frame_reader fr;
	bool busy;

	u.s = ep_session(q, &u.epoch);
	if (!u.s)
		return;

	/* the check and the count in one critical section: two POSTs at
	 * once must not both pass */
	pthread_mutex_lock(&u.s->lock);
	busy = u.s->up_active >= UP_PER_SESSION;
	if (!busy)
		u.s->up_active++;
	pthread_mutex_unlock(&u.s->lock);
	if (busy) {
		/* each holds a worker thread: one HRAC must not take them all
		 */
		log_warn("up from %s for '%s': %d up requests already open: "
		         "answered 429",
		         q->peer, u.s->id, UP_PER_SESSION);
		hreq_error(q, 429, "too-many", NULL,
		           "too many up requests open for this session");
		session_deref(u.s);
		return;
	}

	if (frame_reader_init(&fr, q->t->cfg->max_payload)) {
		hreq_error(q, 500, "internal", NULL, "out of memory");
		goto out;
	}
	log_debug("up %s of '%s' from %s",
	          hreq_query_is(q, "mode", "batch") ? "batch" : "stream",
	          u.s->id, q->peer);

	serve(&u, &fr);
	frame_reader_close(&fr);
out:
	pthread_mutex_lock(&u.s->lock);
	u.s->up_active--;
	pthread_mutex_unlock(&u.s->lock);
	session_deref(u.s);
}
