/**
 * @file dispatch.c  What the loop thread does with frames from the tunnel
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
#include "hracs.h"
#include "session.h"
#include "hras.h"
#include "status.h"
#include "sipsrv.h"
#include "dispatch.h"

enum {
	TICK_MS = 1000,
	PONG_STAMP = 8, /* u64 microseconds: when HRAS answered */
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
static void answer_ping(struct dispatch *c, struct session *s,
                        const struct frame *ping, uint64_t now)
{
	size_t room = c->h->cfg.max_payload - PONG_STAMP;
	size_t keep = min(ping->len, room);
	struct frame pong;

	memset(&pong, 0, sizeof(pong));
	pong.type = FRAME_KEEPALIVE;
	pong.flags = FRAME_F_PONG;
	memcpy(c->pong, ping->payload, keep);
	put_u64(c->pong + keep, now);
	pong.payload = c->pong;
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

void dispatch_frame(struct session *s, const uint8_t *wire, size_t len, void *arg)
{
	struct dispatch *c = arg;
	uint64_t now = mono_us();
	struct frame f;
	size_t flen;

	/* checked by the worker already: this cannot fail */
	if (frame_decode(&f, wire, len, FRAME_MAX_PAYLOAD, &flen))
		return;

	if (f.type == FRAME_KEEPALIVE) {
		answer_ping(c, s, &f, now);
		return;
	}
	if (c->h->cfg.echo) {
		echo(s, &f, now);
		return;
	}

	switch (f.type) {

	case FRAME_SIP:
		if (c->h->sipsrv) {
			sipsrv_tunnel_sip(c->h->sipsrv, s, &f);
			return;
		}
		break;
	case FRAME_CONTROL:
		if (c->h->sipsrv) {
			sipsrv_control(c->h->sipsrv, s, &f);
			return;
		}
		break;
	case FRAME_RTP:
	case FRAME_RTCP:
		if (c->h->sipsrv) {
			sipsrv_tunnel_media(c->h->sipsrv, s, &f);
			return;
		}
		break;
	default:
		break;
	}

	/* no SIP service, or no media relay behind the tunnel yet */
	c->unrouted++;
	log_debug("%s frame from '%s' not routed", frame_type_name(f.type),
	          s->id);
}

static void tick(void *arg)
{
	struct dispatch *c = arg;
	const struct hras_conf *cfg = &c->h->cfg;

	tmr_start(&c->tick, TICK_MS, tick, c);

	sessions_expire(c->h->sessions, mono_us(),
	                (uint64_t)cfg->session_idle * 1000000);
	status_refresh(c->h->status, c->h);

	if (c->reload) {
		char err[256];

		c->reload = 0;
		if (hracs_reload(c->h->hracs, cfg->hracs, err, sizeof(err)))
			log_error("reload of HRAC identities failed, the old "
			          "ones stay: %s",
			          err);
		else
			log_info("HRAC identities reloaded: %zu",
			         hracs_count(c->h->hracs));
		if (c->h->sipsrv &&
		    sipsrv_reload(c->h->sipsrv, err, sizeof(err)))
			log_error("reload of the users failed, the old ones "
			          "stay: %s",
			          err);
	}
}

int dispatch_alloc(struct dispatch **cp, struct hras *h)
{
	struct dispatch *c;

	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->h = h;
	tmr_init(&c->tick);
	tmr_start(&c->tick, TICK_MS, tick, c);
	*cp = c;
	return 0;
}

void dispatch_free(struct dispatch *c)
{
	if (!c)
		return;
	tmr_cancel(&c->tick);
	free(c);
}

/* From a signal handler: async-signal-safe */
void dispatch_request_reload(struct dispatch *c)
{
	c->reload = 1;
}
