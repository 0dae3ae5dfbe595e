/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file workers.c  The FastCGI worker threads
 *
 * Threads are created with SIGINT/SIGTERM/SIGHUP blocked (main.c), so
 * signals reach the loop thread.  To stop, the listening socket and every
 * request's connection are shut down, which unblocks accept() and reads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcgiapp.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "inbox.h"
#include "tunsrv.h"
#include "endpoints.h"
#include "workers.h"
#include "fcgi_peer.h"

struct worker {
	struct workers *ws;
	pthread_t tid;
	atomic_int fd; /* the request's connection, -1 between requests */
};

struct workers {
	struct tunsrv *t;
	int listen_fd;
	long peer_uid;               /* the only client's user; -1: any */
	atomic_uint refused;         /* connections of anyone else */
	pthread_mutex_t accept_lock; /* one thread in accept at a time */
	pthread_mutex_t lock;        /* the fields below */
	struct worker **v;
	uint32_t n, max, idle;
	bool warned_full;
	atomic_bool stopping;
};

static int spawn(struct workers *ws);

/* --socket-peer-user: is the other end of @fd a socket of that user?  A
 * refusal is logged the first time and then every 100th, as a local
 * program knocking over and over must not fill the log */
static bool peer_allowed(struct workers *ws, int fd)
{
	unsigned n;
	uid_t uid;
	int e;

	if (ws->peer_uid < 0)
		return true;
	e = fcgi_peer_uid(fd, &uid);
	if (!e && (long)uid == ws->peer_uid)
		return true;
	n = atomic_fetch_add(&ws->refused, 1);
	if (n % 100)
		return false;
	if (e)
		log_warn("FastCGI connection refused: its other end's user is "
		         "unknown (%s); --socket-peer-user admits only local "
		         "sockets of uid %ld (%u refused so far)",
		         strerror(e), ws->peer_uid, n + 1);
	else
		log_warn("FastCGI connection refused: from a socket of uid %u, "
		         "not --socket-peer-user's uid %ld (%u refused so far)",
		         (unsigned)uid, ws->peer_uid, n + 1);
	return false;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	struct workers *ws = w->ws;
	FCGX_Request req;

	if (FCGX_InitRequest(&req, ws->listen_fd, 0)) {
		log_error("worker: cannot initialise a FastCGI request");
		return NULL;
	}

	for (;;) {
		bool more;
		int rc;

		pthread_mutex_lock(&ws->accept_lock);
		rc = FCGX_Accept_r(&req);
		pthread_mutex_unlock(&ws->accept_lock);

		if (atomic_load(&ws->stopping))
			break;
		if (rc < 0) {
			log_warn("FastCGI accept failed (%d); retrying", rc);
			usleep(100000);
			continue;
		}
		if (!peer_allowed(ws, req.ipcFd)) {
			FCGX_Free(&req, 1); /* closed, unanswered */
			continue;
		}

		pthread_mutex_lock(&ws->lock);
		ws->idle--;
		more = ws->idle == 0 && ws->n < ws->max;
		if (ws->idle == 0 && ws->n >= ws->max && !ws->warned_full) {
			log_warn("all %u worker threads busy: new requests "
			         "wait (raise --threads)",
			         ws->max);
			ws->warned_full = true;
		}
		pthread_mutex_unlock(&ws->lock);
		if (more && spawn(ws))
			log_warn("cannot add a worker thread: %s",
			         strerror(errno));

		atomic_store(&w->fd, req.ipcFd);
		ep_serve(ws->t, &req);
		atomic_store(&w->fd, -1);
		FCGX_Finish_r(&req);

		pthread_mutex_lock(&ws->lock);
		ws->idle++;
		if (ws->idle > 1)
			ws->warned_full = false;
		pthread_mutex_unlock(&ws->lock);
	}

	FCGX_Free(&req, 1);
	return NULL;
}

/* Add a thread; ws->lock must not be held */
static int spawn(struct workers *ws)
{
	struct worker *w;
	int e;

	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	w->ws = ws;
	atomic_init(&w->fd, -1);

	pthread_mutex_lock(&ws->lock);
	if (ws->n >= ws->max || atomic_load(&ws->stopping)) {
		pthread_mutex_unlock(&ws->lock);
		free(w);
		return 0;
	}
	e = pthread_create(&w->tid, NULL, run, w);
	if (e) {
		pthread_mutex_unlock(&ws->lock);
		free(w);
		errno = e;
		return e;
	}
	ws->v[ws->n++] = w;
	ws->idle++;
	pthread_mutex_unlock(&ws->lock);

	return 0;
}

int workers_start(struct workers **wp, struct tunsrv *t, int listen_fd,
                  long peer_uid, uint32_t max)
{
	struct workers *ws;
	int e;

	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return ENOMEM;
	ws->v = calloc(max, sizeof(*ws->v));
	if (!ws->v) {
		free(ws);
		return ENOMEM;
	}
	ws->t = t;
	ws->listen_fd = listen_fd;
	ws->peer_uid = peer_uid;
	ws->max = max;
	pthread_mutex_init(&ws->accept_lock, NULL);
	pthread_mutex_init(&ws->lock, NULL);
	atomic_init(&ws->stopping, false);
	atomic_init(&ws->refused, 0);

	/* two to start: one serving, one waiting in accept */
	for (int i = 0; i < 2; i++) {
		e = spawn(ws);
		if (e) {
			workers_stop(ws);
			return e;
		}
	}

	*wp = ws;
	return 0;
}

/* Stop every thread: sessions must already be closed (writers wake) */
/* Stop taking requests, and cut every request's connection: the reads
 * and writes of the workers fail from now on */
void workers_halt(struct workers *ws)
{
	if (!ws)
		return;
	atomic_store(&ws->stopping, true);
	shutdown(ws->listen_fd, SHUT_RDWR);

	pthread_mutex_lock(&ws->lock);
	for (uint32_t i = 0; i < ws->n; i++) {
		int fd = atomic_load(&ws->v[i]->fd);

		if (fd >= 0)
			shutdown(fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&ws->lock);
}

/* After workers_halt(), and once nothing makes a worker wait any more
 * (every session closed): wait for the threads, and free them */
void workers_stop(struct workers *ws)
{
	uint32_t n;

	if (!ws)
		return;
	workers_halt(ws);
	pthread_mutex_lock(&ws->lock);
	n = ws->n;
	pthread_mutex_unlock(&ws->lock);

	/* no thread is added once stopping is set and accept fails */
	for (uint32_t i = 0; i < n; i++) {
		pthread_join(ws->v[i]->tid, NULL);
		free(ws->v[i]);
	}

	pthread_mutex_destroy(&ws->accept_lock);
	pthread_mutex_destroy(&ws->lock);
	free(ws->v);
	free(ws);
}

void workers_counts(struct workers *ws, uint32_t *threads, uint32_t *busy)
{
	pthread_mutex_lock(&ws->lock);
	*threads = ws->n;
	*busy = ws->n - ws->idle;
	pthread_mutex_unlock(&ws->lock);
}
