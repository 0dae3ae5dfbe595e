/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file rat.c  The Relay Agent Table: entries (calls), what their SDP
 * says, and their life
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
#include "quota.h"
#include "mono.h"
#include "hracs.h"
#include "session.h"
#include "iface.h"
#include "sdp_rw.h"
#include "portpool.h"
#include "rat.h"
#include "rat_priv.h"
#include "mmsg.h"

enum {
	SWEEP_MS = 1000, /* how late a relay may outlive its limits */
	SE_GRACE_S = 2,  /* past Session-Expires (a refresh comes before
	                  * it, RFC 4028 §10) before the entry goes */
};

const char *rat_side_name(const struct iface *f, char *buf, size_t sz)
{
	if (f->inside)
		snprintf(buf, sz, "inside '%s'", f->hrac);
	else
		snprintf(buf, sz, "outside");
	return buf;
}

/* -- entries -------------------------------------------------------------- */

static void stream_destructor(void *arg)
{
	struct rat_stream *st = arg;

	for (int k = 0; k < 2; k++)
		rat_leg_close(st->e->r, &st->leg[k]);
}

static void entry_destructor(void *arg)
{
	struct rat_entry *e = arg;

	for (size_t i = 0; i < e->nst; i++) {
		if (e->st[i])
			e->r->st.streams--;
		mem_deref(e->st[i]);
	}
	list_unlink(&e->le);
	hash_unlink(&e->he);
	e->r->st.calls--;
	quota_give(e->party[0] == 'i' ? e->r->q_site : e->r->q_source,
	           e->party);
}

static void entry_end(struct rat_entry *e, const char *why)
{
	uint64_t in[2] = { 0, 0 }, drops = 0;

	for (size_t i = 0; i < e->nst; i++) {
		for (int k = 0; e->st[i] && k < 2; k++)
			rat_route_withdraw(&e->st[i]->leg[k]);
	}
	for (size_t i = 0; i < e->nst; i++) {
		for (int k = 0; e->st[i] && k < 2; k++) {
			in[k] += e->st[i]->leg[k].pkts_in;
			drops += e->st[i]->leg[k].drops;
		}
	}
	log_info("call %s: relay closed (%s): %llu packets from the caller, "
	         "%llu from the callee, %llu dropped",
	         e->callid, why, (unsigned long long)in[0],
	         (unsigned long long)in[1], (unsigned long long)drops);
	rat_changed(e->r);
	mem_deref(e);
}

/* Stream @idx of @e, its legs without ports yet */
struct rat_stream *rat_stream_new(struct rat_entry *e, unsigned idx)
{
	struct rat_stream *st;

	st = mem_zalloc(sizeof(*st), stream_destructor);
	if (!st)
		return NULL;
	st->e = e;
	st->idx = idx;
	for (int k = 0; k < 2; k++) {
		struct rat_leg *l = &st->leg[k];

		l->st = st;
		l->k = k;
		l->side = e->side[k];
		l->rs[0].leg = l->rs[1].leg = l;
		l->rs[1].i = 1;
		l->fd[0] = l->fd[1] = -1;
	}
	e->r->st.streams++;
	return st;
}

static struct rat_stream *stream_alloc(struct rat_entry *e, unsigned idx)
{
	struct rat *r = e->r;
	struct rat_stream *st;
	int err = 0;

	st = rat_stream_new(e, idx);
	if (!st)
		return NULL;
	for (int k = 0; k < 2 && !err; k++) {
		struct rat_leg *l = &st->leg[k];

		err = rat_leg_open(r, l);
		if (err) {
			char side[96];

			log_warn("call %s: no relay port %s: %s", e->callid,
			         rat_side_name(&l->side, side, sizeof(side)),
			         err == ENOENT ? "that HRAC has not said its "
			                         "media ports (lan-rtp)"
			                       : strerror(err));
		}
	}
	if (err) {
		r->st.streams--;
		return mem_deref(st);
	}
	return st;
}

static bool pl_eq_str(const struct pl *pl, const char *s)
{
	return pl_isset(pl) ? !pl_strcmp(pl, s) : !*s;
}

struct find {
	const struct sip_msg *msg;
	const struct iface *from, *to;
	struct rat_entry *e;
	int k;            /* the side the message's SDP comes from */
	bool dialog_ours; /* an entry of this dialog exists, of any sides */
};

