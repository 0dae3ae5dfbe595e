/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_session.c  The session table of hras-fcgi
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "secret.h"
#include "hracs.h"
#include "session.h"
#include "session_fix.h"
#include "unit.h"

static uint32_t resumed; /* what the last open resumed from */

static int push_sip(struct session *s)
{
	static const uint8_t pl[] = "MESSAGE";
	struct frame f;

	memset(&f, 0, sizeof(f));
	f.type = FRAME_SIP;
	sa_set_str(&f.addr, "10.0.0.1", 5060);
	f.payload = pl;
	f.len = 7;
	return session_send(s, &f, mono_us());
}

/* Open as one HRAC process would ("i1"), with a fixed request key */
static int sopen(struct sessions *t, const char *id, const char *peer,
                 struct session **sp, bool *replaced)
{
	struct session_open o = {
		.id = id, .peer = peer, .instance = "i1", .key = "k"
	};

	return sessions_open(t, &o, sp, replaced, &resumed);
}

static int open_replace_find(void)
{
	struct chan_limits lim;
	struct sessions *t;
	struct session *s, *s2, *f;
	char tok1[SESSION_TOKEN_LEN + 1];
	uint32_t epoch;
	bool replaced;

	session_fix_limits(&lim);
	TEST_EQ(sessions_alloc(&t, 2, &lim), 0);
	TEST_EQ(sopen(t, "site-a", "1.2.3.4:5", &s, &replaced), 0);
	TEST_ASSERT(!replaced);
	TEST_EQ(strlen(s->token), SESSION_TOKEN_LEN);
	memcpy(tok1, s->token, sizeof(tok1));
	TEST_EQ(push_sip(s), 0);
	TEST_EQ(push_sip(s), 0);

	f = sessions_find(t, tok1, &epoch);
	TEST_ASSERT(f == s);
	TEST_EQ(epoch, 1);
	session_deref(f);
	TEST_ASSERT(sessions_find(t, "0123456789abcdef0123456789abcdef",
	                          &epoch) == NULL);
	TEST_ASSERT(sessions_find(t, "short", &epoch) == NULL);
	TEST_ASSERT(sessions_find(t, NULL, &epoch) == NULL);

	/* the same identity again: same session, new epoch and token,
	 * queued signalling kept and numbered from 1 */
	TEST_EQ(sopen(t, "site-a", "1.2.3.4:6", &s2, &replaced), 0);
	TEST_ASSERT(replaced);
	TEST_ASSERT(s2 == s);
	TEST_ASSERT(strcmp(s2->token, tok1) != 0);
	TEST_EQ(s2->epoch, 2);
	TEST_ASSERT(!session_current(s2, 1));
	TEST_ASSERT(session_current(s2, 2));
	TEST_ASSERT(sessions_find(t, tok1, &epoch) == NULL);
	TEST_EQ(chan_unacked(&s2->chan), 2);
	TEST_EQ(s2->chan.next_seq, 3);
	session_deref(s2);

	/* table full */
	TEST_EQ(sopen(t, "site-b", "x", &s2, &replaced), 0);
	session_deref(s2);
	TEST_EQ(sopen(t, "site-c", "x", &s2, &replaced), ENOSPC);
	TEST_EQ(sessions_count(t), 2);

	session_deref(s);
	sessions_free(t);
	return 0;
}

static int expire_and_drop(void)
{
	struct chan_limits lim;
	struct sessions *t;
	struct session *a, *b;
	uint64_t now = mono_us();
	bool replaced;

	session_fix_limits(&lim);
	TEST_EQ(sessions_alloc(&t, 4, &lim), 0);
	TEST_EQ(sopen(t, "a", "x", &a, &replaced), 0);
	TEST_EQ(sopen(t, "b", "x", &b, &replaced), 0);

	/* a has a down stream attached, b has been idle for 70 s */
	pthread_mutex_lock(&a->lock);
	a->down_active = 1;
	a->idle_since = now - 70000000;
	pthread_mutex_unlock(&a->lock);
	pthread_mutex_lock(&b->lock);
	b->idle_since = now - 70000000;
	pthread_mutex_unlock(&b->lock);

	sessions_expire(t, now, 60000000);
	TEST_EQ(sessions_count(t), 1);
	TEST_ASSERT(b->closed);
	TEST_ASSERT(!a->closed);
	TEST_EQ(push_sip(b), ENOTCONN);

	sessions_drop(t, a, "test");
	TEST_EQ(sessions_count(t), 0);
	TEST_ASSERT(a->closed);
	sessions_drop(t, a, "twice is harmless");

	/* our references keep the objects; the last one frees them */
	TEST_EQ(atomic_load(&a->refs), 1);
	session_deref(a);
	session_deref(b);
	sessions_free(t);
	return 0;
}

