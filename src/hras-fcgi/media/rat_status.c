/**
 * @file rat_status.c  The Relay Agent Table as JSON, for the status report
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

static int json_str(struct re_printf *pf, const char *s)
{
	int err = re_hprintf(pf, "\"");

	for (; *s && !err; s++) {
		if (*s == '"' || *s == '\\')
			err = re_hprintf(pf, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			err = re_hprintf(pf, "\\u%04x", *s);
		else
			err = re_hprintf(pf, "%c", *s);
	}
	return err | re_hprintf(pf, "\"");
}

static int leg_status(struct re_printf *pf, const struct rat_leg *l)
{
	int err = re_hprintf(pf, "{\"side\":");

	err |= json_str(pf, l->side.inside ? l->side.hrac : "outside");
	err |= re_hprintf(pf, ",\"inside\":%s,\"relay_port\":%u,",
	                  l->side.inside ? "true" : "false", l->port);
	if (l->has_peer)
		err |= re_hprintf(pf, "\"peer\":\"%J\",", &l->peer[0]);
	else
		err |= re_hprintf(pf, "\"peer\":null,");
	if (l->is_latched[0])
		err |= re_hprintf(pf, "\"latched\":\"%J\",", &l->latched[0]);
	err |= re_hprintf(
	    pf,
	    "\"packets_in\":%llu,\"bytes_in\":%llu,"
	    "\"packets_out\":%llu,\"bytes_out\":%llu,"
	    "\"drops\":%llu}",
	    (unsigned long long)l->pkts_in, (unsigned long long)l->bytes_in,
	    (unsigned long long)l->pkts_out, (unsigned long long)l->bytes_out,
	    (unsigned long long)l->drops);
	return err;
}

/* The table as JSON: "calls": [...] (the first STATUS_CALLS_MAX), and
 * the counters */
int rat_status(struct re_printf *pf, struct rat *r)
{
	bool first = true;
	uint32_t listed = 0;
	struct le *le;
	int err;

	err = re_hprintf(pf, "\"calls\":[");
	LIST_FOREACH(&r->entries, le)
	{
		const struct rat_entry *e = le->data;

		/* the report stays small: the totals count every call */
		if (listed++ >= STATUS_CALLS_MAX)
			break;
		err |= re_hprintf(pf, "%s{\"call_id\":", first ? "" : ",");
		first = false;
		err |= json_str(pf, e->callid);
		err |= re_hprintf(pf, ",\"from_tag\":");
		err |= json_str(pf, e->ftag);
		err |= re_hprintf(pf, ",\"to_tag\":");
		err |= json_str(pf, e->ttag);
		err |= re_hprintf(pf,
		                  ",\"established\":%s,\"age_s\":%llu,"
		                  "\"streams\":[",
		                  e->established ? "true" : "false",
		                  (unsigned long long)(mono_ms() - e->created) /
		                      1000);
		for (size_t i = 0, n = 0; i < e->nst; i++) {
			if (!e->st[i])
				continue;
			err |= re_hprintf(pf, "%s{\"index\":%zu,\"legs\":[",
			                  n++ ? "," : "", i);
			err |= leg_status(pf, &e->st[i]->leg[0]);
			err |= re_hprintf(pf, ",");
			err |= leg_status(pf, &e->st[i]->leg[1]);
			err |= re_hprintf(pf, "]}");
		}
		err |= re_hprintf(pf, "]}");
	}
	err |= re_hprintf(pf,
	                  "],\"relay\":{\"calls\":%u,\"streams\":%u,"
	                  "\"open_relay_ports\":%u,\"calls_total\":%llu,"
	                  "\"packets\":%llu,\"bytes\":%llu,"
	                  "\"drops_stranger\":%llu,\"drops_no_peer\":%llu,"
	                  "\"drops_tunnel\":%llu}",
	                  r->st.calls, r->st.streams, r->st.ports,
	                  (unsigned long long)r->st.calls_total,
	                  (unsigned long long)r->st.pkts,
	                  (unsigned long long)r->st.bytes,
	                  (unsigned long long)r->st.drops_stranger,
	                  (unsigned long long)r->st.drops_nopeer,
	                  (unsigned long long)r->st.drops_tunnel);
	return err;
}
