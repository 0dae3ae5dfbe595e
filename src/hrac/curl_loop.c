/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file curl_loop.c  libcurl's multi interface driven by libre's loop
 *
 * curl must not be re-entered from its own callbacks, so the timer
 * callback only arms a libre timer; the socket and timer handlers call
 * curl_multi_socket_action() from the loop, then collect finished
 * transfers.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <curl/curl.h>
#include <re.h>
#include "log.h"
#include "curl_loop.h"

struct curl_loop {
	CURLM *multi;
	struct tmr tmr;
	bool in_action;
};

/* per watched socket, so libre's handler knows which fd fired */
struct watch {
	struct curl_loop *l;
	curl_socket_t fd;
	int flags; /* what libre watches for (0: not yet) */
};

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
		if (job->doneh)
			job->doneh(job, res);
	}
}

static void action(struct curl_loop *l, curl_socket_t fd, int ev)
{
	int running;

	l->in_action = true;
	curl_multi_socket_action(l->multi, fd, ev, &running);
	l->in_action = false;
	check_done(l);
}

static void fd_handler(int flags, void *arg)
{
	struct watch *w = arg;
	int ev = 0;

	if (flags & FD_READ)
		ev |= CURL_CSELECT_IN;
	if (flags & FD_WRITE)
		ev |= CURL_CSELECT_OUT;
	if (flags & FD_EXCEPT)
		ev |= CURL_CSELECT_ERR;
	action(w->l, w->fd, ev);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp)
{
	struct curl_loop *l = userp;
	struct watch *w = socketp;
	int flags = 0;

	(void)easy;

	if (what == CURL_POLL_REMOVE) {
		fd_close(fd);
		curl_multi_assign(l->multi, fd, NULL);
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

	/* the same again: no system call to say so */
	if (flags == w->flags)
		return 0;
	if (fd_listen(fd, flags, fd_handler, w)) {
		log_error("cannot watch socket %d (raise fd limits)", (int)fd);
		return -1;
	}
	w->flags = flags;
	return 0;
}

static void tmr_handler(void *arg)
{
	action(arg, CURL_SOCKET_TIMEOUT, 0);
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
	mc = curl_multi_add_handle(l->multi, job->easy);
	if (mc != CURLM_OK) {
		log_error("curl_multi_add_handle: %s", curl_multi_strerror(mc));
		return EINVAL;
	}
	job->active = true;
	return 0;
}

/* Abort a transfer; its done handler is not called */
void curl_loop_remove(struct curl_loop *l, struct curl_job *job)
{
	if (!job->active)
		return;
	curl_multi_remove_handle(l->multi, job->easy);
	job->active = false;
}

/* Let curl act soon (after an unpause, from outside its callbacks) */
void curl_loop_kick(struct curl_loop *l)
{
	tmr_start(&l->tmr, 0, tmr_handler, l);
}

/* Inside curl_multi_socket_action: curl must not be called back into */
bool curl_loop_busy(const struct curl_loop *l)
{
	return l->in_action;
}