/* Which party of @e sent @m, by its tags: 0 the caller, 1 the callee,
 * -1 neither */
static int party_of(const struct rat_entry *e, const struct sip_msg *m)
{
	bool from_is_caller;

	if (pl_strcmp(&m->callid, e->callid))
		return -1;
	if (pl_eq_str(&m->from.tag, e->ftag))
		from_is_caller = true;
	else if (pl_eq_str(&m->to.tag, e->ftag))
		from_is_caller = false;
	else
		return -1;
	/* a request comes from its From; a response from its To */
	return (m->req == from_is_caller) ? 0 : 1;
}

/* The entry of the message's dialog whose sides are the ones it crosses:
 * the tags say which party it claims to come from, the proxy says which
 * side it really came from and goes to; both must agree */
static bool find_cmp(struct le *le, void *arg)
{
	struct rat_entry *e = le->data;
	struct find *f = arg;
	int k = party_of(e, f->msg);

	if (k < 0)
		return false;
	f->dialog_ours = true;
	if (!iface_same(f->from, &e->side[k]) ||
	    !iface_same(f->to, &e->side[1 - k]))
		return false;
	f->k = k;
	f->e = e;
	return true;
}

static struct rat_entry *entry_find(struct rat *r, struct find *f)
{
	hash_lookup(r->by_callid, hash_joaat_pl(&f->msg->callid), find_cmp, f);
	return f->e;
}

/* The party a side and address are, in the quotas: "i:" and the site's
 * HRAC, or "o:" and the address (IPv6: its /64) */
void rat_party_key(char out[QUOTA_KEY_MAX], const struct iface *side,
                   const struct sa *addr)
{
	if (side->inside)
		snprintf(out, QUOTA_KEY_MAX, "i:%s", side->hrac);
	else
		quota_key_addr(out, addr);
}

/**
 * A new entry, in the table; its party's quota already taken (the entry
 * gives it back when it goes)
 */
struct rat_entry *rat_entry_new(struct rat *r, const char *callid,
                                const char *ftag, const struct iface side[2],
                                const char *party)
{
	struct rat_entry *e = mem_zalloc(sizeof(*e), entry_destructor);

	if (!e)
		return NULL;
	snprintf(e->party, sizeof(e->party), "%s", party);
	e->r = r;
	snprintf(e->callid, sizeof(e->callid), "%s", callid);
	snprintf(e->ftag, sizeof(e->ftag), "%s", ftag);
	e->side[0] = side[0];
	e->side[1] = side[1];
	e->created = e->last_media = mono_ms();
	list_append(&r->entries, &e->le, e);
	hash_append(r->by_callid, hash_joaat_str(e->callid), &e->he, e);
	r->st.calls++;
	return e;
}

/* Where an entry's outside relay ports are bound: ours (any address),
 * or, taken over from a dead node, on its relay address */
const struct sa *rat_entry_bind(const struct rat *r, const struct rat_entry *e)
{
	return e->adopted ? &e->relay : &r->bind;
}

/* The address put in SDP toward outside phones (--public-ip) */
const struct sa *rat_public_ip(const struct rat *r)
{
	return &r->public_ip;
}

/* Something a restart must keep changed: the state is written soon */
void rat_changed(struct rat *r)
{
	rat_routes_stale(r);
	if (r->changeh)
		r->changeh(r->change_arg);
}

/* Who writes the state down (callstate.h) */
void rat_on_change(struct rat *r, rat_change_h *h, void *arg)
{
	r->changeh = h;
	r->change_arg = arg;
}

