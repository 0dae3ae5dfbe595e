/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file tunnel_up.c  Frames to HRAS: the up POST
 *
 * Streaming: one chunked POST whose read callback drains the channel and
 * pauses when it is empty; new frames unpause it.  When its body starts,
 * a PING probe goes up, and another each quarter of probe_ms: if no PONG
 * comes back down within probe_ms (while the down direction works), the
 * path holds request bodies back, and hrac switches to one POST per
 * batch, one in flight.
 * Keepalives go up after every idle keepalive interval.
 *
 * Frames are sent a loop iteration at a time: a frame queued only arms
 * a zero timer (tunnel_up_kick), which libre runs after the handlers of
 * every socket that was readable in this wake-up (re_main: fd_poll, then
 * tmr_poll), so the packets of all calls read in one wake-up leave in one
 * write (one HTTP chunk, one TLS record), and a lone packet leaves at
 * once.  With --coalesce-us, a busy link's frames also wait up to that
 * long after the previous write for others to share the next one
 * (coalesce.h): the read callback pauses the POST and a timer resumes
 * it.  Batch POSTs need no window: one in flight at a time already
 * gathers what arrives meanwhile.
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
#include "coalesce.h"

static const char probe_magic[] = "\0sofw-probe";

enum {
	/* PINGs per probe_ms: each is media, which ages out (media-max-age)
	 * or may be dropped on a busy path, so one lost is no verdict */
	PROBE_PINGS = 4,
};

static void batch_send(struct tunnel *t);
static void probe_body_starts(struct tunnel *t);

static void retry_fire(void *arg)
{
	struct tunnel *t = arg;

	if (t->up_batch)
		batch_send(t);
	else
		tunnel_up_start(t);
}

/* @started: when the failed request began (0: it never did) */
static void retry_later(struct tunnel *t, const char *why, uint64_t started,
                        bool transient)
{
	if (tunnel_failed(t, "up", why))
		tmr_start(&t->tmr_up_retry,
		          tunnel_retry_in(t, &t->r_up, started, transient),
		          retry_fire, t);
}

/* Frames went up and HRAS has them (an ack, a PONG, a batch answered) */
void tunnel_up_proven(struct tunnel *t)
{
	if (t->r_up.fails)
		log_info("up: sending again after %u failed attempts (%llu "
		         "ms)",
		         t->r_up.fails,
		         (unsigned long long)(mono_us() - t->r_up.since) /
		             1000);
	tunnel_proven(t, &t->r_up);
}

/* Fill @buf from the channel; keepalive when the interval passed */
static size_t take_frames(struct tunnel *t, uint8_t *buf, size_t size)
{
	uint64_t now = mono_us();
	size_t n = chan_fill(&t->chan, buf, size, now, t->ka_due);

	if (n) {
		t->ka_due = false;
		t->last_up_tx = now;
		tunnel_rto_arm(t);
	}
	return n;
}

/* The phones' packets wait in their sockets till the window ends */
static void source_hold(struct tunnel *t)
{
	if (t->src_held || !t->src.hold)
		return;
	t->src.hold(t->src.arg);
	t->src_held = true;
}

/* The link wrote less than the window ago: hold what is queued until
 * the window has passed (the timer wakes the POST) */
static bool hold_for_window(struct tunnel *t)
{
	uint64_t wait;

	if (!t->co)
		return false;
	if (coalesce_armed(t->co))
		return true;
	wait = coalesce_wait(t->last_up_tx, mono_us(), t->conf.coalesce_us);
	if (!wait || coalesce_arm(t->co, wait))
		return false;
	source_hold(t);
	return true;
}

void tunnel_source_release(struct tunnel *t)
{
	if (!t->src_held)
		return;
	t->src_held = false;
	t->src.release(t->src.arg);
}

