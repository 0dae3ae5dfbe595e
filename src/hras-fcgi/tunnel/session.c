/**
 * @file session.c  Tunnel sessions: one per HRAC identity
 *
 * Lock order: the table lock, then a session lock.  Nothing holding a
 * session lock takes the table lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "secret.h"
#include "hracs.h"
#include "session.h"

struct sessions {
	pthread_mutex_t lock;
	struct session **v;
	uint32_t max, n;
	struct chan_limits lim;
};

int sessions_alloc(struct sessions **tp, uint32_t max,
                   const struct chan_limits *lim)
{
	struct sessions *t;

	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->v = calloc(max, sizeof(*t->v));
	if (!t->v) {
		free(t);
		return ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->max = max;
	t->lim = *lim;
	*tp = t;
	return 0;
}

void sessions_free(struct sessions *t)
{
	if (!t)
		return;
	sessions_close_all(t);
	pthread_mutex_destroy(&t->lock);
	free(t->v);
	free(t);
}

struct session *session_ref(struct session *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

void session_deref(struct session *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;

	chan_close(&s->chan);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	explicit_bzero(s->token, sizeof(s->token));
	free(s);
}

static struct session *session_new(const char *id,
                                   const struct chan_limits *lim)
{
	pthread_condattr_t ca;
	struct session *s;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (chan_init(&s->chan, lim)) {
		free(s);
		return NULL;
	}
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->opened = s->idle_since = mono_us();
	return s;
}

/* A new epoch: fresh token and numbering; queued signalling is kept */
static int session_new_epoch(struct session *s, const char *peer)
{
	char token[SESSION_TOKEN_LEN + 1];
	int e;

	e = secret_random_hex(token, SESSION_TOKEN_LEN / 2);
	if (e)
		return e;

	pthread_mutex_lock(&s->lock);
	memcpy(s->token, token, sizeof(token));
	s->epoch++;
	chan_renumber(&s->chan);
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	if (!s->down_active)
		s->idle_since = mono_us();
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);

	explicit_bzero(token, sizeof(token));
	return 0;
}

/**
 * Open (or re-open) the session of an authenticated identity
 *
 * @return 0 with a reference in *sp, or ENOSPC when the table is full
 */
int sessions_open(struct sessions *t, const char *id, const char *peer,
                  struct session **sp, bool *replaced)
{
	struct session *s = NULL;
	int e;

	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < t->n; i++) {
		if (!strcmp(t->v[i]->id, id)) {
			s = t->v[i];
			break;
		}
	}
	*replaced = s != NULL;
	if (!s) {
		if (t->n >= t->max) {
			pthread_mutex_unlock(&t->lock);
			return ENOSPC;
		}
		s = session_new(id, &t->lim);
		if (!s) {
			pthread_mutex_unlock(&t->lock);
			return ENOMEM;
		}
		t->v[t->n++] = s;
	}
	e = session_new_epoch(s, peer);
	if (!e)
		*sp = session_ref(s);
	pthread_mutex_unlock(&t->lock);

	return e;
}

/* The session a token belongs to, referenced, with its current epoch */
struct session *sessions_find(struct sessions *t, const char *token,
                              uint32_t *epoch)
{
	struct session *found = NULL;

	if (!token || strlen(token) != SESSION_TOKEN_LEN)
		return NULL;

	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < t->n; i++) {
		struct session *s = t->v[i];

		pthread_mutex_lock(&s->lock);
		if (secret_equal(s->token, token, SESSION_TOKEN_LEN)) {
			found = session_ref(s);
			*epoch = s->epoch;
		}
		pthread_mutex_unlock(&s->lock);
		if (found)
			break;
	}
	pthread_mutex_unlock(&t->lock);

	return found;
}

/* The session of an HRAC identity, referenced, if it is connected */
struct session *sessions_find_id(struct sessions *t, const char *id)
{
	struct session *found = NULL;

	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < t->n; i++) {
		if (!strcmp(t->v[i]->id, id)) {
			found = session_ref(t->v[i]);
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);

	return found;
}

static void unlink_locked(struct sessions *t, struct session *s)
{
	for (uint32_t i = 0; i < t->n; i++) {
		if (t->v[i] == s) {
			t->v[i] = t->v[--t->n];
			t->v[t->n] = NULL;
			return;
		}
	}
}

