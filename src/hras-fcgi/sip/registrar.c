/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file registrar.c  REGISTER (RFC 3261 §10.3)
 *
 * The binding of an inside phone is its HRAC's identity and an address on
 * its LAN; an outside phone's an address outside: the Contact it names
 * (RFC 3261 §10.2), or, behind NAT or asked for (RFC 5626), where the
 * REGISTER came from (reach_of()).  Expires: the contact's expires parameter,
 * else the Expires header, else the default; below the minimum is 423
 * with Min-Expires, above the maximum is cut down.  The 200 lists every
 * current binding of the address of record.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "hracs.h"
#include "iface.h"
#include "sdp_rw.h"
#include "store.h"
#include "location.h"
#include "digest.h"
#include "sipsrv.h"
#include "route.h"
#include "registrar.h"

enum {
	CONTACTS_MAX = 16, /* in one REGISTER */
};

struct contact {
	char uri[LOC_CONTACT_MAX];
	int64_t expires; /* -1: none given */
	uint32_t q;
};

struct reg {
	struct contact c[CONTACTS_MAX];
	size_t n;
	bool star;
	bool bad;
};

/* Header values go to the state file: no tabs or line breaks there */
static void clean_copy(char *dst, size_t size, const struct pl *src)
{
	size_t n = min(src->l, size - 1);

	for (size_t i = 0; i < n; i++) {
		char ch = src->p[i];

		dst[i] = (ch == '\t' || ch == '\r' || ch == '\n') ? ' ' : ch;
	}
	dst[n] = '\0';
}

static uint32_t parse_q(const struct pl *v)
{
	/* "1", "1.0", "0.5", "0.25": to thousandths */
	uint32_t q = 0, scale = 1000;
	size_t i = 0;

	for (; i < v->l && v->p[i] != '.'; i++)
		q = q * 10 + (uint32_t)(v->p[i] - '0');
	q *= 1000;
	if (i < v->l)
		i++;
	for (; i < v->l && scale > 1; i++) {
		scale /= 10;
		q += (uint32_t)(v->p[i] - '0') * scale;
	}
	return min(q, 1000u);
}

static bool on_contact(const struct sip_hdr *hdr, const struct sip_msg *msg,
                       void *arg)
{
	struct reg *r = arg;
	struct sip_addr addr;
	struct contact *c;
	struct pl v;

	(void)msg;
	if (!pl_strcmp(&hdr->val, "*")) {
		r->star = true;
		return false;
	}
	if (r->n >= CONTACTS_MAX || sip_addr_decode(&addr, &hdr->val) ||
	    addr.auri.l >= LOC_CONTACT_MAX) {
		r->bad = true;
		return true;
	}
	c = &r->c[r->n++];
	clean_copy(c->uri, sizeof(c->uri), &addr.auri);
	c->expires = -1;
	if (!msg_param_decode(&addr.params, "expires", &v))
		c->expires = (int64_t)pl_u32(&v);
	c->q = 1000;
	if (!msg_param_decode(&addr.params, "q", &v))
		c->q = parse_q(&v);
	return false;
}

/* "user@host", the key of an address of record */
static int aor_of(const struct sip_taddr *to, char *out, size_t size)
{
	const struct uri *u = &to->uri;

	if (!pl_isset(&u->user) || !pl_isset(&u->host))
		return EINVAL;
	if (re_snprintf(out, size, "%r@%r", &u->user, &u->host) < 0)
		return EINVAL;
	location_aor_norm(out);
	return 0;
}

static int reply_ok(struct sipsrv *s, const struct sip_msg *msg,
                    const char *aor)
{
	const struct list *l = location_lookup(s->loc, aor);
	uint64_t now = location_now();
	struct mbuf *mb = mbuf_alloc(512);
	struct le *le;
	int e = mb ? 0 : ENOMEM;

	if (l) {
		LIST_FOREACH(l, le)
		{
			const struct binding *b = le->data;

			if (b->expires <= now)
				continue;
			e |= mbuf_printf(
			    mb, "Contact: <%s>;expires=%llu", b->contact,
			    (unsigned long long)(b->expires - now));
			if (b->q != 1000)
				e |= mbuf_printf(mb, ";q=%u.%03u", b->q / 1000,
				                 b->q % 1000);
			e |= mbuf_write_str(mb, "\r\n");
		}
	}
	if (!e)
		e = mbuf_write_u8(mb, 0);
	if (!e)
		e = sipsrv_reply(s, msg, 200, "OK", (const char *)mb->buf);
	mem_deref(mb);
	return e;
}