/* The window since the last write has passed: what the phones sent
 * meanwhile joins what waits, in one write.  While each window's end has
 * something to write, the next one reads the phones too (the link is
 * busy: the loop is woken once a window, not once a packet); one with
 * nothing lets a phone's packet wake the loop again (the link is idle) */
void tunnel_up_window_end(void *arg)
{
	struct tunnel *t = arg;
	bool busy;

	if (t->src_held)
		t->src.drain(t->src.arg);
	busy = chan_pending(&t->chan);
	tunnel_up_wake(t);
	if (!busy || !t->src_held || !t->open || t->stopped || t->up_batch ||
	    !t->up_x) {
		tunnel_source_release(t);
		return;
	}
	/* a window already holds the link (the write armed it): its end
	 * reads the ports */
	if (coalesce_armed(t->co))
		return;
	if (coalesce_arm(t->co, t->conf.coalesce_us))
		tunnel_source_release(t);
}

static size_t up_read(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	struct tunnel *t = x->t;
	size_t take;

	if (x->out_off == x->out_len) {
		if (x->draining)
			return 0; /* the end of this POST's body */
		probe_body_starts(t);
		if ((chan_pending(&t->chan) || t->ka_due) &&
		    hold_for_window(t)) {
			x->paused = true;
			return CURL_READFUNC_PAUSE;
		}
		x->out_len = take_frames(t, x->out, t->buf_size);
		x->out_off = 0;
		if (!x->out_len) {
			x->paused = true;
			return CURL_READFUNC_PAUSE;
		}
	}

	take = min(size * n, x->out_len - x->out_off);
	memcpy(buf, x->out + x->out_off, take);
	x->out_off += take;
	t->st.bytes_up += take;
	t->st.up_writes++;
	return take;
}

/* After a 407 curl starts the body again: so do we, unacked frames and
 * all (HRAS drops what it has seen) */
static int up_seek(void *arg, curl_off_t offset, int origin)
{
	struct xfer *x = arg;

	if (offset != 0 || origin != SEEK_SET)
		return CURL_SEEKFUNC_CANTSEEK;
	chan_rewind(&x->t->chan);
	x->out_len = x->out_off = 0;
	return CURL_SEEKFUNC_OK;
}

/* Leave the current POST(s) for the other mode; its verdict is due (what
 * they carried unacknowledged is sent again) */
static void up_switch(struct tunnel *t, bool batch, const char *why)
{
	t->up_batch = batch;
	t->up_verified = false;
	snprintf(t->up_why, sizeof(t->up_why), "%s", why);
	tmr_cancel(&t->tmr_rotate_up);
	tmr_cancel(&t->tmr_up_retry);
	if (t->up_x) {
		xfer_free(t->up_x);
		t->up_x = NULL;
	}
	if (t->batch_x) {
		xfer_free(t->batch_x);
		t->batch_x = NULL;
	}
	tunnel_up_start(t);
}

static void up_use_batch(struct tunnel *t, const char *why)
{
	log_warn("up: %s: switching to one POST per batch", why);
	up_switch(t, true, why);
	tunnel_reprobe_arm(t);
}

/* After a fallback (--reprobe): the path may stream by now */
void tunnel_up_use_stream(struct tunnel *t)
{
	log_info("up: trying streaming again");
	up_switch(t, false, "");
}

static void up_done(struct curl_job *job, CURLcode res)
{
	struct xfer *x = job->arg;
	struct tunnel *t = x->t;
	long status = x->status;
	uint64_t started;
	bool transient;
	char why[512];

	if (x == t->up_old) {
		t->up_old = NULL;
		xfer_free(x);
		return;
	}
	t->up_x = NULL;
	tmr_cancel(&t->tmr_rotate_up);

	if (xfer_is_session_gone(x)) {
		xfer_free(x);
		tunnel_lost_session(t, "HRAS answered unknown-session");
		return;
	}
	if (res == CURLE_OK &&
	    (status == 411 || status == 413 || status == 417) &&
	    !x->sofw_error[0] && t->conf.up_pref == TUNNEL_AUTO) {
		snprintf(why, sizeof(why),
		         "the path refuses streamed request bodies (HTTP %ld)",
		         status);
		xfer_free(x);
		up_use_batch(t, why);
		return;
	}
	if (res == CURLE_OK && status == 200) {
		xfer_free(x);
		tunnel_up_start(t);
		return;
	}

	xfer_describe(x, res, why, sizeof(why));
	started = x->started;
	transient = xfer_transient(x, res);
	xfer_free(x);
	retry_later(t, why, started, transient);
}

