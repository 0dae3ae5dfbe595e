/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
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
#include "down_batch.h"

/* A dropped session's last epoch: an HRAC that comes back after it is
 * told what of its frames was delivered (sofw-tunnel(7), Resuming) */
struct session_past {
	char id[HRACS_ID_MAX + 1];
	struct session_end end;
};

struct sessions {
	pthread_mutex_t lock;
	struct session **v;
	uint32_t max, n;
	struct session_past *past; /* max of them, the oldest replaced */
	uint32_t past_next;
	struct chan_limits lim;
	bool closing;                /* shutting down */
	struct sessions_totals gone; /* of the sessions that ended */
	struct down_batch *batch;    /* the loop's, or NULL: at once */
};

int sessions_alloc(struct sessions **tp, uint32_t max,
                   const struct chan_limits *lim)
{
	struct sessions *t;

	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->v = calloc(max, sizeof(*t->v));
	t->past = calloc(max, sizeof(*t->past));
	if (!t->v || !t->past) {
		free(t->v);
		free(t->past);
		free(t);
		return ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->max = max;
	t->lim = *lim;
	*tp = t;
	return 0;
}

/* The loop's per-iteration batches (down_batch.h), for the sessions
 * opened from now on; set before any is opened */
void sessions_set_batch(struct sessions *t, struct down_batch *b)
{
	pthread_mutex_lock(&t->lock);
	t->batch = b;
	pthread_mutex_unlock(&t->lock);
}

/* A reload's new queue limits, for the sessions opened from now on (a
 * session's channel keeps the ones it was made with) */
void sessions_set_limits(struct sessions *t, const struct chan_limits *lim)
{
	pthread_mutex_lock(&t->lock);
	t->lim = *lim;
	pthread_mutex_unlock(&t->lock);
}

void sessions_free(struct sessions *t)
{
	if (!t)
		return;
	sessions_close_all(t);
	pthread_mutex_destroy(&t->lock);
	explicit_bzero(t->past, t->max * sizeof(*t->past));
	free(t->past);
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
	mem_deref(s->routes); /* empty: each route referenced us */
	pthread_cond_destroy(&s->cond);
	pthread_rwlock_destroy(&s->route_lock);
	pthread_mutex_destroy(&s->lock);
	explicit_bzero(s->token, sizeof(s->token));
	free(s);
}

static struct session *session_new(const char *id, bool probe,
                                   const struct chan_limits *lim)
{
	pthread_rwlockattr_t ra;
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
	/* the loop's barrier must not wait behind a stream of readers */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(
	    &ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->route_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->probe = probe;
	s->opened = s->idle_since = mono_us();
	return s;
}

static bool same_token(const char *a, const char *b)
{
	return a && a[0] && b[0] && secret_equal(a, b, SESSION_TOKEN_LEN);
}

/*
 * The HRAC resumes from an epoch of this session (locked): frames it had
 * delivered leave our queue, and it is told what we had delivered
 * (the next frame we expected then; 0 if the epoch is not known).  The
 * epoch before the current one counts only while the HRAC never learnt
 * the current one (the answer to its open was lost): its numbering then
 * goes on under the new epoch.
 */
static uint32_t resume_locked(struct session *s, const struct session_open *o,
                              bool *from_prev)
{
	*from_prev = false;
	if (!o->resume_next)
		return 0;
	if (same_token(o->resume_token, s->token)) {
		chan_peer_delivered(&s->chan, o->resume_next, NULL);
		return s->chan.rx_next;
	}
	if (same_token(o->resume_token, s->prev.token)) {
		chan_peer_delivered(&s->chan, o->resume_next, &s->prev.mark);
		*from_prev = true;
		return s->prev.mark.rx_next;
	}
	return 0;
}

/* A new epoch: fresh token, key and numbering; queued signalling is
 * kept */
static int session_new_epoch(struct session *s, const struct session_open *o,
                             uint32_t *resumed)
{
	char token[SESSION_TOKEN_LEN + 1];
	struct chan_mark now;
	bool from_prev;
	int e;

	e = secret_random_hex(token, SESSION_TOKEN_LEN / 2);
	if (e)
		return e;

	pthread_mutex_lock(&s->lock);
	if (!*resumed)
		*resumed = resume_locked(s, o, &from_prev);
	else
		from_prev = false;
	now = chan_mark(&s->chan);
	if (from_prev) {
		/* the current epoch was never used: the one before goes on */
		s->prev.mark.first += now.first - 1;
	} else {
		memcpy(s->prev.token, s->token, sizeof(s->prev.token));
		s->prev.mark = now;
	}
	memcpy(s->token, token, sizeof(token));
	s->epoch++;
	chan_renumber(&s->chan);
	snprintf(s->peer, sizeof(s->peer), "%s", o->peer);
	snprintf(s->instance, sizeof(s->instance), "%s", o->instance);
	snprintf(s->key, sizeof(s->key), "%s", o->key);
	s->req_top = s->req_seen = 0;
	if (!s->down_active)
		s->idle_since = mono_us();
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);

	explicit_bzero(token, sizeof(token));
	return 0;
}

/* A dropped session of @id that the HRAC resumes from (locked table):
 * what we had delivered; the record is used up */
static uint32_t resume_past_locked(struct sessions *t,
                                   const struct session_open *o)
{
	for (uint32_t i = 0; i < t->max; i++) {
		struct session_past *p = &t->past[i];
		uint32_t next;

		if (!p->id[0] || strcmp(p->id, o->id))
			continue;
		next = same_token(o->resume_token, p->end.token)
		           ? p->end.mark.rx_next
		           : 0;
		explicit_bzero(p, sizeof(*p));
		return o->resume_next ? next : 0;
	}
	return 0;
}

/* Keep where a dropped session's epoch ended (locked table, session
 * locked) */
static void remember_locked(struct sessions *t, const struct session *s)
{
	struct session_past *p = &t->past[t->past_next];

	if (s->probe || t->closing)
		return;
	for (uint32_t i = 0; i < t->max; i++) {
		if (!strcmp(t->past[i].id, s->id))
			explicit_bzero(&t->past[i], sizeof(t->past[i]));
	}
	t->past_next = (t->past_next + 1) % t->max;
	snprintf(p->id, sizeof(p->id), "%s", s->id);
	memcpy(p->end.token, s->token, sizeof(p->end.token));
	p->end.mark = chan_mark(&s->chan);
}

/* The site's session of @id (not a probe), locked table */
static struct session *find_id_locked(struct sessions *t, const char *id)
{
	for (uint32_t i = 0; i < t->n; i++) {
		if (!t->v[i]->probe && !strcmp(t->v[i]->id, id))
			return t->v[i];
	}
	return NULL;
}

static unsigned probes_locked(struct sessions *t, const char *id)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < t->n; i++)
		n += t->v[i]->probe && !strcmp(t->v[i]->id, id);
	return n;
}

