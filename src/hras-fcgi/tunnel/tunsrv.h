/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file tunsrv.h  The tunnel server: what the tunnel's endpoints share
 *
 * This room runs on the FastCGI worker threads (endpoints.c, ep_*.c):
 * each HTTP request of the tunnel lives on one worker for its whole
 * life.  Everything here is shared between those threads and the loop
 * thread, so it is made with calloc(), guarded by its own lock, and the
 * sessions are counted with atomic references (session.h).  Frames that
 * came up the tunnel cross to the loop thread only through the inbox;
 * frames go down only through session_send().  See ../README for the
 * whole program's rules.
 */

struct hracs;
struct nonces;
struct sessions;
struct inbox;
struct workers;
struct report;
struct chan_limits;

/* The tunnel's options (hras-fcgi.8, "Tunnel") */
struct tunsrv_conf {
	char *hracs;            /* identities file */
	char *base_path;        /* URL path prefix of the endpoints */
	uint32_t keepalive;     /* s between keepalives on an idle stream */
	uint32_t down_max;      /* s a down stream lasts at most */
	uint32_t session_idle;  /* s without a down stream before drop */
	uint32_t poll_hold;     /* s a long poll is held */
	uint32_t max_payload;   /* bytes per frame payload */
	uint32_t frame_timeout; /* s a started frame has to complete */
	uint32_t threads;       /* FastCGI worker threads at most */
	uint32_t max_sessions;
	uint32_t media_max_age;        /* ms */
	uint32_t media_queue;          /* bytes of media queued per session */
	uint32_t sip_queue;            /* bytes of signalling awaiting ack */
	uint32_t inbox_bytes;          /* frames waiting for the loop thread */
	uint32_t coalesce_us;          /* a busy down stream's extra timed
	                                  gathering, 0: none (down_coalesce.h) */
	struct conf_list status_allow; /* who may read the status endpoint */
};

struct tunsrv {
	const struct tunsrv_conf *cfg; /* read-only once workers run, but
	                                  for status_allow (a reload) */
	pthread_rwlock_t cfg_lock;     /* status_allow: read, replaced */
	atomic_uint opening;           /* open requests being served */
	uint32_t open_max;   /* ... at most: the rest is for sessions */
	struct hracs *hracs; /* replaced under its own lock */
	struct nonces *nonces;
	struct sessions *sessions;
	struct down_batch *batch; /* the loop's wake-ups of down writers */
	struct inbox *inbox;      /* frames up: workers -> loop thread */
	struct report *report;    /* status, metrics: loop thread -> workers */
	struct workers *workers;
};

int tunsrv_init(struct tunsrv *t, const struct tunsrv_conf *cfg,
                struct hracs *hracs, inbox_frame_h *frameh, void *arg);
int tunsrv_start(struct tunsrv *t, int listen_fd, long peer_uid);
void tunsrv_stop(struct tunsrv *t);
void tunsrv_close(struct tunsrv *t);
int tunsrv_metrics(struct mbuf *mb, struct tunsrv *t);
void tunsrv_chan_limits(const struct tunsrv_conf *cfg, struct chan_limits *lim);