/* One identity, two hrac processes: the second is refused while the
 * first's down stream is live, unless it takes over; the same process
 * re-opens freely; probes are sessions of their own, two at most */
static int instances_and_probes(void)
{
	struct session_open o = {
		.id = "site-a", .peer = "p1", .instance = "i1", .key = "k1"
	};
	struct chan_limits lim;
	struct sessions *t;
	struct session *s, *s2, *p1, *p2, *f;
	bool replaced;

	session_fix_limits(&lim);
	TEST_EQ(sessions_alloc(&t, 8, &lim), 0);
	TEST_EQ(sessions_open(t, &o, &s, &replaced, &resumed), 0);
	pthread_mutex_lock(&s->lock);
	s->down_active = 1; /* its down stream is live */
	pthread_mutex_unlock(&s->lock);

	o.instance = "i2";
	o.peer = "p2";
	TEST_EQ(sessions_open(t, &o, &s2, &replaced, &resumed), EBUSY);
	TEST_ASSERT(s2 == s); /* the one in the way */
	TEST_STREQ(s2->peer, "p1");
	session_deref(s2);
	o.instance = "i1";
	TEST_EQ(sessions_open(t, &o, &s2, &replaced, &resumed), 0);
	TEST_ASSERT(replaced && s2 == s);
	session_deref(s2);
	o.instance = "i2";
	o.takeover = true;
	TEST_EQ(sessions_open(t, &o, &s2, &replaced, &resumed), 0);
	TEST_ASSERT(replaced && s2 == s);
	TEST_STREQ(s->instance, "i2");
	session_deref(s2);
	/* no down stream: a new process may open (a restart) */
	o.takeover = false;
	o.instance = "i3";
	pthread_mutex_lock(&s->lock);
	s->down_active = 0;
	pthread_mutex_unlock(&s->lock);
	TEST_EQ(sessions_open(t, &o, &s2, &replaced, &resumed), 0);
	session_deref(s2);

	/* probes: separate, never what the site's frames go to */
	o.probe = true;
	TEST_EQ(sessions_open(t, &o, &p1, &replaced, &resumed), 0);
	TEST_ASSERT(!replaced && p1 != s && p1->probe);
	TEST_EQ(sessions_open(t, &o, &p2, &replaced, &resumed), 0);
	TEST_ASSERT(p2 != p1);
	TEST_EQ(sessions_open(t, &o, &f, &replaced, &resumed), EBUSY);
	TEST_ASSERT(f == NULL);
	f = sessions_find_id(t, "site-a");
	TEST_ASSERT(f == s);
	session_deref(f);
	TEST_EQ(sessions_count(t), 3);
	/* a revoked identity loses its probes too */
	sessions_drop_id(t, "site-a", "revoked");
	TEST_EQ(sessions_count(t), 0);
	session_deref(p1);
	session_deref(p2);
	session_deref(s);
	sessions_free(t);
	return 0;
}

/* Frames 1..@n of the HRAC arrive: the session delivers them */
static void hrac_sent(struct session *s, uint32_t n)
{
	static const uint8_t pl[] = "MESSAGE";
	struct frame f;

	memset(&f, 0, sizeof(f));
	f.type = FRAME_SIP;
	f.rel = true;
	f.payload = pl;
	f.len = 7;
	for (uint32_t i = 1; i <= n; i++) {
		f.seq = i;
		chan_rx(&s->chan, &f);
	}
}

/* The session's frames 1..@n go down (sent, not yet acknowledged) */
static void sent_down(struct session *s)
{
	static uint8_t buf[1 << 16];

	chan_fill(&s->chan, buf, sizeof(buf), mono_us(), false);
}

/* Another open of the same HRAC, left at once: what it resumed from */
static int64_t reopen(struct sessions *t, const struct session_open *o)
{
	struct session *s;
	bool replaced;

	if (sessions_open(t, o, &s, &replaced, &resumed))
		return -1;
	session_deref(s);
	return resumed;
}

/* X-SoFW-Resume: an HRAC back from a session says what it delivered and
 * learns what HRAS delivered, from the current epoch, the one before it
 * (its open's answer was lost), or a dropped session; nothing else */
