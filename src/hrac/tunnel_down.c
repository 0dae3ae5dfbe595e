/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file tunnel_down.c  Frames from HRAS: the down GET
 *
 * Streaming: HRAS writes a keepalive as soon as the response starts, so
 * a response whose headers arrive but whose first frame does not within
 * probe_ms is held back by something on the path: hrac switches to long
 * polls (each GET returns with its first batch).  A stream silent for two
 * keepalive intervals is dead and is replaced.  Shortly before HRAS ends
 * a stream (down-max), the next one is opened (make before break).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <re.h>
#include "frame.h"
#include "frame_reader.h"
#include "chan.h"
#include "log.h"
#include "secret.h"
#include "mono.h"
#include "curl_loop.h"
#include "tunnel.h"
#include "tunnel_priv.h"

enum {
	WATCH_MS = 250,
	SLACK_US = 5000000,
};

static int down_frame(const struct frame *f, void *arg)
{
	struct xfer *x = arg;

	x->got_frame = true;
	tunnel_rx(x->t, f);
	return 0;
}

static void verified(struct tunnel *t, struct xfer *x)
{
	if (t->r_down.fails)
		log_info("down: %s again after %u failed attempts (%llu ms)",
		         x->kind == X_POLL ? "polling" : "streaming",
		         t->r_down.fails,
		         (unsigned long long)(mono_us() - t->r_down.since) /
		             1000);
	tunnel_proven(t, &t->r_down);
	if (t->down_verified)
		return;
	t->down_verified = true;
	t->lost = 0;
	if (x->kind == X_POLL)
		tunnel_event(t, TUNNEL_DOWN_MODE, "long polling%s%s%s",
		             t->down_why[0] ? " (" : "", t->down_why,
		             t->down_why[0] ? ")" : "");
	else
		tunnel_event(t, TUNNEL_DOWN_MODE,
		             "streaming (first frame after %llu ms)",
		             (unsigned long long)(mono_us() - x->started) /
		                 1000);
	log_info("down: %s works",
	         x->kind == X_POLL ? "long polling" : "streaming");
	if (t->up_verified)
		tunnel_event(t, TUNNEL_PATH_OK, "both directions carry frames");
}

static size_t down_write(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	struct tunnel *t = x->t;
	size_t len = size * n;
	bool first = !x->got_frame;
	int e;

	if (x->status != 200)
		return xfer_body_cb(buf, size, n, arg);

	x->last_rx = t->last_rx = mono_us();
	t->st.bytes_down += len;
	t->st.down_reads++;
	e = frame_reader_feed(&x->fr, (const uint8_t *)buf, len, down_frame, x);
	if (t->batch_endh)
		t->batch_endh(t->arg);
	if (e) {
		x->rx_err = e;
		return 0; /* aborts the transfer */
	}
	if (first && x->got_frame)
		verified(t, x);
	return len;
}

static void retry_fire(void *arg)
{
	tunnel_down_start(arg);
}

/* @started: when the failed request began (0: it never did) */
static void retry_later(struct tunnel *t, const char *why, uint64_t started,
                        bool transient)
{
	if (tunnel_failed(t, "down", why))
		tmr_start(&t->tmr_down_retry,
		          tunnel_retry_in(t, &t->r_down, started, transient),
		          retry_fire, t);
}

static void down_done(struct curl_job *job, CURLcode res)
{
	struct xfer *x = job->arg;
	struct tunnel *t = x->t;
	uint64_t started;
	bool transient;
	char why[512];

	if (x == t->down_old) {
		t->down_old = NULL;
		xfer_free(x);
		return;
	}
	t->down_x = NULL;
	tmr_cancel(&t->tmr_down);
	tmr_cancel(&t->tmr_rotate_down);

	if (x->rx_err) {
		snprintf(why, sizeof(why),
		         "%s from HRAS at byte %llu: is something on the path "
		         "rewriting responses?",
		         frame_strerror(x->rx_err),
		         (unsigned long long)x->fr.offset);
		xfer_free(x);
		retry_later(t, why, 0, false);
		return;
	}
	if (xfer_is_session_gone(x)) {
		xfer_free(x);
		tunnel_lost_session(t, "HRAS answered unknown-session");
		return;
	}
	if (res == CURLE_OK && x->status == 200) {
		/* a poll answered, or a stream HRAS ended: go on at once */
		if (frame_reader_pending(&x->fr))
			log_warn("down: response ended inside a frame");
		xfer_free(x);
		tunnel_down_start(t);
		return;
	}

	xfer_describe(x, res, why, sizeof(why));
	started = x->started;
	transient = xfer_transient(x, res);
	xfer_free(x);
	retry_later(t, why, started, transient);
}

/* Leave the current GET for one of the other mode; its verdict is due */
static void down_switch(struct tunnel *t, bool poll, const char *why)
{
	t->down_poll = poll;
	t->down_verified = false;
	snprintf(t->down_why, sizeof(t->down_why), "%s", why);
	if (t->down_x) {
		xfer_free(t->down_x);
		t->down_x = NULL;
	}
	tmr_cancel(&t->tmr_down);
	tmr_cancel(&t->tmr_rotate_down);
	tmr_cancel(&t->tmr_down_retry);
	tunnel_down_start(t);
}

