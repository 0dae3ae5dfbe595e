/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_route.c  Record-Route tokens: what route_rr_print writes,
 * and which Route values route_preprocess takes back as ours
 *
 * The server is a struct sipsrv made by hand (sipsrv_alloc binds
 * sockets): the Record-Route key, our public addresses and the HRACs'
 * LAN addresses are all route.c reads.  Tokens are checked here with
 * token_check() against route.c's documented binding, SIDE "|" Call-ID
 * "|" the caller's tag;
 * values the code would never write (invalid sides, other keys) are
 * made here with token_make().
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "conf.h"
#include "log.h"
#include "token.h"
#include "hracs.h"
#include "iface.h"
#include "lan_gw.h"
#include "sipsrv.h"
#include "route.h"
#include "dialog.h"
#include "statefield.h"
#include "unit.h"

enum {
	MAC_HEX = 16, /* route.c's */
	TOK_HEX = TOKEN_HEAD_HEX + MAC_HEX,
	VAL_MAX = 8192,
};

static const char callid[] = "3848276298220188511@atlanta.example.com";
static const char ftag[] = "a"; /* the caller's tag, as in request() */
static struct sipsrv_conf cfg = { .dialog_max = 3600 };

/* --- a server by hand --- */

static int srv_init(struct sipsrv *s, uint8_t keybyte, bool v6)
{
	memset(s, 0, sizeof(*s));
	s->cfg = &cfg;
	for (size_t i = 0; i < sizeof(s->rr_key); i++)
		s->rr_key[i] = (uint8_t)(keybyte + i * 7);
	if (sa_set_str(&s->laddr[0], "192.0.2.1", 5060))
		return 1;
	s->nladdr = 1;
	if (v6) {
		if (sa_set_str(&s->laddr[1], "2001:db8::1", 5062))
			return 1;
		s->nladdr = 2;
	}
	if (hash_alloc(&s->lan_addrs, 16))
		return 1;
	sipsrv_lan_sip(s, "site-a", "10.77.1.5:5060");
	sipsrv_lan_sip(s, "site-c", "[fd00::5]:5070");
	return 0;
}

static void srv_close(struct sipsrv *s)
{
	hash_flush(s->lan_addrs);
	s->lan_addrs = mem_deref(s->lan_addrs);
}

static struct iface outside(bool tcp, int af)
{
	struct iface i;

	memset(&i, 0, sizeof(i));
	i.tcp = tcp;
	i.af = af;
	return i;
}

static struct iface inside(const char *hrac, bool tcp)
{
	struct iface i;

	memset(&i, 0, sizeof(i));
	i.inside = true;
	snprintf(i.hrac, sizeof(i.hrac), "%s", hrac);
	i.tcp = tcp;
	return i;
}

/* --- what route_rr_print writes --- */

struct rr {
	size_t n;
	char val[2][512]; /* the values, top first */
};

static uint64_t wall_ms(void)
{
	return (uint64_t)time(NULL) * 1000;
}

/* Print the Record-Route of (@out, @in, @cid) and split it into values;
 * -1: not of the form "Record-Route: VALUE\r\n" once or twice */
static int rr_print(struct sipsrv *s, const struct iface *out,
                    const struct iface *in, const char *cid, struct rr *rr)
{
	struct mbuf *mb = mbuf_alloc(1024);
	struct pl c, tag;
	const char *p, *end;
	int r = -1;

	memset(rr, 0, sizeof(*rr));
	if (!mb)
		return -1;
	pl_set_str(&c, cid);
	pl_set_str(&tag, ftag);
	if (route_rr_print(s, mb, out, in, &c, &tag))
		goto out;
	p = (const char *)mb->buf;
	end = p + mb->end;
	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		size_t n;

		if (!eol || rr->n == 2 ||
		    strncmp(p, "Record-Route: ", 14) != 0) {
			fprintf(stderr, "bad Record-Route: %.*s\n",
			        (int)mb->end, (const char *)mb->buf);
			goto out;
		}
		p += 14;
		n = (size_t)(eol - p);
		if (n >= sizeof(rr->val[0]))
			goto out;
		memcpy(rr->val[rr->n], p, n);
		rr->val[rr->n][n] = '\0';
		rr->n++;
		p = eol + 2;
	}
	r = (int)rr->n;
out:
	mem_deref(mb);
	return r;
}

/* @val is "<sip:" @hostport @params ";lr;sofw=" @side "." TOKEN ">",
 * TOKEN bound to @side "|" @cid "|" the caller's tag under @s's key,
 * made now */
