/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file tunnel.c  The HRAC end of the HTTP tunnel: lifecycle
 *
 * States: no session (open in progress or backing off), or a session with
 * a down request and an up request (or batches) each restarted on its own
 * when it fails.  A 404 unknown-session from HRAS sends everything back to
 * open; the channel (chan.h) survives it all, so queued signalling is
 * delivered in the next session.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
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
#include "httpproxy.h"
#include "coalesce.h"

enum {
	BACKOFF_BASE_MS = 500,
	RETRY_MIN_MS = 100,
	RETRY_FRACTION = 10,
	REPROBE_QUIET_MS = 5000, /* no data this long: no call to disturb */
};

/* a request that lived this long had the path working */
#define RETRY_PROVEN_US (2 * 1000000ull)

void tunnel_event(struct tunnel *t, enum tunnel_event ev, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (t->eventh)
		t->eventh(ev, msg, t->arg);
}

/* Jittered exponential backoff: fails 1, 2, 3.. wait about 0.5, 1, 2.. s */
uint32_t tunnel_backoff(const struct tunnel *t, unsigned fails)
{
	uint64_t d = BACKOFF_BASE_MS;
	uint32_t r = 0;

	if (fails == 0)
		return 0;
	while (--fails && d < t->conf.backoff_max_ms)
		d *= 2;
	if (d > t->conf.backoff_max_ms)
		d = t->conf.backoff_max_ms;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = 0;
	return (uint32_t)(d / 2 + r % (d / 2 + 1));
}

/* The path and the server as shown: URLs' passwords hidden */
static void set_path(struct tunnel *t)
{
	const struct tunnel_conf *c = &t->conf;
	bool tls = !strncmp(c->server, "https:", 6);
	char proxy[sizeof(t->path)];

	httpproxy_redact(c->server, t->server_shown, sizeof(t->server_shown));
	httpproxy_redact(c->proxy, proxy, sizeof(proxy));
	if (!c->proxy || !*c->proxy)
		snprintf(t->path, sizeof(t->path), "direct%s",
		         tls ? " (TLS)" : "");
	else if (tls || c->proxy_tunnel)
		snprintf(t->path, sizeof(t->path), "CONNECT through %.100s%s",
		         proxy, tls ? " (TLS)" : "");
	else
		snprintf(t->path, sizeof(t->path), "plain HTTP proxy %.100s",
		         proxy);
}

int tunnel_alloc(struct tunnel **tp, const struct tunnel_conf *conf,
                 struct curl_loop *cl, tunnel_frame_h *frameh,
                 tunnel_event_h *eventh, void *arg)
{
	struct tunnel *t;
	int e;

	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->conf = *conf;
	if (!t->conf.backoff_max_ms)
		t->conf.backoff_max_ms = 30000;
	if (!t->conf.probe_ms)
		t->conf.probe_ms = 2000;
	t->cl = cl;
	t->frameh = frameh;
	t->eventh = eventh;
	t->arg = arg;
	t->proxy_auth = conf->proxy_auth;
	t->down_poll = conf->down_pref == TUNNEL_FALLBACK;
	t->up_batch = conf->up_pref == TUNNEL_FALLBACK;

	e = chan_init(&t->chan, &conf->lim);
	if (!e)
		e = secret_random_hex(t->instance,
		                      (sizeof(t->instance) - 1) / 2);
	if (e) {
		free(t);
		return e;
	}
	t->buf_size = max((size_t)TUNNEL_BUF_MIN, chan_fill_min(&t->chan));
	t->batch_buf = malloc(t->buf_size);
	if (t->conf.coalesce_us > COALESCE_MAX_US)
		t->conf.coalesce_us = COALESCE_MAX_US;
	if (t->conf.probe) /* --diagnose times every frame: none may wait */
		t->conf.coalesce_us = 0;
	e = t->batch_buf ? 0 : ENOMEM;
	if (!e && t->conf.coalesce_us)
		e = coalesce_alloc(&t->co, tunnel_up_window_end, t);
	if (e) {
		free(t->batch_buf);
		chan_close(&t->chan);
		free(t);
		return e;
	}

	tmr_init(&t->tmr_open);
	tmr_init(&t->tmr_down);
	tmr_init(&t->tmr_down_retry);
	tmr_init(&t->tmr_rotate_down);
	tmr_init(&t->tmr_up_retry);
	tmr_init(&t->tmr_rotate_up);
	tmr_init(&t->tmr_up_probe);
	tmr_init(&t->tmr_ka);
	tmr_init(&t->tmr_rto);
	tmr_init(&t->tmr_kick);
	tmr_init(&t->tmr_reprobe);
	tmr_init(&t->tmr_stall);
	set_path(t);

	*tp = t;
	return 0;
}

