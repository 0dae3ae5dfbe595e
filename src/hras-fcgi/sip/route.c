/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file route.c  Where a SIP message comes from and where it goes
 *
 * Record-Route token, sofw=SIDE.TOKEN: SIDE is "o" for the outside
 * interface, "i" followed by the HRAC identity for the inside of a site,
 * "h" for a site's entry as parties on other sides see it (hidden: our
 * own address stands for the HRAC's LAN address, no identity is named;
 * the token is the same, so only the dialog's own site verifies it);
 * TOKEN (token.h, 16 MAC digits) is bound to SIDE "|" Call-ID "|" the
 * caller's tag under the key kept in the state file, in wall-clock time
 * so that it outlives a restart, and expires after --dialog-max.  A
 * token is only the first check: the dialog table (dialog.h) decides
 * where an in-dialog request may go.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "conf.h"
#include "token.h"
#include "hracs.h"
#include "iface.h"
#include "lan_gw.h"
#include "store.h"
#include "sipsrv.h"
#include "dialog.h"
#include "route.h"

enum {
	MAC_HEX = 16,
	SIDE_MAX = HRACS_ID_MAX + 1, /* "i" and an HRAC identity */
	PARAM_MAX = SIDE_MAX + 1 + TOKEN_HEAD_HEX + MAC_HEX,
};

void route_origin(struct sipsrv *s, const struct sip_msg *msg, struct origin *o)
{
	struct lan_peer *p = lan_gw_lookup(s->gw, &msg->src);

	memset(o, 0, sizeof(*o));
	if (p) {
		o->inside = true;
		snprintf(o->hrac, sizeof(o->hrac), "%s", p->hrac);
		o->addr = p->addr;
		o->tcp = p->tcp;
		o->tp = SIP_TRANSP_UDP;
	} else {
		o->addr = msg->src;
		o->tp = msg->tp;
	}
}

/* Who sent @msg: an inside phone as its HRAC sees it, or the source */
void route_party(struct sipsrv *s, const struct sip_msg *msg, struct sa *party)
{
	struct lan_peer *p = lan_gw_lookup(s->gw, &msg->src);

	*party = p ? p->addr : msg->src;
}

/* "10.77.1.10:5060 via site-a" or "192.0.2.10:5060": for log lines */
const char *route_origin_str(const struct origin *o, char *buf, size_t size)
{
	if (o->inside)
		re_snprintf(buf, size, "%J via %s", &o->addr, o->hrac);
	else
		re_snprintf(buf, size, "%J", &o->addr);
	return buf;
}

void route_iface_of_origin(const struct origin *o, struct iface *i)
{
	memset(i, 0, sizeof(*i));
	i->inside = o->inside;
	snprintf(i->hrac, sizeof(i->hrac), "%s", o->hrac);
	i->tcp = o->inside ? o->tcp : o->tp == SIP_TRANSP_TCP;
	i->af = o->inside ? 0 : sa_af(&o->addr);
}

/* What a token is bound to: the side, the dialog's Call-ID and the
 * caller's tag */
static int bound_of(char *out, size_t sz, const char *side,
                    const struct pl *callid, const struct pl *tag)
{
	int n = snprintf(out, sz, "%s|%.*s|%.*s", side, (int)callid->l,
	                 callid->p, (int)tag->l, tag->p);

	return n < 0 || (size_t)n >= sz ? EMSGSIZE : 0;
}

static uint64_t wall_ms(void)
{
	return (uint64_t)time(NULL) * 1000;
}

/* "SIDE.TOKEN" for the party on @i */
static int token(const struct sipsrv *s, const struct iface *i,
                 const struct pl *callid, const struct pl *tag,
                 char out[PARAM_MAX + 1])
{
	char side[SIDE_MAX + 1], bound[TOKEN_BOUND_MAX + 1];
	char tok[TOKEN_HEAD_HEX + MAC_HEX + 1];
	int e;

	snprintf(side, sizeof(side), "%s%s", i->inside ? "i" : "o",
	         i->inside ? i->hrac : "");
	e = bound_of(bound, sizeof(bound), side, callid, tag);
	e = e ? e
	      : token_make(tok, sizeof(tok), s->rr_key, sizeof(s->rr_key),
	                   MAC_HEX, wall_ms(), bound);
	if (!e)
		snprintf(out, PARAM_MAX + 1, "%s.%s", side, tok);
	return e;
}

