/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file status.c  What hras-fcgi reports at GET {base}/status, as JSON
 *
 * Built as a libre odict and encoded by libre's JSON encoder, so every
 * string (an HRAC's peer, a side's name) is escaped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "mono.h"
#include "quota.h"
#include "hracs.h"
#include "session.h"
#include "inbox.h"
#include "report.h"
#include "tunsrv.h"
#include "iface.h"
#include "rat.h"
#include "sipsrv.h"
#include "store.h"
#include "hras.h"
#include "metrics.h"
#include "status.h"

static int build(struct odict **op, struct hras *h, bool details)
{
	struct odict *o;
	int err;

	err = odict_alloc(&o, 16);
	if (err)
		return err;
	/* how long this process has run, not the host */
	err |= odict_entry_add(o, "uptime_s", ODICT_INT,
	                       (int64_t)((mono_us() - h->started) / 1000000));
	err |= sessions_status(o, h->tun.sessions);
	if (h->sip)
		err |= sipsrv_status(o, h->sip);
	if (h->relay)
		err |= rat_status(o, h->relay, details);
	if (err) {
		mem_deref(o);
		return err;
	}
	*op = o;
	return 0;
}

/* Built here, where the state lives, if someone asks for it; encoded by
 * the report's thread, or at once (@now: at start-up, so that the first
 * request finds one) */
static void publish(struct hras *h, bool details, bool now)
{
	enum report_kind k = details ? REPORT_CALLS : REPORT_STATUS;
	struct odict *o = NULL;

	if (!now && !report_wanted(h->tun.report, k))
		return;
	if (build(&o, h, details))
		return;
	if (now) {
		(void)report_encode(h->tun.report, k, o);
		mem_deref(o);
		return;
	}
	report_publish_odict(h->tun.report, k, o);
}

/* The metrics, rendered with the status from the same counters */
static void publish_metrics(struct hras *h)
{
	struct mbuf *mb = mbuf_alloc(8192);

	if (mb && !metrics_render(mb, h))
		(void)report_publish(h->tun.report, REPORT_METRICS,
		                     (const char *)mb->buf, mb->end);
	mem_deref(mb);
}

/* Render the report, in both versions, and the metrics, and publish
 * them (@now: the JSON too before returning); a failure keeps the last
 * ones */
void status_refresh(struct hras *h, bool now)
{
	publish(h, false, now);
	publish(h, true, now);
	publish_metrics(h);
}
