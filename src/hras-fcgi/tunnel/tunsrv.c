/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file tunsrv.c  The tunnel server: what the tunnel's endpoints share
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
#include "hracs.h"
#include "nonces.h"
#include "session.h"
#include "inbox.h"
#include "down_batch.h"
#include "report.h"
#include "workers.h"
#include "tunsrv.h"

enum {
	NONCE_LIFETIME_MS = 30000,
	OPENS_PER_SESSION = 4, /* answered challenges a lifetime, each */
	NONCE_CACHE_MIN = 64,
	OPEN_SHARE = 8, /* of the worker threads, at most, serve opens */
	OPEN_MIN = 2,
	REL_MAX_FRAMES = 16384, /* signalling frames awaiting ack */
	RTO_US = 1000000,
};

void tunsrv_chan_limits(const struct tunsrv_conf *cfg, struct chan_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->rel_max_bytes = cfg->sip_queue;
	lim->rel_max_frames = REL_MAX_FRAMES;
	lim->media_max_bytes = cfg->media_queue;
	lim->media_max_age = (uint64_t)cfg->media_max_age * 1000;
	lim->rto = RTO_US;
	lim->max_payload = cfg->max_payload;
}

/**
 * Everything but the workers; on the loop thread, whose loop the inbox
 * rings.  @frameh is called on that thread for each frame that came up.
 */
int tunsrv_init(struct tunsrv *t, const struct tunsrv_conf *cfg,
                struct hracs *hracs, inbox_frame_h *frameh, void *arg)
{
	struct chan_limits lim;
	int e;

	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	pthread_rwlock_init(&t->cfg_lock, NULL);
	t->hracs = hracs;
	/* opens come before authentication: however many, and however slow,
	 * they must leave the threads that sessions need */
	atomic_init(&t->opening, 0);
	t->open_max = max((uint32_t)OPEN_MIN, cfg->threads / OPEN_SHARE);
	tunsrv_chan_limits(cfg, &lim);
	e = sessions_alloc(&t->sessions, cfg->max_sessions, &lim);
	e = e ? e : down_batch_alloc(&t->batch); /* this is the loop thread */
	if (!e)
		sessions_set_batch(t->sessions, t->batch);
	/* room for every HRAC to re-open a few times in a nonce lifetime */
	e = e ? e
	      : nonces_alloc(&t->nonces, NONCE_LIFETIME_MS,
	                     max(NONCE_CACHE_MIN, (size_t)cfg->max_sessions *
	                                              OPENS_PER_SESSION));
	e = e ? e : report_alloc(&t->report);
	e = e ? e : inbox_alloc(&t->inbox, cfg->inbox_bytes, frameh, arg);
	if (e)
		tunsrv_close(t);
	return e;
}

/* The worker threads; they inherit the caller's signal mask */
int tunsrv_start(struct tunsrv *t, int listen_fd, long peer_uid)
{
	return workers_start(&t->workers, t, listen_fd, peer_uid,
	                     t->cfg->threads);
}

/* No new request; every session closed, so that the requests waiting
 * for frames end too (and no session can be opened meanwhile); then the
 * workers */
void tunsrv_stop(struct tunsrv *t)
{
	workers_halt(t->workers);
	sessions_close_all(t->sessions);
	workers_stop(t->workers);
	t->workers = NULL;
}

void tunsrv_close(struct tunsrv *t)
{
	inbox_free(t->inbox);
	down_batch_flush(t->batch); /* its sessions' references go */
	sessions_free(t->sessions);
	t->batch = mem_deref(t->batch); /* its sessions are gone */
	nonces_free(t->nonces);
	report_free(t->report);
	t->inbox = NULL;
	t->sessions = NULL;
	t->nonces = NULL;
	t->report = NULL;
}