/*
 * A new POST beside the current one, which ends once its bytes are out
 * (or the next renewal frees it: at most two at a time); a batch in
 * flight is let go and what it carried goes again (HRAS drops what it
 * has seen)
 */
void tunnel_up_renew(struct tunnel *t)
{
	struct xfer *old = t->up_x;

	tmr_cancel(&t->tmr_up_retry);
	if (t->batch_x) {
		xfer_free(t->batch_x);
		t->batch_x = NULL;
	}
	if (old) {
		old->draining = true;
		xfer_retire(&t->up_x, &t->up_old);
		tmr_cancel(&t->tmr_rotate_up);
		if (old->paused) {
			old->paused = false;
			curl_easy_pause(old->job.easy, CURLPAUSE_CONT);
		}
	}
	tunnel_up_start(t);
}

/* Open the next POST and let this one end once its bytes are out */
static void rotate(void *arg)
{
	struct tunnel *t = arg;

	if (!t->up_x)
		return;
	log_debug("up: renewing the stream");
	tunnel_up_renew(t);
}

/* One probe PING, queued now (media: it goes up with the next write) */
static void ping_push(struct tunnel *t)
{
	uint8_t payload[sizeof(probe_magic) + 16];
	struct frame f;
	int n;

	memcpy(payload, probe_magic, sizeof(probe_magic) - 1);
	n = snprintf((char *)payload + sizeof(probe_magic) - 1, 16, ":%u",
	             ++t->probe_seq);
	memset(&f, 0, sizeof(f));
	f.type = FRAME_KEEPALIVE;
	f.flags = FRAME_F_PING;
	f.payload = payload;
	f.len = sizeof(probe_magic) - 1 + (size_t)n;

	chan_push_media(&t->chan, &f, mono_us());
}

static uint64_t ping_every(const struct tunnel *t)
{
	return max(t->conf.probe_ms / PROBE_PINGS, 1u);
}

/* Until the PONG: a PING every probe_ms / PROBE_PINGS, the verdict after
 * probe_ms without an answer (and while the way back works) */
static void probe_fire(void *arg)
{
	struct tunnel *t = arg;
	uint64_t now = mono_us();
	char why[160];

	if (t->up_verified || !t->open)
		return;
	/* no verdict while the way back is itself unproven */
	if (!t->down_verified)
		t->probe_clock = now;
	if (now - t->probe_clock < (uint64_t)t->conf.probe_ms * 1000) {
		ping_push(t);
		tunnel_up_kick(t);
		tmr_start(&t->tmr_up_probe, ping_every(t), probe_fire, t);
		return;
	}
	snprintf(why, sizeof(why),
	         "no answer to the up probe within %u ms although the down "
	         "direction works: the path buffers request bodies",
	         t->conf.probe_ms);
	if (!t->up_batch && t->conf.up_pref == TUNNEL_AUTO) {
		up_use_batch(t, why);
		return;
	}
	tunnel_failed(t, "up", why);
}

/*
 * The probe of a new request's mode begins.  Its first PING is queued
 * when the request's body starts (up_read, batch_send): queued before, it
 * could age out (media-max-age) while the request connects, through a
 * proxy and TLS, and the path would be judged to buffer.
 */
static void probe_start(struct tunnel *t)
{
	t->probe_sent = t->probe_clock = mono_us();
	t->probe_first = t->probe_seq + 1;
	t->probe_pinged = false;
	tmr_start(&t->tmr_up_probe, ping_every(t), probe_fire, t);
}