static int value_is(const struct sipsrv *s, const char *val,
                    const char *hostport, const char *params, const char *side,
                    const char *cid, uint64_t t0)
{
	char want[512], bound[TOKEN_BOUND_MAX + 1];
	size_t n;
	uint64_t issued = 0;
	const char *tok;

	/* "h:SIDE": hidden, bound to SIDE */
	const char *shown = strncmp(side, "h:", 2) ? side : "h";

	side = strncmp(side, "h:", 2) ? side : side + 2;
	n = (size_t)snprintf(want, sizeof(want), "<sip:%s%s;lr;sofw=%s.",
	                     hostport, params, shown);
	if (strncmp(val, want, n) || strlen(val) != n + TOK_HEX + 1 ||
	    val[n + TOK_HEX] != '>') {
		fprintf(stderr, "got %s\nwant %sTOKEN>\n", val, want);
		return 1;
	}
	tok = val + n;
	snprintf(bound, sizeof(bound), "%s|%s|%s", side, cid, ftag);
	if (token_check(tok, TOK_HEX, s->rr_key, sizeof(s->rr_key), MAC_HEX,
	                bound, wall_ms(), TOKEN_NO_EXPIRY,
	                &issued) != TOKEN_OK) {
		fprintf(stderr, "token of %s not bound to %s\n", val, bound);
		return 1;
	}
	/* wall-clock time */
	if (issued < t0 || issued > wall_ms() + 1000) {
		fprintf(stderr, "token of %s issued at %llu, not now\n", val,
		        (unsigned long long)issued);
		return 1;
	}
	return 0;
}

/* One value when both sides are one, else two, the one facing @out on
 * top; an inside side named by its HRAC's LAN address, the outside (and
 * an HRAC that never said its address) by ours */
static int rr_values(void)
{
	const uint64_t t0 = wall_ms();
	struct iface o = outside(false, 0), ot = outside(true, 0);
	struct iface a = inside("site-a", false), at = inside("site-a", true);
	struct iface b = inside("site-b", false), c = inside("site-c", true);
	struct sipsrv s;
	struct rr rr;
	char bound[128];

	TEST_EQ(srv_init(&s, 1, false), 0);
	TEST_STREQ(sipsrv_lan_addr(&s, "site-a"), "10.77.1.5:5060");
	TEST_ASSERT(sipsrv_lan_addr(&s, "site-b") == NULL);

	/* outside to outside */
	TEST_EQ(rr_print(&s, &o, &o, callid, &rr), 1);
	TEST_EQ(value_is(&s, rr.val[0], "192.0.2.1:5060", "", "o", callid, t0),
	        0);

	/* outside over TCP */
	TEST_EQ(rr_print(&s, &ot, &ot, callid, &rr), 1);
	TEST_EQ(value_is(&s, rr.val[0], "192.0.2.1:5060", ";transport=tcp", "o",
	                 callid, t0),
	        0);

	/* inside site-a to inside site-a */
	TEST_EQ(rr_print(&s, &a, &a, callid, &rr), 1);
	TEST_EQ(value_is(&s, rr.val[0], "10.77.1.5:5060", "", "isite-a", callid,
	                 t0),
	        0);

	/* outside to site-a (TCP): site-a's on top */
	TEST_EQ(rr_print(&s, &at, &o, callid, &rr), 2);
	TEST_EQ(value_is(&s, rr.val[0], "10.77.1.5:5060", ";transport=tcp",
	                 "isite-a", callid, t0),
	        0);
	TEST_EQ(value_is(&s, rr.val[1], "192.0.2.1:5060", "", "o", callid, t0),
	        0);

	/* site-a to outside (TCP): the outside's on top; site-a's hidden
	 * from the outside party (our address, no identity) */
	TEST_EQ(rr_print(&s, &ot, &a, callid, &rr), 2);
	TEST_EQ(value_is(&s, rr.val[0], "192.0.2.1:5060", ";transport=tcp", "o",
	                 callid, t0),
	        0);
	TEST_EQ(value_is(&s, rr.val[1], "192.0.2.1:5060", "", "h:isite-a",
	                 callid, t0),
	        0);

	/* site-a to site-c (an IPv6 LAN address, TCP): site-a's hidden
	 * from site-c */
	TEST_EQ(rr_print(&s, &c, &a, callid, &rr), 2);
	TEST_EQ(value_is(&s, rr.val[0], "[fd00::5]:5070", ";transport=tcp",
	                 "isite-c", callid, t0),
	        0);
	TEST_EQ(value_is(&s, rr.val[1], "192.0.2.1:5060", "", "h:isite-a",
	                 callid, t0),
	        0);

	/* site-b never said its LAN address: ours stands in */
	TEST_EQ(rr_print(&s, &b, &a, callid, &rr), 2);
	TEST_EQ(value_is(&s, rr.val[0], "192.0.2.1:5060", "", "isite-b", callid,
	                 t0),
	        0);
	TEST_EQ(value_is(&s, rr.val[1], "192.0.2.1:5060", "", "h:isite-a",
	                 callid, t0),
	        0);

	/* a LAN address said again, changed */
	sipsrv_lan_sip(&s, "site-a", "10.77.1.6:5080");
	TEST_EQ(rr_print(&s, &a, &a, callid, &rr), 1);
	TEST_EQ(value_is(&s, rr.val[0], "10.77.1.6:5080", "", "isite-a", callid,
	                 t0),
	        0);
	/* a bad one is ignored */
	sipsrv_lan_sip(&s, "site-a", "not an address");
	TEST_STREQ(sipsrv_lan_addr(&s, "site-a"), "10.77.1.6:5080");

	/* the token binds the Call-ID */
	TEST_EQ(rr_print(&s, &o, &o, "other-call", &rr), 1);
	TEST_EQ(value_is(&s, rr.val[0], "192.0.2.1:5060", "", "o", "other-call",
	                 t0),
	        0);
	snprintf(bound, sizeof(bound), "o|%s|%s", callid, ftag);
	TEST_EQ(token_check(strstr(rr.val[0], "sofw=o.") + 7, TOK_HEX, s.rr_key,
	                    sizeof(s.rr_key), MAC_HEX, bound, wall_ms(),
	                    TOKEN_NO_EXPIRY, NULL),
	        TOKEN_BAD);
	srv_close(&s);
	return 0;
}