/* Our SIP address of family @af (an IPv6 phone cannot reach our IPv4
 * one), or the first one */
static const struct sa *own_laddr(const struct sipsrv *s, int af)
{
	for (size_t k = 0; af && k < s->nladdr; k++) {
		if (sa_af(&s->laddr[k]) == af)
			return &s->laddr[k];
	}
	return &s->laddr[0];
}

/* A site's entry as a party on @seen_by's side sees it: hidden */
static int rr_hidden(struct sipsrv *s, struct mbuf *mb,
                     const struct iface *seen_by, const struct pl *tok)
{
	return mbuf_printf(mb, "<sip:%J;lr;sofw=h.%r>",
	                   own_laddr(s, seen_by->af), tok);
}

/*
 * One Record-Route value: where the party on @i sends its requests; a
 * site's entry hidden when the party on @seen_by is not of that site
 */
static int rr_value(struct sipsrv *s, struct mbuf *mb, const struct iface *i,
                    const struct pl *callid, const struct pl *tag,
                    const struct iface *seen_by)
{
	const char *lan = i->inside ? sipsrv_lan_addr(s, i->hrac) : NULL;
	char tok[PARAM_MAX + 1];
	int e;

	e = token(s, i, callid, tag, tok);
	if (e)
		return e;
	if (i->inside && seen_by && !iface_same(i, seen_by)) {
		struct pl t;

		pl_set_str(&t, strrchr(tok, '.') + 1);
		return rr_hidden(s, mb, seen_by, &t);
	}
	if (lan)
		return mbuf_printf(mb, "<sip:%s%s;lr;sofw=%s>", lan,
		                   i->tcp ? ";transport=tcp" : "", tok);
	/* an HRAC that never said its LAN address: our own stands in */
	return mbuf_printf(mb, "<sip:%J%s;lr;sofw=%s>", own_laddr(s, i->af),
	                   i->tcp ? ";transport=tcp" : "", tok);
}

/**
 * The Record-Route line(s) for a request crossing from @in to @out: one
 * entry when both are the same interface, else two (RFC 5658), the one
 * facing @out on top
 */
int route_rr_print(struct sipsrv *s, struct mbuf *mb, const struct iface *out,
                   const struct iface *in, const struct pl *callid,
                   const struct pl *tag)
{
	int e;

	e = mbuf_write_str(mb, "Record-Route: ");
	e |= rr_value(s, mb, out, callid, tag, NULL);
	/* two entries also between outside parties of another address
	 * family or transport: each must reach us its own way */
	if (!iface_same(out, in) || out->tcp != in->tcp || out->af != in->af) {
		e |= mbuf_write_str(mb, "\r\nRecord-Route: ");
		e |= rr_value(s, mb, in, callid, tag, out);
	}
	e |= mbuf_write_str(mb, "\r\n");
	return e;
}

static bool token_ok(const struct sipsrv *s, const char *side, const char *tok,
                     size_t len, const struct pl *callid, const struct pl *tag)
{
	char bound[TOKEN_BOUND_MAX + 1];

	return pl_isset(tag) &&
	       !bound_of(bound, sizeof(bound), side, callid, tag) &&
	       token_check(tok, len, s->rr_key, sizeof(s->rr_key), MAC_HEX,
	                   bound, wall_ms(),
	                   (uint64_t)s->cfg->dialog_max * 1000,
	                   NULL) == TOKEN_OK;
}

/* The side and token of a value with sofw=SIDE.TOKEN (not verified) */
static bool rr_parts(const struct pl *val, struct sip_addr *addr,
                     char side[SIDE_MAX + 1], struct pl *tok)
{
	struct pl param;
	const char *dot;
	size_t slen;

	if (sip_addr_decode(addr, val) ||
	    msg_param_decode(&addr->uri.params, "sofw", &param))
		return false;
	/* the side may hold dots (an HRAC id), the token is hex: the last */
	for (dot = param.p + param.l; dot > param.p && dot[-1] != '.'; dot--)
		;
	if (dot == param.p)
		return false;
	dot--;
	slen = (size_t)(dot - param.p);
	if (slen < 1 || slen > SIDE_MAX ||
	    (param.p[0] != 'i' && param.p[0] != 'o' && param.p[0] != 'h') ||
	    (param.p[0] != 'i' && slen != 1))
		return false;
	memcpy(side, param.p, slen);
	side[slen] = '\0';
	if (side[0] == 'i' && !hracs_id_valid(side + 1, slen - 1))
		return false;
	tok->p = dot + 1;
	tok->l = param.l - slen - 1;
	return true;
}

