/**
 * @file route.c  Where a SIP message comes from and where it goes
 *
 * Record-Route token: "o" for the outside interface, "i" followed by the
 * HRAC identity for the inside of a site, then "." and 12 hex digits of
 * HMAC-SHA256(key, token head "|" Call-ID).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "secret.h"
#include "conf.h"
#include "hracs.h"
#include "iface.h"
#include "lan_gw.h"
#include "sipsrv.h"
#include "route.h"

enum {
	MAC_HEX = 12,
	TOKEN_MAX = HRACS_ID_MAX + MAC_HEX + 4,
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

static int mac(const struct sipsrv *s, const char *head,
               const struct pl *callid, char out[MAC_HEX + 1])
{
	char msg[1024], full[SECRET_PROOF_HEX + 1];
	int e;

	if (snprintf(msg, sizeof(msg), "%s|%.*s", head, (int)callid->l,
	             callid->p) >= (int)sizeof(msg))
		return EMSGSIZE;
	e = secret_hmac_hex(full, sizeof(full), s->rr_key, sizeof(s->rr_key),
	                    msg);
	if (e)
		return e;
	memcpy(out, full, MAC_HEX);
	out[MAC_HEX] = '\0';
	return 0;
}

static int token(const struct sipsrv *s, const struct iface *i,
                 const struct pl *callid, char out[TOKEN_MAX])
{
	char head[HRACS_ID_MAX + 2], m[MAC_HEX + 1];
	int e;

	snprintf(head, sizeof(head), "%s%s", i->inside ? "i" : "o",
	         i->inside ? i->hrac : "");
	e = mac(s, head, callid, m);
	if (!e)
		snprintf(out, TOKEN_MAX, "%s.%s", head, m);
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

/* One Record-Route value: where the party on @i sends its requests */
static int rr_value(struct sipsrv *s, struct mbuf *mb, const struct iface *i,
                    const struct pl *callid)
{
	const char *lan = i->inside ? sipsrv_lan_addr(s, i->hrac) : NULL;
	char tok[TOKEN_MAX];
	int e;

	e = token(s, i, callid, tok);
	if (e)
		return e;
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
                   const struct iface *in, const struct pl *callid)
{
	int e;

	e = mbuf_write_str(mb, "Record-Route: ");
	e |= rr_value(s, mb, out, callid);
	if (!iface_same(out, in)) {
		e |= mbuf_write_str(mb, "\r\nRecord-Route: ");
		e |= rr_value(s, mb, in, callid);
	}
	e |= mbuf_write_str(mb, "\r\n");
	return e;
}

/* A Route value of ours: parse and verify its token */
static bool route_ours(const struct sipsrv *s, const struct pl *val,
                       const struct pl *callid, struct iface *i)
{
	char head[HRACS_ID_MAX + 2], m[MAC_HEX + 1];
	struct sip_addr addr;
	struct pl tok, tp;
	size_t hlen;

	if (sip_addr_decode(&addr, val) ||
	    msg_param_decode(&addr.uri.params, "sofw", &tok))
		return false;
	if (tok.l < MAC_HEX + 2 || tok.l > TOKEN_MAX - 1)
		return false;
	hlen = tok.l - MAC_HEX - 1;
	if (tok.p[hlen] != '.' || (tok.p[0] != 'i' && tok.p[0] != 'o'))
		return false;
	memcpy(head, tok.p, hlen);
	head[hlen] = '\0';
	if (mac(s, head, callid, m) ||
	    !secret_equal(m, tok.p + hlen + 1, MAC_HEX))
		return false;

	memset(i, 0, sizeof(i[0]));
	i->inside = head[0] == 'i';
	snprintf(i->hrac, sizeof(i->hrac), "%s", head + 1);
	if (i->inside && !hracs_id_valid(i->hrac, strlen(i->hrac)))
		return false;
	i->tcp = !msg_param_decode(&addr.uri.params, "transport", &tp) &&
	         !pl_strcasecmp(&tp, "tcp");
	return true;
}

/**
 * RFC 3261 §16.4: the Route values at the top that are ours are to be
 * removed; the last of them tells which interface the request leaves by
 */
int route_preprocess(struct sipsrv *s, const struct sip_msg *msg,
                     struct route_pre *rp)
{
	struct le *le;

	memset(rp, 0, sizeof(*rp));
	LIST_FOREACH(&msg->hdrl, le)
	{
		const struct sip_hdr *hdr = le->data;
		struct iface i;

		if (hdr->id != SIP_HDR_ROUTE)
			continue;
		if (!route_ours(s, &hdr->val, &msg->callid, &i))
			break;
		rp->popped++;
		rp->have_last = true;
		rp->last = i;
	}
	return 0;
}