/* Outside, our address of the party's family; the first when we have
 * none of it or the family is not known */
static int rr_ipv6(void)
{
	const uint64_t t0 = wall_ms();
	struct iface o4 = outside(false, AF_INET),
	             o6 = outside(false, AF_INET6);
	struct iface o0 = outside(false, 0), o6t = outside(true, AF_INET6);
	struct iface a = inside("site-a", false);
	struct sipsrv s;
	struct rr rr;

	TEST_EQ(srv_init(&s, 1, true), 0);
	TEST_EQ(rr_print(&s, &o6, &o6, callid, &rr), 1);
	TEST_EQ(
	    value_is(&s, rr.val[0], "[2001:db8::1]:5062", "", "o", callid, t0),
	    0);
	TEST_EQ(rr_print(&s, &o4, &o4, callid, &rr), 1);
	TEST_EQ(value_is(&s, rr.val[0], "192.0.2.1:5060", "", "o", callid, t0),
	        0);
	TEST_EQ(rr_print(&s, &o0, &o0, callid, &rr), 1);
	TEST_EQ(value_is(&s, rr.val[0], "192.0.2.1:5060", "", "o", callid, t0),
	        0);
	TEST_EQ(rr_print(&s, &a, &o6t, callid, &rr), 2);
	TEST_EQ(value_is(&s, rr.val[0], "10.77.1.5:5060", "", "isite-a", callid,
	                 t0),
	        0);
	TEST_EQ(value_is(&s, rr.val[1], "[2001:db8::1]:5062", ";transport=tcp",
	                 "o", callid, t0),
	        0);
	srv_close(&s);

	/* no IPv6 address of ours: the first */
	TEST_EQ(srv_init(&s, 1, false), 0);
	TEST_EQ(rr_print(&s, &o6, &o6, callid, &rr), 1);
	TEST_EQ(value_is(&s, rr.val[0], "192.0.2.1:5060", "", "o", callid, t0),
	        0);
	srv_close(&s);
	return 0;
}

/* A Call-ID too long to bind: no Record-Route rather than a bad one */
static int rr_long_callid(void)
{
	static char cid[TOKEN_BOUND_MAX + 16];
	struct iface o = outside(false, 0);
	struct sipsrv s;
	struct rr rr;
	size_t n;

	TEST_EQ(srv_init(&s, 1, false), 0);
	/* "o|", the Call-ID, "|" and the tag: TOKEN_BOUND_MAX in all is
	 * the longest */
	n = TOKEN_BOUND_MAX - 3 - strlen(ftag);
	memset(cid, 'c', n);
	cid[n] = '\0';
	TEST_EQ(rr_print(&s, &o, &o, cid, &rr), 1);
	cid[n] = 'c';
	cid[n + 1] = '\0';
	TEST_EQ(rr_print(&s, &o, &o, cid, &rr), -1);
	srv_close(&s);
	return 0;
}

/* --- what route_preprocess takes back --- */

/* A BYE with @routes (header lines) and Call-ID @cid */
static const char *req_from_tag = "a", *req_to_tag = "b";

static struct sip_msg *request(const char *routes, const char *cid)
{
	static char text[VAL_MAX * 2];
	struct sip_msg *msg = NULL;
	struct mbuf *mb;
	int n;

	n = snprintf(text, sizeof(text),
	             "BYE sip:bob@10.77.1.20:5060 SIP/2.0\r\n"
	             "Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK-1\r\n"
	             "%s"
	             "Max-Forwards: 70\r\n"
	             "From: <sip:alice@sofw.test>;tag=%s\r\n"
	             "To: <sip:bob@sofw.test>;tag=%s\r\n"
	             "Call-ID: %s\r\n"
	             "CSeq: 2 BYE\r\n"
	             "Content-Length: 0\r\n\r\n",
	             routes, req_from_tag, req_to_tag, cid);
	if (n < 0 || (size_t)n >= sizeof(text))
		return NULL;
	mb = mbuf_alloc((size_t)n);
	if (!mb)
		return NULL;
	if (!mbuf_write_mem(mb, (const uint8_t *)text, (size_t)n)) {
		mb->pos = 0;
		if (!sip_msg_decode(&msg, mb)) {
			msg->tp = SIP_TRANSP_UDP;
			sa_set_str(&msg->src, "198.51.100.20", 5060);
		}
	}
	mem_deref(mb);
	return msg;
}