/* A token bound to the caller's tag: the From tag of the caller's
 * requests, the To tag of the callee's */
static bool token_of_dialog(const struct sipsrv *s, const char *side,
                            const struct pl *tok, const struct sip_msg *msg)
{
	return token_ok(s, side, tok->p, tok->l, &msg->callid,
	                &msg->from.tag) ||
	       token_ok(s, side, tok->p, tok->l, &msg->callid, &msg->to.tag);
}

/* Among several nodes the token's key is the cluster's: a valid token
 * is one of some node's, and the entry is ours only if it names this
 * node (its address; inside, its HRAC's LAN address as announced here) */
static bool names_this_node(const struct sipsrv *s, const char *side,
                            const struct uri *uri)
{
	const char *lan;
	struct sa a, l;

	if (!store_shared(s->store))
		return true; /* one node: the key is its own */
	if (side[0] == 'o')
		return sipsrv_addr_ours(s, uri);
	lan = sipsrv_lan_addr(s, side + 1);
	return lan && !sa_decode(&l, lan, strlen(lan)) &&
	       !sa_set(&a, &uri->host, uri->port ? uri->port : SIP_PORT) &&
	       sa_cmp(&a, &l, SA_ALL);
}

/* A Route value of ours: parse and verify its token */
static bool route_ours(const struct sipsrv *s, const struct pl *val,
                       const struct sip_msg *msg, struct iface *i)
{
	char side[SIDE_MAX + 1];
	struct sip_addr addr;
	struct pl tok, tp;

	if (!rr_parts(val, &addr, side, &tok))
		return false;
	memset(i, 0, sizeof(i[0]));
	if (side[0] == 'h') {
		/* a site's hidden entry: the token of one of the dialog's
		 * inside parties */
		const struct dialog *d;
		int k = 0;

		d = s->dialogs ? dialogs_find(s->dialogs, msg, &k) : NULL;
		for (int j = 0; d && j < 2 && !i->inside; j++) {
			const struct iface *p = &d->party[j].side;

			snprintf(side, sizeof(side), "i%s", p->hrac);
			if (p->inside && token_of_dialog(s, side, &tok, msg))
				*i = *p;
		}
		return i->inside;
	}
	if (!token_of_dialog(s, side, &tok, msg) ||
	    !names_this_node(s, side, &addr.uri))
		return false;
	i->inside = side[0] == 'i';
	snprintf(i->hrac, sizeof(i->hrac), "%s", side + 1);
	i->tcp = !msg_param_decode(&addr.uri.params, "transport", &tp) &&
	         !pl_strcasecmp(&tp, "tcp");
	return true;
}

/**
 * A Record-Route value of a response going to the party on @to: a site's
 * entry of ours in clear for that site's own phones only, hidden for
 * every other party (RFC 3261 §16.7 step 4: a proxy may rewrite the
 * values it added), so an outside party or another site learns neither
 * the HRAC's identity nor its LAN address
 */
