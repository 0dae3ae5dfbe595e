/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_up_route.c  A call's media sent on by the worker that reads
 * it (up_route.h): only a current route of the frame's own session, for
 * its port and kind, from its latched phone; never after a change to the
 * relay's state or once withdrawn
 *
 * The route's socket is a real UDP socket on loopback, and a second one
 * is the outside party: the sink that shows what got through.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <re.h>
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "hracs.h"
#include "udp_mmsg.h"
#include "session.h"
#include "up_route.h"
#include "session_fix.h"
#include "unit.h"

enum {
	RELAY_PORT = 30000,
};

struct fix {
	struct sessions *t;
	struct session *s, *other; /* the HRAC's; another HRAC's */
	int out_fd, sink_fd;       /* our relay socket; the party */
	struct sa sink;
	_Atomic uint64_t gen;
	struct up_route *rt;
	struct up_route_spec spec;
};

static int bound_udp(int *fd, struct sa *a)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	TEST_EQ(sa_set_str(a, "127.0.0.1", 0), 0);
	TEST_EQ(udp_mmsg_bind(fd, a, false), 0);
	TEST_EQ(getsockname(*fd, (struct sockaddr *)&ss, &len), 0);
	TEST_EQ(sa_set_sa(a, (struct sockaddr *)&ss), 0);
	return 0;
}

static int fix_open(struct fix *x)
{
	struct session_open o = {
		.id = "site-a", .peer = "p", .instance = "i1", .key = "k"
	};
	struct chan_limits lim;
	struct sa mine;
	uint32_t resumed;
	bool replaced;

	memset(x, 0, sizeof(*x));
	session_fix_limits(&lim);
	TEST_EQ(sessions_alloc(&x->t, 4, &lim), 0);
	TEST_EQ(sessions_open(x->t, &o, &x->s, &replaced, &resumed), 0);
	o.id = "site-b";
	TEST_EQ(sessions_open(x->t, &o, &x->other, &replaced, &resumed), 0);
	TEST_EQ(bound_udp(&x->out_fd, &mine), 0);
	TEST_EQ(bound_udp(&x->sink_fd, &x->sink), 0);

	x->spec.relay_port = RELAY_PORT;
	x->spec.rtcp = false;
	TEST_EQ(sa_set_str(&x->spec.src, "10.0.0.1", 4000), 0);
	x->spec.fd = x->out_fd;
	x->spec.dst = x->sink;
	x->spec.gen = atomic_load(&x->gen);
	return 0;
}

/* fix_open, and the route published */
static int fix_route(struct fix *x)
{
	struct up_route_counts c = { 0 };

	TEST_EQ(fix_open(x), 0);
	TEST_EQ(up_route_publish(&x->rt, x->s, &x->spec, &x->gen, &c), 0);
	TEST_EQ(c.pkts, 0);
	return 0;
}

static void fix_close(struct fix *x)
{
	struct up_route_counts c = { 0 };

	up_route_withdraw(&x->rt, &c);
	session_deref(x->s);
	session_deref(x->other);
	sessions_free(x->t);
	close(x->out_fd);
	close(x->sink_fd);
}

/* An RTP (or RTCP) frame of the HRAC's phone @from for @port */
static void media(struct frame *f, const char *from, uint16_t port, bool rtcp)
{
	static const uint8_t pl[172] = { 0x80, 0x00 };

	memset(f, 0, sizeof(*f));
	f->type = rtcp ? FRAME_RTCP : FRAME_RTP;
	(void)sa_set_str(&f->addr, from, 4000 + rtcp);
	f->relay_port = port;
	f->payload = pl;
	f->len = sizeof(pl);
}

/* As a worker does with a chunk: frames taken under the session lock,
 * sent after it */
static unsigned take_all(struct session *s, struct frame *f, unsigned n,
                         struct up_route_batch *b)
{
	unsigned taken = 0;

	b->lo = f->payload;
	b->hi = f->payload + f->len;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < n; i++)
		taken += up_route_take(s, f, mono_ms(), b);
	up_route_hold(s, b);
	pthread_mutex_unlock(&s->lock);
	return taken;
}

static bool send_on(struct session *s, struct frame *f)
{
	struct up_route_batch b = { 0 };
	bool sent = take_all(s, f, 1, &b) == 1;

	up_route_send_batch(s, &b);
	return sent;
}

/* Datagrams waiting at the sink, read and counted */
static int sink_count(int fd)
{
	uint8_t buf[2048];
	int n = 0;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		n++;
	return n;
}

static int settled_route_sends(void)
{
	struct up_route_counts c = { 0 };
	struct frame f;
	struct fix x;

	TEST_EQ(fix_route(&x), 0);
	media(&f, "10.0.0.1", RELAY_PORT, false);
	for (int i = 0; i < 5; i++)
		TEST_ASSERT(send_on(x.s, &f));
	usleep(20000);
	TEST_EQ(sink_count(x.sink_fd), 5);
	up_route_fold(x.rt, &c);
	TEST_EQ(c.pkts, 5);
	TEST_EQ(c.bytes, 5 * 172);
	TEST_EQ(c.drops, 0);
	TEST_ASSERT(c.last_ms > 0);
	/* folded: counted once */
	memset(&c, 0, sizeof(c));
	up_route_fold(x.rt, &c);
	TEST_EQ(c.pkts, 0);
	fix_close(&x);
	return 0;
}

