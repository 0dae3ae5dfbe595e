/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file curl_loop.c  libcurl's multi interface driven by libre's loop
 *
 * curl must not be re-entered from its own callbacks, so the timer
 * callback only arms a libre timer; the socket and timer handlers call
 * curl_multi_socket_action() from the loop, then collect finished
 * transfers.
 *
 * What curl asks to watch on a socket already watched is applied once
 * curl is done acting: a send flips a socket to "writable too" and back
 * within one pass, and each flip would be an epoll_ctl.
 *
 * TLS records that OpenSSL read ahead (tunnel_xfer.c) are no longer in
 * the socket, and curl reads one record per pass unless SSL_pending()
 * or the socket tells it of more: the records after it would wait for
 * the socket's next data (a millisecond on a busy link, a packet's
 * interval on a quiet one; seen: 5 % of a 20-call burst's packets 20 ms
 * late).  So after each pass the transfers whose TLS still holds
 * records are run again until they are read (tls_drain).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <re.h>
#include "log.h"
#include "curl_loop.h"

struct curl_loop {
	CURLM *multi;
	struct tmr tmr;
	bool in_action;
	unsigned hold;       /* > 0: watch changes wait in @pending */
	struct list pending; /* struct watch whose change waits */
	CURL *resuming;      /* curl_loop_resume_send()'s transfer ... */
	curl_socket_t out;   /* ... the socket curl wants to write it on */
	struct list jobs;    /* struct curl_job added, not yet done */
};

enum {
	/* passes run for records read ahead, per wake-up: a busy link's
	 * burst is tens of records */
	TLS_DRAIN_MAX = 256,
};

/* per watched socket, so libre's handler knows which fd fired */
struct watch {
	struct le le; /* in pending, while a change waits */
	struct curl_loop *l;
	curl_socket_t fd;
	int flags; /* what libre watches for (0: not yet) */
	int want;  /* what curl asked for last */
};

static void fd_handler(int flags, void *arg);

static int watch_apply(struct watch *w)
{
	/* the same again: no system call to say so */
	if (w->want == w->flags)
		return 0;
	if (fd_listen(w->fd, w->want, fd_handler, w)) {
		log_error("cannot watch socket %d (raise fd limits)",
		          (int)w->fd);
		return -1;
	}
	w->flags = w->want;
	return 0;
}

static void hold(struct curl_loop *l)
{
	l->hold++;
}

/* The changes curl asked for while held, now (their net effect) */
static void release(struct curl_loop *l)
{
	if (--l->hold)
		return;
	while (l->pending.head) {
		struct watch *w = l->pending.head->data;

		list_unlink(&w->le);
		(void)watch_apply(w);
	}
}

static void check_done(struct curl_loop *l)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(l->multi, &left))) {
		struct curl_job *job = NULL;
		CURLcode res;

		if (msg->msg != CURLMSG_DONE)
			continue;
		res = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		                  (char **)&job);
		curl_multi_remove_handle(l->multi, msg->easy_handle);
		if (!job)
			continue;
		job->active = false;
		list_unlink(&job->le);
		if (job->doneh)
			job->doneh(job, res);
	}
}

static void action(struct curl_loop *l, curl_socket_t fd, int ev)
{
	int running;

	hold(l);
	l->in_action = true;
	curl_multi_socket_action(l->multi, fd, ev, &running);
	l->in_action = false;
	check_done(l);
	release(l);
}

/* Does @easy's TLS hold records that curl has not read? */
static bool tls_read_ahead(CURL *easy)
{
	struct curl_tlssessioninfo *ti = NULL;

	if (curl_easy_getinfo(easy, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK ||
	    !ti || ti->backend != CURLSSLBACKEND_OPENSSL || !ti->internals)
		return false;
	return SSL_has_pending((SSL *)ti->internals) == 1;
}

static curl_off_t downloaded(CURL *easy)
{
	curl_off_t n = 0;

	(void)curl_easy_getinfo(easy, CURLINFO_SIZE_DOWNLOAD_T, &n);
	return n;
}

static bool job_active(const struct curl_loop *l, const struct curl_job *job)
{
	for (const struct le *le = l->jobs.head; le; le = le->next)
		if (le->data == job)
			return true;
	return false;
}

/*
 * Run again each transfer whose TLS holds records read ahead, as if its
 * socket were readable, while that reads them (a paused transfer reads
 * nothing and is left); at most TLS_DRAIN_MAX passes.
 */
static void tls_drain(struct curl_loop *l)
{
	unsigned budget = TLS_DRAIN_MAX;
	struct le *le = l->jobs.head;

	while (le && budget) {
		struct curl_job *job = le->data;
		curl_off_t before;

		if (job->fd == CURL_SOCKET_BAD || !tls_read_ahead(job->easy)) {
			le = le->next;
			continue;
		}
		before = downloaded(job->easy);
		budget--;
		action(l, job->fd, CURL_CSELECT_IN);
		/* done, or read nothing: on to the others (from the start if
		 * it is done: the list may have changed) */
		if (!job_active(l, job))
			le = l->jobs.head;
		else if (downloaded(job->easy) == before)
			le = le->next;
	}
}

static void fd_handler(int flags, void *arg)
{
	struct watch *w = arg;
	struct curl_loop *l = w->l; /* @w may go in the action */
	int ev = 0;

	if (flags & FD_READ)
		ev |= CURL_CSELECT_IN;
	if (flags & FD_WRITE)
		ev |= CURL_CSELECT_OUT;
	if (flags & FD_EXCEPT)
		ev |= CURL_CSELECT_ERR;
	action(l, w->fd, ev);
	tls_drain(l);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp)
{
	struct curl_loop *l = userp;
	struct watch *w = socketp;
	struct curl_job *job = NULL;
	int flags = 0;

	/* which transfer is on which socket (tls_drain) */
	if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&job) ==
	        CURLE_OK &&
	    job)
		job->fd = what == CURL_POLL_REMOVE ? CURL_SOCKET_BAD : fd;

	if (what == CURL_POLL_REMOVE) {
		fd_close(fd);
		curl_multi_assign(l->multi, fd, NULL);
		if (w)
			list_unlink(&w->le);
		free(w);
		return 0;
	}

	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return -1;
		w->l = l;
		w->fd = fd;
		curl_multi_assign(l->multi, fd, w);
	}
	if (what & CURL_POLL_IN)
		flags |= FD_READ;
	if (what & CURL_POLL_OUT)
		flags |= FD_WRITE;
	w->want = flags;
	if (easy == l->resuming && (flags & FD_WRITE))
		l->out = fd;

	/* a new socket at once: a failure to watch it fails its transfer */
	if (!l->hold || !w->flags)
		return watch_apply(w);
	if (!w->le.list)
		list_append(&l->pending, &w->le, w);
	return 0;
}