/* route_preprocess of a BYE with @routes: popped, or -1 */
static int pre(struct sipsrv *s, const char *routes, const char *cid,
               struct route_pre *rp)
{
	struct sip_msg *msg = request(routes, cid);
	int r;

	if (!msg) {
		fprintf(stderr, "not decoded:\n%s\n", routes);
		return -1;
	}
	memset(rp, 0xa5, sizeof(*rp));
	r = route_preprocess(s, msg, rp) ? -1 : (int)rp->popped;
	if (r == 0 && rp->have_last)
		r = -2; /* nothing popped, yet a last one */
	mem_deref(msg);
	return r;
}

/* Route header lines of the values @v (NULL-terminated) */
static const char *routes_of(const char *const *v)
{
	static char buf[VAL_MAX * 2];
	size_t off = 0;

	buf[0] = '\0';
	for (; *v; v++) {
		int n =
		    snprintf(buf + off, sizeof(buf) - off, "Route: %s\r\n", *v);

		if (n < 0 || (size_t)n >= sizeof(buf) - off)
			return "";
		off += (size_t)n;
	}
	return buf;
}

#define ROUTES(...) routes_of((const char *const[]){ __VA_ARGS__, NULL })

/* "<sip:ADDR;lr;sofw=SIDE.TOKEN>" with a token made here, bound to
 * @side "|" @cid "|" the caller's tag under @s's key */
static int made_value(char *out, size_t sz, const struct sipsrv *s,
                      const char *side, const char *cid, const char *params)
{
	char bound[TOKEN_BOUND_MAX + 1], tok[TOK_HEX + 1];
	int n;

	n = snprintf(bound, sizeof(bound), "%s|%s|%s", side, cid, ftag);
	if (n < 0 || (size_t)n >= sizeof(bound))
		return EMSGSIZE;
	if (token_make(tok, sizeof(tok), s->rr_key, sizeof(s->rr_key), MAC_HEX,
	               wall_ms(), bound))
		return EINVAL;
	n = snprintf(out, sz, "<sip:192.0.2.1:5060%s;lr;sofw=%s.%s>", params,
	             side, tok);
	return n < 0 || (size_t)n >= sz ? EMSGSIZE : 0;
}

/* The values route_rr_print wrote come back as ours: all of them
 * popped, in either order, the last telling the side to leave by */
static int recognised(void)
{
	struct iface o = outside(false, 0), at = inside("site-a", true);
	struct sipsrv s;
	struct route_pre rp;
	struct rr rr;
	char both[1100];

	TEST_EQ(srv_init(&s, 1, false), 0);

	/* outside to site-a (TCP): rr = [isite-a, o] */
	TEST_EQ(rr_print(&s, &at, &o, callid, &rr), 2);

	/* the callee's route set, in order: leaves outside */
	TEST_EQ(pre(&s, ROUTES(rr.val[0], rr.val[1]), callid, &rp), 2);
	TEST_ASSERT(rp.have_last);
	TEST_ASSERT(!rp.last.inside);
	TEST_ASSERT(!rp.last.tcp);
	TEST_STREQ(rp.last.hrac, "");

	/* the caller's, reversed: leaves by site-a, over TCP */
	TEST_EQ(pre(&s, ROUTES(rr.val[1], rr.val[0]), callid, &rp), 2);
	TEST_ASSERT(rp.have_last);
	TEST_ASSERT(rp.last.inside);
	TEST_STREQ(rp.last.hrac, "site-a");
	TEST_ASSERT(rp.last.tcp);

	/* both in one header, comma-separated */
	snprintf(both, sizeof(both), "Route: %s, %s\r\n", rr.val[1], rr.val[0]);
	TEST_EQ(pre(&s, both, callid, &rp), 2);
	TEST_ASSERT(rp.last.inside);

	/* one value; the rest of the route set is not ours */
	TEST_EQ(pre(&s,
	            ROUTES(rr.val[0], "<sip:proxy.example.com;lr>",
	                   "<sip:other.example.com;lr>"),
	            callid, &rp),
	        1);
	TEST_ASSERT(rp.have_last);
	TEST_ASSERT(rp.last.inside);
	TEST_STREQ(rp.last.hrac, "site-a");

	/* ours, foreign, ours: the popping stops at the foreign one */
	TEST_EQ(pre(&s,
	            ROUTES(rr.val[1], "<sip:proxy.example.com;lr>", rr.val[0]),
	            callid, &rp),
	        1);
	TEST_ASSERT(!rp.last.inside);

	/* transport=TCP in any case; no Route at all */
	{
		char v[512];

		TEST_EQ(
		    made_value(v, sizeof(v), &s, "o", callid, ";transport=TCP"),
		    0);
		TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 1);
		TEST_ASSERT(rp.last.tcp);
		TEST_EQ(
		    made_value(v, sizeof(v), &s, "o", callid, ";transport=udp"),
		    0);
		TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 1);
		TEST_ASSERT(!rp.last.tcp);
	}
	TEST_EQ(pre(&s, "", callid, &rp), 0);
	TEST_ASSERT(!rp.have_last);
	srv_close(&s);
	return 0;
}