static int resume_epochs(void)
{
	struct session_open o = {
		.id = "site-a", .peer = "p", .instance = "i1", .key = "k"
	};
	char tok1[SESSION_TOKEN_LEN + 1], tok2[SESSION_TOKEN_LEN + 1];
	struct chan_limits lim;
	struct sessions *t;
	struct session *s;
	bool replaced;

	session_fix_limits(&lim);
	TEST_EQ(sessions_alloc(&t, 4, &lim), 0);
	TEST_EQ(sessions_open(t, &o, &s, &replaced, &resumed), 0);
	TEST_EQ(resumed, 0);
	memcpy(tok1, s->token, sizeof(tok1));
	for (int i = 0; i < 5; i++)
		TEST_EQ(push_sip(s), 0);
	sent_down(s);
	hrac_sent(s, 7);

	/* a token never ours, or no position: nothing resumed */
	o.resume_token = "0123456789abcdef0123456789abcdef";
	o.resume_next = 3;
	TEST_EQ(reopen(t, &o), 0);
	TEST_EQ(chan_unacked(&s->chan), 5);
	/* that open's answer was lost: the HRAC still counts in tok1's
	 * epoch, where it delivered 1..3 and HRAS had its 1..7 */
	memcpy(tok2, s->token, sizeof(tok2));
	o.resume_token = tok1;
	o.resume_next = 4;
	TEST_EQ(reopen(t, &o), 8);
	TEST_EQ(chan_unacked(&s->chan), 2);
	/* and lost again: still tok1's numbering */
	o.resume_next = 5;
	TEST_EQ(reopen(t, &o), 8);
	TEST_EQ(chan_unacked(&s->chan), 1);
	/* tok2 was never the HRAC's current epoch after tok1 went */
	o.resume_token = tok2;
	TEST_EQ(reopen(t, &o), 0);

	/* the current epoch: frames numbered in it */
	memcpy(tok1, s->token, sizeof(tok1));
	sent_down(s);
	hrac_sent(s, 2);
	o.resume_token = tok1;
	o.resume_next = 2;
	TEST_EQ(reopen(t, &o), 3);
	TEST_EQ(chan_unacked(&s->chan), 0);

	/* dropped: what HRAS had is remembered, once */
	memcpy(tok1, s->token, sizeof(tok1));
	hrac_sent(s, 4);
	sessions_drop(t, s, "idle");
	session_deref(s);
	o.resume_token = tok1;
	o.resume_next = 1;
	TEST_EQ(sessions_open(t, &o, &s, &replaced, &resumed), 0);
	TEST_ASSERT(!replaced);
	TEST_EQ(resumed, 5);
	sessions_drop(t, s, "idle");
	session_deref(s);
	o.resume_token = "0123456789abcdef0123456789abcdef";
	TEST_EQ(sessions_open(t, &o, &s, &replaced, &resumed), 0);
	TEST_EQ(resumed, 0);
	session_deref(s);
	sessions_free(t);
	return 0;
}

/* X-SoFW-Auth of a request, as hrac makes it */
static void auth_of(char *out, size_t sz, const char *key, const char *method,
                    const char *ep, const char *token, uint64_t n)
{
	char mac[SECRET_REQ_MAC_HEX + 1];

	if (secret_request_mac(mac, key, method, ep, token, n))
		mac[0] = '\0';
	snprintf(out, sz, "%llu %s", (unsigned long long)n, mac);
}

