/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file rat_state.c  The relay's calls written down, and read back after
 * a restart
 *
 * What a call needs to go on is what its parties already know: the relay
 * ports they send to, where they receive, where their packets come from
 * (the latches).  One line per established call:
 *
 *   c CALL-ID FROM-TAG TO-TAG PARTY SIDE0 SIDE1 EXPIRES-IN STREAMS
 *     then per stream: IDX and, per leg (caller's, callee's):
 *     PORT PEER-RTP PEER-RTCP SIG LATCHED-RTP LATCHED-RTCP
 *
 * and, for a call taken over from a dead node (callshare.h), RELAY:
 * the address its outside relay ports are bound on, that node's.
 *
 * SIDE is "o,TCP,AF" or "i,TCP,HRAC"; EXPIRES-IN the ms left of its
 * session timer ("-": none); PEER "-" when the leg's SDP holds the call.
 * Calls not yet answered are not written: their INVITE transaction,
 * which would set them up, does not survive a restart.
 *
 * Read back, a call gets its relay ports again (an outside leg's bound
 * anew, an inside leg's opened by its HRAC when it reconnects and says
 * its media ports, rat_hrac_media), its latches, and a full
 * --media-timeout to see a packet.  Loop thread only.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "conf.h"
#include "log.h"
#include "mono.h"
#include "quota.h"
#include "hracs.h"
#include "iface.h"
#include "sdp_rw.h"
#include "statefield.h"
#include "rat.h"
#include "rat_priv.h"

enum {
	ENTRY_FIELDS = 9,   /* "c" .. STREAMS */
	LEG_FIELDS = 6,     /* PORT .. LATCHED-RTCP */
	STREAM_FIELDS = 13, /* IDX, two legs */
};

static void leg_write(FILE *f, const struct rat_leg *l)
{
	struct sa unset;

	sa_init(&unset, AF_UNSPEC);
	fprintf(f, "\t%u", l->port);
	for (int i = 0; i < 2; i++)
		statefield_sa(f, l->has_peer ? &l->peer[i] : &unset);
	statefield_sa(f, &l->sig);
	for (int i = 0; i < 2; i++)
		statefield_sa(f, l->is_latched[i] ? &l->latched[i] : &unset);
}

static bool entry_write(struct le *le, void *arg)
{
	const struct rat_entry *e = le->data;
	uint64_t now = mono_ms();
	FILE *f = arg;

	if (!e->established || !statefield_ok(e->callid) ||
	    !statefield_ok(e->ftag) || !statefield_ok(e->ttag) ||
	    !statefield_ok(e->party))
		return false;
	fputs("c", f);
	statefield_str(f, e->callid);
	statefield_str(f, e->ftag);
	statefield_str(f, e->ttag);
	statefield_str(f, e->party);
	iface_state_write(f, &e->side[0]);
	iface_state_write(f, &e->side[1]);
	if (e->expires)
		fprintf(f, "\t%llu",
		        (unsigned long long)(e->expires > now ? e->expires - now
		                                              : 0));
	else
		fputs("\t-", f);
	fprintf(f, "\t%zu", e->nst);
	for (size_t i = 0; i < e->nst; i++) {
		const struct rat_stream *st = e->st[i];

		if (!st) {
			fputs("\t-", f); /* a rejected m= line */
			for (int k = 0; k < STREAM_FIELDS - 1; k++)
				fputs("\t-", f);
			continue;
		}
		fprintf(f, "\t%u", st->idx);
		leg_write(f, &st->leg[0]);
		leg_write(f, &st->leg[1]);
	}
	if (e->adopted)
		re_fprintf(f, "\t%j", &e->relay);
	fputc('\n', f);
	return false;
}

/* The established calls, one line each */
int rat_state_write(FILE *f, struct rat *r)
{
	list_apply(&r->entries, true, entry_write, f);
	return ferror(f) ? EIO : 0;
}

static int leg_read(struct rat_leg *l, char *const *fld, uint16_t *port)
{
	struct sa latched[2];
	unsigned long p = strtoul(fld[0], NULL, 10);
	int e = p > 65534 ? EINVAL : 0;

	*port = (uint16_t)p;
	for (int i = 0; i < 2 && !e; i++)
		e = statefield_sa_read(&l->peer[i], fld[1 + i]);
	e = e ? e : statefield_sa_read(&l->sig, fld[3]);
	for (int i = 0; i < 2 && !e; i++)
		e = statefield_sa_read(&latched[i], fld[4 + i]);
	if (e)
		return e;
	l->has_peer = sa_isset(&l->peer[0], SA_ADDR);
	for (int i = 0; i < 2; i++) {
		l->is_latched[i] = sa_isset(&latched[i], SA_ADDR);
		l->latched[i] = latched[i];
	}
	return 0;
}

