/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sip_metrics.c  The SIP service's metrics (Prometheus text,
 * hras-fcgi(8) METRICS): requests by method, responses by class,
 * registrations, calls, refusals
 *
 * Requests and responses are counted as libre sends and receives them
 * (its trace handler), so every message is counted once on the wire in
 * each direction, whichever part of the service made or took it: the
 * registrar's answers, the proxy's forwarded requests and responses,
 * retransmissions.  The count is an increment on the loop thread after
 * reading the start line's first bytes: no lock, no allocation.
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
#include "prom.h"
#include "quota.h"
#include "hracs.h"
#include "session.h"
#include "iface.h"
#include "location.h"
#include "sipsrv.h"
#include "dialog.h"

static const char *const method_names[SIPSRV_METHODS] = {
	[SIPSRV_INVITE] = "INVITE",     [SIPSRV_ACK] = "ACK",
	[SIPSRV_BYE] = "BYE",           [SIPSRV_CANCEL] = "CANCEL",
	[SIPSRV_REGISTER] = "REGISTER", [SIPSRV_OPTIONS] = "OPTIONS",
	[SIPSRV_INFO] = "INFO",         [SIPSRV_UPDATE] = "UPDATE",
	[SIPSRV_PRACK] = "PRACK",       [SIPSRV_SUBSCRIBE] = "SUBSCRIBE",
	[SIPSRV_NOTIFY] = "NOTIFY",     [SIPSRV_REFER] = "REFER",
	[SIPSRV_MESSAGE] = "MESSAGE",   [SIPSRV_PUBLISH] = "PUBLISH",
	[SIPSRV_OTHER] = "other",
};

static const char *const class_names[6] = { "1xx", "2xx", "3xx",
	                                    "4xx", "5xx", "6xx" };

/* libre 1.1's trace handler gets no argument of its own: the one SIP
 * service of the process is named here while it lives */
static struct sipsrv_stats *traced;

static enum sipsrv_method method_of(const uint8_t *p, size_t len)
{
	for (int m = 0; m < SIPSRV_OTHER; m++) {
		size_t n = strlen(method_names[m]);

		if (len > n && p[n] == ' ' && !memcmp(p, method_names[m], n))
			return (enum sipsrv_method)m;
	}
	return SIPSRV_OTHER;
}

static void on_trace(bool tx, enum sip_transp tp, const struct sa *src,
                     const struct sa *dst, const uint8_t *pkt, size_t len,
                     void *arg)
{
	struct sipsrv_stats *st = traced;

	(void)tp;
	(void)src;
	(void)dst;
	(void)arg;
	/* a keepalive (CRLF) is no message */
	if (!st || len < 12 || pkt[0] == '\r' || pkt[0] == '\n')
		return;
	if (!memcmp(pkt, "SIP/2.0 ", 8)) {
		if (pkt[8] >= '1' && pkt[8] <= '6')
			st->by_class[tx][pkt[8] - '1']++;
		return;
	}
	st->by_method[tx][method_of(pkt, len)]++;
}

void sipsrv_metrics_attach(struct sipsrv *s)
{
	traced = &s->st;
	sip_set_trace_handler(s->sip, on_trace);
}

void sipsrv_metrics_detach(struct sipsrv *s)
{
	sip_set_trace_handler(s->sip, NULL);
	if (traced == &s->st)
		traced = NULL;
}

static int wire(struct mbuf *mb, const struct sipsrv_stats *st)
{
	const char *rq = "sofw_hras_sip_requests_total";
	const char *rs = "sofw_hras_sip_responses_total";
	static const char *const dir[2] = { "in", "out" };
	int err;

	err = prom_family(mb, rq, PROM_COUNTER,
	                  "SIP requests received (in) and sent (out), by "
	                  "method; retransmissions included");
	for (int d = 0; d < 2; d++)
		for (int m = 0; m < SIPSRV_METHODS; m++)
			err |= prom_sample(mb, rq, "method", method_names[m],
			                   "direction", dir[d],
			                   st->by_method[d][m]);
	err |= prom_family(mb, rs, PROM_COUNTER,
	                   "SIP responses received (in) and sent (out), by "
	                   "class; retransmissions included");
	for (int d = 0; d < 2; d++)
		for (int c = 0; c < 6; c++)
			err |= prom_sample(mb, rs, "class", class_names[c],
			                   "direction", dir[d],
			                   st->by_class[d][c]);
	return err;
}

/* Loop thread: the SIP service's families, appended to @mb */
int sipsrv_metrics(struct mbuf *mb, const struct sipsrv *s)
{
	const struct sipsrv_stats *st = &s->st;
	const char *rf = "sofw_hras_sip_refused_total";
	int err;

	err = wire(mb, st);
	err |= prom_one(mb, "sofw_hras_registrations", PROM_GAUGE,
	                "registered bindings (contacts) now",
	                location_count(s->loc));
	err |= prom_one(mb, "sofw_hras_sip_registers_total", PROM_COUNTER,
	                "REGISTER requests the registrar handled (challenged "
	                "ones included)",
	                st->registers);
	err |= prom_one(mb, "sofw_hras_calls_active", PROM_GAUGE,
	                "calls up now: answered, not yet ended by BYE",
	                dialogs_active(s->dialogs));
	err |= prom_one(mb, "sofw_hras_dialogs", PROM_GAUGE,
	                "dialogs kept, early and ended ones included",
	                dialogs_count(s->dialogs));
	err |=
	    prom_one(mb, "sofw_hras_calls_total", PROM_COUNTER,
	             "initial INVITEs HRAS forwarded (calls tried)", st->calls);
	err |= prom_one(mb, "sofw_hras_sip_auth_failures_total", PROM_COUNTER,
	                "requests refused for their credentials (digest)",
	                st->refused_auth);
	err |=
	    prom_one(mb, "sofw_hras_sip_rate_limited_total", PROM_COUNTER,
	             "requests refused 503 by --rate-limit", st->refused_rate);
	err |= prom_by(mb, rf, PROM_COUNTER,
	               "requests refused for another reason: malformed (RFC "
	               "3261 16.3), or a relay HRAS does not do",
	               "reason",
	               (struct prom_kv[]){ { "malformed", st->refused_bad },
	                                   { "relay", st->refused_relay } },
	               2);
	return err;
}
