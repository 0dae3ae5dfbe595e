/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file relay_route.c  The relay's side of up_route.h: which inside legs'
 * media workers may send out themselves, and their counts
 *
 * An inside leg's route is (re)published each time the loop relays one
 * of its frames out, so the first frame after any change takes the
 * loop's way (source_ok latching, held packets, the drop counts) and
 * settles the route again.  Loop thread only.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "quota.h"
#include "hracs.h"
#include "session.h"
#include "up_route.h"
#include "iface.h"
#include "sdp_rw.h"
#include "rat.h"
#include "rat_priv.h"

static struct rat_leg *other(struct rat_leg *l)
{
	return &l->st->leg[1 - l->k];
}

/* What inside leg @l's route @i carried becomes the call's */
static void add_counts(struct rat_leg *l, const struct up_route_counts *c)
{
	struct rat_leg *to = other(l);
	struct rat *r = l->st->e->r;

	l->pkts_in += c->pkts + c->drops;
	l->bytes_in += c->bytes;
	r->st.pkts += c->pkts + c->drops;
	r->st.bytes += c->bytes;
	r->st.routed += c->pkts;
	to->pkts_out += c->pkts;
	to->bytes_out += c->bytes;
	to->drops += c->drops;
	l->st->e->last_media = max(l->st->e->last_media, c->last_ms);
}

static void withdraw_own(struct rat_leg *l)
{
	for (int i = 0; i < 2; i++) {
		struct up_route_counts c = { 0 };

		if (!l->route[i])
			continue;
		up_route_withdraw(&l->route[i], &c);
		add_counts(l, &c);
	}
}

/**
 * Every route that leg @l's sockets or state serve: its own (inside) or
 * its partner's (outside: they name its sockets).  Before those close.
 */
void rat_route_withdraw(struct rat_leg *l)
{
	withdraw_own(l);
	withdraw_own(other(l));
}

/*
 * The loop just relayed a frame of inside leg @l (kind @i) that came up
 * @ss's tunnel: if its way out is settled, the workers may take the next
 * ones; if not (any more), they may not
 */
void rat_route_publish(struct rat *r, struct session *ss, struct rat_leg *l,
                       int i)
{
	struct rat_leg *to = other(l);
	struct up_route_counts c = { 0 };
	struct up_route_spec spec;

	if (!l->side.inside || ss->probe || !l->is_latched[i] ||
	    to->side.inside || !to->has_peer || !to->port || to->fd[i] < 0) {
		if (l->route[i]) {
			up_route_withdraw(&l->route[i], &c);
			add_counts(l, &c);
		}
		return;
	}

	memset(&spec, 0, sizeof(spec));
	spec.relay_port = l->port;
	spec.rtcp = i;
	spec.src = l->latched[i];
	spec.fd = to->fd[i];
	spec.dst = to->is_latched[i] ? to->latched[i] : to->peer[i];
	spec.gen = atomic_load(&r->route_gen);
	/* out of memory: the frames keep the loop's way */
	(void)up_route_publish(&l->route[i], ss, &spec, &r->route_gen, &c);
	add_counts(l, &c);
}

/* The counts of every route become their calls' (before they are read) */
void rat_routes_fold(struct rat *r)
{
	for (struct le *le = list_head(&r->entries); le; le = le->next) {
		struct rat_entry *e = le->data;

		for (size_t s = 0; s < e->nst; s++) {
			for (int k = 0; e->st[s] && k < 2; k++) {
				struct rat_leg *l = &e->st[s]->leg[k];

				for (int i = 0; i < 2; i++) {
					struct up_route_counts c = { 0 };

					if (!l->route[i])
						continue;
					up_route_fold(l->route[i], &c);
					add_counts(l, &c);
				}
			}
		}
	}
}

/* The relay's state changed: every route is void until published anew */
void rat_routes_stale(struct rat *r)
{
	atomic_fetch_add_explicit(&r->route_gen, 1, memory_order_release);
}
