/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file rat_status.c  The Relay Agent Table in the status report
 *
 * Calls (the first STATUS_CALLS_MAX; the totals count all) with their
 * streams and legs, and the relay's totals.  A call's Call-ID and tags
 * are what it takes to address it: only a report asked for with call
 * details shows them.
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
#include "log.h"
#include "mono.h"
#include "quota.h"
#include "hracs.h"
#include "session.h"
#include "iface.h"
#include "sdp_rw.h"
#include "portpool.h"
#include "rat.h"
#include "rat_priv.h"

enum {
	STATUS_CALLS_MAX = 1000, /* calls listed in the status report */
};

/* odict arrays are keyed too: "0", "1", ... */
static int push(struct odict *arr, int type, struct odict *o)
{
	char key[16];

	snprintf(key, sizeof(key), "%zu", odict_count(arr, false));
	return odict_entry_add(arr, key, type, o);
}

static int put_int(struct odict *o, const char *key, uint64_t v)
{
	return odict_entry_add(o, key, ODICT_INT, (int64_t)v);
}

static int put_addr(struct odict *o, const char *key, const struct sa *a)
{
	char s[64];

	re_snprintf(s, sizeof(s), "%J", a);
	return odict_entry_add(o, key, ODICT_STRING, s);
}

static int leg_status(struct odict *legs, const struct rat_leg *l)
{
	struct odict *o;
	int err;

	err = odict_alloc(&o, 16);
	if (err)
		return err;
	err = odict_entry_add(o, "side", ODICT_STRING,
	                      l->side.inside ? l->side.hrac : "outside");
	err |= odict_entry_add(o, "inside", ODICT_BOOL, l->side.inside);
	err |= put_int(o, "relay_port", l->port);
	if (l->has_peer)
		err |= put_addr(o, "peer", &l->peer[0]);
	else
		err |= odict_entry_add(o, "peer", ODICT_NULL);
	if (l->is_latched[0])
		err |= put_addr(o, "latched", &l->latched[0]);
	err |= put_int(o, "packets_in", l->pkts_in);
	err |= put_int(o, "bytes_in", l->bytes_in);
	err |= put_int(o, "packets_out", l->pkts_out);
	err |= put_int(o, "bytes_out", l->bytes_out);
	err |= put_int(o, "drops", l->drops);
	err |= push(legs, ODICT_OBJECT, o);
	mem_deref(o);
	return err;
}

static int call_status(struct odict *calls, const struct rat_entry *e,
                       bool details)
{
	struct odict *o = NULL, *streams = NULL;
	int err;

	err = odict_alloc(&o, 16);
	err = err ? err : odict_alloc(&streams, 16);
	if (err)
		goto out;
	if (details) {
		err |= odict_entry_add(o, "call_id", ODICT_STRING, e->callid);
		err |= odict_entry_add(o, "from_tag", ODICT_STRING, e->ftag);
		err |= odict_entry_add(o, "to_tag", ODICT_STRING, e->ttag);
	}
	err |= odict_entry_add(o, "established", ODICT_BOOL, e->established);
	err |= put_int(o, "age_s", (mono_ms() - e->created) / 1000);
	for (size_t i = 0; i < e->nst && !err; i++) {
		struct odict *st = NULL, *legs = NULL;

		if (!e->st[i])
			continue;
		err = odict_alloc(&st, 4);
		err = err ? err : odict_alloc(&legs, 4);
		err = err ? err : put_int(st, "index", i);
		err = err ? err : leg_status(legs, &e->st[i]->leg[0]);
		err = err ? err : leg_status(legs, &e->st[i]->leg[1]);
		err =
		    err ? err : odict_entry_add(st, "legs", ODICT_ARRAY, legs);
		err = err ? err : push(streams, ODICT_OBJECT, st);
		mem_deref(legs);
		mem_deref(st);
	}
	err |= odict_entry_add(o, "streams", ODICT_ARRAY, streams);
	err |= push(calls, ODICT_OBJECT, o);
out:
	mem_deref(streams);
	mem_deref(o);
	return err;
}

/**
 * Add "calls" (the first STATUS_CALLS_MAX) and "relay" (the totals) to
 * the report @o; @details: with each call's Call-ID and tags
 */
int rat_status(struct odict *o, struct rat *r, bool details)
{
	struct odict *calls = NULL, *relay = NULL;
	uint32_t listed = 0;
	struct le *le;
	int err;

	rat_routes_fold(r); /* the workers' counts are the calls' */
	err = odict_alloc(&calls, 64);
	err = err ? err : odict_alloc(&relay, 16);
	LIST_FOREACH(&r->entries, le)
	{
		/* the report stays small: the totals count every call */
		if (err || listed++ >= STATUS_CALLS_MAX)
			break;
		err = call_status(calls, le->data, details);
	}
	if (err)
		goto out;
	err |= put_int(relay, "calls", r->st.calls);
	err |= put_int(relay, "streams", r->st.streams);
	err |= put_int(relay, "open_relay_ports", r->st.ports);
	err |= put_int(relay, "calls_total", r->st.calls_total);
	err |= put_int(relay, "packets", r->st.pkts);
	err |= put_int(relay, "bytes", r->st.bytes);
	err |= put_int(relay, "drops_stranger", r->st.drops_stranger);
	err |= put_int(relay, "drops_no_peer", r->st.drops_nopeer);
	err |= put_int(relay, "drops_no_call", r->st.drops_nocall);
	err |= put_int(relay, "drops_tunnel", r->st.drops_tunnel);
	err |= put_int(relay, "refused_sdp", r->st.refused_sdp);
	err |= put_int(relay, "refused_quota", r->st.refused_quota);
	err |= odict_entry_add(o, "calls", ODICT_ARRAY, calls);
	err |= odict_entry_add(o, "relay", ODICT_OBJECT, relay);
out:
	mem_deref(calls);
	mem_deref(relay);
	return err;
}