/* The body of a request under probe starts: its first PING goes now */
static void probe_body_starts(struct tunnel *t)
{
	if (t->up_verified || t->probe_pinged)
		return;
	t->probe_pinged = true;
	ping_push(t);
}

/* The PING a PONG answers: not one of an earlier probe's (a request of
 * the mode left may still deliver), nor a PING of another kind */
static bool answers_probe(const struct tunnel *t, const struct frame *pong)
{
	size_t m = sizeof(probe_magic) - 1;
	char seq[16];
	size_t n;

	if (pong->len <= m || pong->payload[m] != ':')
		return false;
	n = min(pong->len - m - 1, sizeof(seq) - 1);
	memcpy(seq, pong->payload + m + 1, n);
	seq[n] = '\0';
	return strtoul(seq, NULL, 10) >= t->probe_first;
}

void tunnel_up_probe_answered(struct tunnel *t, const struct frame *pong)
{
	tunnel_up_proven(t);
	if (t->up_verified || !answers_probe(t, pong))
		return;
	t->up_verified = true;
	tmr_cancel(&t->tmr_up_probe);
	if (t->up_batch && t->up_why[0])
		tunnel_event(t, TUNNEL_UP_MODE, "batch POSTs (%s)", t->up_why);
	else
		tunnel_event(
		    t, TUNNEL_UP_MODE, "%s (probe answered in %llu ms)",
		    t->up_batch ? "batch POSTs" : "streaming",
		    (unsigned long long)(mono_us() - t->probe_sent) / 1000);
	log_info("up: %s works", t->up_batch ? "batch POST" : "streaming");
	if (t->down_verified)
		tunnel_event(t, TUNNEL_PATH_OK, "both directions carry frames");
}

static void batch_done(struct curl_job *job, CURLcode res)
{
	struct xfer *x = job->arg;
	struct tunnel *t = x->t;
	uint64_t started;
	bool transient;
	char why[512];

	t->batch_x = NULL;

	if (xfer_is_session_gone(x)) {
		xfer_free(x);
		tunnel_lost_session(t, "HRAS answered unknown-session");
		return;
	}
	if (res == CURLE_OK && x->status == 200) {
		xfer_free(x);
		tunnel_up_proven(t);
		batch_send(t);
		return;
	}

	/* what this batch carried may be lost: send it again */
	chan_rewind(&t->chan);
	xfer_describe(x, res, why, sizeof(why));
	started = x->started;
	transient = xfer_transient(x, res);
	xfer_free(x);
	retry_later(t, why, started, transient);
}

/* One POST with everything queued; one in flight at a time */
static void batch_send(struct tunnel *t)
{
	struct xfer *x;
	size_t n;

	if (t->batch_x || !t->open || t->stopped ||
	    tmr_isrunning(&t->tmr_up_retry))
		return;
	probe_body_starts(t);
	if (!chan_pending(&t->chan) && !t->ka_due)
		return;

	n = take_frames(t, t->batch_buf, t->buf_size);
	if (!n)
		return;

	x = xfer_new(t, X_BATCH, "up", batch_done);
	if (!x) {
		chan_rewind(&t->chan);
		retry_later(t, "out of memory", 0, false);
		return;
	}
	curl_easy_setopt(x->job.easy, CURLOPT_POSTFIELDSIZE, (long)n);
	curl_easy_setopt(x->job.easy, CURLOPT_COPYPOSTFIELDS, t->batch_buf);
	t->batch_x = x;
	if (xfer_run(x)) {
		t->batch_x = NULL;
		xfer_free(x);
		chan_rewind(&t->chan);
		retry_later(t, "cannot start the request", 0, false);
		return;
	}
	t->st.batches++;
	t->st.up_writes++;
}