static void stop_streams(struct tunnel *t)
{
	tunnel_down_stop(t);
	tunnel_up_stop(t);
	tmr_cancel(&t->tmr_ka);
	tmr_cancel(&t->tmr_rto);
	tmr_cancel(&t->tmr_kick);
	tmr_cancel(&t->tmr_stall);
	coalesce_cancel(t->co);
	tunnel_source_release(t);
}

void tunnel_free(struct tunnel *t)
{
	if (!t)
		return;
	stop_streams(t);
	tmr_cancel(&t->tmr_open);
	tmr_cancel(&t->tmr_reprobe);
	xfer_free(t->open_x);
	xfer_free(t->close_x);
	chan_close(&t->chan);
	coalesce_free(t->co);
	free(t->batch_buf);
	explicit_bzero(&t->p, sizeof(t->p));
	free(t);
}

void tunnel_set_source(struct tunnel *t, const struct tunnel_source *src)
{
	tunnel_source_release(t);
	t->src = *src;
}

/* @h is called after the frames of one read from HRAS were handed over,
 * so that what they asked for can leave together */
void tunnel_set_batch_end(struct tunnel *t, tunnel_batch_end_h *h)
{
	t->batch_endh = h;
}

int tunnel_start(struct tunnel *t)
{
	t->stopped = false;
	t->started = mono_us();
	log_info("tunnel to %s: %s", t->server_shown, t->path);
	tunnel_open_start(t, NULL);
	return 0;
}

/**
 * A reload changed the path, the server or the identity: the streams
 * and any open in progress end, the tunnel takes @conf's path, server
 * and identity (its limits and modes stay), and opens again at once.
 * With the same server and identity the session is resumed, as after a
 * proxy's restart, so nothing queued is lost and calls' media goes on;
 * otherwise a new session is opened (the old one expires at HRAS).
 */
void tunnel_reconf(struct tunnel *t, const struct tunnel_conf *conf)
{
	struct tunnel_conf *c = &t->conf;
	bool same = !strcmp(c->server, conf->server) &&
	            !strcmp(c->id, conf->id) &&
	            !strcmp(c->secret, conf->secret);

	stop_streams(t);
	tmr_cancel(&t->tmr_open);
	xfer_free(t->open_x);
	t->open_x = NULL;
	t->open = false;
	t->down_verified = t->up_verified = false;

	c->server = conf->server;
	c->proxy = conf->proxy;
	c->proxy_user = conf->proxy_user;
	c->proxy_auth = conf->proxy_auth;
	c->proxy_tunnel = conf->proxy_tunnel;
	c->cacert = conf->cacert;
	c->insecure = conf->insecure;
	c->id = conf->id;
	c->secret = conf->secret;
	c->takeover = conf->takeover;
	t->proxy_auth = conf->proxy_auth;
	if (!same)
		explicit_bzero(&t->p, sizeof(t->p)); /* nothing to resume */
	memset(&t->r_open, 0, sizeof(t->r_open));
	t->last_error[0] = '\0';
	set_path(t);

	if (t->stopped)
		return;
	log_info("tunnel to %s: %s (%s)", t->server_shown, t->path,
	         same ? "the session resumed" : "a new session");
	tunnel_open_start(t, NULL);
}

/**
 * Something failed: say so once, and tell the caller whether to try
 * again (not with conf.once, nor once stopped)
 */