/* Anything the route was not settled for goes the loop's way */
static int only_its_own_frames(void)
{
	struct up_route_counts c = { 0 };
	struct frame f;
	struct fix x;

	TEST_EQ(fix_route(&x), 0);

	media(&f, "10.0.0.2", RELAY_PORT, false); /* not the latched phone */
	TEST_ASSERT(!send_on(x.s, &f));
	media(&f, "10.0.0.1", RELAY_PORT, false);
	f.addr.u.in.sin_port = htons(4002); /* its address, another port */
	TEST_ASSERT(!send_on(x.s, &f));
	media(&f, "10.0.0.1", RELAY_PORT + 2, false); /* another call */
	TEST_ASSERT(!send_on(x.s, &f));
	media(&f, "10.0.0.1", RELAY_PORT, true); /* RTCP: no route yet */
	TEST_ASSERT(!send_on(x.s, &f));
	media(&f, "10.0.0.1", RELAY_PORT, false);
	TEST_ASSERT(!send_on(x.other, &f)); /* another HRAC's frame */
	f.type = FRAME_SIP;                 /* signalling never */
	TEST_ASSERT(!send_on(x.s, &f));

	usleep(20000);
	TEST_EQ(sink_count(x.sink_fd), 0);
	up_route_fold(x.rt, &c);
	TEST_EQ(c.pkts, 0);
	fix_close(&x);
	return 0;
}

/* A change to the relay's state voids the route until it is published
 * again; a withdrawn route sends nothing, ever */
static int stale_and_withdrawn(void)
{
	struct up_route_counts c = { 0 };
	struct frame f;
	struct fix x;

	TEST_EQ(fix_route(&x), 0);
	media(&f, "10.0.0.1", RELAY_PORT, false);
	TEST_ASSERT(send_on(x.s, &f));

	atomic_fetch_add(&x.gen, 1);
	TEST_ASSERT(!send_on(x.s, &f));
	x.spec.gen = atomic_load(&x.gen);
	TEST_EQ(up_route_publish(&x.rt, x.s, &x.spec, &x.gen, &c), 0);
	TEST_EQ(c.pkts, 1); /* republishing folds */
	TEST_ASSERT(send_on(x.s, &f));

	memset(&c, 0, sizeof(c));
	up_route_withdraw(&x.rt, &c);
	TEST_ASSERT(x.rt == NULL);
	TEST_EQ(c.pkts, 1);
	TEST_ASSERT(!send_on(x.s, &f));
	usleep(20000);
	TEST_EQ(sink_count(x.sink_fd), 2);
	fix_close(&x);
	return 0;
}

/* A leg whose frames now come up another session (the HRAC reconnected):
 * the route moves, the old session's frames go the loop's way */
static int route_moves_with_session(void)
{
	struct up_route_counts c = { 0 };
	struct frame f;
	struct fix x;

	TEST_EQ(fix_route(&x), 0);
	TEST_EQ(up_route_publish(&x.rt, x.other, &x.spec, &x.gen, &c), 0);
	media(&f, "10.0.0.1", RELAY_PORT, false);
	TEST_ASSERT(!send_on(x.s, &f));
	TEST_ASSERT(send_on(x.other, &f));
	usleep(20000);
	TEST_EQ(sink_count(x.sink_fd), 1);
	fix_close(&x);
	return 0;
}

/* A send the socket refuses is the route's drop, not the loop's job */
static int refused_send_counted(void)
{
	struct up_route_counts c = { 0 };
	struct frame f;
	struct fix x;

	TEST_EQ(fix_open(&x), 0);
	/* an IPv6 destination on an IPv4 socket: sendto fails */
	TEST_EQ(sa_set_str(&x.spec.dst, "::1", 9), 0);
	TEST_EQ(up_route_publish(&x.rt, x.s, &x.spec, &x.gen, &c), 0);
	media(&f, "10.0.0.1", RELAY_PORT, false);
	TEST_ASSERT(send_on(x.s, &f));
	up_route_fold(x.rt, &c);
	TEST_EQ(c.pkts, 0);
	TEST_EQ(c.drops, 1);
	TEST_ASSERT(c.last_ms > 0);
	fix_close(&x);
	return 0;
}

/* More frames than a batch holds, and a payload outside the chunk (a
 * frame the reader put together from two reads): sent at once, all of
 * them */