/* Stream @fld of @e, its ports bound or marked again */
static int stream_read(struct rat *r, struct rat_entry *e, char *const *fld)
{
	unsigned long idx;
	struct rat_stream *st;
	uint16_t port[2];
	int err = 0;

	if (!strcmp(fld[0], "-"))
		return 0; /* rejected: no stream */
	idx = strtoul(fld[0], NULL, 10);
	if (idx >= e->nst || e->st[idx])
		return EINVAL;
	st = rat_stream_new(e, (unsigned)idx);
	if (!st)
		return ENOMEM;
	e->st[idx] = st; /* the entry frees it, whatever happens next */
	for (int k = 0; k < 2 && !err; k++)
		err = leg_read(&st->leg[k], fld + 1 + k * LEG_FIELDS, &port[k]);
	for (int k = 0; k < 2 && !err; k++) {
		if (port[k])
			err = rat_leg_restore(r, &st->leg[k], port[k]);
		if (err)
			log_warn("call %s: relay port %u not kept: %s",
			         e->callid, port[k], strerror(err));
	}
	return err;
}

/**
 * One call written by rat_state_write(), set up again
 *
 * @param age_ms  how long ago the state was written
 * @param writer  the relay address of the node that wrote it, when it is
 *                another's (a take-over); NULL: ours
 * @return 0, EINVAL (not such a line), EEXIST (that call is up already),
 *         EDQUOT (its party holds all its share), or the error of a port
 */
int rat_state_read(struct rat *r, char *const *fld, size_t n, uint64_t age_ms,
                   const struct sa *writer)
{
	struct sa relay;
	size_t base;
	char callid[RAT_CALLID_MAX], ftag[RAT_TAG_MAX], ttag[RAT_TAG_MAX];
	char party[QUOTA_KEY_MAX];
	struct iface side[2];
	struct rat_entry *e;
	struct quota *q;
	unsigned long nst;
	int err;

	if (n < ENTRY_FIELDS || strcmp(fld[0], "c"))
		return EINVAL;
	nst = strtoul(fld[8], NULL, 10);
	base = ENTRY_FIELDS + nst * STREAM_FIELDS;
	if (nst > STREAMS_MAX || (n != base && n != base + 1))
		return EINVAL;
	err = statefield_str_read(callid, sizeof(callid), fld[1]);
	err = err ? err : statefield_str_read(ftag, sizeof(ftag), fld[2]);
	err = err ? err : statefield_str_read(ttag, sizeof(ttag), fld[3]);
	err = err ? err : statefield_str_read(party, sizeof(party), fld[4]);
	err = err ? err : iface_state_read(&side[0], fld[5]);
	err = err ? err : iface_state_read(&side[1], fld[6]);
	sa_init(&relay, AF_UNSPEC);
	if (n > base)
		err = err ? err : sa_set_str(&relay, fld[base], 0);
	else if (writer)
		sa_cpy(&relay, writer);
	if (err || !callid[0] || !party[0])
		return EINVAL;
	if (sa_isset(&relay, SA_ADDR))
		sa_set_port(&relay, 0);
	for (struct le *le =
	         list_head(hash_list(r->by_callid, hash_joaat_str(callid)));
	     le; le = le->next) {
		e = le->data;
		if (!strcmp(e->callid, callid) && !strcmp(e->ftag, ftag))
			return EEXIST;
	}

	q = party[0] == 'i' ? r->q_site : r->q_source;
	if (!quota_take(q, party))
		return EDQUOT;
	e = rat_entry_new(r, callid, ftag, side, party);
	if (!e) {
		quota_give(q, party);
		return ENOMEM;
	}
	memcpy(e->ttag, ttag, sizeof(ttag));
	e->established = true;
	/* another node's address: bound there, not from our pool */
	e->adopted = sa_isset(&relay, SA_ADDR) &&
	             !sa_cmp(&relay, &r->public_ip, SA_ADDR);
	e->relay = relay;
	if (strcmp(fld[7], "-")) {
		uint64_t left = strtoull(fld[7], NULL, 10);

		/* the timer ran on while we were away */
		e->expires = mono_ms() + (left > age_ms ? left - age_ms : 1);
	}
	e->nst = nst; /* rejected m= lines too: their places stay */
	for (size_t i = 0; i < nst && !err; i++)
		err = stream_read(r, e, fld + ENTRY_FIELDS + i * STREAM_FIELDS);
	if (err)
		mem_deref(e);
	return err;
}

/* The calls the relay holds */
uint32_t rat_count(const struct rat *r)
{
	return r->st.calls;
}