/* Replace "sofw=OLD." by "sofw=NEW." in @val */
static int swap_side(char *out, size_t sz, const char *val, const char *old,
                     const char *new)
{
	char pat[128];
	const char *p;
	int n;

	snprintf(pat, sizeof(pat), "sofw=%s.", old);
	p = strstr(val, pat);
	if (!p)
		return 1;
	n = snprintf(out, sz, "%.*ssofw=%s.%s", (int)(p - val), val, new,
	             p + strlen(pat));
	return n < 0 || (size_t)n >= sz;
}

/* Not ours: another dialog's, a digit changed, the side changed, another
 * key's, without sofw= or its dot; a foreign value first */
static int not_recognised(void)
{
	struct iface o = outside(false, 0), a = inside("site-a", false);
	struct sipsrv s, other;
	struct route_pre rp;
	struct rr rr, rro;
	char v[512], *tok;

	TEST_EQ(srv_init(&s, 1, false), 0);
	TEST_EQ(srv_init(&other, 2, false), 0);
	TEST_EQ(rr_print(&s, &a, &o, callid, &rr), 2);
	TEST_EQ(pre(&s, ROUTES(rr.val[0]), callid, &rp), 1);
	TEST_EQ(pre(&s, ROUTES(rr.val[1]), callid, &rp), 1);

	/* another Call-ID */
	TEST_EQ(pre(&s, ROUTES(rr.val[0], rr.val[1]), "other@example.com", &rp),
	        0);
	TEST_EQ(
	    pre(&s, ROUTES(rr.val[0], rr.val[1]), "3848276298220188511", &rp),
	    0);

	/* any digit of the token changed */
	for (size_t k = 0; k < 2; k++) {
		snprintf(v, sizeof(v), "%s", rr.val[k]);
		tok = strchr(strstr(v, "sofw="), '.') + 1;
		for (size_t i = 0; i < TOK_HEX; i++) {
			const char keep = tok[i];

			tok[i] = keep == '0' ? '1' : '0';
			if (pre(&s, ROUTES(v), callid, &rp) != 0) {
				fprintf(stderr, "accepted: %s\n", v);
				return 1;
			}
			tok[i] = keep;
		}
		TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 1);
	}

	/* the side changed, the token kept */
	TEST_EQ(swap_side(v, sizeof(v), rr.val[1], "o", "isite-a"), 0);
	TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 0);
	TEST_EQ(swap_side(v, sizeof(v), rr.val[0], "isite-a", "o"), 0);
	TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 0);
	TEST_EQ(swap_side(v, sizeof(v), rr.val[0], "isite-a", "isite-b"), 0);
	TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 0);
	TEST_EQ(swap_side(v, sizeof(v), rr.val[0], "isite-a", "isite-"), 0);
	TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 0);

	/* made under another key: not ours, and ours not the other's */
	TEST_EQ(rr_print(&other, &a, &o, callid, &rro), 2);
	TEST_EQ(pre(&s, ROUTES(rro.val[0], rro.val[1]), callid, &rp), 0);
	TEST_EQ(pre(&s, ROUTES(rro.val[1]), callid, &rp), 0);
	TEST_EQ(pre(&other, ROUTES(rr.val[0]), callid, &rp), 0);
	TEST_EQ(pre(&other, ROUTES(rro.val[0], rro.val[1]), callid, &rp), 2);

	/* no sofw=: a phone's outbound proxy, us (RFC 3261 §16.4): popped,
	 * but it names no side; naming another host it is not ours */
	TEST_EQ(pre(&s, ROUTES("<sip:192.0.2.1:5060;lr>"), callid, &rp), 1);
	TEST_ASSERT(!rp.have_last);
	TEST_EQ(pre(&s, ROUTES("<sip:192.0.2.7:5060;lr>"), callid, &rp), 0);
	/* a sofw= without its dot, or empty parts */
	TEST_EQ(pre(&s, ROUTES("<sip:192.0.2.1:5060;lr;sofw>"), callid, &rp),
	        0);
	TEST_EQ(pre(&s, ROUTES("<sip:192.0.2.1:5060;lr;sofw=>"), callid, &rp),
	        0);
	tok = strchr(strstr(rr.val[1], "sofw="), '.') + 1;
	snprintf(v, sizeof(v), "<sip:192.0.2.1:5060;lr;sofw=o%.*s>", TOK_HEX,
	         tok);
	TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 0);
	snprintf(v, sizeof(v), "<sip:192.0.2.1:5060;lr;sofw=.%.*s>", TOK_HEX,
	         tok);
	TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 0);
	TEST_EQ(pre(&s, ROUTES("<sip:192.0.2.1:5060;lr;sofw=o.>"), callid, &rp),
	        0);
	/* the token in another parameter: a plain route to us, no side */
	snprintf(v, sizeof(v), "<sip:192.0.2.1:5060;lr;sofx=o.%.*s>", TOK_HEX,
	         tok);
	TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 1);
	TEST_ASSERT(!rp.have_last);
	/* not a SIP address at all */
	TEST_EQ(pre(&s, ROUTES("garbage"), callid, &rp), 0);

	/* a foreign value before ours stops the popping */
	TEST_EQ(pre(&s,
	            ROUTES("<sip:proxy.example.com;lr>", rr.val[0], rr.val[1]),
	            callid, &rp),
	        0);
	/* ... but a plain one naming us (an outbound proxy) does not */
	TEST_EQ(pre(&s, ROUTES("<sip:192.0.2.1:5060;lr>", rr.val[0], rr.val[1]),
	            callid, &rp),
	        3);
	TEST_ASSERT(rp.have_last);
	srv_close(&s);
	srv_close(&other);
	return 0;
}

