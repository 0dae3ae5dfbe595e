/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file lan_gw.c  The tunnel gateway: inside phones as SIP peers of libre
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "hracs.h"
#include "session.h"
#include "lan_gw.h"
#include "pktbuf.h"

enum {
	SIP_UDP_MAX = 65507, /* the most a loopback datagram carries */
};

struct lan_gw {
	struct hash *by_key, *by_port;
	uint32_t n, max;
	struct sa sip_laddr; /* libre's SIP transport */
	struct sa bind;      /* loopback of the same family */
	struct sessions *sessions;
	struct mbuf *via_mb; /* a response with its Via put right */
};

static uint32_t key_hash(const char *hrac, const struct sa *addr, bool tcp)
{
	return hash_joaat_str(hrac) ^ sa_hash(addr, SA_ALL) ^ (tcp ? 1 : 0);
}

struct key {
	const char *hrac;
	const struct sa *addr;
	bool tcp;
};

static bool key_cmp(struct le *le, void *arg)
{
	const struct lan_peer *p = le->data;
	const struct key *k = arg;

	return p->tcp == k->tcp && !strcmp(p->hrac, k->hrac) &&
	       sa_cmp(&p->addr, k->addr, SA_ALL);
}

static bool port_cmp(struct le *le, void *arg)
{
	const struct lan_peer *p = le->data;

	return sa_cmp(&p->laddr, arg, SA_ALL);
}

static void peer_destructor(void *arg)
{
	struct lan_peer *p = arg;

	hash_unlink(&p->he_key);
	hash_unlink(&p->he_port);
	mem_deref(p->us);
	if (p->gw)
		p->gw->n--;
}

/*
 * A response to a phone carries, in its top Via, received and rport as
 * libre saw them: the gateway's loopback socket.  Phones use these to
 * learn their address, so they get the address their HRAC saw instead.
 */
static void fix_via(struct lan_peer *p, struct mbuf *mb)
{
	struct mbuf *out = p->gw->via_mb;
	const char *buf = (const char *)mbuf_buf(mb);
	size_t len = mbuf_get_left(mb);
	struct pl via, v[2]; /* the values of received and rport */
	char repl[2][64];
	const char *at;
	int first;

	if (len < 8 || strncmp(buf, "SIP/2.0 ", 8))
		return;
	if (re_regex(buf, len, "\nVia:[^\r\n]+", &via) &&
	    re_regex(buf, len, "\nv:[^\r\n]+", &via))
		return;
	if (re_regex(via.p, via.l, ";received=[^;\r\n]+", &v[0]) ||
	    re_regex(via.p, via.l, ";rport=[0-9]+", &v[1]))
		return;
	re_snprintf(repl[0], sizeof(repl[0]), "%j", &p->addr);
	re_snprintf(repl[1], sizeof(repl[1]), "%u", sa_port(&p->addr));

	/* copy around the two values, in the order they stand */
	first = v[0].p < v[1].p ? 0 : 1;
	mbuf_rewind(out);
	at = buf;
	for (int k = 0; k < 2; k++) {
		int i = k == 0 ? first : 1 - first;

		mbuf_write_mem(out, (const uint8_t *)at, (size_t)(v[i].p - at));
		mbuf_write_str(out, repl[i]);
		at = v[i].p + v[i].l;
	}
	mbuf_write_mem(out, (const uint8_t *)at, (size_t)(buf + len - at));
	mbuf_set_pos(out, 0);
}

/*
 * A request from a phone whose top Via has no rport (RFC 3581 is
 * optional): libre would answer to the Via's port on the gateway's
 * loopback address, where nobody listens.  hrac is, in effect, the
 * phone's NAT: ";rport" is added, so the answer comes back to the
 * phone's gateway socket (and fix_via() gives the phone its own address
 * on the way down).  @return true if @out holds the new message.
 */
static bool ask_rport(struct mbuf *out, const uint8_t *msg, size_t len)
{
	const char *buf = (const char *)msg, *end;
	struct pl via;

	if (len < 8 || !strncmp(buf, "SIP/2.0 ", 8))
		return false;
	if (re_regex(buf, len, "\nVia:[^\r\n]+", &via) &&
	    re_regex(buf, len, "\nv:[^\r\n]+", &via))
		return false;
	/* the top value: up to a comma, or the end of the line */
	end = pl_strchr(&via, ',');
	if (!end)
		end = via.p + via.l;
	via.l = (size_t)(end - via.p);
	if (!re_regex(via.p, via.l, ";[Rr][Pp][Oo][Rr][Tt]"))
		return false;
	mbuf_rewind(out);
	mbuf_write_mem(out, msg, (size_t)(end - buf));
	mbuf_write_str(out, ";rport");
	mbuf_write_mem(out, (const uint8_t *)end, (size_t)(buf + len - end));
	mbuf_set_pos(out, 0);
	return true;
}

/* What libre sent to a peer's socket: down the tunnel to the phone */
static void peer_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct lan_peer *p = arg;
	struct lan_gw *gw = p->gw;
	struct session *s;
	struct frame f;
	int e;

	(void)src;
	p->last = mono_ms();

	s = sessions_find_id(gw->sessions, p->hrac);
	if (!s) {
		log_debug("SIP for a phone of '%s': that HRAC is not "
		          "connected, dropped",
		          p->hrac);
		return;
	}

	mbuf_rewind(gw->via_mb);
	fix_via(p, mb);
	if (mbuf_get_left(gw->via_mb))
		mb = gw->via_mb;

	memset(&f, 0, sizeof(f));
	f.type = FRAME_SIP;
	f.flags = p->tcp ? FRAME_F_TCP : 0;
	f.addr = p->addr;
	f.payload = mbuf_buf(mb);
	f.len = mbuf_get_left(mb);
	e = session_send(s, &f, mono_us());
	if (e)
		log_warn("SIP for a phone of '%s' not queued: %s", p->hrac,
		         strerror(e));
	session_deref(s);
}