bool tunnel_failed(struct tunnel *t, const char *what, const char *why)
{
	bool repeat = !strcmp(t->last_error, why);

	if (repeat)
		log_debug("%s: %s", what, why);
	else
		log_warn("%s: %s", what, why);
	snprintf(t->last_error, sizeof(t->last_error), "%s", why);
	tunnel_event(t, TUNNEL_ERROR, "%s", why);

	if (t->conf.once || t->stopped) {
		stop_streams(t);
		t->stopped = true;
		return false;
	}
	return true;
}

/**
 * How long to wait before trying a request again after it failed
 *
 * When the path itself is gone (a proxy or nginx restarting, HRAS not
 * answering: @transient), a try costs one refused connection or one
 * error page, and every moment waited is a moment of silence in a call:
 * hrac tries again after about a tenth of the outage so far, at least
 * RETRY_MIN_MS, at most backoff-max, jittered so that many HRACs do not
 * come back in step.  The first usable moment is caught within about
 * 10 % of the outage.  Anything else (credentials or a certificate
 * refused, a path that rewrites frames) will not mend by itself: the
 * exponential backoff.  A request that had lived RETRY_PROVEN_US starts
 * a new run of failures.
 *
 * @param started When the failed request was started (us)
 */
uint32_t tunnel_retry_in(const struct tunnel *t, struct retry *r,
                         uint64_t started, bool transient)
{
	uint64_t now = mono_us(), wait;
	uint32_t rnd = 0;

	if (r->fails && started && now > started &&
	    now - started > RETRY_PROVEN_US)
		r->fails = 0;
	if (!r->fails++)
		r->since = now;
	if (!transient)
		return tunnel_backoff(t, r->fails);

	wait = (now - r->since) / 1000 / RETRY_FRACTION;
	if (wait < RETRY_MIN_MS)
		wait = RETRY_MIN_MS;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = 0;
	if (wait >= t->conf.backoff_max_ms) /* jittered below the bound */
		return t->conf.backoff_max_ms / 2 +
		       rnd % (t->conf.backoff_max_ms / 2 + 1);
	wait = wait / 2 + rnd % (wait + 1);
	return (uint32_t)min(wait, (uint64_t)t->conf.backoff_max_ms);
}

static void retry_now(struct tmr *tmr)
{
	if (tmr_isrunning(tmr))
		tmr_start(tmr, 0, tmr->th, tmr->arg);
}

/*
 * A request of kind @r went through: the path works again.  Requests of
 * the other kinds waiting to retry go now, not when their wait ends.
 */
void tunnel_proven(struct tunnel *t, struct retry *r)
{
	r->fails = 0;
	retry_now(&t->tmr_down_retry);
	retry_now(&t->tmr_up_retry);
	if (!t->open)
		retry_now(&t->tmr_open);
}

void tunnel_session_opened(struct tunnel *t)
{
	tunnel_proven(t, &t->r_open);
	t->open = true;
	t->ever_opened = true;
	t->last_error[0] = '\0';
	t->st.opens++;

	/* HRAS numbers a new session from 1; so do we */
	chan_renumber(&t->chan);

	log_info("session open (%s; keepalive %u s, streams renewed every "
	         "%u s)",
	         t->path, t->p.keepalive, t->p.down_max);
	tunnel_event(t, TUNNEL_OPENED, "keepalive %u s, down-max %u s",
	             t->p.keepalive, t->p.down_max);

	tunnel_down_start(t);
	tunnel_up_start(t);
	tunnel_up_keepalive_start(t);
	tunnel_stall_start(t);
}

/* HRAS no longer knows our session: open a new one */
void tunnel_lost_session(struct tunnel *t, const char *why)
{
	uint32_t ms;

	stop_streams(t);
	t->open = false;
	t->down_verified = t->up_verified = false;

	if (t->conf.once) {
		tunnel_failed(t, "session", why);
		return;
	}
	ms = tunnel_backoff(t, t->lost++);
	log_warn("session lost (%s): opening a new one%s", why,
	         ms ? " after a pause" : "");
	tunnel_open_later(t, ms);
}