void tunnel_up_start(struct tunnel *t)
{
	struct xfer *x;
	uint32_t margin;

	if (!t->open || t->stopped)
		return;

	/* whatever the last request carried may be lost: send it again */
	chan_rewind(&t->chan);

	if (!t->up_verified)
		probe_start(t);

	if (t->up_batch) {
		batch_send(t);
		return;
	}
	if (t->up_x)
		return;

	x = xfer_new(t, X_UP, "up", up_done);
	if (x)
		x->out = malloc(t->buf_size);
	if (!x || !x->out) {
		xfer_free(x);
		retry_later(t, "out of memory", 0, false);
		return;
	}
	curl_easy_setopt(x->job.easy, CURLOPT_POST, 1L);
	curl_easy_setopt(x->job.easy, CURLOPT_READFUNCTION, up_read);
	curl_easy_setopt(x->job.easy, CURLOPT_READDATA, x);
	curl_easy_setopt(x->job.easy, CURLOPT_SEEKFUNCTION, up_seek);
	curl_easy_setopt(x->job.easy, CURLOPT_SEEKDATA, x);

	t->up_x = x;
	if (xfer_run(x)) {
		t->up_x = NULL;
		xfer_free(x);
		retry_later(t, "cannot start the request", 0, false);
		return;
	}
	t->st.up_streams++;

	margin = min(10u, t->p.down_max / 10);
	tmr_start(&t->tmr_rotate_up, (uint64_t)(t->p.down_max - margin) * 1000,
	          rotate, t);
}

void tunnel_up_stop(struct tunnel *t)
{
	tmr_cancel(&t->tmr_up_retry);
	tmr_cancel(&t->tmr_rotate_up);
	tmr_cancel(&t->tmr_up_probe);
	xfer_free(t->up_x);
	xfer_free(t->up_old);
	xfer_free(t->batch_x);
	t->up_x = t->up_old = t->batch_x = NULL;
}

static void kick_fire(void *arg)
{
	struct tunnel *t = arg;

	if (!t->open || t->stopped)
		return;
	if (!t->up_batch && t->up_x && t->up_x->paused && hold_for_window(t))
		return; /* the window's timer wakes the POST */
	tunnel_up_wake(t);
}

/* There is something to send: wake the POST (or start a batch) once the
 * loop has read every socket of this wake-up, or, with --coalesce-us, when
 * the window since the last write has passed */
void tunnel_up_kick(struct tunnel *t)
{
	if (!t->open || t->stopped || tmr_isrunning(&t->tmr_kick))
		return;
	tmr_start(&t->tmr_kick, 0, kick_fire, t);
}

/* Wake the POST (or start a batch) now */
void tunnel_up_wake(void *arg)
{
	struct tunnel *t = arg;

	if (!t->open || t->stopped)
		return;
	if (curl_loop_busy(t->cl)) {
		/* inside a curl callback: curl must not be re-entered */
		tunnel_up_kick(t);
		return;
	}
	if (t->up_batch) {
		batch_send(t);
		return;
	}
	if (t->up_x && t->up_x->paused) {
		t->up_x->paused = false;
		curl_loop_resume_send(t->cl, t->up_x->job.easy);
	}
}

static void ka_fire(void *arg)
{
	struct tunnel *t = arg;
	uint64_t ka = (uint64_t)t->p.keepalive * 1000000, now = mono_us();

	if (now - t->last_up_tx >= ka) {
		t->ka_due = true;
		tunnel_up_kick(t);
		tmr_start(&t->tmr_ka, t->p.keepalive * 1000, ka_fire, t);
		return;
	}
	tmr_start(&t->tmr_ka, (ka - (now - t->last_up_tx)) / 1000 + 1, ka_fire,
	          t);
}

void tunnel_up_keepalive_start(struct tunnel *t)
{
	t->last_up_tx = mono_us();
	tmr_start(&t->tmr_ka, t->p.keepalive * 1000, ka_fire, t);
}