static struct rat_entry *entry_create(struct rat *r, const struct sip_msg *msg,
                                      const struct iface *from,
                                      const struct iface *to,
                                      const struct sa *party, int *k)
{
	char a[96], b[96], key[QUOTA_KEY_MAX];
	char callid[RAT_CALLID_MAX], ftag[RAT_TAG_MAX];
	struct iface sides[2];
	struct rat_entry *e;
	struct quota *q;

	if (msg->callid.l >= sizeof(callid) || msg->from.tag.l >= sizeof(ftag))
		return NULL;
	/* the party that sets a call up holds it, within its share */
	rat_party_key(key, from, party);
	q = from->inside ? r->q_site : r->q_source;
	if (!quota_take(q, key)) {
		if (r->st.refused_quota++ % 100 == 0)
			log_warn(
			    "call %.*s not relayed: %s holds %u calls, its "
			    "share",
			    (int)msg->callid.l, msg->callid.p, key,
			    quota_limit(q));
		return NULL;
	}
	/* a request creates it from the caller; a response (late offer)
	 * from the callee */
	*k = msg->req ? 0 : 1;
	sides[*k] = *from;
	sides[1 - *k] = *to;
	pl_strcpy(&msg->callid, callid, sizeof(callid));
	pl_strcpy(&msg->from.tag, ftag, sizeof(ftag));
	e = rat_entry_new(r, callid, ftag, sides, key);
	if (!e) {
		quota_give(q, key);
		return NULL;
	}
	r->st.calls_total++;
	rat_changed(r);
	log_info("call %s: relaying media between %s and %s", e->callid,
	         rat_side_name(&e->side[0], a, sizeof(a)),
	         rat_side_name(&e->side[1], b, sizeof(b)));
	return e;
}

/*
 * The SDP of the leg's party says where it receives; @party is where its
 * signalling comes from (an inside phone: as its HRAC sees it)
 */
static void leg_update(struct rat *r, struct rat_leg *l,
                       const struct sdp_rw_media *m, const struct sa *party)
{
	bool had = l->has_peer;
	struct sa old = l->peer[0], old_sig = l->sig;

	rat_routes_stale(r);
	l->has_peer = !m->rejected && !m->hold;
	if (l->has_peer) {
		l->peer[0] = m->rtp;
		l->peer[1] = m->rtcp;
	}
	l->sig = *party;
	/* a new address (unhold, transfer, music on hold): latch anew */
	if (!had || !sa_cmp(&old, &l->peer[0], SA_ALL))
		l->is_latched[0] = l->is_latched[1] = false;
	/* the HRAC lets this port talk to that phone only */
	if (l->side.inside && l->has_peer &&
	    (!had || !sa_cmp(&old, &l->peer[0], SA_ADDR) ||
	     !sa_cmp(&old_sig, &l->sig, SA_ADDR)))
		rat_leg_tell_peer(r, l);
	rat_leg_release(r, l);
}

static const struct sa *side_addr(struct rat *r, const struct rat_entry *e,
                                  const struct iface *f)
{
	const struct hrac_media *hm;

	if (!f->inside)
		return e->adopted ? &e->relay : &r->public_ip;
	hm = rat_hrac_find(r, f->hrac);
	return hm ? &hm->ip : NULL;
}

/**
 * An SDP passes from one side to the other: update the call's entry
 * (creating it and its relay ports) and write the SDP the receiver sees
 *
 * Only the side a leg belongs to updates it: the message's tags must
 * name the party of the side it came from.  A request inside a dialog
 * of ours that crosses other sides is refused, not relayed.
 *
 * @param from, to  the sides it comes from and goes to (the proxy's)
 * @param party     the sender's address: outside, its source; inside,
 *                  the phone as its HRAC sees it
 * @return 0 (out holds the new body), ENOENT (no SDP, or not relayed:
 *         pass the body on as it is), EPERM (not this party's to say:
 *         send no SDP), or another error (the body is passed on as it
 *         is, after a log line)
 */