/* Sides the code never writes, with tokens valid for them: an inside
 * side must name a valid HRAC identity, the outside is "o" alone */
static int invalid_sides(void)
{
	char id64[HRACS_ID_MAX + 1], side[HRACS_ID_MAX + 8];
	char v[1024];
	struct sipsrv s;
	struct route_pre rp;

	TEST_EQ(srv_init(&s, 1, false), 0);

	/* a side made here is accepted when valid: the test's tokens are
	 * the code's */
	TEST_EQ(made_value(v, sizeof(v), &s, "isite-b", callid, ""), 0);
	TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 1);
	TEST_ASSERT(rp.last.inside);
	TEST_STREQ(rp.last.hrac, "site-b");
	TEST_EQ(made_value(v, sizeof(v), &s, "o", callid, ""), 0);
	TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 1);
	TEST_ASSERT(!rp.last.inside);

	/* no identity; characters an identity may not have */
	static const char *const bad[] = { "i",        "isite!a", "isite~a",
		                           "isite%41", "ositea",  "oo",
		                           "x",        "xsite-a" };
	for (size_t k = 0; k < ARRAY_SIZE(bad); k++) {
		TEST_EQ(made_value(v, sizeof(v), &s, bad[k], callid, ""), 0);
		if (pre(&s, ROUTES(v), callid, &rp) != 0) {
			fprintf(stderr, "accepted: %s\n", v);
			return 1;
		}
	}

	/* the longest identity, and one longer (HRACS_ID_MAX + 2 with
	 * the "i": the bound of the side's buffer) */
	memset(id64, 'h', HRACS_ID_MAX);
	id64[HRACS_ID_MAX] = '\0';
	snprintf(side, sizeof(side), "i%s", id64);
	TEST_EQ(made_value(v, sizeof(v), &s, side, callid, ""), 0);
	TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 1);
	TEST_STREQ(rp.last.hrac, id64);
	snprintf(side, sizeof(side), "i%sh", id64);
	TEST_EQ(strlen(side), HRACS_ID_MAX + 2);
	TEST_EQ(made_value(v, sizeof(v), &s, side, callid, ""), 0);
	TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 0);
	snprintf(side, sizeof(side), "o%s", id64);
	TEST_EQ(made_value(v, sizeof(v), &s, side, callid, ""), 0);
	TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 0);

	/* and the same printed by route_rr_print for the longest id */
	{
		struct iface in = inside(id64, false), o = outside(false, 0);
		struct rr rr;

		TEST_EQ(rr_print(&s, &in, &o, callid, &rr), 2);
		TEST_EQ(pre(&s, ROUTES(rr.val[1], rr.val[0]), callid, &rp), 2);
		TEST_ASSERT(rp.last.inside);
		TEST_STREQ(rp.last.hrac, id64);
	}
	srv_close(&s);
	return 0;
}

/* Very long sofw= values (the boundary of a past stack overflow): refused,
 * without writing past anything (run under ASan) */
static int long_values(void)
{
	static char v[VAL_MAX], big[4001];
	struct sipsrv s;
	struct route_pre rp;
	char good[512];

	TEST_EQ(srv_init(&s, 1, false), 0);
	TEST_EQ(made_value(good, sizeof(good), &s, "o", callid, ""), 0);

	/* a 4000-character side before the dot */
	memset(big, 'i', 4000);
	big[4000] = '\0';
	snprintf(v, sizeof(v), "<sip:192.0.2.1:5060;lr;sofw=%s.%s>", big,
	         strchr(strstr(good, "sofw="), '.') + 1);
	TEST_EQ(pre(&s, ROUTES(v, good), callid, &rp), 0);

	/* "o." and 4000 hex digits */
	memset(big, 'a', 4000);
	snprintf(v, sizeof(v), "<sip:192.0.2.1:5060;lr;sofw=o.%s>", big);
	TEST_EQ(pre(&s, ROUTES(v, good), callid, &rp), 0);

	/* 4000 characters, no dot */
	snprintf(v, sizeof(v), "<sip:192.0.2.1:5060;lr;sofw=%s>", big);
	TEST_EQ(pre(&s, ROUTES(v, good), callid, &rp), 0);

	/* 4000 characters of "i" and identity, then a dot and more */
	memset(big, 'h', 4000);
	big[0] = 'i';
	snprintf(v, sizeof(v), "<sip:192.0.2.1:5060;lr;sofw=%s.%s>", big, big);
	TEST_EQ(pre(&s, ROUTES(v, good), callid, &rp), 0);

	/* the good one alone still is */
	TEST_EQ(pre(&s, ROUTES(good), callid, &rp), 1);

	/* a Call-ID too long to bind: never ours */
	memset(big, 'c', 4000);
	TEST_EQ(pre(&s, ROUTES(good), big, &rp), 0);
	srv_close(&s);
	return 0;
}