/*
 * An inside phone that need not authenticate (--auth-inside no, or no
 * --users) speaks for its site only: it may register an address of
 * record nobody else holds, or one held by phones of its own site.
 * @return false when the request has been answered (403)
 */
static bool own_site_aor(struct sipsrv *s, const struct sip_msg *msg,
                         const struct origin *o, const char *aor)
{
	const struct list *l;
	struct le *le;
	char ob[96];

	if (!o->inside || (s->digest && s->cfg->auth_inside))
		return true;
	l = location_lookup(s->loc, aor);
	LIST_FOREACH(l, le)
	{
		const struct binding *b = le->data;

		if (b->expires > location_now() &&
		    (!b->inside || strcmp(b->hrac, o->hrac))) {
			log_warn(
			    "REGISTER from %s for %s refused: bound %s%s, and "
			    "the phone did not authenticate",
			    route_origin_str(o, ob, sizeof(ob)), aor,
			    b->inside ? "through HRAC " : "outside",
			    b->inside ? b->hrac : "");
			s->st.refused_auth++;
			sipsrv_reply(s, msg, 403, "Forbidden", NULL);
			return false;
		}
	}
	return true;
}

/* An address a party elsewhere cannot be reached at: a private,
 * link-local, loopback or unspecified one */
static bool unreachable(const struct sa *a)
{
	return sa_is_any(a) || sa_is_loopback(a) || sa_is_linklocal(a) ||
	       sdp_rw_private(a);
}

/*
 * Where a binding reaches its phone (RFC 3261 §10.2: the Contact it
 * names, which may be another device than the one registering), unless
 * the phone asks to be reached the way it registered (RFC 5626: ";ob",
 * reg-id), its transport is a connection, or NAT is evident, as
 * kamailio's nat_uac_test has it: the Contact or the top Via names
 * another address than the source, and the Contact cannot be reached as
 * given (a private address the source is not, no address at all).  An
 * inside phone's source is its address as its HRAC sees it.
 */
static void reach_of(const struct sip_msg *msg, const struct origin *o,
                     const char *contact, struct sa *addr, enum sip_transp *tp)
{
	struct pl pl, v;
	struct uri u;
	struct sa c;

	*addr = o->addr;
	*tp = o->tp;
	pl_set_str(&pl, contact);
	if (uri_decode(&u, &pl) ||
	    sa_set(&c, &u.host, u.port ? u.port : SIP_PORT))
		return; /* a name, or no contact at all: the source */
	if (!msg_param_exists(&u.params, "ob", &v) ||
	    !msg_param_exists(&u.params, "reg-id", &v) ||
	    (!o->inside && o->tp != SIP_TRANSP_UDP) || (o->inside && o->tcp))
		return; /* a flow, or a connection: the way it came */
	if (sa_cmp(&c, &o->addr, SA_ALL))
		return;
	/* NAT: the phone does not know the address it is seen from */
	if (!sa_cmp(&msg->via.addr, &o->addr, SA_ALL))
		return;
	if (!o->inside && unreachable(&c) && !unreachable(&o->addr))
		return;
	*addr = c;
	if (!msg_param_decode(&u.params, "transport", &v) &&
	    !pl_strcasecmp(&v, "tcp"))
		*tp = SIP_TRANSP_TCP;
	else
		*tp = SIP_TRANSP_UDP;
}

