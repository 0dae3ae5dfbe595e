/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file up_route.c  A call's media, sent on by the worker that reads it
 *
 * The loop thread publishes, folds and withdraws (the route's memory is
 * its); workers look routes up and send, holding the session lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "frame.h"
#include "chan.h"
#include "hracs.h"
#include "udp_mmsg.h"
#include "session.h"
#include "up_route.h"

struct up_route {
	struct le le;       /* in ss->routes, under ss->lock */
	struct session *ss; /* referenced */
	struct up_route_spec spec;
	const _Atomic uint64_t *gen; /* the relay's, live */
	struct up_route_counts n;    /* under ss->lock */
};

static uint32_t route_key(uint16_t relay_port, bool rtcp)
{
	return (uint32_t)relay_port << 1 | rtcp;
}

static bool key_cmp(struct le *le, void *arg)
{
	const struct up_route *rt = le->data;
	const uint32_t *key = arg;

	return route_key(rt->spec.relay_port, rt->spec.rtcp) == *key;
}

/* Take what @rt counted (locked) */
static void take_counts(struct up_route *rt, struct up_route_counts *c)
{
	c->pkts += rt->n.pkts;
	c->bytes += rt->n.bytes;
	c->drops += rt->n.drops;
	c->last_ms = max(c->last_ms, rt->n.last_ms);
	memset(&rt->n, 0, sizeof(rt->n));
}

static void unlink_locked(struct up_route *rt, struct up_route_counts *c)
{
	take_counts(rt, c);
	hash_unlink(&rt->le);
}

static void destructor(void *arg)
{
	struct up_route *rt = arg;

	session_deref(rt->ss);
}

/**
 * Loop thread: the way out of @spec's frames on @ss is settled.  *@rp is
 * the leg's route, made or changed (or moved from an older session);
 * what it had counted is added to @c.
 *
 * @return 0 or ENOMEM (no route: the frames keep the loop's way)
 */
int up_route_publish(struct up_route **rp, struct session *ss,
                     const struct up_route_spec *spec,
                     const _Atomic uint64_t *gen, struct up_route_counts *c)
{
	struct up_route *rt = *rp;

	if (rt && rt->ss != ss)
		up_route_withdraw(rp, c);
	rt = *rp;
	if (!rt) {
		rt = mem_zalloc(sizeof(*rt), destructor);
		if (!rt)
			return ENOMEM;
		pthread_mutex_lock(&ss->lock);
		if (!ss->routes && hash_alloc(&ss->routes, UP_ROUTE_BUCKETS)) {
			pthread_mutex_unlock(&ss->lock);
			mem_deref(rt);
			return ENOMEM;
		}
		rt->ss = session_ref(ss);
		rt->gen = gen;
		rt->spec = *spec;
		hash_append(ss->routes, route_key(spec->relay_port, spec->rtcp),
		            &rt->le, rt);
		pthread_mutex_unlock(&ss->lock);
		*rp = rt;
		return 0;
	}

	pthread_mutex_lock(&ss->lock);
	take_counts(rt, c);
	rt->spec = *spec; /* the same port and kind: the same bucket */
	pthread_mutex_unlock(&ss->lock);
	return 0;
}

/**
 * Loop thread: *@rp serves no more (before its socket closes); what it
 * counted is added to @c
 */
void up_route_withdraw(struct up_route **rp, struct up_route_counts *c)
{
	struct up_route *rt = *rp;

	if (!rt)
		return;
	pthread_mutex_lock(&rt->ss->lock);
	unlink_locked(rt, c);
	pthread_mutex_unlock(&rt->ss->lock);
	*rp = mem_deref(rt);
}

/* Loop thread: add what @rt counted to @c */
void up_route_fold(struct up_route *rt, struct up_route_counts *c)
{
	if (!rt)
		return;
	pthread_mutex_lock(&rt->ss->lock);
	take_counts(rt, c);
	pthread_mutex_unlock(&rt->ss->lock);
}

/**
 * A worker, @s locked: send media frame @f out if a current route of @s
 * takes it
 *
 * @return true if it did (sent or, the socket refusing, counted as
 *         dropped); false: the frame goes the loop's way
 */
bool up_route_send(struct session *s, const struct frame *f, uint64_t now_ms)
{
	bool rtcp = f->type == FRAME_RTCP;
	uint32_t key;
	struct up_route *rt;
	struct le *le;

	if (!s->routes || (f->type != FRAME_RTP && !rtcp))
		return false;
	key = route_key(f->relay_port, rtcp);
	le = hash_lookup(s->routes, key, key_cmp, &key);
	if (!le)
		return false;
	rt = le->data;
	if (rt->spec.gen !=
	        atomic_load_explicit(rt->gen, memory_order_acquire) ||
	    !sa_cmp(&f->addr, &rt->spec.src, SA_ALL))
		return false;

	rt->n.last_ms = now_ms; /* the phone sends: the call lives */
	if (udp_mmsg_send(rt->spec.fd, &rt->spec.dst, f->payload, f->len)) {
		rt->n.drops++;
		return true;
	}
	rt->n.pkts++;
	rt->n.bytes += f->len;
	return true;
}
