/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file endpoints.c  Routing a request to its endpoint, and what they share
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <fcgiapp.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "hracs.h"
#include "session.h"
#include "inbox.h"
#include "tunsrv.h"
#include "hreq.h"
#include "endpoints.h"

struct endpoint {
	const char *name;
	const char *method;
	void (*serve)(struct hreq *q);
};

static const struct endpoint endpoints[] = {
	{ "open", "POST", ep_open },    { "down", "GET", ep_down },
	{ "up", "POST", ep_up },        { "close", "POST", ep_close },
	{ "status", "GET", ep_status }, { "metrics", "GET", ep_metrics },
};

void ep_serve(struct tunsrv *t, FCGX_Request *r)
{
	struct hreq q;

	hreq_init(&q, r, t, t->cfg->base_path);

	if (!q.endpoint) {
		log_info("request from %s outside base path %s: 404", q.peer,
		         t->cfg->base_path);
		hreq_error(&q, 404, "not-found", NULL,
		           "no SoFW endpoint at this path (base path %s)",
		           t->cfg->base_path);
		return;
	}

	for (size_t i = 0; i < ARRAY_SIZE(endpoints); i++) {
		const struct endpoint *ep = &endpoints[i];
		char allow[64];

		if (strcmp(q.endpoint, ep->name))
			continue;
		if (strcmp(q.method, ep->method)) {
			log_info("%s %s from %s: method not allowed", q.method,
			         ep->name, q.peer);
			snprintf(allow, sizeof(allow), "Allow: %s\r\n",
			         ep->method);
			hreq_error(&q, 405, "method", allow,
			           "%s takes %s, not %s", ep->name, ep->method,
			           q.method);
			return;
		}
		ep->serve(&q);
		return;
	}

	log_info("request from %s for unknown endpoint '%.64s': 404", q.peer,
	         q.endpoint);
	hreq_error(&q, 404, "not-found", NULL, "no such endpoint '%.64s'",
	           q.endpoint);
}

/**
 * The session named by the request's X-SoFW-Session header, referenced,
 * if its X-SoFW-Auth proves the request is the HRAC's and new; answers
 * 404 unknown-session itself otherwise (the HRAC opens a new session)
 */
struct session *ep_session(struct hreq *q, uint32_t *epoch)
{
	const char *token = hreq_param(q, "HTTP_X_SOFW_SESSION");
	struct session *s;

	s = sessions_find(q->t->sessions, token, epoch);
	if (s && session_request_ok(s, *epoch, q->method, q->endpoint,
	                            hreq_param(q, "HTTP_X_SOFW_AUTH")))
		return s;
	if (s) {
		/* a replay, a forgery, or a request of an older open */
		log_warn("%s from %s for '%s': no valid request proof "
		         "(X-SoFW-Auth): answered 404",
		         q->endpoint, q->peer, s->id);
		session_deref(s);
	} else {
		log_warn("%s from %s: %s session: answered 404", q->endpoint,
		         q->peer, token ? "unknown or expired" : "no");
	}
	hreq_error(q, 404, "unknown-session", NULL,
	           "unknown or expired session: open a new one");
	return NULL;
}

/* Bound how long a read from nginx may block (an idle or dead client) */
int ep_read_timeout(struct hreq *q, uint32_t seconds)
{
	struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };

	if (setsockopt(q->r->ipcFd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) <
	    0)
		return errno;
	return 0;
}
