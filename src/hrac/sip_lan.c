/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sip_lan.c  The phones' side of hrac: SIP over UDP and TCP on the LAN
 */
#include <errno.h>
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
#include "tunnel.h"
#include "cidr.h"
#include "secret.h"
#include "sip_tcp.h"
#include "sip_refuse.h"
#include "hrac.h"
#include "sip_lan.h"
#include "pktbuf.h"

enum {
	LOCAL_NETS_MAX = 32, /* networks of this host's interfaces */
	SEEN_MAX = 65536,    /* phones remembered at most */
	SWEEP_MS = 60000,
	SIP_UDP_MAX = 65507,
	REFUSE_RETRY_S = 2, /* Retry-After: about a restart of hrac */
};

struct seen {
	struct le he;
	struct le le; /* in l->lru, the least recently seen first */
	struct sa addr;
	uint64_t last; /* ms */
};

struct sip_lan {
	struct udp_sock *us;
	struct sip_tcp *tcp;
	struct tunnel *t;
	struct hash *seen;
	struct list lru; /* the same, by time last seen */
	uint32_t nseen;
	uint64_t ttl; /* ms */
	struct cidr *allow;
	size_t nallow;
	struct tmr sweep;
	uint64_t dropped_strangers, dropped_full;
	uint64_t refused;    /* requests answered 503 by hrac */
	char advertised[64]; /* where phones send SIP, for HRAS to tell */
};

static bool seen_cmp(struct le *le, void *arg)
{
	const struct seen *s = le->data;

	return sa_cmp(&s->addr, arg, SA_ALL);
}

static struct seen *seen_find(struct sip_lan *l, const struct sa *addr)
{
	struct le *le =
	    hash_lookup(l->seen, sa_hash(addr, SA_ALL), seen_cmp, (void *)addr);

	return le ? le->data : NULL;
}

static void seen_destructor(void *arg)
{
	struct seen *s = arg;

	hash_unlink(&s->he);
	list_unlink(&s->le);
}

/* Forget the phones not seen within seen-ttl: the oldest first, so a
 * sweep costs what it removes */
static void forget_expired(struct sip_lan *l)
{
	uint64_t now = mono_ms();
	struct le *le;

	while ((le = list_head(&l->lru))) {
		struct seen *s = le->data;

		if (now - s->last <= l->ttl)
			break;
		mem_deref(s);
		l->nseen--;
	}
}

static void sweep(void *arg)
{
	struct sip_lan *l = arg;

	forget_expired(l);
	tmr_start(&l->sweep, SWEEP_MS, sweep, l);
}

static void seen_note(struct sip_lan *l, const struct sa *src)
{
	struct seen *s = seen_find(l, src);

	if (s) {
		s->last = mono_ms();
		list_unlink(&s->le);
		list_append(&l->lru, &s->le, s);
		return;
	}
	if (l->nseen >= SEEN_MAX) {
		forget_expired(l);
		if (l->nseen >= SEEN_MAX) {
			if (l->dropped_full++ % 1000 == 0)
				log_warn("more than %d phones seen: not "
				         "remembering more",
				         SEEN_MAX);
			return;
		}
	}
	s = mem_zalloc(sizeof(*s), seen_destructor);
	if (!s)
		return;
	s->addr = *src;
	s->last = mono_ms();
	hash_append(l->seen, sa_hash(src, SA_ALL), &s->he, s);
	list_append(&l->lru, &s->le, s);
	l->nseen++;
}

static bool allowed(struct sip_lan *l, const struct sa *dst)
{
	const struct seen *s = seen_find(l, dst);

	if (s && mono_ms() - s->last <= l->ttl)
		return true;
	for (size_t i = 0; i < l->nallow; i++) {
		if (cidr_match(&l->allow[i], dst))
			return true;
	}
	return false;
}

static bool same_ip(struct le *le, void *arg)
{
	const struct seen *s = le->data;

	return sa_cmp(&s->addr, arg, SA_ADDR);
}

/**
 * Whether media may go to this address: a phone of this LAN (its IP sent
 * SIP within seen-ttl, or is in an allowed network)
 */