static int batch_bounds(void)
{
	static uint8_t elsewhere[172];
	struct up_route_counts c = { 0 };
	struct up_route_batch b = { 0 };
	unsigned n = UP_ROUTE_BATCH + 10;
	struct frame f;
	struct fix x;

	TEST_EQ(fix_route(&x), 0);
	media(&f, "10.0.0.1", RELAY_PORT, false);
	TEST_EQ(take_all(x.s, &f, n, &b), n);
	TEST_EQ(b.n, UP_ROUTE_BATCH);
	usleep(20000);
	TEST_EQ(sink_count(x.sink_fd), 10); /* the ones over, at once */
	up_route_send_batch(x.s, &b);
	TEST_EQ(b.n, 0);
	usleep(20000);
	TEST_EQ(sink_count(x.sink_fd), UP_ROUTE_BATCH);

	pthread_mutex_lock(&x.s->lock);
	b.lo = elsewhere; /* f's payload is not in it */
	b.hi = elsewhere + sizeof(elsewhere);
	TEST_ASSERT(up_route_take(x.s, &f, mono_ms(), &b));
	TEST_EQ(b.n, 0);
	pthread_mutex_unlock(&x.s->lock);
	usleep(20000);
	TEST_EQ(sink_count(x.sink_fd), 1);

	up_route_fold(x.rt, &c);
	TEST_EQ(c.pkts, n + 1);
	fix_close(&x);
	return 0;
}

/* A session with hundreds of calls: its table grows, every route is
 * still found, and each sends only its own port's frames */
static int table_grows(void)
{
	enum { N = 300 };
	struct up_route_counts c = { 0 };
	struct up_route *rt[N] = { 0 };
	struct frame f;
	struct fix x;
	unsigned total = 0;

	TEST_EQ(fix_open(&x), 0);
	for (int i = 0; i < N; i++) {
		x.spec.relay_port = RELAY_PORT + 2 * i;
		TEST_EQ(up_route_publish(&rt[i], x.s, &x.spec, &x.gen, &c), 0);
	}
	TEST_EQ(x.s->routes_n, N);
	TEST_ASSERT(x.s->routes_size >= N / 2);
	for (int i = 0; i < N; i++) {
		media(&f, "10.0.0.1", RELAY_PORT + 2 * i, false);
		TEST_ASSERT(send_on(x.s, &f));
		if (i % 50 == 0) {
			usleep(20000);
			total += sink_count(x.sink_fd);
		}
	}
	media(&f, "10.0.0.1", RELAY_PORT + 1, false); /* no such call */
	TEST_ASSERT(!send_on(x.s, &f));
	usleep(20000);
	total += sink_count(x.sink_fd);
	TEST_EQ(total, N);
	for (int i = 0; i < N; i++) {
		memset(&c, 0, sizeof(c));
		up_route_withdraw(&rt[i], &c);
		TEST_EQ(c.pkts, 1);
	}
	TEST_EQ(x.s->routes_n, 0);
	fix_close(&x);
	return 0;
}

struct withdrawer {
	struct up_route **rt;
	struct up_route_counts c;
	atomic_bool started, done;
};

static void *withdraw_thread(void *arg)
{
	struct withdrawer *w = arg;

	atomic_store(&w->started, true);
	up_route_withdraw(w->rt, &w->c);
	atomic_store(&w->done, true);
	return NULL;
}

/* The loop withdraws a route (its socket is about to close) while a
 * worker's batch still holds it: the withdrawal waits for the batch, so
 * the descriptor is never used after it may be closed, and what the
 * batch sent is counted */
static int withdraw_waits_for_batch(void)
{
	struct up_route_batch b = { 0 };
	struct withdrawer w = { 0 };
	struct frame f;
	pthread_t th;
	struct fix x;

	TEST_EQ(fix_route(&x), 0);
	media(&f, "10.0.0.1", RELAY_PORT, false);
	TEST_EQ(take_all(x.s, &f, 3, &b), 3);
	w.rt = &x.rt;
	TEST_EQ(pthread_create(&th, NULL, withdraw_thread, &w), 0);
	/* this thread is the worker: it holds the route lock and takes
	 * no session lock till its batch is sent (ep_up.c's order) */
	for (int i = 0; i < 500 && !atomic_load(&w.started); i++)
		usleep(10000);
	TEST_ASSERT(atomic_load(&w.started));
	usleep(100000);
	TEST_ASSERT(!atomic_load(&w.done));
	up_route_send_batch(x.s, &b);
	TEST_EQ(pthread_join(th, NULL), 0);
	TEST_ASSERT(atomic_load(&w.done));
	TEST_ASSERT(x.rt == NULL);
	TEST_EQ(w.c.pkts, 3);
	TEST_ASSERT(!send_on(x.s, &f)); /* withdrawn: the loop's way */
	usleep(20000);
	TEST_EQ(sink_count(x.sink_fd), 3);
	fix_close(&x);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(settled_route_sends),
		UNIT_TEST(only_its_own_frames),
		UNIT_TEST(stale_and_withdrawn),
		UNIT_TEST(route_moves_with_session),
		UNIT_TEST(refused_send_counted),
		UNIT_TEST(batch_bounds),
		UNIT_TEST(table_grows),
		UNIT_TEST(withdraw_waits_for_batch),
	};
	int r;

	log_init("test_up_route", true, -2);
	if (libre_init())
		return 1;
	r = unit_main("up_route", tests, ARRAY_SIZE(tests));
	libre_close();
	return r;
}