static void rto_fire(void *arg)
{
	struct tunnel *t = arg;

	if (chan_timeout(&t->chan, mono_us())) {
		log_debug("no ack in time: sending %u unacknowledged frames "
		          "again",
		          chan_unacked(&t->chan));
		tunnel_up_kick(t);
	}
	tunnel_rto_arm(t);
}

void tunnel_rto_arm(struct tunnel *t)
{
	uint64_t d = chan_next_deadline(&t->chan), now = mono_us();

	if (d == UINT64_MAX)
		tmr_cancel(&t->tmr_rto);
	else
		tmr_start(&t->tmr_rto, d > now ? (d - now) / 1000 + 1 : 0,
		          rto_fire, t);
}

/*
 * A fallback is not for good (--reprobe): a stall at start-up, or a proxy
 * reconfigured since, must not keep the tunnel on polls and batches.  It
 * waits for a quiet moment: on a path that still buffers, what crosses
 * during the probe is held up to probe_ms.
 */
static void reprobe_fire(void *arg)
{
	struct tunnel *t = arg;
	bool down = t->down_poll && t->conf.down_pref == TUNNEL_AUTO;
	bool up = t->up_batch && t->conf.up_pref == TUNNEL_AUTO;

	if ((!down && !up) || t->stopped)
		return;
	/* quiet: no data frame either way since the last look */
	if (!t->open || !t->down_verified || t->data_frames != t->data_seen) {
		t->data_seen = t->data_frames;
		tmr_start(&t->tmr_reprobe, REPROBE_QUIET_MS, reprobe_fire, t);
		return;
	}
	if (down)
		tunnel_down_use_stream(t);
	if (up)
		tunnel_up_use_stream(t);
}

void tunnel_reprobe_arm(struct tunnel *t)
{
	if (!t->conf.reprobe_s || t->conf.once)
		return;
	t->data_seen = t->data_frames;
	tmr_start(&t->tmr_reprobe, (uint64_t)t->conf.reprobe_s * 1000,
	          reprobe_fire, t);
}

static bool is_probe(const struct frame *f)
{
	static const char magic[] = "\0sofw-probe";

	return f->len >= sizeof(magic) - 1 &&
	       !memcmp(f->payload, magic, sizeof(magic) - 1);
}

/* Every frame that came down, from the down or poll write callback */
void tunnel_rx(struct tunnel *t, const struct frame *f)
{
	uint64_t acked = t->chan.st.acked;
	enum chan_rx r = chan_rx(&t->chan, f);

	if (t->r_up.fails && t->chan.st.acked != acked)
		tunnel_up_proven(t);
	if (f->rel)
		tunnel_rto_arm(t);
	if (t->chan.ack_due)
		tunnel_up_kick(t);
	if (r != CHAN_DELIVER)
		return;

	if (f->type == FRAME_KEEPALIVE && (f->flags & FRAME_F_PONG) &&
	    is_probe(f)) {
		tunnel_up_probe_answered(t, f);
		return;
	}
	if ((f->type == FRAME_KEEPALIVE && !(f->flags & FRAME_F_PONG)) ||
	    tunnel_stall_pong(f))
		return;
	if (f->type != FRAME_KEEPALIVE)
		t->data_frames++;

	if (t->frameh)
		t->frameh(f, t->arg);
}

/**
 * Queue a frame for HRAS: signalling is kept until acknowledged, media
 * is dropped if it cannot leave within its age bound
 *
 * @return 0, or ENOBUFS when the signalling queue is full
 */
int tunnel_send(struct tunnel *t, const struct frame *f)
{
	int e;

	if (f->type != FRAME_KEEPALIVE)
		t->data_frames++;
	if (frame_is_reliable_type(f->type))
		e = chan_push_reliable(&t->chan, f);
	else
		e = chan_push_media(&t->chan, f, mono_us());

	if (e == ENOBUFS) {
		if (t->st.send_refused++ % 100 == 0)
			log_warn("signalling queue full (%u frames await ack): "
			         "%s frame dropped",
			         chan_unacked(&t->chan),
			         frame_type_name(f->type));
		return e;
	}
	if (!e && t->open)
		tunnel_up_kick(t);
	return e;
}

/* Signalling HRAS has not acknowledged yet */
uint32_t tunnel_unacked(const struct tunnel *t)
{
	return chan_unacked(&t->chan);
}

