/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file ep_metrics.c  GET metrics: Prometheus text, for allowed addresses
 *
 * The same rule as the status (--status-allow, GET only, not cached):
 * the loop thread renders the metrics once a second with the status
 * (metrics.c) and publishes them to the report; this copies the latest.
 * So a scrape costs the packet path nothing, and sees values at most a
 * second old.  Prometheus text (0.0.4), or OpenMetrics 1.0 when the
 * scraper's Accept asks for it.
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

/* The text exposition format (Prometheus 0.0.4), and OpenMetrics 1.0
 * for a scraper that asks for it */
static const char ctype_prom[] = "text/plain; version=0.0.4; charset=utf-8";
static const char ctype_om[] =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/* A family's name in OpenMetrics: without the suffix its samples carry
 * (a counter's _total, an info's _info); @type: what the gauge
 * becomes.  @return the suffix's length, 0 for none */
static size_t om_suffix(const char *name, size_t n, const char **type)
{
	*type = NULL;
	if (n > 6 && !strncmp(name + n - 6, "_total", 6))
		return 6;
	if (n > 5 && !strncmp(name + n - 5, "_info", 5)) {
		*type = "info";
		return 5;
	}
	return 0;
}

/*
 * The same metrics as OpenMetrics 1.0: a family is named without the
 * suffix of its samples in the HELP and TYPE lines, a gauge named _info
 * is an info, and the text ends with "# EOF".  @out has room for @len
 * bytes and 6 more (nothing grows but the end).  @return its length
 */
static size_t to_openmetrics(char *out, const char *text, size_t len)
{
	size_t rd = 0, wr = 0;

	while (rd < len) {
		const char *line = text + rd, *nl, *sp = NULL, *type;
		size_t n, cut = 0;

		nl = memchr(line, '\n', len - rd);
		n = nl ? (size_t)(nl - line) + 1 : len - rd;
		rd += n;
		if (n > 7 && (!strncmp(line, "# HELP ", 7) ||
		              !strncmp(line, "# TYPE ", 7)))
			sp = memchr(line + 7, ' ', n - 7);
		if (sp)
			cut =
			    om_suffix(line + 7, (size_t)(sp - line) - 7, &type);
		if (!cut) {
			memcpy(out + wr, line, n);
			wr += n;
			continue;
		}
		memcpy(out + wr, line, (size_t)(sp - line) - cut);
		wr += (size_t)(sp - line) - cut;
		if (type && line[2] == 'T') /* "# TYPE x_info gauge" */
			wr += (size_t)sprintf(out + wr, " %s\n", type);
		else {
			memcpy(out + wr, sp, n - (size_t)(sp - line));
			wr += n - (size_t)(sp - line);
		}
	}
	memcpy(out + wr, "# EOF\n", 6);
	return wr + 6;
}

void ep_metrics(struct hreq *q)
{
	const char *accept = hreq_param(q, "HTTP_ACCEPT");
	bool om = accept && strstr(accept, "application/openmetrics-text");
	char *text = NULL;
	size_t len = 0;

	if (!ep_status_allowed(q))
		return;
	if (report_copy(q->t->report, REPORT_METRICS, &text, &len)) {
		hreq_error(q, 503, "not-ready", "Retry-After: 1\r\n",
		           "no metrics yet: try again in a second");
		return;
	}
	if (om) {
		char *o = malloc(len + 7);

		if (o) {
			len = to_openmetrics(o, text, len);
			free(text);
			text = o;
		} else {
			om = false;
		}
	}
	if (hreq_start(q, 200, om ? ctype_om : ctype_prom, (long long)len,
	               NULL) == 0)
		hreq_write(q, text, len, true);
	free(text);
}