/* A request proves it is the HRAC's, and is used once */
static int request_proofs(void)
{
	struct session_open o = {
		.id = "site-a", .peer = "p", .instance = "i1", .key = "0123key"
	};
	struct chan_limits lim;
	struct sessions *t;
	struct session *s;
	char a[96], tok[SESSION_TOKEN_LEN + 1];
	uint32_t epoch;
	bool replaced;

	session_fix_limits(&lim);
	TEST_EQ(sessions_alloc(&t, 4, &lim), 0);
	TEST_EQ(sessions_open(t, &o, &s, &replaced, &resumed), 0);
	memcpy(tok, s->token, sizeof(tok));
	epoch = s->epoch;

	auth_of(a, sizeof(a), "0123key", "GET", "down", tok, 1);
	TEST_ASSERT(session_request_ok(s, epoch, "GET", "down", a));
	TEST_ASSERT(!session_request_ok(s, epoch, "GET", "down", a));
	/* the same number for another request is still a replay */
	auth_of(a, sizeof(a), "0123key", "POST", "up", tok, 1);
	TEST_ASSERT(!session_request_ok(s, epoch, "POST", "up", a));
	/* out of order within 64: fine, once each */
	auth_of(a, sizeof(a), "0123key", "POST", "up", tok, 40);
	TEST_ASSERT(session_request_ok(s, epoch, "POST", "up", a));
	auth_of(a, sizeof(a), "0123key", "POST", "up", tok, 3);
	TEST_ASSERT(session_request_ok(s, epoch, "POST", "up", a));
	TEST_ASSERT(!session_request_ok(s, epoch, "POST", "up", a));
	auth_of(a, sizeof(a), "0123key", "POST", "up", tok, 100);
	TEST_ASSERT(session_request_ok(s, epoch, "POST", "up", a));
	auth_of(a, sizeof(a), "0123key", "POST", "up", tok, 36);
	TEST_ASSERT(!session_request_ok(s, epoch, "POST", "up", a));
	/* the MAC covers the method, the endpoint, the token, the key */
	auth_of(a, sizeof(a), "0123key", "GET", "down", tok, 101);
	TEST_ASSERT(!session_request_ok(s, epoch, "POST", "down", a));
	TEST_ASSERT(!session_request_ok(s, epoch, "GET", "close", a));
	auth_of(a, sizeof(a), "other", "GET", "down", tok, 102);
	TEST_ASSERT(!session_request_ok(s, epoch, "GET", "down", a));
	auth_of(a, sizeof(a), "0123key", "GET", "down", "0123", 103);
	TEST_ASSERT(!session_request_ok(s, epoch, "GET", "down", a));
	/* malformed or missing */
	TEST_ASSERT(!session_request_ok(s, epoch, "GET", "down", NULL));
	TEST_ASSERT(!session_request_ok(s, epoch, "GET", "down", "104"));
	TEST_ASSERT(!session_request_ok(s, epoch, "GET", "down", "0 00"));
	auth_of(a, sizeof(a), "0123key", "GET", "down", tok, 105);
	strcat(a, "x");
	TEST_ASSERT(!session_request_ok(s, epoch, "GET", "down", a));
	/* a re-open: new key, numbers from 1 again, old epoch refused */
	o.key = "newkey";
	session_deref(s);
	TEST_EQ(sessions_open(t, &o, &s, &replaced, &resumed), 0);
	auth_of(a, sizeof(a), "newkey", "GET", "down", s->token, 1);
	TEST_ASSERT(!session_request_ok(s, epoch, "GET", "down", a));
	TEST_ASSERT(session_request_ok(s, s->epoch, "GET", "down", a));
	session_deref(s);
	sessions_free(t);
	return 0;
}

struct waiter {
	struct session *s;
	atomic_int woken;
};

/* A down writer waiting for frames, as ep_down's does */
static void *writer(void *arg)
{
	struct waiter *w = arg;
	struct session *s = w->s;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&s->lock);
	s->down_waiting = true;
	while (s->down_waiting &&
	       pthread_cond_timedwait(&s->cond, &s->lock, &ts) == 0)
		;
	atomic_store(&w->woken, !s->down_waiting);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* The first frame wakes a waiting writer; those after it do not ring
 * again, and nothing rings while no writer waits */
static int send_wakes_once(void)
{
	struct waiter w = { 0 };
	struct chan_limits lim;
	struct sessions *t;
	struct session *s;
	pthread_t th;
	bool replaced, waiting = false;

	session_fix_limits(&lim);
	TEST_EQ(sessions_alloc(&t, 2, &lim), 0);
	TEST_EQ(sopen(t, "site-a", "p", &s, &replaced), 0);

	TEST_EQ(session_fix_rtp(s), 0); /* no writer: no flag set */
	TEST_ASSERT(!s->down_waiting);

	w.s = s;
	TEST_EQ(pthread_create(&th, NULL, writer, &w), 0);
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&s->lock);
		waiting = s->down_waiting;
		pthread_mutex_unlock(&s->lock);
		if (waiting)
			break;
		sys_usleep(1000);
	}
	TEST_ASSERT(waiting);
	TEST_EQ(session_fix_rtp(s), 0);
	pthread_mutex_lock(&s->lock);
	TEST_ASSERT(!s->down_waiting); /* rung, and only once */
	pthread_mutex_unlock(&s->lock);
	TEST_EQ(session_fix_rtp(s), 0);
	pthread_join(th, NULL);
	TEST_EQ(atomic_load(&w.woken), 1);
	TEST_EQ(s->chan.media_wr > 0, 1);

	session_deref(s);
	sessions_free(t);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(open_replace_find),    UNIT_TEST(expire_and_drop),
		UNIT_TEST(instances_and_probes), UNIT_TEST(request_proofs),
		UNIT_TEST(resume_epochs),        UNIT_TEST(send_wakes_once),
	};

	log_init("test_session", true, -2);
	return unit_main("session", tests, ARRAY_SIZE(tests));
}