static void tmr_handler(void *arg)
{
	action(arg, CURL_SOCKET_TIMEOUT, 0);
	tls_drain(arg);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct curl_loop *l = userp;

	(void)multi;

	if (timeout_ms < 0)
		tmr_cancel(&l->tmr);
	else
		tmr_start(&l->tmr, (uint64_t)timeout_ms, tmr_handler, l);
	return 0;
}

int curl_loop_alloc(struct curl_loop **lp)
{
	struct curl_loop *l;

	l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	l->multi = curl_multi_init();
	if (!l->multi) {
		free(l);
		return ENOMEM;
	}
	tmr_init(&l->tmr);
	list_init(&l->pending);
	list_init(&l->jobs);
	curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
	curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
	*lp = l;
	return 0;
}

void curl_loop_free(struct curl_loop *l)
{
	if (!l)
		return;
	tmr_cancel(&l->tmr);
	curl_multi_cleanup(l->multi);
	free(l);
}

int curl_loop_add(struct curl_loop *l, struct curl_job *job)
{
	CURLMcode mc;

	curl_easy_setopt(job->easy, CURLOPT_PRIVATE, job);
	job->fd = CURL_SOCKET_BAD;
	mc = curl_multi_add_handle(l->multi, job->easy);
	if (mc != CURLM_OK) {
		log_error("curl_multi_add_handle: %s", curl_multi_strerror(mc));
		return EINVAL;
	}
	job->active = true;
	list_append(&l->jobs, &job->le, job);
	return 0;
}

/* Abort a transfer; its done handler is not called */
void curl_loop_remove(struct curl_loop *l, struct curl_job *job)
{
	if (!job->active)
		return;
	curl_multi_remove_handle(l->multi, job->easy);
	job->active = false;
	list_unlink(&job->le);
}

/* Does a change still wait for @fd to be watched for writing? */
static bool wants_write(const struct curl_loop *l, curl_socket_t fd)
{
	for (struct le *le = l->pending.head; le; le = le->next) {
		const struct watch *w = le->data;

		if (w->fd == fd)
			return (w->want & FD_WRITE) != 0;
	}
	return false;
}

/**
 * Resume a paused upload and let it send now (from outside curl's
 * callbacks).  The unpause makes curl ask to watch the transfer's socket
 * for writing: that socket is taken as writable, which it is after small
 * writes (if not, the write finds out and curl waits as usual), and
 * only writing is asked for (an unpause alone makes curl try a read
 * too).  curl calls the read callback once per pass, so a second pass
 * lets it pause again at once when nothing more is queued, instead of
 * after a wake-up for the socket's writability; the socket's watch,
 * flipped to "writable too" and back meanwhile, is left alone.
 */
void curl_loop_resume_send(struct curl_loop *l, CURL *easy)
{
	curl_socket_t fd;

	hold(l);
	l->resuming = easy;
	l->out = CURL_SOCKET_BAD;
	curl_easy_pause(easy, CURLPAUSE_CONT);
	l->resuming = NULL;
	fd = l->out;
	if (fd != CURL_SOCKET_BAD) {
		action(l, fd, CURL_CSELECT_OUT);
		/* the easy handle may be gone: only the socket is asked
		 * after */
		if (wants_write(l, fd))
			action(l, fd, CURL_CSELECT_OUT);
	}
	/* else curl's timer (set by the unpause) runs the transfer */
	release(l);
}

/* Inside curl_multi_socket_action: curl must not be called back into */
bool curl_loop_busy(const struct curl_loop *l)
{
	return l->in_action;
}