void registrar_handle(struct sipsrv *s, const struct sip_msg *msg,
                      const struct origin *o)
{
	const struct sipsrv_conf *cfg = s->cfg;
	char aor[LOC_AOR_MAX], minexp[64];
	struct reg r;
	int64_t dflt;
	uint64_t now;
	struct pl callid;
	bool authed;
	int e;

	s->st.registers++;
	if (!sipsrv_domain_ours(s, &msg->uri.host) &&
	    !sipsrv_addr_ours(s, &msg->uri)) {
		sipsrv_reply(s, msg, 403, "Not a domain served here", NULL);
		return;
	}
	if (aor_of(&msg->to, aor, sizeof(aor)) ||
	    !sipsrv_domain_ours(s, &msg->to.uri.host)) {
		sipsrv_reply(s, msg, 404, "Not Found", NULL);
		return;
	}

	memset(&r, 0, sizeof(r));
	sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, on_contact, &r);
	if (r.bad || (r.star && r.n)) {
		sipsrv_reply(s, msg, 400, "Bad Contact", NULL);
		return;
	}

	if (!sipsrv_authorize(s, msg, o, false, &authed))
		return;
	if (!own_site_aor(s, msg, o, aor))
		return;

	dflt = pl_isset(&msg->expires) ? (int64_t)pl_u32(&msg->expires)
	                               : (int64_t)cfg->expires_default;

	if (r.star) {
		if (dflt != 0) {
			sipsrv_reply(s, msg, 400, "Contact * needs Expires: 0",
			             NULL);
			return;
		}
		location_remove_all(s->loc, aor);
		log_info("%s unregistered (all contacts)", aor);
		reply_ok(s, msg, aor);
		return;
	}

	/* 423 before anything changes */
	for (size_t i = 0; i < r.n; i++) {
		int64_t x = r.c[i].expires >= 0 ? r.c[i].expires : dflt;

		if (x > 0 && x < cfg->expires_min) {
			snprintf(minexp, sizeof(minexp), "Min-Expires: %u\r\n",
			         cfg->expires_min);
			sipsrv_reply(s, msg, 423, "Interval Too Brief", minexp);
			return;
		}
	}

	now = location_now();
	callid = msg->callid;
	for (size_t i = 0; i < r.n; i++) {
		const struct contact *c = &r.c[i];
		int64_t x = c->expires >= 0 ? c->expires : dflt;
		struct binding b;
		const struct list *l;
		struct le *le;

		if (x == 0) {
			location_remove(s->loc, aor, c->uri);
			log_info("%s unregistered %s", aor, c->uri);
			continue;
		}
		if (x > cfg->expires_max)
			x = cfg->expires_max;

		/* an older REGISTER of the same Call-ID changes nothing */
		l = location_lookup(s->loc, aor);
		if (l) {
			bool stale = false;

			LIST_FOREACH(l, le)
			{
				const struct binding *old = le->data;

				if (!strcmp(old->contact, c->uri) &&
				    !pl_strcmp(&callid, old->callid) &&
				    msg->cseq.num <= old->cseq)
					stale = true;
			}
			if (stale)
				continue;
		}

		memset(&b, 0, sizeof(b));
		snprintf(b.aor, sizeof(b.aor), "%s", aor);
		snprintf(b.contact, sizeof(b.contact), "%s", c->uri);
		b.q = c->q;
		b.expires = now + (uint64_t)x;
		clean_copy(b.callid, sizeof(b.callid), &callid);
		b.cseq = msg->cseq.num;
		{
			const struct sip_hdr *ua =
			    sip_msg_hdr(msg, SIP_HDR_USER_AGENT);

			if (ua)
				clean_copy(b.ua, sizeof(b.ua), &ua->val);
		}
		b.inside = o->inside;
		snprintf(b.hrac, sizeof(b.hrac), "%s", o->hrac);
		b.tcp = o->tcp;
		reach_of(msg, o, c->uri, &b.addr, &b.tp);
		/* among several nodes, the one this phone reaches */
		if (store_shared(s->store))
			snprintf(b.node, sizeof(b.node), "%s",
			         store_node(s->store));

		e = location_set(s->loc, &b);
		if (e == E2BIG) {
			sipsrv_reply(s, msg, 403, "Too many contacts", NULL);
			return;
		}
		if (e) {
			log_error("location full: REGISTER of %s refused", aor);
			sipsrv_reply(s, msg, 503, "Service Unavailable",
			             "Retry-After: 60\r\n");
			return;
		}
		log_info("%s registered %s%s%s for %lld s", aor, c->uri,
		         o->inside ? " via HRAC " : "",
		         o->inside ? o->hrac : "", (long long)x);
	}

	reply_ok(s, msg, aor);
}