/* A token is bound to the caller's tag, whichever party sends (the From
 * tag of the caller's requests, the To tag of the callee's), and expires
 * after --dialog-max; an HRAC id with dots is one side */
static int tags_and_age(void)
{
	struct iface o = outside(false, 0), dot = inside("site.a.b", false);
	char v[VAL_MAX], bound[TOKEN_BOUND_MAX + 1], tok[TOK_HEX + 1];
	struct sipsrv s;
	struct route_pre rp;
	struct rr rr;

	TEST_EQ(srv_init(&s, 1, false), 0);
	TEST_EQ(rr_print(&s, &o, &o, callid, &rr), 1);

	/* the callee's BYE: From b, To a */
	req_from_tag = "b";
	req_to_tag = "a";
	TEST_EQ(pre(&s, ROUTES(rr.val[0]), callid, &rp), 1);
	/* another dialog of the same Call-ID: neither tag is the caller's */
	req_from_tag = "x";
	req_to_tag = "y";
	TEST_EQ(pre(&s, ROUTES(rr.val[0]), callid, &rp), 0);
	req_from_tag = "a";
	req_to_tag = "b";

	/* made longer ago than --dialog-max: expired */
	snprintf(bound, sizeof(bound), "o|%s|%s", callid, ftag);
	TEST_EQ(token_make(
	            tok, sizeof(tok), s.rr_key, sizeof(s.rr_key), MAC_HEX,
	            wall_ms() - ((uint64_t)cfg.dialog_max + 5) * 1000, bound),
	        0);
	snprintf(v, sizeof(v), "<sip:192.0.2.1:5060;lr;sofw=o.%s>", tok);
	TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 0);
	TEST_EQ(token_make(
	            tok, sizeof(tok), s.rr_key, sizeof(s.rr_key), MAC_HEX,
	            wall_ms() - ((uint64_t)cfg.dialog_max - 5) * 1000, bound),
	        0);
	snprintf(v, sizeof(v), "<sip:192.0.2.1:5060;lr;sofw=o.%s>", tok);
	TEST_EQ(pre(&s, ROUTES(v), callid, &rp), 1);

	/* an HRAC whose id has dots */
	TEST_EQ(rr_print(&s, &dot, &o, callid, &rr), 2);
	TEST_EQ(pre(&s, ROUTES(rr.val[1], rr.val[0]), callid, &rp), 2);
	TEST_ASSERT(rp.last.inside);
	TEST_STREQ(rp.last.hrac, "site.a.b");
	srv_close(&s);
	return 0;
}

/* A site's hidden entry is ours for a request of its dialog only: the
 * dialog says which site's token it must be */
static int hidden_recognised(void)
{
	struct iface o = outside(false, 0), a = inside("site-a", false);
	char line[1024], *fld[16];
	struct route_pre rp;
	struct sipsrv s;
	struct rr rr;
	size_t n;

	TEST_EQ(srv_init(&s, 1, false), 0);
	TEST_EQ(dialogs_alloc(&s.dialogs, 10, 3600), 0);
	/* site-a called the outside party: it sees site-a's entry hidden */
	TEST_EQ(rr_print(&s, &o, &a, callid, &rr), 2);
	TEST_ASSERT(strstr(rr.val[1], "sofw=h.") != NULL);
	TEST_ASSERT(strstr(rr.val[1], "site-a") == NULL);
	TEST_ASSERT(strstr(rr.val[1], "10.77.") == NULL);
	/* no such dialog: not ours */
	TEST_EQ(pre(&s, ROUTES(rr.val[0], rr.val[1]), callid, &rp), 1);

	snprintf(line, sizeof(line),
	         "d\t%s\ta\tb\ti,0,site-a\t10.77.1.20:5060\tUDP"
	         "\tsip:alice@10.77.1.20\to,0,0\t198.51.100.20:5060\tUDP"
	         "\tsip:bob@198.51.100.20",
	         callid);
	n = statefield_split(line, fld, 16);
	TEST_EQ(dialogs_state_read(s.dialogs, fld, n), 0);
	/* the outside party's BYE: both popped, the last facing site-a */
	TEST_EQ(pre(&s, ROUTES(rr.val[0], rr.val[1]), callid, &rp), 2);
	TEST_ASSERT(rp.have_last && rp.last.inside);
	TEST_STREQ(rp.last.hrac, "site-a");
	/* the tokens are the dialog's: another call's request pops none */
	TEST_EQ(pre(&s, ROUTES(rr.val[0], rr.val[1]), "other-call", &rp), 0);
	s.dialogs = mem_deref(s.dialogs);
	srv_close(&s);
	return 0;
}

/* A response with our Record-Route values, going to @to: the values as
 * route_rr_rewrite writes them */