void tunnel_apply_unacked(const struct tunnel *t, tunnel_frame_h *h, void *arg)
{
	chan_apply_unacked(&t->chan, h, arg);
}

static void close_done(struct curl_job *job, CURLcode res)
{
	struct xfer *x = job->arg;
	struct tunnel *t = x->t;

	(void)res;
	t->close_x = NULL;
	xfer_free(x);
	tunnel_event(t, TUNNEL_CLOSED, "session closed");
}

static void close_fire(void *arg)
{
	tunnel_close(arg);
}

/**
 * Stop, and tell HRAS to free the session now (TUNNEL_CLOSED follows)
 *
 * Safe from the tunnel's own handlers: inside a curl callback the work
 * is deferred to the loop.
 */
void tunnel_close(struct tunnel *t)
{
	bool was_open = t->open;

	if (curl_loop_busy(t->cl)) {
		t->stopped = true;
		tmr_start(&t->tmr_kick, 0, close_fire, t);
		return;
	}

	t->stopped = true;
	stop_streams(t);
	tmr_cancel(&t->tmr_open);
	tmr_cancel(&t->tmr_reprobe);
	xfer_free(t->open_x);
	t->open_x = NULL;
	t->open = false;

	if (was_open && !t->close_x) {
		struct xfer *x = xfer_new(t, X_CLOSE, "close", close_done);

		if (x) {
			curl_easy_setopt(x->job.easy, CURLOPT_POSTFIELDS, "");
			curl_easy_setopt(x->job.easy, CURLOPT_TIMEOUT_MS,
			                 3000L);
			t->close_x = x;
			if (!xfer_run(x))
				return;
			t->close_x = NULL;
			xfer_free(x);
		}
	}
	tunnel_event(t, TUNNEL_CLOSED, "session closed");
}

bool tunnel_is_open(const struct tunnel *t)
{
	return t->open;
}

/**
 * Whether frames pass now: a session, its down stream not failing, the
 * path not stalled (tunnel_stall.c), and something came down within
 * three keepalives (or long polls).  A session outlives an HRAS or a
 * path that is gone, until HRAS says it no longer knows it: the status
 * and the metrics say "up" only while the tunnel works.
 */
bool tunnel_is_up(const struct tunnel *t)
{
	uint64_t quiet_max = 3ull * max(t->p.keepalive, t->p.poll_hold);

	if (!t->open || t->r_down.fails || t->stall_since)
		return false;
	return !quiet_max || mono_us() < t->last_rx + (quiet_max + 5) * 1000000;
}

const char *tunnel_down_mode(const struct tunnel *t)
{
	if (!t->down_verified)
		return "not yet proven";
	return t->down_poll ? "long polling" : "streaming";
}

const char *tunnel_up_mode(const struct tunnel *t)
{
	if (!t->up_verified)
		return "not yet proven";
	return t->up_batch ? "batch POSTs" : "streaming";
}

const char *tunnel_path(const struct tunnel *t)
{
	return t->path;
}

/* The server URL as it may be shown (its password hidden) */
const char *tunnel_server(const struct tunnel *t)
{
	return t->server_shown;
}

const char *tunnel_tls_peer(const struct tunnel *t)
{
	return t->tls_peer;
}

/* The HTTP the session's open went over ("" before one answered) */
const char *tunnel_http(const struct tunnel *t)
{
	return t->http ? t->http : "";
}

const struct tunnel_params *tunnel_params(const struct tunnel *t)
{
	return &t->p;
}

const struct chan_stats *tunnel_chan_stats(const struct tunnel *t)
{
	return &t->chan.st;
}

const struct tunnel_stats *tunnel_stats(const struct tunnel *t)
{
	return &t->st;
}

/* Bytes waiting to go up: signalling not yet acknowledged, media not yet
 * sent */
void tunnel_queued(const struct tunnel *t, uint64_t *sig_bytes,
                   uint64_t *media_bytes)
{
	*sig_bytes = t->chan.rel_bytes;
	*media_bytes = chan_media_queued(&t->chan);
}
