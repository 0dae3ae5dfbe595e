/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file ep_status.c  GET status: the JSON report, for allowed addresses
 *
 * Who may read it (and the metrics, ep_metrics.c) is --status-allow (its
 * default, loopback, is in the options table), matched against the
 * address nginx saw (REMOTE_ADDR).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcgiapp.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "cidr.h"
#include "hracs.h"
#include "session.h"
#include "inbox.h"
#include "tunsrv.h"
#include "hreq.h"
#include "report.h"
#include "endpoints.h"

static bool allowed(const struct tunsrv *t, const char *remote)
{
	const struct conf_list *l = &t->cfg->status_allow;
	struct tunsrv *tw = (struct tunsrv *)t; /* its lock only */
	bool ok = false;
	struct cidr c;
	struct sa a;

	if (!remote || sa_set_str(&a, remote, 0))
		return false;
	/* a reload (SIGHUP) may replace the list */
	pthread_rwlock_rdlock(&tw->cfg_lock);
	for (size_t i = 0; !ok && i < l->n; i++)
		ok = !cidr_parse(&c, l->v[i]) && cidr_match(&c, &a);
	pthread_rwlock_unlock(&tw->cfg_lock);
	return ok;
}

/* Whether the client may read the status or the metrics; answers 403
 * itself if not */
bool ep_status_allowed(struct hreq *q)
{
	if (allowed(q->t, hreq_param(q, "REMOTE_ADDR")))
		return true;
	log_info("%s from %s: not in --status-allow: 403", q->endpoint,
	         q->peer);
	hreq_error(q, 403, "forbidden", NULL,
	           "the %s is not for this address (see --status-allow)",
	           q->endpoint);
	return false;
}

void ep_status(struct hreq *q)
{
	char *json = NULL;
	size_t len = 0;
	int e;

	if (!ep_status_allowed(q))
		return;
	/* the calls' identifiers only for whoever asks for them */
	e = report_copy(q->t->report,
	                hreq_query_is(q, "calls", "1") ? REPORT_CALLS
	                                               : REPORT_STATUS,
	                &json, &len);
	if (e) {
		hreq_error(q, 503, "not-ready", "Retry-After: 1\r\n",
		           "no status yet: try again in a second");
		return;
	}
	if (hreq_start(q, 200, "application/json", (long long)len, NULL) == 0)
		hreq_write(q, json, len, true);
	free(json);
}