void tunnel_down_use_poll(struct tunnel *t, const char *why)
{
	log_warn("down: %s: switching to long polling", why);
	down_switch(t, true, why);
	tunnel_reprobe_arm(t);
}

/* After a fallback (--reprobe): the path may stream by now */
void tunnel_down_use_stream(struct tunnel *t)
{
	log_info("down: trying streaming again");
	down_switch(t, false, "");
}

static void watch(void *arg)
{
	struct tunnel *t = arg;
	struct xfer *x = t->down_x;
	uint64_t now = mono_us(), ka = (uint64_t)t->p.keepalive * 1000000;
	uint64_t probe = (uint64_t)t->conf.probe_ms * 1000;
	char why[256];

	if (!x)
		return;
	tmr_start(&t->tmr_down, WATCH_MS, watch, t);

	if (x->kind == X_POLL) {
		if (now - x->started <=
		    (uint64_t)t->p.poll_hold * 1000000 + ka + SLACK_US)
			return;
		snprintf(why, sizeof(why), "a long poll got no answer in %u s",
		         t->p.poll_hold + t->p.keepalive + 5);
	} else if (!x->got_frame) {
		/* headers take what the open took (two round trips, maybe a
		 * CONNECT and a TLS handshake); a path holding them longer
		 * holds the whole response */
		uint64_t hdr_max = probe + 2 * t->open_took;
		bool hdr_late = !x->headers_done && now - x->started > hdr_max;
		bool frame_late = x->headers_done && now - x->hdr_at > probe;

		if (!hdr_late && !frame_late)
			return;
		snprintf(why, sizeof(why),
		         frame_late ? "no frame within %u ms of the response "
		                      "headers: the path buffers responses"
		                    : "no response within %u ms: the path may "
		                      "buffer responses",
		         frame_late ? t->conf.probe_ms
		                    : (unsigned)(hdr_max / 1000));
		if (t->conf.down_pref == TUNNEL_AUTO && !t->down_poll) {
			tunnel_down_use_poll(t, why);
			return;
		}
	} else {
		if (now - x->last_rx <= 2 * ka + SLACK_US)
			return;
		snprintf(why, sizeof(why),
		         "no data for %u s (keepalives missing): the path is "
		         "down",
		         2 * t->p.keepalive + 5);
	}

	tmr_cancel(&t->tmr_down);
	t->down_x = NULL;
	xfer_free(x);
	retry_later(t, why, 0, true);
}

/*
 * A new GET beside the current one, which is let go on until HRAS ends
 * it (a newer GET supersedes it there) or the next renewal frees it: so
 * at most two at a time
 */
void tunnel_down_renew(struct tunnel *t)
{
	struct xfer *old = t->down_x;

	if (old) {
		old->retiring = true;
		xfer_retire(&t->down_x, &t->down_old);
		tmr_cancel(&t->tmr_down);
		tmr_cancel(&t->tmr_rotate_down);
	}
	tmr_cancel(&t->tmr_down_retry);
	tunnel_down_start(t);
}

/* Open the next stream before HRAS ends this one */
static void rotate(void *arg)
{
	struct tunnel *t = arg;
	struct xfer *old = t->down_x;

	if (!old || old->kind != X_DOWN || !old->got_frame)
		return;
	log_debug("down: renewing the stream");
	tunnel_down_renew(t);
}

void tunnel_down_start(struct tunnel *t)
{
	enum xfer_kind kind = t->down_poll ? X_POLL : X_DOWN;
	struct xfer *x;
	uint32_t margin;

	if (t->down_x || !t->open || t->stopped)
		return;

	/* a first poll is answered at once: it proves the path */
	x = xfer_new(t, kind,
	             kind == X_POLL && !t->down_verified ? "down?probe=1"
	                                                 : "down",
	             down_done);
	if (!x || frame_reader_init(&x->fr, t->p.max_payload)) {
		xfer_free(x);
		retry_later(t, "out of memory", 0, false);
		return;
	}
	curl_easy_setopt(x->job.easy, CURLOPT_WRITEFUNCTION, down_write);
	curl_easy_setopt(x->job.easy, CURLOPT_WRITEDATA, x);

	t->down_x = x;
	if (xfer_run(x)) {
		t->down_x = NULL;
		xfer_free(x);
		retry_later(t, "cannot start the request", 0, false);
		return;
	}
	kind == X_POLL ? t->st.polls++ : t->st.down_streams++;
	tmr_start(&t->tmr_down, WATCH_MS, watch, t);

	if (kind == X_DOWN) {
		margin = min(10u, t->p.down_max / 10);
		tmr_start(&t->tmr_rotate_down,
		          (uint64_t)(t->p.down_max - margin) * 1000, rotate, t);
	}
}

void tunnel_down_stop(struct tunnel *t)
{
	tmr_cancel(&t->tmr_down);
	tmr_cancel(&t->tmr_down_retry);
	tmr_cancel(&t->tmr_rotate_down);
	xfer_free(t->down_x);
	xfer_free(t->down_old);
	t->down_x = t->down_old = NULL;
}
