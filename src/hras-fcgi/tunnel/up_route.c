/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file up_route.c  A call's media, sent on by the worker that reads it
 *
 * The loop thread publishes, folds and withdraws (the route's memory is
 * its); workers look routes up holding the session lock, and send
 * holding the session's route lock for reading (up_route.h).
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
	uint64_t last_ms;            /* under ss->lock */
	/* counted by the workers as they send, under the route lock */
	_Atomic uint64_t pkts, bytes, drops;
};

static uint32_t route_key(uint16_t relay_port, bool rtcp)
{
	return (uint32_t)relay_port << 1 | rtcp;
}

/* The bucket's key: relay ports are even, so the route keys' low bits
 * alone would fill a quarter of the buckets */
static uint32_t bucket_key(uint32_t key)
{
	return (key * 2654435761u) >> 12;
}

static uint32_t spec_bucket(const struct up_route_spec *spec)
{
	return bucket_key(route_key(spec->relay_port, spec->rtcp));
}

static bool key_cmp(struct le *le, void *arg)
{
	const struct up_route *rt = le->data;
	const uint32_t *key = arg;

	return route_key(rt->spec.relay_port, rt->spec.rtcp) == *key;
}

static bool move_route(struct le *le, void *arg)
{
	struct up_route *rt = le->data;

	hash_unlink(le);
	hash_append(arg, spec_bucket(&rt->spec), le, rt);
	return false;
}

/* @ss's table, with room for one more route (ss->lock held): made, or
 * grown when its chains grow long (a provider's HRAC carries hundreds of
 * calls); a table that cannot grow stays as it is */
static int routes_room(struct session *ss)
{
	struct hash *h;

	if (!ss->routes) {
		if (hash_alloc(&ss->routes, UP_ROUTE_BUCKETS))
			return ENOMEM;
		ss->routes_size = UP_ROUTE_BUCKETS;
		return 0;
	}
	if (ss->routes_n < 2 * ss->routes_size ||
	    ss->routes_size >= UP_ROUTE_BUCKETS_MAX ||
	    hash_alloc(&h, ss->routes_size * 4))
		return 0;
	(void)hash_apply(ss->routes, move_route, h);
	mem_deref(ss->routes);
	ss->routes = h;
	ss->routes_size *= 4;
	return 0;
}

static uint64_t take(_Atomic uint64_t *v)
{
	return atomic_exchange_explicit(v, 0, memory_order_relaxed);
}

/* Take what @rt counted (ss->lock held, or @rt unlinked and past the
 * barrier: nothing counts in it any more) */
static void take_counts(struct up_route *rt, struct up_route_counts *c)
{
	c->pkts += take(&rt->pkts);
	c->bytes += take(&rt->bytes);
	c->drops += take(&rt->drops);
	c->last_ms = max(c->last_ms, rt->last_ms);
	rt->last_ms = 0;
}

/* Every batch that may hold @ss's routes' sockets has been sent (no
 * lock held but the loop's own) */
static void barrier(struct session *ss)
{
	pthread_rwlock_wrlock(&ss->route_lock);
	pthread_rwlock_unlock(&ss->route_lock);
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
	bool moved;

	if (rt && rt->ss != ss)
		up_route_withdraw(rp, c);
	rt = *rp;
	if (!rt) {
		rt = mem_zalloc(sizeof(*rt), destructor);
		if (!rt)
			return ENOMEM;
		pthread_mutex_lock(&ss->lock);
		if (routes_room(ss)) {
			pthread_mutex_unlock(&ss->lock);
			mem_deref(rt);
			return ENOMEM;
		}
		rt->ss = session_ref(ss);
		rt->gen = gen;
		rt->spec = *spec;
		hash_append(ss->routes, spec_bucket(spec), &rt->le, rt);
		ss->routes_n++;
		pthread_mutex_unlock(&ss->lock);
		*rp = rt;
		return 0;
	}

	pthread_mutex_lock(&ss->lock);
	take_counts(rt, c);
	moved = rt->spec.fd != spec->fd;
	rt->spec = *spec; /* the same port and kind: the same bucket */
	pthread_mutex_unlock(&ss->lock);
	/* the socket it named may close once nothing holds it */
	if (moved)
		barrier(ss);
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
	hash_unlink(&rt->le);
	rt->ss->routes_n--;
	pthread_mutex_unlock(&rt->ss->lock);
	/* a batch taken before the unlink may still send on it */
	barrier(rt->ss);
	take_counts(rt, c);
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

/* One packet out on @rt's socket @fd, counted (a refusal: a drop) */
static void send_counted(struct up_route *rt, int fd, const struct sa *dst,
                         const uint8_t *payload, size_t len)
{
	if (udp_mmsg_send(fd, dst, payload, len)) {
		atomic_fetch_add_explicit(&rt->drops, 1, memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&rt->pkts, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&rt->bytes, len, memory_order_relaxed);
}

/**
 * A worker, @s locked: if a current route of @s takes media frame @f,
 * put it in @b (or, @b full or @f's payload not where @b's frames stay,
 * send it now)
 *
 * @return true if a route took it; false: the frame goes the loop's way
 */
bool up_route_take(struct session *s, const struct frame *f, uint64_t now_ms,
                   struct up_route_batch *b)
{
	bool rtcp = f->type == FRAME_RTCP;
	uint32_t key;
	struct up_route *rt;
	struct le *le;

	if (!s->routes || (f->type != FRAME_RTP && !rtcp))
		return false;
	key = route_key(f->relay_port, rtcp);
	le = hash_lookup(s->routes, bucket_key(key), key_cmp, &key);
	if (!le)
		return false;
	rt = le->data;
	if (rt->spec.gen !=
	        atomic_load_explicit(rt->gen, memory_order_acquire) ||
	    !sa_cmp(&f->addr, &rt->spec.src, SA_ALL))
		return false;

	rt->last_ms = now_ms; /* the phone sends: the call lives */
	if (b->n < UP_ROUTE_BATCH && f->payload >= b->lo &&
	    f->payload + f->len <= b->hi) {
		b->v[b->n].rt = rt;
		b->v[b->n].fd = rt->spec.fd;
		b->v[b->n].dst = rt->spec.dst;
		b->v[b->n].payload = f->payload;
		b->v[b->n].len = f->len;
		b->n++;
		return true;
	}
	/* under the session lock, which the loop holds to withdraw */
	send_counted(rt, rt->spec.fd, &rt->spec.dst, f->payload, f->len);
	return true;
}

/* A worker, @s locked, before it unlocks: @b's routes stay till sent */
void up_route_hold(struct session *s, const struct up_route_batch *b)
{
	if (b->n)
		pthread_rwlock_rdlock(&s->route_lock);
}

/* A worker, after up_route_hold and the session unlocked: send @b */
void up_route_send_batch(struct session *s, struct up_route_batch *b)
{
	if (!b->n)
		return;
	for (unsigned i = 0; i < b->n; i++)
		send_counted(b->v[i].rt, b->v[i].fd, &b->v[i].dst,
		             b->v[i].payload, b->v[i].len);
	pthread_rwlock_unlock(&s->route_lock);
	b->n = 0;
}
