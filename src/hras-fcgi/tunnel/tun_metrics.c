/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file tun_metrics.c  The tunnel's metrics: HRACs up, frames, bytes,
 * drops, queues (Prometheus text, hras-fcgi(8) METRICS)
 *
 * Rendered by the loop thread with the rest of the metrics; reads the
 * counters the sessions and the inbox keep anyway, under the locks the
 * status takes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "prom.h"
#include "hracs.h"
#include "session.h"
#include "inbox.h"
#include "tunsrv.h"

static int cmp_id(const void *a, const void *b)
{
	const struct session_gauges *x = a, *y = b;

	return strcmp(x->id, y->id);
}

static const struct session_gauges *find(const struct session_gauges *v,
                                         size_t n, const char *id)
{
	struct session_gauges key;

	snprintf(key.id, sizeof(key.id), "%s", id);
	return bsearch(&key, v, n, sizeof(*v), cmp_id);
}

/* Up or not, per configured identity: one not connected is the alert
 * an administrator wants most, so it shows as 0, not as nothing */
static int hracs_up(struct mbuf *mb, const struct tunsrv *t,
                    const struct session_gauges *v, size_t n)
{
	char(*ids)[HRACS_ID_MAX + 1] = NULL;
	size_t nids = 0;
	int err;

	err = hracs_ids(t->hracs, &ids, &nids);
	if (err)
		return err;
	err = prom_one(mb, "sofw_hras_hracs", PROM_GAUGE,
	               "HRAC identities configured (--hracs)", nids);
	err |= prom_family(mb, "sofw_hras_tunnel_up", PROM_GAUGE,
	                   "1 while the HRAC has a tunnel session, 0 for a "
	                   "configured HRAC without one");
	for (size_t i = 0; i < nids; i++)
		err |= prom_sample(mb, "sofw_hras_tunnel_up", "hrac", ids[i],
		                   NULL, NULL, find(v, n, ids[i]) ? 1 : 0);
	free(ids);
	return err;
}

static int queues(struct mbuf *mb, struct tunsrv *t,
                  const struct session_gauges *v, size_t n)
{
	const char *name = "sofw_hras_tunnel_queue_bytes";
	int err;

	err = prom_one(mb, "sofw_hras_inbox_bytes", PROM_GAUGE,
	               "bytes of frames waiting for the loop thread (the "
	               "inbox)",
	               inbox_queued(t->inbox));
	err |=
	    prom_one(mb, "sofw_hras_inbox_capacity_bytes", PROM_GAUGE,
	             "the inbox's size (--inbox-bytes)", t->cfg->inbox_bytes);
	err |= prom_family(mb, name, PROM_GAUGE,
	                   "bytes queued toward an HRAC: signalling awaiting "
	                   "its ack, media awaiting sending");
	for (size_t i = 0; i < n; i++) {
		err |= prom_sample(mb, name, "hrac", v[i].id, "queue",
		                   "signalling", v[i].sig_bytes);
		err |= prom_sample(mb, name, "hrac", v[i].id, "queue", "media",
		                   v[i].media_bytes);
	}
	return err;
}

static int counters(struct mbuf *mb, struct tunsrv *t,
                    const struct sessions_totals *tot)
{
	const char *fr = "sofw_hras_tunnel_frames_total";
	const char *by = "sofw_hras_tunnel_bytes_total";
	const char *dr = "sofw_hras_tunnel_dropped_frames_total";
	int err;

	err = prom_one(mb, "sofw_hras_tunnel_opens_total", PROM_COUNTER,
	               "tunnel sessions opened (new, or a new epoch)",
	               tot->opens);
	err |= prom_by(mb, fr, PROM_COUNTER,
	               "frames through the tunnel: up, delivered from HRACs; "
	               "down, sent to them (resent included)",
	               "direction",
	               (struct prom_kv[]){ { "up", tot->frames_up },
	                                   { "down", tot->frames_down } },
	               2);
	err |= prom_one(mb, "sofw_hras_tunnel_down_writes_total", PROM_COUNTER,
	                "writes of the down streams to nginx: each carries "
	                "one batch of frames (--coalesce-us)",
	                tot->down_writes);
	err |= prom_one(mb, "sofw_hras_tunnel_down_direct_writes_total",
	                PROM_COUNTER,
	                "of those writes, the ones the loop thread made itself "
	                "while the stream's writer waited (no thread wake-up)",
	                tot->down_direct_writes);
	err |=
	    prom_by(mb, by, PROM_COUNTER,
	            "bytes of the tunnel's HTTP bodies, each way", "direction",
	            (struct prom_kv[]){ { "up", tot->bytes_up },
	                                { "down", tot->bytes_down } },
	            2);
	err |= prom_by(
	    mb, dr, PROM_COUNTER, "tunnel frames dropped, by reason", "reason",
	    (struct prom_kv[]){ { "inbox_full", inbox_refused(t->inbox) },
	                        { "duplicate", tot->drop_dup },
	                        { "out_of_order", tot->drop_gap },
	                        { "media_stale", tot->drop_stale },
	                        { "media_queue_full", tot->drop_overflow },
	                        { "signalling_queue_full", tot->rel_refused } },
	    6);
	return err;
}

/* Loop thread: the tunnel's families, appended to @mb */
int tunsrv_metrics(struct mbuf *mb, struct tunsrv *t)
{
	struct sessions_totals tot;
	struct session_gauges *v = NULL;
	size_t n = 0;
	int err;

	err = sessions_metrics(t->sessions, &tot, &v, &n);
	if (err)
		return err;
	qsort(v, n, sizeof(*v), cmp_id);
	err = hracs_up(mb, t, v, n);
	err |= queues(mb, t, v, n);
	err |= counters(mb, t, &tot);
	free(v);
	return err;
}