/* Another HRAC process holds @s with a live down stream (s locked) */
static bool held_by_other(const struct session *s, const struct session_open *o)
{
	return s->down_active > 0 && strcmp(s->instance, o->instance);
}

/**
 * Open (or re-open) the session of an authenticated identity
 *
 * @return 0 with a reference in *sp; ENOSPC when the table is full;
 *         EBUSY when another HRAC process holds the session (or the
 *         identity has its probes already); @sp then holds the session
 *         in the way, referenced, if there is one
 */
int sessions_open(struct sessions *t, const struct session_open *o,
                  struct session **sp, bool *replaced, uint32_t *resumed)
{
	struct session *s = NULL;
	int e;

	*sp = NULL;
	*resumed = 0;
	pthread_mutex_lock(&t->lock);
	if (t->closing) {
		pthread_mutex_unlock(&t->lock);
		return ESHUTDOWN;
	}
	if (o->probe) {
		if (probes_locked(t, o->id) >= SESSION_PROBES_MAX) {
			pthread_mutex_unlock(&t->lock);
			return EBUSY;
		}
	} else {
		s = find_id_locked(t, o->id);
	}
	*replaced = s != NULL;
	if (s && !o->takeover) {
		bool busy;

		pthread_mutex_lock(&s->lock);
		busy = held_by_other(s, o);
		pthread_mutex_unlock(&s->lock);
		if (busy) {
			*sp = session_ref(s);
			pthread_mutex_unlock(&t->lock);
			return EBUSY;
		}
	}
	if (!s) {
		if (t->n >= t->max) {
			pthread_mutex_unlock(&t->lock);
			return ENOSPC;
		}
		s = session_new(o->id, o->probe, &t->lim);
		if (!s) {
			pthread_mutex_unlock(&t->lock);
			return ENOMEM;
		}
		s->batch = t->batch;
		t->v[t->n++] = s;
		if (!o->probe)
			*resumed = resume_past_locked(t, o);
	}
	e = session_new_epoch(s, o, resumed);
	if (!e) {
		*sp = session_ref(s);
		t->gone.opens++;
	}
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
/* The site's session of HRAC @id (never a probe), referenced */
struct session *sessions_find_id(struct sessions *t, const char *id)
{
	struct session *found;

