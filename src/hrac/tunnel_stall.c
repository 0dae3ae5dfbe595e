/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file tunnel_stall.c  A path gone silent: ping, then fresh requests
 *
 * A network outage that drops packets without a word (a line down, a
 * router beyond the proxy gone) fails no request: the connections stay
 * open on both sides and TCP retransmits with exponential backoff (0.2,
 * 0.4, 0.8, 1.6 s...), so once the path is back the streams may sit for
 * as long as the outage lasted.  The proxy's connections upstream are
 * not hrac's to hurry; new ones are.  So while frames move, hrac watches
 * the down direction: silent for QUIET_MS, a PING goes up (its PONG
 * proves both directions); no byte down within ANSWER_MS of it, the path
 * is stalled, and hrac opens a fresh down GET and up POST beside the
 * stalled ones (tunnel_down_renew, tunnel_up_renew: the one before goes
 * on, the one before that is let go), again after TRY_MIN_MS and then
 * after about a tenth of the stall so far, jittered, until a byte comes
 * down.  A fresh request started after the path is back crosses at once;
 * the channel (chan.h) drops what arrives twice and sends again what was
 * not acknowledged.  An idle tunnel is left to its keepalives, and one
 * whose directions still probe their modes to the probes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
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

enum {
	TICK_MS = 50,
	QUIET_MS = 200,   /* down silent this long: ping */
	ANSWER_MS = 300,  /* no PONG (nor anything) this long: stalled */
	ACTIVE_MS = 2000, /* frames moved this recently: a call to keep */
	TRY_MIN_MS = 200, /* the first fresh tries, jittered 0.5..1.5 x */
	TRY_FRACTION = 10,
};

static const char live_magic[] = "\0sofw-live";

/* The wait before the next fresh try, @stalled_ms into the stall */
static uint64_t try_wait_us(const struct tunnel *t, uint64_t stalled_ms)
{
	uint64_t wait = stalled_ms / TRY_FRACTION;
	uint32_t rnd = 0;

	if (wait < TRY_MIN_MS)
		wait = TRY_MIN_MS;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = 0;
	if (wait >= t->conf.backoff_max_ms) /* jittered below the bound */
		return (t->conf.backoff_max_ms / 2 +
		        rnd % (t->conf.backoff_max_ms / 2 + 1)) *
		       1000ull;
	return (wait / 2 + rnd % (wait + 1)) * 1000;
}

/**
 * What the watch does at @now (us): nothing, ping, or fresh requests
 *
 * Reads t->last_rx (the last byte down) and t->last_up_tx (the last
 * handed up); keeps its own state in t->stall_*.
 */
enum stall_act tunnel_stall_check(struct tunnel *t, uint64_t now)
{
	uint64_t quiet = now > t->last_rx ? now - t->last_rx : 0;

	/* something came down since the ping: the path moves */
	if (quiet < QUIET_MS * 1000ull ||
	    (t->stall_ping && t->last_rx >= t->stall_ping)) {
		t->stall_ping = t->stall_since = 0;
		t->stall_tries = 0;
		if (quiet < QUIET_MS * 1000ull)
			return STALL_NONE;
	}
	if (!t->stall_ping) {
		/* idle either way: nothing to keep moving */
		if (now - t->last_up_tx > ACTIVE_MS * 1000ull &&
		    quiet > (QUIET_MS + ACTIVE_MS) * 1000ull)
			return STALL_NONE;
		t->stall_ping = now;
		return STALL_PING;
	}
	if (now - t->stall_ping < ANSWER_MS * 1000ull)
		return STALL_NONE;
	if (!t->stall_since)
		t->stall_since = t->stall_next = now;
	if (now < t->stall_next)
		return STALL_NONE;
	t->stall_next = now + try_wait_us(t, (now - t->stall_since) / 1000);
	t->stall_tries++;
	return STALL_FRESH;
}

static void ping(struct tunnel *t)
{
	struct frame f;

	memset(&f, 0, sizeof(f));
	f.type = FRAME_KEEPALIVE;
	f.flags = FRAME_F_PING;
	f.payload = (const uint8_t *)live_magic;
	f.len = sizeof(live_magic) - 1;
	chan_push_media(&t->chan, &f, mono_us());
	tunnel_up_kick(t);
}

static void tick(void *arg)
{
	struct tunnel *t = arg;
	uint64_t now = mono_us(), since = t->stall_since;
	unsigned tries = t->stall_tries;

	enum stall_act act;

	if (!t->open || t->stopped)
		return;
	tmr_start(&t->tmr_stall, TICK_MS, tick, t);
	/* while a direction still probes its mode (a stream whose first
	 * frame a buffering proxy holds back looks stalled too), fresh
	 * requests would spoil the probe: the watch starts once both
	 * directions carried a frame in their mode */
	if (!t->down_verified || !t->up_verified) {
		t->stall_ping = t->stall_since = 0;
		t->stall_tries = 0;
		return;
	}

	act = tunnel_stall_check(t, now);
	if (since && !t->stall_since)
		log_info("path: bytes come down again %llu ms after it "
		         "stalled (%u fresh tries)",
		         (unsigned long long)(now - since) / 1000, tries);
	switch (act) {
	case STALL_NONE:
		break;
	case STALL_PING:
		ping(t);
		break;
	case STALL_FRESH:
		if (t->stall_tries == 1)
			log_info("path: nothing came down for %llu ms, not "
			         "even a PONG: fresh requests beside the "
			         "stalled ones",
			         (unsigned long long)(now - t->last_rx) / 1000);
		else
			log_debug("path: still silent after %llu ms: fresh "
			          "try %u",
			          (unsigned long long)(now - t->last_rx) / 1000,
			          t->stall_tries);
		t->st.stall_tries++;
		/* a request not running waits for its retry, whose pace
		 * depends on why it failed */
		if (t->down_x)
			tunnel_down_renew(t);
		if (t->up_x || t->batch_x)
			tunnel_up_renew(t);
		break;
	}
}

/* The PONG of a liveness PING: the tunnel's own, no one else's */
bool tunnel_stall_pong(const struct frame *f)
{
	return f->type == FRAME_KEEPALIVE && (f->flags & FRAME_F_PONG) &&
	       f->len == sizeof(live_magic) - 1 &&
	       !memcmp(f->payload, live_magic, f->len);
}

/* A session is open: watch it */
void tunnel_stall_start(struct tunnel *t)
{
	t->last_rx = mono_us();
	t->stall_ping = t->stall_since = 0;
	t->stall_tries = 0;
	tmr_start(&t->tmr_stall, TICK_MS, tick, t);
}
