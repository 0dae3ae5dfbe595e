/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file dispatch.c  The loop thread's share of the tunnel: each frame that
 * came up goes to its room; the once-a-second tick; reloads
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "quota.h"
#include "hracs.h"
#include "session.h"
#include "inbox.h"
#include "tunsrv.h"
#include "iface.h"
#include "rat.h"
#include "sipsrv.h"
#include "store.h"
#include "hras.h"
#include "status.h"
#include "dispatch.h"
#include "reload.h"

enum {
	TICK_MS = 1000,
	PONG_STAMP = 8,    /* u64 microseconds: when HRAS answered */
	CONTROL_MAX = 128, /* the longest control text understood */
};

struct dispatch {
	struct hras *h;
	struct tmr tick;
	volatile sig_atomic_t reload;
	uint64_t unrouted;
	uint8_t pong[FRAME_MAX_PAYLOAD];
};

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * PONG: the PING's payload, then when HRAS handled it (CLOCK_MONOTONIC
 * microseconds), so a tester on the same host can split the round trip
 * into its two one-way halves
 */
static void answer_ping(struct dispatch *d, struct session *s,
                        const struct frame *ping, uint64_t now)
{
	size_t room = d->h->cfg.tunnel.max_payload - PONG_STAMP;
	size_t keep = min(ping->len, room);
	struct frame pong;

	memset(&pong, 0, sizeof(pong));
	pong.type = FRAME_KEEPALIVE;
	pong.flags = FRAME_F_PONG;
	memcpy(d->pong, ping->payload, keep);
	put_u64(d->pong + keep, now);
	pong.payload = d->pong;
	pong.len = keep + PONG_STAMP;

	session_send(s, &pong, now);
}

static void echo(struct session *s, const struct frame *f, uint64_t now)
{
	struct frame back = *f;
	int e;

	back.rel = false;
	back.seq = back.ack = 0;
	e = session_send(s, &back, now);
	if (e && e != ENOTCONN)
		log_warn("echo to '%s': %s frame not queued: %s", s->id,
		         frame_type_name(f->type), strerror(e));
}

/*
 * A control frame: "VERB ARGS" text.  "lan-sip ADDR:PORT": where the
 * HRAC's phones send SIP; "lan-rtp IP LO-HI": its media address and
 * ports.  @return false when no room takes it.
 */
static bool control(struct dispatch *d, struct session *s,
                    const struct frame *f)
{
	char text[CONTROL_MAX];

	if (f->len >= sizeof(text))
		return false;
	memcpy(text, f->payload, f->len);
	text[f->len] = '\0';
	if (d->h->relay && !strncmp(text, "lan-rtp ", 8)) {
		rat_hrac_media(d->h->relay, s, text + 8);
		return true;
	}
	if (d->h->sip && !strncmp(text, "lan-sip ", 8)) {
		/* an HRAC tells it at each session's start: its home is
		 * here now */
		store_home_set(d->h->store, s->id);
		sipsrv_lan_sip(d->h->sip, s->id, text + 8);
		return true;
	}
	return false;
}

void dispatch_frame(struct session *s, const uint8_t *wire, size_t len,
                    void *arg)
{
	struct dispatch *d = arg;
	uint64_t now = mono_us();
	struct frame f;
	size_t flen;

	/* checked by the worker already: this cannot fail */
	if (frame_decode(&f, wire, len, FRAME_MAX_PAYLOAD, &flen))
		return;

	if (f.type == FRAME_KEEPALIVE) {
		answer_ping(d, s, &f, now);
		return;
	}
	if (d->h->cfg.echo) {
		echo(s, &f, now);
		return;
	}
	if (s->probe) {
		/* hrac --diagnose: round trips only, never the site's SIP or
		 * media (a probe is not the site's session) */
		d->unrouted++;
		return;
	}

	switch (f.type) {

	case FRAME_SIP:
		if (d->h->sip) {
			sipsrv_tunnel_sip(d->h->sip, s, &f);
			return;
		}
		break;
	case FRAME_CONTROL:
		if (control(d, s, &f))
			return;
		break;
	case FRAME_RTP:
	case FRAME_RTCP:
		if (d->h->relay) {
			rat_from_tunnel(d->h->relay, s, &f);
			return;
		}
		break;
	default:
		break;
	}

	/* an echo-only server (no SIP service), or a frame no room takes */
	d->unrouted++;
	log_debug("%s frame from '%s' not routed", frame_type_name(f.type),
	          s->id);
}

/* Is HRAC @id's session up here?  (the store's home tick asks) */
static bool session_alive(const char *id, void *arg)
{
	struct session *s = sessions_find_id(arg, id);
	bool alive = s != NULL;

	session_deref(s);
	return alive;
}

static void tick(void *arg)
{
	struct dispatch *d = arg;
	const struct hras_conf *cfg = &d->h->cfg;

	tmr_start(&d->tick, TICK_MS, tick, d);

	sessions_expire(d->h->tun.sessions, mono_us(),
	                (uint64_t)cfg->tunnel.session_idle * 1000000);
	status_refresh(d->h, false);
	store_home_tick(d->h->store, session_alive, d->h->tun.sessions);

	if (d->reload) {
		/* the whole configuration again (reload.c) */
		d->reload = 0;
		hras_reload(d->h);
	}
}

static void dispatch_destructor(void *arg)
{
	struct dispatch *d = arg;

	tmr_cancel(&d->tick);
}

int dispatch_alloc(struct dispatch **dp, struct hras *h)
{
	struct dispatch *d;

	d = mem_zalloc(sizeof(*d), dispatch_destructor);
	if (!d)
		return ENOMEM;
	d->h = h;
	tmr_init(&d->tick);
	tmr_start(&d->tick, TICK_MS, tick, d);
	*dp = d;
	return 0;
}

/* From a signal handler: async-signal-safe */
void dispatch_request_reload(struct dispatch *d)
{
	d->reload = 1;
}
