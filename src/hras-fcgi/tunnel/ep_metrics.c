/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file ep_metrics.c  GET metrics: Prometheus text, for allowed addresses
 *
 * The same rule as the status (--status-allow, GET only, not cached):
 * the loop thread renders the metrics once a second with the status
 * (metrics.c) and publishes them to the report; this copies the latest.
 * So a scrape costs the packet path nothing, and sees values at most a
 * second old.
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
#include "hracs.h"
#include "session.h"
#include "inbox.h"
#include "tunsrv.h"
#include "hreq.h"
#include "report.h"
#include "endpoints.h"

/* The text exposition format's content type (Prometheus 0.0.4); also
 * what an OpenMetrics scraper accepts as its fallback */
static const char ctype[] = "text/plain; version=0.0.4; charset=utf-8";

void ep_metrics(struct hreq *q)
{
	char *text = NULL;
	size_t len = 0;

	if (!ep_status_allowed(q))
		return;
	if (report_copy(q->t->report, REPORT_METRICS, &text, &len)) {
		hreq_error(q, 503, "not-ready", "Retry-After: 1\r\n",
		           "no metrics yet: try again in a second");
		return;
	}
	if (hreq_start(q, 200, ctype, (long long)len, NULL) == 0)
		hreq_write(q, text, len, true);
	free(text);
}