static int rr_rewrite_one(struct sipsrv *s, struct mbuf *mb,
                          const struct sip_msg *resp, const struct pl *val,
                          const struct iface *to)
{
	char side[SIDE_MAX + 1];
	struct sip_addr addr;
	struct pl tok;

	if (!rr_parts(val, &addr, side, &tok) || side[0] == 'o')
		return mbuf_write_pl(mb, val);
	if (side[0] == 'i') {
		struct iface i;

		memset(&i, 0, sizeof(i));
		i.inside = true;
		snprintf(i.hrac, sizeof(i.hrac), "%s", side + 1);
		if (iface_same(&i, to) ||
		    !token_ok(s, side, tok.p, tok.l, &resp->callid,
		              &resp->from.tag))
			return mbuf_write_pl(mb, val);
		return rr_hidden(s, mb, to, &tok);
	}
	/* hidden: in clear again if it is the entry of @to's site */
	snprintf(side, sizeof(side), "i%s", to->hrac);
	if (!to->inside ||
	    !token_ok(s, side, tok.p, tok.l, &resp->callid, &resp->from.tag))
		return mbuf_write_pl(mb, val);
	{
		const char *lan = sipsrv_lan_addr(s, to->hrac);

		if (lan)
			return mbuf_printf(mb, "<sip:%s%s;lr;sofw=%s.%r>", lan,
			                   to->tcp ? ";transport=tcp" : "",
			                   side, &tok);
		return mbuf_printf(mb, "<sip:%J%s;lr;sofw=%s.%r>",
		                   own_laddr(s, 0),
		                   to->tcp ? ";transport=tcp" : "", side, &tok);
	}
}

/* A header line may hold several values, comma-separated (RFC 3261
 * §7.3.1): each is rewritten on its own, the commas within <> or quotes
 * kept */
int route_rr_rewrite(struct sipsrv *s, struct mbuf *mb,
                     const struct sip_msg *resp, const struct pl *val,
                     const struct iface *to)
{
	const char *p = val->p, *end = val->p + val->l;
	bool angle = false, quote = false, first = true;
	int e = 0;

	while (p < end && !e) {
		const char *v;
		struct pl one;

		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		v = p;
		for (; p < end; p++) {
			if (quote) {
				quote = *p != '"';
			} else if (*p == '"') {
				quote = true;
			} else if (*p == '<') {
				angle = true;
			} else if (*p == '>') {
				angle = false;
			} else if (*p == ',' && !angle) {
				break;
			}
		}
		one.p = v;
		one.l = (size_t)(p - v);
		while (one.l &&
		       (one.p[one.l - 1] == ' ' || one.p[one.l - 1] == '\t'))
			one.l--;
		if (!one.l)
			continue;
		if (!first)
			e = mbuf_write_str(mb, ", ");
		first = false;
		e = e ? e : rr_rewrite_one(s, mb, resp, &one, to);
	}
	return e;
}

/*
 * A Route value naming this server without a token of ours: a phone that
 * has HRAS (outside) or its site's HRAC (inside) as outbound proxy.  For
 * RFC 3261 §16.4 it indicates this proxy: HRAS and its HRACs are one.
 */
static bool names_us(struct sipsrv *s, const struct sip_msg *msg,
                     const struct pl *val)
{
	struct sip_addr addr;
	struct origin o;
	const char *lan;
	struct sa a, l;
	struct pl tok;

	/* a token that does not verify is a forgery, not a plain route */
	if (sip_addr_decode(&addr, val) ||
	    !msg_param_exists(&addr.uri.params, "sofw", &tok))
		return false;
	if (sipsrv_addr_ours(s, &addr.uri))
		return true;
	route_origin(s, msg, &o);
	lan = o.inside ? sipsrv_lan_addr(s, o.hrac) : NULL;
	return lan && !sa_decode(&l, lan, strlen(lan)) &&
	       !sa_set(&a, &addr.uri.host,
	               addr.uri.port ? addr.uri.port : SIP_PORT) &&
	       sa_cmp(&a, &l, SA_ALL);
}

/**
 * RFC 3261 §16.4: the Route values at the top that are ours are to be
 * removed; the last of them tells which interface the request leaves by
 */
int route_preprocess(struct sipsrv *s, const struct sip_msg *msg,
                     struct route_pre *rp)
{
	struct le *le;
	bool first = true;

	memset(rp, 0, sizeof(*rp));
	LIST_FOREACH(&msg->hdrl, le)
	{
		const struct sip_hdr *hdr = le->data;
		struct iface i;

		if (hdr->id != SIP_HDR_ROUTE)
			continue;
		if (route_ours(s, &hdr->val, msg, &i)) {
			rp->popped++;
			rp->have_last = true;
			rp->last = i;
		} else if (first && names_us(s, msg, &hdr->val)) {
			/* a phone's outbound proxy: us, without a token */
			rp->popped++;
		} else {
			break;
		}
		first = false;
	}
	return 0;
}
