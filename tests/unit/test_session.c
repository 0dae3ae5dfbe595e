/**
 * @file test_session.c  The session table of hras-fcgi
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <re.h>
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "hracs.h"
#include "session.h"
#include "unit.h"

static void limits(struct chan_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->rel_max_bytes = 1 << 16;
	lim->rel_max_frames = 64;
	lim->media_max_bytes = 1 << 16;
	lim->media_max_age = 60000;
	lim->rto = 1000000;
	lim->max_payload = FRAME_MAX_PAYLOAD;
}

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

static int open_replace_find(void)
{
	struct chan_limits lim;
	struct sessions *t;
	struct session *s, *s2, *f;
	char tok1[SESSION_TOKEN_LEN + 1];
	uint32_t epoch;
	bool replaced;

	limits(&lim);
	TEST_EQ(sessions_alloc(&t, 2, &lim), 0);
	TEST_EQ(sessions_open(t, "site-a", "1.2.3.4:5", &s, &replaced), 0);
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
	TEST_EQ(sessions_open(t, "site-a", "1.2.3.4:6", &s2, &replaced), 0);
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
	TEST_EQ(sessions_open(t, "site-b", "x", &s2, &replaced), 0);
	session_deref(s2);
	TEST_EQ(sessions_open(t, "site-c", "x", &s2, &replaced), ENOSPC);
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

	limits(&lim);
	TEST_EQ(sessions_alloc(&t, 4, &lim), 0);
	TEST_EQ(sessions_open(t, "a", "x", &a, &replaced), 0);
	TEST_EQ(sessions_open(t, "b", "x", &b, &replaced), 0);

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

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(open_replace_find),
		UNIT_TEST(expire_and_drop),
	};

	log_init("test_session", true, -2);
	return unit_main("session", tests, ARRAY_SIZE(tests));
}