bool sip_lan_is_phone(struct sip_lan *l, const struct sa *dst)
{
	struct le *le;

	for (size_t i = 0; i < l->nallow; i++) {
		if (cidr_match(&l->allow[i], dst))
			return true;
	}
	/* a linear pass, but only for phones outside the allowed
	 * networks, and the caller remembers the answer */
	le = hash_apply(l->seen, same_ip, (void *)dst);
	return le && mono_ms() - ((struct seen *)le->data)->last <= l->ttl;
}

static void to_tunnel(struct sip_lan *l, const struct sa *src,
                      const uint8_t *msg, size_t len, bool tcp)
{
	struct frame f;

	seen_note(l, src);

	memset(&f, 0, sizeof(f));
	f.type = FRAME_SIP;
	f.flags = tcp ? FRAME_F_TCP : 0;
	f.addr = *src;
	f.payload = msg;
	f.len = len;
	if (tunnel_send(l->t, &f))
		sip_lan_refuse(l, &f, "Tunnel Queue Full");
}

static bool is_crlf_only(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] != '\r' && p[i] != '\n')
			return false;
	}
	return true;
}

static void udp_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct sip_lan *l = arg;
	size_t len = mbuf_get_left(mb);

	/* a bare CRLF keepalive is for the next hop, not the server (the
	 * datagram is not a string: no strspn past its end) */
	if (len <= 4 && is_crlf_only(mbuf_buf(mb), len))
		return;
	to_tunnel(l, src, mbuf_buf(mb), len, false);
}

static void tcp_recv(const struct sa *src, const uint8_t *msg, size_t len,
                     void *arg)
{
	to_tunnel(arg, src, msg, len, true);
}

/* A SIP frame from HRAS: to the phone it names, if it is one of ours */
void sip_lan_deliver(struct sip_lan *l, const struct frame *f)
{
	struct mbuf mb;
	int e;

	if (!allowed(l, &f->addr)) {
		char a[64];

		if (l->dropped_strangers++ % 100 == 0) {
			re_snprintf(a, sizeof(a), "%J", &f->addr);
			log_warn("SIP for %s dropped: not a phone of this LAN "
			         "(no SIP from it within seen-ttl, not in "
			         "--allow)",
			         a);
		}
		return;
	}

	if (f->flags & FRAME_F_TCP) {
		e = sip_tcp_send(l->tcp, &f->addr, f->payload, f->len);
		if (e == ENOTCONN) {
			char a[64];

			re_snprintf(a, sizeof(a), "%J", &f->addr);
			log_info("SIP for %s dropped: its TCP connection is "
			         "closed",
			         a);
		} else if (e)
			log_warn("SIP to a phone over TCP: %s", strerror(e));
		return;
	}

	pktbuf_view(&mb, f->payload, f->len);
	e = udp_send(l->us, &f->addr, &mb);
	if (e)
		log_debug("SIP to phone: %s", strerror(e));
}

/**
 * A phone's request (a SIP frame it sent) that will not reach HRAS: the
 * phone gets a 503 from hrac (sip_refuse.h); responses and ACKs nothing
 */
void sip_lan_refuse(struct sip_lan *l, const struct frame *req,
                    const char *reason)
{
	struct mbuf *mb = NULL;
	struct frame f;
	int e;

	if (req->type != FRAME_SIP)
		return;
	e = sip_refuse_build(&mb, req->payload, req->len, 503, reason,
	                     REFUSE_RETRY_S);
	if (e) {
		if (e != ENOENT)
			log_warn("a phone's request not answered: %s",
			         strerror(e));
		return;
	}
	f = *req;
	f.payload = mbuf_buf(mb);
	f.len = mbuf_get_left(mb);
	l->refused++;
	log_re_info("%J: request answered 503 %s by hrac", &req->addr, reason);
	sip_lan_deliver(l, &f);
	mem_deref(mb);
}

static void lan_destructor(void *arg)
{
	struct sip_lan *l = arg;

	tmr_cancel(&l->sweep);
	l->us = mem_deref(l->us);
	l->tcp = mem_deref(l->tcp);
	hash_flush(l->seen);
	l->seen = mem_deref(l->seen);
	free(l->allow);
}