static bool find_oldest(struct le *le, void *arg)
{
	struct lan_peer *p = le->data, **oldest = arg;

	if (!*oldest || p->last < (*oldest)->last)
		*oldest = p;
	return false;
}

static void evict_oldest(struct lan_gw *gw)
{
	struct lan_peer *oldest = NULL;

	/* a linear pass: eviction is rare, the table bounded */
	hash_apply(gw->by_key, find_oldest, &oldest);
	if (oldest) {
		log_info("gateway full (%u phones): forgetting the least "
		         "recently used, of '%s'",
		         gw->max, oldest->hrac);
		mem_deref(oldest);
	}
}

/**
 * The gateway peer of an inside phone, created on first use
 *
 * @return 0, or an errno when no socket could be opened
 */
int lan_gw_peer(struct lan_gw *gw, const char *hrac, const struct sa *addr,
                bool tcp, struct lan_peer **pp)
{
	struct key k = { hrac, addr, tcp };
	struct lan_peer *p;
	struct le *le;
	int e;

	le = hash_lookup(gw->by_key, key_hash(hrac, addr, tcp), key_cmp, &k);
	if (le) {
		p = le->data;
		p->last = mono_ms();
		*pp = p;
		return 0;
	}

	if (gw->n >= gw->max)
		evict_oldest(gw);

	p = mem_zalloc(sizeof(*p), peer_destructor);
	if (!p)
		return ENOMEM;
	snprintf(p->hrac, sizeof(p->hrac), "%s", hrac);
	p->addr = *addr;
	p->tcp = tcp;
	p->last = mono_ms();

	e = udp_listen(&p->us, &gw->bind, peer_recv, p);
	e = e ? e : udp_local_get(p->us, &p->laddr);
	if (e) {
		mem_deref(p);
		return e;
	}
	udp_rxsz_set(p->us, SIP_UDP_MAX);
	/* the SIP stack answers a burst of requests in one go */
	(void)udp_sockbuf_set(p->us, 1 << 20);
	p->gw = gw;
	gw->n++;
	hash_append(gw->by_key, key_hash(hrac, addr, tcp), &p->he_key, p);
	hash_append(gw->by_port, sa_hash(&p->laddr, SA_ALL), &p->he_port, p);

	*pp = p;
	return 0;
}

/* The peer behind a source address, if it is one of the gateway's */
struct lan_peer *lan_gw_lookup(struct lan_gw *gw, const struct sa *src)
{
	struct le *le;

	if (!gw)
		return NULL;
	le = hash_lookup(gw->by_port, sa_hash(src, SA_ALL), port_cmp,
	                 (void *)src);

	return le ? le->data : NULL;
}

/* A SIP frame from an HRAC: to the SIP stack, from the phone's peer */
void lan_gw_from_tunnel(struct lan_gw *gw, struct session *s,
                        const struct frame *f)
{
	struct lan_peer *p;
	struct mbuf mb;
	int e;

	if (f->len > SIP_UDP_MAX) {
		log_warn("SIP message of %zu bytes from a phone of '%s' "
		         "dropped: too large",
		         f->len, s->id);
		return;
	}

	e = lan_gw_peer(gw, s->id, &f->addr, (f->flags & FRAME_F_TCP) != 0, &p);
	if (e) {
		log_warn("gateway: no socket for a phone of '%s': %s", s->id,
		         strerror(e));
		return;
	}

	if (ask_rport(gw->via_mb, f->payload, f->len))
		e = udp_send(p->us, &gw->sip_laddr, gw->via_mb);
	else {
		pktbuf_view(&mb, f->payload, f->len);
		e = udp_send(p->us, &gw->sip_laddr, &mb);
	}
	if (e)
		log_warn("gateway: SIP from a phone of '%s' not passed on: %s",
		         s->id, strerror(e));
}

static void gw_destructor(void *arg)
{
	struct lan_gw *gw = arg;

	hash_flush(gw->by_key);
	hash_clear(gw->by_port);
	mem_deref(gw->by_key);
	mem_deref(gw->by_port);
	mem_deref(gw->via_mb);
}

/**
 * @param sip_laddr  the SIP transport the gateway talks to (UDP)
 * @param max        phones at most
 */
int lan_gw_alloc(struct lan_gw **gwp, struct sessions *ss,
                 const struct sa *sip_laddr, uint32_t max)
{
	struct lan_gw *gw;
	int e;

	gw = mem_zalloc(sizeof(*gw), gw_destructor);
	if (!gw)
		return ENOMEM;
	gw->sessions = ss;
	gw->max = max;
	gw->sip_laddr = *sip_laddr;
	sa_set_str(&gw->bind,
	           sa_af(sip_laddr) == AF_INET6 ? "::1" : "127.0.0.1", 0);

	e = hash_alloc(&gw->by_key, 1024);
	e = e ? e : hash_alloc(&gw->by_port, 1024);
	if (!e) {
		gw->via_mb = mbuf_alloc(2048);
		e = gw->via_mb ? 0 : ENOMEM;
	}
	if (e) {
		mem_deref(gw);
		return e;
	}
	*gwp = gw;
	return 0;
}