int rat_sdp(struct rat *r, const struct sip_msg *msg, const struct pl *body,
            const struct iface *from, const struct iface *to,
            const struct sa *party, struct mbuf *out)
{
	struct find f = { .msg = msg, .from = from, .to = to };
	struct sdp_rw_media mv[SDP_RW_MEDIA_MAX];
	const struct sip_hdr *ct;
	struct sdp_rw_to rw;
	struct rat_entry *e;
	const struct sa *addr;
	size_t n;
	int k, err;

	ct = sip_msg_hdr(msg, SIP_HDR_CONTENT_TYPE);
	if (!body->l || !ct || !sdp_rw_is_sdp(&ct->val))
		return ENOENT;
	if (iface_same(from, to) || (!from->inside && !to->inside))
		return ENOENT; /* no tunnel between them */

	err = sdp_rw_read(body, mv, &n);
	if (err) {
		log_re_info("SDP in %r from %J not relayed: %s",
		            msg->req ? &msg->met : &msg->reason, &msg->src,
		            err == E2BIG ? "too many m= lines"
		                         : "it does not parse");
		return err;
	}

	e = entry_find(r, &f);
	k = f.k;
	if (!e && f.dialog_ours && msg->req && pl_isset(&msg->to.tag)) {
		char a[96], b[96];

		log_re_warn(
		    "%r in call %r: SDP from %s to %s, not the sides of "
		    "the call: refused",
		    &msg->met, &msg->callid, rat_side_name(from, a, sizeof(a)),
		    rat_side_name(to, b, sizeof(b)));
		r->st.refused_sdp++;
		return EPERM;
	}
	if (!e)
		e = entry_create(r, msg, from, to, party, &k);
	if (!e)
		return ENOENT;
	if (!msg->req && !e->ttag[0] && msg->to.tag.l < sizeof(e->ttag))
		pl_strcpy(&msg->to.tag, e->ttag, sizeof(e->ttag));

	addr = side_addr(r, e, &e->side[1 - k]);
	if (!addr) {
		log_warn("call %s: HRAC '%s' has not said its media address: "
		         "SDP passed on unchanged",
		         e->callid, e->side[1 - k].hrac);
		return ENOENT;
	}

	memset(&rw, 0, sizeof(rw));
	rw.addr = *addr;
	rw.n = n;
	rw.fix_origin = e->side[k].inside;
	for (size_t i = 0; i < n; i++) {
		if (i >= e->nst)
			e->nst = i + 1;
		if (!e->st[i] && !mv[i].rejected)
			e->st[i] = stream_alloc(e, (unsigned)i);
		if (!e->st[i])
			continue; /* rejected, or no port: the line stays */
		leg_update(r, &e->st[i]->leg[k], &mv[i], party);
		rw.ports[i] = e->st[i]->leg[1 - k].port;
	}

	rat_changed(r);
	err = sdp_rw_write(out, body, &rw);
	if (err)
		log_warn("call %s: SDP not rewritten: %s", e->callid,
		         strerror(err));
	return err;
}

static bool collect_callid(struct le *le, void *arg)
{
	struct rat_entry *e = le->data;
	struct find *f = arg;
	const struct sip_msg *m = f->msg;

	if (pl_strcmp(&m->callid, e->callid))
		return false;
	if (pl_eq_str(&m->from.tag, e->ftag) || pl_eq_str(&m->to.tag, e->ftag))
		f->e = e;
	return f->e != NULL;
}

/* Every entry of a dialog, one by one */
static struct rat_entry *entry_of_dialog(struct rat *r,
                                         const struct sip_msg *msg)
{
	struct find f = { .msg = msg };

	hash_lookup(r->by_callid, hash_joaat_pl(&msg->callid), collect_callid,
	            &f);
	return f.e;
}

/* The seconds of a Session-Expires header, or 0 */
static uint32_t session_expires(const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_SESSION_EXPIRES);
	struct pl v;

	if (!h || re_regex(h->val.p, h->val.l, "[0-9]+", &v))
		return 0;
	return pl_u32(&v);
}

/**
 * A 2xx to an INVITE (or UPDATE) went upstream from the callee's side:
 * the call is established there; forks to other sides end; a session
 * timer, if any, starts
 */
void rat_answered(struct rat *r, const struct sip_msg *resp,
                  const struct iface *callee)
{
	struct rat_entry *e;
	uint32_t se = session_expires(resp);
	struct le *le;

	/* the entries of this Call-ID: its bucket, not the whole table */
	le = list_head(hash_list(r->by_callid, hash_joaat_pl(&resp->callid)));
	while (le) {
		e = le->data;
		le = le->next;
		if (pl_strcmp(&resp->callid, e->callid) ||
		    !pl_eq_str(&resp->from.tag, e->ftag))
			continue;
		if (callee && !iface_same(callee, &e->side[1]) &&
		    !e->established) {
			entry_end(e, "another fork answered");
			continue;
		}
		e->established = true;
		e->last_media = mono_ms();
		if (se)
			e->expires =
			    mono_ms() + (uint64_t)(se + SE_GRACE_S) * 1000;
		rat_changed(r);
	}
}

/* The INVITE that would have set up a call failed (or was cancelled) */
void rat_failed(struct rat *r, const struct sip_msg *req)
{
	struct rat_entry *e;

	while ((e = entry_of_dialog(r, req)) && !e->established)
		entry_end(e, "the call was not answered");
}