/* What phones are told to send SIP to: --sip-advertise, or --sip, or
 * for a wildcard --sip the host's address toward the default route */
static void advertise(struct sip_lan *l, const struct sa *laddr,
                      const char *given)
{
	struct sa a = *laddr;

	if (given) {
		snprintf(l->advertised, sizeof(l->advertised), "%s", given);
		return;
	}
	if (sa_is_any(&a) && net_default_source_addr_get(sa_af(&a), &a) == 0)
		sa_set_port(&a, sa_port(laddr));
	re_snprintf(l->advertised, sizeof(l->advertised), "%J", &a);
}

/* Tell HRAS where this site's phones send SIP (its Record-Route) */
void sip_lan_announce(struct sip_lan *l)
{
	char text[80];
	struct frame f;
	int n;

	n = snprintf(text, sizeof(text), "lan-sip %s", l->advertised);
	memset(&f, 0, sizeof(f));
	f.type = FRAME_CONTROL;
	f.payload = (const uint8_t *)text;
	f.len = (size_t)n;
	tunnel_send(l->t, &f);
}

/**
 * The networks phones may be in (--allow, --allow-local), anew: at start
 * and on a reload.  On error the ones in force stay.
 */
int sip_lan_set_allow(struct sip_lan *l, const struct hrac_conf *cfg, char *err,
                      size_t errsz)
{
	const struct conf_list *allow = &cfg->allow;
	struct cidr *v;
	size_t n;
	int e;

	v = calloc(allow->n + LOCAL_NETS_MAX, sizeof(*v));
	e = v ? 0 : ENOMEM;
	for (size_t i = 0; !e && i < allow->n; i++) {
		e = cidr_parse(&v[i], allow->v[i]);
		if (e)
			snprintf(err, errsz,
			         "--allow takes a network like "
			         "10.0.0.0/8, not '%s'",
			         allow->v[i]);
	}
	if (e) {
		free(v);
		return e;
	}
	n = allow->n;
	if (cfg->allow_local)
		n += cidr_local_nets(v + n, LOCAL_NETS_MAX);
	free(l->allow);
	l->allow = v;
	l->nallow = n;
	return 0;
}

int sip_lan_alloc(struct sip_lan **lp, const struct hrac_conf *cfg,
                  struct tunnel *t, char *err, size_t errsz)
{
	const char *laddr = cfg->sip;
	struct sip_lan *l;
	struct sa sa;
	int e;

	e = sa_decode(&sa, laddr, strlen(laddr));
	if (e) {
		snprintf(err, errsz, "--sip takes ADDR:PORT, not '%s'", laddr);
		return e;
	}

	l = mem_zalloc(sizeof(*l), lan_destructor);
	if (!l)
		return ENOMEM;
	l->t = t;
	l->ttl = (uint64_t)cfg->seen_ttl * 1000;
	tmr_init(&l->sweep);

	e = sip_lan_set_allow(l, cfg, err, errsz);
	e = e ? e : hash_alloc(&l->seen, 256);
	if (!e) {
		e = udp_listen(&l->us, &sa, udp_recv, l);
		if (e)
			snprintf(err, errsz, "cannot listen for SIP on %s: %s",
			         laddr, strerror(e));
	}
	if (!e) {
		/* phones on TCP keep their connection while registered */
		e = sip_tcp_alloc(&l->tcp, &sa, cfg->sip_tcp_max, l->ttl,
		                  tcp_recv, l);
		if (e)
			snprintf(err, errsz,
			         "cannot listen for SIP over TCP on %s: %s",
			         laddr, strerror(e));
	}
	if (e) {
		mem_deref(l);
		return e;
	}
	udp_rxsz_set(l->us, SIP_UDP_MAX);
	advertise(l, &sa, cfg->sip_advertise);
	tmr_start(&l->sweep, SWEEP_MS, sweep, l);

	*lp = l;
	return 0;
}

void sip_lan_free(struct sip_lan *l)
{
	mem_deref(l);
}

void sip_lan_counts(const struct sip_lan *l, struct sip_lan_counts *c)
{
	c->phones = l->nseen;
	c->dropped_strangers = l->dropped_strangers;
	c->dropped_full = l->dropped_full;
	c->refused = l->refused;
}