	pthread_mutex_lock(&t->lock);
	found = find_id_locked(t, id);
	if (found)
		session_ref(found);
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

/* A session's counts added to @tot (session locked) */
static void add_totals(struct sessions_totals *tot, const struct session *s)
{
	const struct chan_stats *st = &s->chan.st;

	tot->frames_up += st->rx_rel + st->rx_media;
	tot->frames_down += st->tx_rel + st->tx_retrans + st->tx_media;
	tot->bytes_up += s->bytes_up;
	tot->bytes_down += s->bytes_down;
	tot->down_writes += s->down_writes;
	tot->down_direct_writes += s->down_direct_writes;
	tot->drop_dup += st->rx_dup;
	tot->drop_gap += st->rx_gap;
	tot->drop_stale += st->drop_stale;
	tot->drop_overflow += st->drop_overflow;
	tot->rel_refused += st->rel_refused;
}

static void close_locked(struct sessions *t, struct session *s, const char *why)
{
	unlink_locked(t, s);

	pthread_mutex_lock(&s->lock);
	add_totals(&t->gone, s);
	s->closed = true;
	remember_locked(t, s);
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

/* Remove the sessions of HRAC @id, probes included */
void sessions_drop_id(struct sessions *t, const char *id, const char *why)
{
	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < t->n;) {
		if (!strcmp(t->v[i]->id, id))
			close_locked(t, t->v[i],
			             why); /* moves the last into i */
		else
			i++;
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
	t->closing = true; /* shutting down: no session opens any more */
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

/**
 * The totals of every session, ended or not, and the gauges of each
 * site's session now (@vp: free() it).  Loop thread, once a second: the
 * locks are the ones the status takes, nothing is added to the packets'
 */
int sessions_metrics(struct sessions *t, struct sessions_totals *tot,
                     struct session_gauges **vp, size_t *np)
{
	struct session_gauges *v;
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	v = calloc(t->n ? t->n : 1, sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&t->lock);
		return ENOMEM;
	}
	*tot = t->gone;
	for (uint32_t i = 0; i < t->n; i++) {
		struct session *s = t->v[i];

		pthread_mutex_lock(&s->lock);
		add_totals(tot, s);
		if (!s->probe) {
			snprintf(v[n].id, sizeof(v[n].id), "%s", s->id);
			v[n].sig_bytes = s->chan.rel_bytes;
			v[n].media_bytes = chan_media_queued(&s->chan);
			n++;
		}
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_unlock(&t->lock);
	*vp = v;
	*np = n;
	return 0;
}

size_t sessions_count(struct sessions *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->n;
	pthread_mutex_unlock(&t->lock);
	return n;
}

/* Record request number @n (locked): false if seen, or too old */
static bool number_fresh(struct session *s, uint64_t n)
{
	uint64_t d;

	if (n > s->req_top) {
		d = n - s->req_top;
		s->req_seen = d >= 64 ? 0 : s->req_seen << d;
		s->req_seen |= 1;
		s->req_top = n;
		return true;
	}
	d = s->req_top - n;
	if (d >= 64 || (s->req_seen & ((uint64_t)1 << d)))
		return false;
	s->req_seen |= (uint64_t)1 << d;
	return true;
}

/**
 * Does a request of @epoch carry a right X-SoFW-Auth ("N MAC")?  Its
 * number is used up if so.
 */
bool session_request_ok(struct session *s, uint32_t epoch, const char *method,
                        const char *endpoint, const char *auth)
{
	char key[SECRET_PROOF_HEX + 1], token[SESSION_TOKEN_LEN + 1];
	char mac[SECRET_REQ_MAC_HEX + 1], want[SECRET_REQ_MAC_HEX + 1];
	unsigned long long n;
	bool ok;
	int len;

	if (!auth || sscanf(auth, "%20llu %32[0-9a-f]%n", &n, mac, &len) != 2 ||
	    auth[len] || !n || strlen(mac) != SECRET_REQ_MAC_HEX)
		return false;
	pthread_mutex_lock(&s->lock);
	memcpy(key, s->key, sizeof(key));
	memcpy(token, s->token, sizeof(token));
	pthread_mutex_unlock(&s->lock);
	ok = !secret_request_mac(want, key, method, endpoint, token, n) &&
	     secret_equal(want, mac, SECRET_REQ_MAC_HEX);
	explicit_bzero(key, sizeof(key));
	if (!ok)
		return false;
	pthread_mutex_lock(&s->lock);
	ok = session_current(s, epoch) && number_fresh(s, n);
	pthread_mutex_unlock(&s->lock);
	return ok;
}

/* Whether a request of @epoch still speaks for the session (locked) */
bool session_current(const struct session *s, uint32_t epoch)
{
	return !s->closed && s->epoch == epoch;
}

/*
 * Wake the down writer if it waits for frames (locked).  Once: the
 * frames queued until it runs leave with the first, and a writer
 * gathering a timed batch (down_coalesce.h) is not woken at all.
 */
void session_wake_writer(struct session *s)
{
	if (!s->down_waiting)
		return;
	s->down_waiting = false;
	pthread_cond_broadcast(&s->cond);
}

/* The writer learns of what was queued (locked): at the end of the
 * loop iteration when on the loop thread (down_batch.h), else now */
static void news_for_writer(struct session *s)
{
	if (!down_batch_add(s->batch, s))
		session_wake_writer(s);
}

static int push_locked(struct session *s, const struct frame *f, uint64_t now)
{
	if (frame_is_reliable_type(f->type))
		return chan_push_reliable(&s->chan, f);
	return chan_push_media(&s->chan, f, now);
}

/**
 * Queue a frame for the HRAC; its down writer learns of it
 *
 * @return 0, ENOTCONN (session closed), ENOBUFS (signalling queue full)
 */
int session_send(struct session *s, const struct frame *f, uint64_t now)
{
	int e;
	int e_all = session_send_batch(s, f, 1, now, &e);

	return e_all ? e_all : e;
}

/**
 * Queue @n frames for the HRAC under one lock: a relay read's packets
 *
 * @param errv each frame's result, as session_send's
 * @return 0, or ENOTCONN (session closed: none queued, errv not set)
 */
int session_send_batch(struct session *s, const struct frame *fv, size_t n,
                       uint64_t now, int *errv)
{
	bool any = false;

	pthread_mutex_lock(&s->lock);
	if (s->closed) {
		pthread_mutex_unlock(&s->lock);
		return ENOTCONN;
	}
	for (size_t i = 0; i < n; i++) {
		errv[i] = push_locked(s, &fv[i], now);
		any |= !errv[i];
	}
	if (any)
		news_for_writer(s);
	pthread_mutex_unlock(&s->lock);

	return 0;
}