/* BYE: the call is over */
void rat_bye(struct rat *r, const struct sip_msg *req)
{
	struct rat_entry *e;

	while ((e = entry_of_dialog(r, req)))
		entry_end(e, "BYE");
}

/* -- life ------------------------------------------------------------------ */

static void sweep(void *arg)
{
	struct rat *r = arg;
	uint64_t now = mono_ms();
	struct le *le = list_head(&r->entries);

	tmr_start(&r->sweep, SWEEP_MS, sweep, r);
	rat_routes_fold(r); /* last_media */
	while (le) {
		struct rat_entry *e = le->data;
		uint64_t silent_until = e->last_media + r->timeout;

		le = le->next;
		/* both limits may have passed since the last sweep: the log
		 * names the one that ran out first */
		if (e->expires && now > e->expires &&
		    e->expires <= silent_until)
			entry_end(e, "its session timer ran out");
		else if (e->established && now > silent_until)
			entry_end(e, "no media either way for media-timeout");
		else if (!e->established && now - e->created > r->unanswered)
			entry_end(e, "never answered");
	}
}

static void rat_destructor(void *arg)
{
	struct rat *r = arg;
	struct le *le;

	tmr_cancel(&r->sweep);
	while ((le = list_head(&r->entries)))
		mem_deref(le->data);
	hash_clear(r->by_port);
	mem_deref(r->by_port);
	relay_window_free(r); /* after the last leg's sockets closed */
	mem_deref(r->by_callid);
	hash_flush(r->hracs);
	mem_deref(r->hracs);
	mem_deref(r->pool);
	mem_deref(r->q_source);
	mem_deref(r->q_site);
	mem_deref(r->rx);
	mem_deref(r->tb);
}

/**
 * The relay table and its outside ports
 *
 * @param sessions    where inside legs' packets and control frames go
 * @param sip_addr    our SIP address: the media address when the
 *                    configuration names none (--public-ip)
 * @param unanswered  ms an unanswered call may live: as long as the
 *                    proxy may wait for its final answer
 */
int rat_alloc(struct rat **rp, const struct rat_conf *cfg,
              struct sessions *sessions, const struct sa *sip_addr,
              uint64_t unanswered)
{
	struct rat *r;
	uint16_t lo, hi;
	int e;

	r = mem_zalloc(sizeof(*r), rat_destructor);
	if (!r)
		return ENOMEM;
	r->sessions = sessions;
	r->timeout = (uint64_t)cfg->media_timeout * 1000;
	r->unanswered = unanswered;
	tmr_init(&r->sweep);

	e = 0;
	if (cfg->public_ip)
		e = sa_set_str(&r->public_ip, cfg->public_ip, 0);
	else
		r->public_ip = *sip_addr;
	sa_set_port(&r->public_ip, 0);
	sa_init(&r->bind, sa_af(&r->public_ip));
	e = e ? e : portpool_parse(cfg->rtp_ports, &lo, &hi);
	e = e ? e : portpool_alloc(&r->pool, lo, hi);
	if (!e && cfg->max_pairs)
		portpool_limit(r->pool, cfg->max_pairs);
	/* one outside source may hold a tenth of the relay, a site half */
	if (!e) {
		uint32_t pairs =
		    cfg->max_pairs ? cfg->max_pairs : portpool_pairs(r->pool);

		e = quota_alloc(&r->q_source, max(8u, pairs / 10));
		e = e ? e : quota_alloc(&r->q_site, max(8u, pairs / 2));
	}
	e = e ? e : hash_alloc(&r->by_callid, 1024);
	e = e ? e : hash_alloc(&r->by_port, 1024);
	e = e ? e : hash_alloc(&r->hracs, 64);
	e = e ? e : mmsg_rx_alloc(&r->rx);
	e = e ? e : relay_batch_alloc(&r->tb);
	if (!e && cfg->relay_window_us)
		e = relay_window_alloc(r, cfg->relay_window_us);
	if (e) {
		mem_deref(r);
		return e;
	}
	tmr_start(&r->sweep, SWEEP_MS, sweep, r);
	log_re_info("media relay on %j, ports %u-%u", &r->public_ip, lo, hi);
	*rp = r;
	return 0;
}
