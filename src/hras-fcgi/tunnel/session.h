/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file session.h  Tunnel sessions: one per HRAC identity
 *
 * A session outlives the HTTP requests that carry it: the down GET, the up
 * POSTs and the polls come and go on different worker threads, the
 * session's channel keeps the frames.  Shared between threads, so it is
 * reference counted atomically and guarded by its own mutex (libre's mem
 * references are not atomic in 1.1.0).
 *
 * A second open for the same identity starts a new epoch of the same
 * session: a new token, numbering from 1, unacknowledged signalling kept.
 * Requests of an older epoch end on their next wake-up.  Only the same
 * HRAC process (its instance name) may re-open a session whose down
 * stream is live, unless it asks to take over: two processes with one
 * identity do not fight.  hrac --diagnose opens probe sessions of its
 * own, which never touch the site's.
 *
 * Each request of an epoch carries a number and a MAC under the epoch's
 * key (secret.h); a number seen before, or more than 64 below the
 * highest, is refused, so a request seen on the path is no use again.
 */

enum {
	SESSION_TOKEN_LEN = 32,
	SESSION_INSTANCE_MAX = 32, /* an HRAC process's own random name */
	SESSION_PROBES_MAX = 2,    /* diagnose probes per identity at once */
	SESSION_KEY_HEX = 64,      /* a request key: SECRET_PROOF_HEX */
};

/* Where an epoch of a session ended, for an HRAC to resume from: the
 * token names it, the mark says what this end had delivered */
struct session_end {
	char token[SESSION_TOKEN_LEN + 1]; /* "": none */
	struct chan_mark mark;
};

struct down_batch;
struct down_direct;

struct session {
	atomic_uint refs;
	pthread_mutex_t lock;
	pthread_cond_t cond;         /* down writers wait for frames here */
	pthread_rwlock_t route_lock; /* read: a worker sends on routes'
	                                sockets; write: the loop, before
	                                one may close (up_route.h) */

	/* constant while the session lives */
	char id[HRACS_ID_MAX + 1];
	bool probe; /* a diagnose probe's: pings only, never the site's */
	struct down_batch *batch; /* the loop's (down_batch.h), or NULL */

	/* under lock */
	char token[SESSION_TOKEN_LEN + 1];
	uint32_t epoch;
	struct session_end prev; /* the epoch before this one */
	bool closed;
	struct chan chan;
	uint32_t down_gen;    /* bumped by each new down request */
	uint32_t down_active; /* down requests attached */
	bool down_waiting;    /* the current down writer waits for frames:
	                         the next wake-up is its, the ones after
	                         that are not (session_wake_writer) */
	bool down_batched;    /* frames queued this loop iteration: the
	                         writer is woken at its end (down_batch.h) */
	struct down_direct *down_direct; /* the waiting writer's loan to
	                                    the loop thread (down_direct.h) */
	uint64_t down_writes;        /* writes of the down streams (batches) */
	uint64_t down_direct_writes; /* of them, by the loop thread */
	uint32_t up_active;          /* up requests attached */
	uint64_t idle_since;         /* us, when the last down request ended */
	uint64_t opened;             /* us */
	char peer[96];               /* where the last open came from */
	char instance[SESSION_INSTANCE_MAX + 1]; /* the HRAC process's */
	char key[SESSION_KEY_HEX + 1];           /* this epoch's request key */
	uint64_t req_top;         /* the highest request number seen */
	uint64_t req_seen;        /* bit i: number req_top - i seen */
	uint64_t conflict_logged; /* us: when a refused open was logged */
	uint64_t bytes_up, bytes_down;
	struct hash *routes; /* its calls' media ways out (up_route.h) */
	uint32_t routes_n, routes_size; /* routes in it; its buckets */

	/* under the inbox lock and the session's */
	uint32_t inbox_gen;
	size_t inbox_bytes;
};

/* What an authenticated open asks for */
struct session_open {
	const char *id;
	const char *peer;
	const char *instance; /* "" if the HRAC sent none */
	const char *key;      /* the epoch's request key */
	bool probe;           /* a separate session for hrac --diagnose */
	bool takeover;        /* replace a live session of another process */
	/* X-SoFW-Resume: the epoch the HRAC had, and the next frame it
	 * expected in it */
	const char *resume_token; /* NULL: none */
	uint32_t resume_next;
};

/* What the metrics count of the tunnel: the sessions that ended are
 * kept in the totals, so a counter never goes back (tun_metrics.c) */
struct sessions_totals {
	uint64_t opens;
	uint64_t frames_up, frames_down, bytes_up, bytes_down;
	uint64_t down_writes;        /* frames_down left in this many writes */
	uint64_t down_direct_writes; /* of them, by the loop thread */
	uint64_t drop_dup, drop_gap, drop_stale, drop_overflow, rel_refused;
};

/* One site's session now, for the metrics (never a probe's) */
struct session_gauges {
	char id[HRACS_ID_MAX + 1];
	uint64_t sig_bytes, media_bytes; /* queued toward the HRAC */
};

struct sessions;

void sessions_set_limits(struct sessions *t, const struct chan_limits *lim);
void sessions_set_batch(struct sessions *t, struct down_batch *b);
int sessions_alloc(struct sessions **tp, uint32_t max,
                   const struct chan_limits *lim);
void sessions_free(struct sessions *t);
int sessions_open(struct sessions *t, const struct session_open *o,
                  struct session **sp, bool *replaced, uint32_t *resumed);
struct session *sessions_find(struct sessions *t, const char *token,
                              uint32_t *epoch);
struct session *sessions_find_id(struct sessions *t, const char *id);
void sessions_drop(struct sessions *t, struct session *s, const char *why);
void sessions_drop_id(struct sessions *t, const char *id, const char *why);
void sessions_expire(struct sessions *t, uint64_t now, uint64_t idle);
void sessions_close_all(struct sessions *t);
size_t sessions_count(struct sessions *t);
int sessions_status(struct odict *o, struct sessions *t);
int sessions_metrics(struct sessions *t, struct sessions_totals *tot,
                     struct session_gauges **vp, size_t *np);

struct session *session_ref(struct session *s);
void session_deref(struct session *s);
bool session_current(const struct session *s, uint32_t epoch);
bool session_request_ok(struct session *s, uint32_t epoch, const char *method,
                        const char *endpoint, const char *auth);
int session_send(struct session *s, const struct frame *f, uint64_t now);
int session_send_batch(struct session *s, const struct frame *fv, size_t n,
                       uint64_t now, int *errv);
void session_wake_writer(struct session *s);