static void close_locked(struct sessions *t, struct session *s, const char *why)
{
	unlink_locked(t, s);

	pthread_mutex_lock(&s->lock);
	s->closed = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);

	log_info("session of HRAC '%s' dropped: %s", s->id, why);
	session_deref(s);
}

/* Remove a session from the table; its requests end on their next wake */
void sessions_drop(struct sessions *t, struct session *s, const char *why)
{
	bool present = false;

	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < t->n; i++)
		present |= t->v[i] == s;
	if (present)
		close_locked(t, s, why);
	pthread_mutex_unlock(&t->lock);
}

/* Remove the session of HRAC @id, if there is one */
void sessions_drop_id(struct sessions *t, const char *id, const char *why)
{
	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < t->n; i++) {
		if (!strcmp(t->v[i]->id, id)) {
			close_locked(t, t->v[i], why);
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
}

/* Drop sessions without a down stream for longer than @idle (us) */
void sessions_expire(struct sessions *t, uint64_t now, uint64_t idle)
{
	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < t->n;) {
		struct session *s = t->v[i];
		bool expired;

		pthread_mutex_lock(&s->lock);
		expired = !s->down_active && now > s->idle_since &&
		          now - s->idle_since > idle;
		pthread_mutex_unlock(&s->lock);

		if (expired) {
			char why[80];

			snprintf(why, sizeof(why), "no down stream for %llu s",
			         (unsigned long long)(idle / 1000000));
			close_locked(t, s, why); /* moves the last into i */
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&t->lock);
}

void sessions_close_all(struct sessions *t)
{
	pthread_mutex_lock(&t->lock);
	while (t->n)
		close_locked(t, t->v[0], "shutting down");
	pthread_mutex_unlock(&t->lock);
}

/* The sessions as a JSON array */
/* Add "sessions": one object per HRAC session, to the report @o */
int sessions_status(struct odict *o, struct sessions *t)
{
	uint64_t now = mono_us();
	struct odict *arr;
	int err;

	err = odict_alloc(&arr, 64);
	if (err)
		return err;
	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < t->n && !err; i++) {
		struct session *s = t->v[i];
		struct odict *so;
		char key[16];

		err = odict_alloc(&so, 16);
		if (err)
			break;
		pthread_mutex_lock(&s->lock);
		err |= odict_entry_add(so, "hrac", ODICT_STRING, s->id);
		err |= odict_entry_add(so, "peer", ODICT_STRING, s->peer);
		err |= odict_entry_add(so, "age_s", ODICT_INT,
		                       (int64_t)((now - s->opened) / 1000000));
		err |= odict_entry_add(so, "down_streams", ODICT_INT,
		                       (int64_t)s->down_active);
		err |= odict_entry_add(so, "up_streams", ODICT_INT,
		                       (int64_t)s->up_active);
		err |= odict_entry_add(so, "bytes_up", ODICT_INT,
		                       (int64_t)s->bytes_up);
		err |= odict_entry_add(so, "bytes_down", ODICT_INT,
		                       (int64_t)s->bytes_down);
		pthread_mutex_unlock(&s->lock);
		snprintf(key, sizeof(key), "%u", i);
		err |= odict_entry_add(arr, key, ODICT_OBJECT, so);
		mem_deref(so);
	}
	pthread_mutex_unlock(&t->lock);
	err |= odict_entry_add(o, "sessions", ODICT_ARRAY, arr);
	mem_deref(arr);
	return err;
}

size_t sessions_count(struct sessions *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->n;
	pthread_mutex_unlock(&t->lock);
	return n;
}

/* Whether a request of @epoch still speaks for the session (locked) */
bool session_current(const struct session *s, uint32_t epoch)
{
	return !s->closed && s->epoch == epoch;
}

/**
 * Queue a frame for the HRAC and wake the down writer
 *
 * @return 0, ENOTCONN (session closed), ENOBUFS (signalling queue full)
 */
int session_send(struct session *s, const struct frame *f, uint64_t now)
{
	int e;

	pthread_mutex_lock(&s->lock);
	if (s->closed) {
		e = ENOTCONN;
	} else {
		if (frame_is_reliable_type(f->type))
			e = chan_push_reliable(&s->chan, f);
		else
			e = chan_push_media(&s->chan, f, now);
		if (!e)
			pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);

	return e;
}