static int rewrite_as(struct sipsrv *s, const struct rr *in,
                      const struct iface *to, struct rr *out, bool one_line)
{
	struct mbuf *mb = mbuf_alloc(2048), *w = mbuf_alloc(512);
	struct sip_msg *msg = NULL;
	struct le *le;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (!mb || !w)
		goto out;
	if (mbuf_printf(
	        mb,
	        "SIP/2.0 200 OK\r\n"
	        "Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK-1\r\n"
	        "Record-Route: %s%s%s\r\n"
	        "From: <sip:alice@sofw.test>;tag=%s\r\n"
	        "To: <sip:bob@sofw.test>;tag=b\r\n"
	        "Call-ID: %s\r\nCSeq: 1 INVITE\r\n"
	        "Content-Length: 0\r\n\r\n",
	        in->val[0], one_line ? ", " : "\r\nRecord-Route: ", in->val[1],
	        ftag, callid))
		goto out;
	mb->pos = 0;
	if (sip_msg_decode(&msg, mb))
		goto out;
	LIST_FOREACH(&msg->hdrl, le)
	{
		const struct sip_hdr *h = le->data;

		if (h->id != SIP_HDR_RECORD_ROUTE || out->n == 2)
			continue;
		mbuf_reset(w);
		if (route_rr_rewrite(s, w, msg, &h->val, to) ||
		    w->end >= sizeof(out->val[0]))
			goto out;
		memcpy(out->val[out->n], w->buf, w->end);
		out->val[out->n++][w->end] = '\0';
	}
	r = (int)out->n;
out:
	mem_deref(msg);
	mem_deref(mb);
	mem_deref(w);
	return r;
}

static int rewrite(struct sipsrv *s, const struct rr *in,
                   const struct iface *to, struct rr *out)
{
	return rewrite_as(s, in, to, out, false);
}

/* RFC 3261 §16.7 step 4: a site's entry in clear for that site's phones
 * only; anyone else's copy is hidden; nobody else's values change */
static int rr_rewritten(void)
{
	const uint64_t t0 = wall_ms();
	struct iface o = outside(false, 0), a = inside("site-a", false);
	struct iface b = inside("site-b", false);
	struct sipsrv s;
	struct rr rr, got;

	TEST_EQ(srv_init(&s, 1, false), 0);
	/* site-a called out: the answer going back to site-a has site-a's
	 * entry in clear again */
	TEST_EQ(rr_print(&s, &o, &a, callid, &rr), 2);
	TEST_EQ(rewrite(&s, &rr, &a, &got), 2);
	TEST_STREQ(got.val[0], rr.val[0]);
	TEST_EQ(value_is(&s, got.val[1], "10.77.1.5:5060", "", "isite-a",
	                 callid, t0),
	        0);
	/* going to another site or outside, it stays hidden */
	TEST_EQ(rewrite(&s, &rr, &b, &got), 2);
	TEST_STREQ(got.val[1], rr.val[1]);
	TEST_EQ(rewrite(&s, &rr, &o, &got), 2);
	TEST_STREQ(got.val[1], rr.val[1]);

	/* an outside party called site-a: the answer going out hides it */
	TEST_EQ(rr_print(&s, &a, &o, callid, &rr), 2);
	TEST_EQ(rewrite(&s, &rr, &o, &got), 2);
	TEST_EQ(value_is(&s, got.val[0], "192.0.2.1:5060", "", "h:isite-a",
	                 callid, t0),
	        0);
	TEST_STREQ(got.val[1], rr.val[1]);
	TEST_EQ(rewrite(&s, &rr, &a, &got), 2);
	TEST_STREQ(got.val[0], rr.val[0]);

	/* both values on one line, as phones echo them: each rewritten,
	 * none lost */
	TEST_EQ(rr_print(&s, &o, &a, callid, &rr), 2);
	TEST_EQ(rewrite_as(&s, &rr, &a, &got, true), 1);
	{
		char *second = strstr(got.val[0], ", <");

		TEST_ASSERT(second != NULL);
		*second = '\0';
		TEST_STREQ(got.val[0], rr.val[0]);
		TEST_EQ(value_is(&s, second + 2, "10.77.1.5:5060", "",
		                 "isite-a", callid, t0),
		        0);
	}

	/* a value that only looks like ours (another key) is not touched */
	{
		struct sipsrv other;
		struct rr forged;

		TEST_EQ(srv_init(&other, 9, false), 0);
		TEST_EQ(rr_print(&other, &a, &o, callid, &forged), 2);
		TEST_EQ(rewrite(&s, &forged, &o, &got), 2);
		TEST_STREQ(got.val[0], forged.val[0]);
		srv_close(&other);
	}
	srv_close(&s);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(rr_values),         UNIT_TEST(rr_ipv6),
		UNIT_TEST(rr_long_callid),    UNIT_TEST(recognised),
		UNIT_TEST(not_recognised),    UNIT_TEST(invalid_sides),
		UNIT_TEST(long_values),       UNIT_TEST(tags_and_age),
		UNIT_TEST(hidden_recognised), UNIT_TEST(rr_rewritten),
	};
	int r;

	if (libre_init())
		return 1;
	log_init("test_route", true, -1);
	r = unit_main("route", tests, ARRAY_SIZE(tests));
	libre_close();
	return r;
}
