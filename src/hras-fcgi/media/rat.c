/**
 * @file rat.c  The Relay Agent Table and the media relay of HRAS
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
#include "hras.h"
#include "sipsrv.h"
#include "sdp_rw.h"
#include "portpool.h"
#include "rat.h"
#include "pktbuf.h"

enum {
	STREAMS_MAX = SDP_RW_MEDIA_MAX,
	SWEEP_MS = 1000,         /* how late a relay may outlive its limits */
	BIND_TRIES = 16,         /* relay ports another program holds */
	STATUS_CALLS_MAX = 1000, /* calls listed in the status report */
	SE_GRACE_S = 2,          /* past Session-Expires (a refresh comes before
	                          * it, RFC 4028 §10) before the entry goes */
	RELAY_RXSZ = 2048,       /* one RTP packet; larger ones are cut */
};

/* The relay's counters, reported by rat_status() */
struct rat_stats {
	uint32_t calls, streams, ports; /* now */
	uint64_t calls_total;
	uint64_t pkts, bytes, drops_stranger, drops_nopeer, drops_tunnel;
};

struct rat_leg;

/* Which leg and which of its two sockets a packet came to */
struct relay_sock {
	struct rat_leg *leg;
	int i; /* 0 RTP, 1 RTCP */
};

struct rat_leg {
	struct rat_stream *st;
	int k; /* 0: the caller's side, 1: the callee's */
	struct iface side;
	uint16_t port; /* ours facing this party; 0: none */
	struct udp_sock *us[2];
	struct relay_sock rs[2];
	bool has_peer; /* its SDP gave an address (not hold) */
	struct sa peer[2];
	struct sa sig; /* outside: where its signalling comes from */
	bool is_latched[2];
	struct sa latched[2];
	struct le he;       /* inside: in rat->by_port */
	struct session *ss; /* inside: the HRAC's, referenced */
	uint64_t pkts_in, bytes_in, pkts_out, bytes_out, drops;
};

struct rat_stream {
	struct rat_entry *e;
	unsigned idx;
	struct rat_leg leg[2];
};

struct rat_entry {
	struct le le; /* rat->entries */
	struct le he; /* rat->by_callid */
	struct rat *r;
	char callid[256];
	char ftag[128]; /* the caller's */
	char ttag[128]; /* the callee's, once answered */
	struct iface side[2];
	struct rat_stream *st[STREAMS_MAX];
	size_t nst;
	bool established;
	uint64_t created, last_media, expires; /* ms; expires 0: none */
};

/* What an HRAC said about its media ports: "lan-rtp IP LO-HI" */
struct hrac_media {
	struct le he;
	char hrac[HRACS_ID_MAX + 1];
	struct sa ip;
	uint16_t lo, hi;
	struct portpool *pool;
};

struct rat {
	struct sipsrv *s;
	struct list entries;
	struct hash *by_callid;
	struct hash *by_port; /* inside legs, by HRAC and port */
	struct hash *hracs;   /* struct hrac_media */
	struct portpool *pool;
	struct sa public_ip, bind;
	uint64_t timeout;    /* ms */
	uint64_t unanswered; /* ms an unanswered entry may live */
	struct tmr sweep;
	struct rat_stats st;
};

static bool iface_same(const struct iface *a, const struct iface *b)
{
	return a->inside == b->inside &&
	       (!a->inside || !strcmp(a->hrac, b->hrac));
}

static const char *side_name(const struct iface *f, char *buf, size_t sz)
{
	if (f->inside)
		snprintf(buf, sz, "inside '%s'", f->hrac);
	else
		snprintf(buf, sz, "outside");
	return buf;
}

static uint32_t port_key(const char *hrac, uint16_t port)
{
	return hash_joaat_str(hrac) ^ port;
}

/* -- HRACs' media ports ------------------------------------------------ */

static bool hm_cmp(struct le *le, void *arg)
{
	const struct hrac_media *hm = le->data;

	return !strcmp(hm->hrac, arg);
}

static struct hrac_media *hrac_media_find(struct rat *r, const char *hrac)
{
	struct le *le =
	    hash_lookup(r->hracs, hash_joaat_str(hrac), hm_cmp, (void *)hrac);

	return le ? le->data : NULL;
}

static void control_send(struct rat *r, const char *hrac, const char *text)
{
	struct session *ss = sessions_find_id(r->s->h->sessions, hrac);
	struct frame f;

	if (!ss)
		return; /* told again when it reconnects (rat_hrac_media) */
	memset(&f, 0, sizeof(f));
	f.type = FRAME_CONTROL;
	f.payload = (const uint8_t *)text;
	f.len = strlen(text);
	if (session_send(ss, &f, mono_us()))
		log_warn("HRAC '%s': control frame '%s' not queued", hrac,
		         text);
	session_deref(ss);
}

/* -- legs ----------------------------------------------------------------- */

static void relay_recv(const struct sa *src, struct mbuf *mb, void *arg);

static int leg_open_outside(struct rat *r, struct rat_leg *l)
{
	for (int n = 0; n < BIND_TRIES; n++) {
		struct sa a = r->bind;
		uint16_t port;
		int e = portpool_take(r->pool, &port);

		if (e)
			return e;
		sa_set_port(&a, port);
		e = udp_listen(&l->us[0], &a, relay_recv, &l->rs[0]);
		if (!e) {
			sa_set_port(&a, port + 1);
			e = udp_listen(&l->us[1], &a, relay_recv, &l->rs[1]);
		}
		if (!e) {
			udp_rxsz_set(l->us[0], RELAY_RXSZ);
			udp_rxsz_set(l->us[1], RELAY_RXSZ);
			l->port = port;
			r->st.ports += 2;
			return 0;
		}
		l->us[0] = mem_deref(l->us[0]);
		l->us[1] = mem_deref(l->us[1]);
		/* held by another program: leave it taken, try the next */
		log_debug("relay port %u: %s", port, strerror(e));
	}
	return EADDRINUSE;
}

static int leg_open_inside(struct rat *r, struct rat_leg *l)
{
	struct hrac_media *hm = hrac_media_find(r, l->side.hrac);
	char text[64];
	uint16_t port;
	int e;

	if (!hm)
		return ENOENT;
	e = portpool_take(hm->pool, &port);
	if (e)
		return e;
	l->port = port;
	r->st.ports += 2;
	hash_append(r->by_port, port_key(l->side.hrac, port), &l->he, l);
	snprintf(text, sizeof(text), "media-open %u", port);
	control_send(r, l->side.hrac, text);
	return 0;
}

static void leg_close(struct rat *r, struct rat_leg *l)
{
	if (!l->port)
		return;
	if (l->side.inside) {
		struct hrac_media *hm = hrac_media_find(r, l->side.hrac);
		char text[64];

		hash_unlink(&l->he);
		session_deref(l->ss);
		l->ss = NULL;
		snprintf(text, sizeof(text), "media-close %u", l->port);
		control_send(r, l->side.hrac, text);
		if (hm)
			portpool_give(hm->pool, l->port);
		r->st.ports -= 2;
	} else {
		l->us[0] = mem_deref(l->us[0]);
		l->us[1] = mem_deref(l->us[1]);
		portpool_give(r->pool, l->port);
		r->st.ports -= 2;
	}
	l->port = 0;
}

/* -- entries -------------------------------------------------------------- */

static void stream_destructor(void *arg)
{
	struct rat_stream *st = arg;

	for (int k = 0; k < 2; k++)
		leg_close(st->e->r, &st->leg[k]);
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
}

static void entry_end(struct rat_entry *e, const char *why)
{
	uint64_t in[2] = { 0, 0 }, drops = 0;

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
	mem_deref(e);
}

static struct rat_stream *stream_alloc(struct rat_entry *e, unsigned idx)
{
	struct rat *r = e->r;
	struct rat_stream *st;
	int err = 0;

	st = mem_zalloc(sizeof(*st), stream_destructor);
	if (!st)
		return NULL;
	st->e = e;
	st->idx = idx;
	for (int k = 0; k < 2 && !err; k++) {
		struct rat_leg *l = &st->leg[k];

		l->st = st;
		l->k = k;
		l->side = e->side[k];
		l->rs[0].leg = l->rs[1].leg = l;
		l->rs[1].i = 1;
		err = l->side.inside ? leg_open_inside(r, l)
		                     : leg_open_outside(r, l);
		if (err) {
			char side[96];

			log_warn("call %s: no relay port %s: %s", e->callid,
			         side_name(&l->side, side, sizeof(side)),
			         err == ENOENT ? "that HRAC has not said its "
			                         "media ports (lan-rtp)"
			                       : strerror(err));
		}
	}
	if (err)
		return mem_deref(st);
	r->st.streams++;
	return st;
}

static bool pl_eq_str(const struct pl *pl, const char *s)
{
	return pl_isset(pl) ? !pl_strcmp(pl, s) : !*s;
}

struct find {
	const struct sip_msg *msg;
	const struct iface *callee; /* NULL: any */
	struct rat_entry *e;
	int k; /* the side the message's SDP comes from */
};

static bool find_cmp(struct le *le, void *arg)
{
	struct rat_entry *e = le->data;
	struct find *f = arg;
	const struct sip_msg *m = f->msg;
	bool from_is_caller;

	if (pl_strcmp(&m->callid, e->callid))
		return false;
	if (pl_eq_str(&m->from.tag, e->ftag))
		from_is_caller = true;
	else if (pl_eq_str(&m->to.tag, e->ftag))
		from_is_caller = false;
	else
		return false;
	if (f->callee && !iface_same(f->callee, &e->side[1]))
		return false;
	/* a request comes from its From; a response from its To */
	f->k = (m->req == from_is_caller) ? 0 : 1;
	f->e = e;
	return true;
}

static struct rat_entry *entry_find(struct rat *r, const struct sip_msg *msg,
                                    const struct iface *callee, int *k)
{
	struct find f = { .msg = msg, .callee = callee };

	hash_lookup(r->by_callid, hash_joaat_pl(&msg->callid), find_cmp, &f);
	*k = f.k;
	return f.e;
}

static struct rat_entry *entry_create(struct rat *r, const struct sip_msg *msg,
                                      const struct iface *from,
                                      const struct iface *to, int *k)
{
	struct rat_entry *e;
	char a[96], b[96];

	if (msg->callid.l >= sizeof(e->callid) ||
	    msg->from.tag.l >= sizeof(e->ftag))
		return NULL;
	e = mem_zalloc(sizeof(*e), entry_destructor);
	if (!e)
		return NULL;
	e->r = r;
	pl_strcpy(&msg->callid, e->callid, sizeof(e->callid));
	pl_strcpy(&msg->from.tag, e->ftag, sizeof(e->ftag));
	/* a request creates it from the caller; a response (late offer)
	 * from the callee */
	*k = msg->req ? 0 : 1;
	e->side[*k] = *from;
	e->side[1 - *k] = *to;
	e->created = e->last_media = mono_ms();
	list_append(&r->entries, &e->le, e);
	hash_append(r->by_callid, hash_joaat_pl(&msg->callid), &e->he, e);
	r->st.calls++;
	r->st.calls_total++;
	log_info("call %s: relaying media between %s and %s", e->callid,
	         side_name(&e->side[0], a, sizeof(a)),
	         side_name(&e->side[1], b, sizeof(b)));
	return e;
}

/* The SDP of party k says where it receives */
static void leg_update(struct rat_leg *l, const struct sdp_rw_media *m,
                       const struct sip_msg *msg)
{
	bool had = l->has_peer;
	struct sa old = l->peer[0];

	l->has_peer = !m->rejected && !m->hold;
	if (l->has_peer) {
		l->peer[0] = m->rtp;
		l->peer[1] = m->rtcp;
	}
	/* a new address (unhold, transfer, music on hold): latch anew */
	if (!had || !sa_cmp(&old, &l->peer[0], SA_ALL))
		l->is_latched[0] = l->is_latched[1] = false;
	if (!l->side.inside)
		l->sig = msg->src;
}

static const struct sa *side_addr(struct rat *r, const struct iface *f)
{
	const struct hrac_media *hm;

	if (!f->inside)
		return &r->public_ip;
	hm = hrac_media_find(r, f->hrac);
	return hm ? &hm->ip : NULL;
}

/**
 * An SDP passes from one side to the other: update the call's entry
 * (creating it and its relay ports) and write the SDP the receiver sees
 *
 * @param from, to  the sides; NULL for a response no transaction took
 *                  (a 2xx retransmission): the entry knows them
 * @return 0 (out holds the new body), ENOENT (no SDP, or not relayed:
 *         pass the body on as it is), or another error (passed on as it
 *         is too, after a log line)
 */
int rat_sdp(struct rat *r, const struct sip_msg *msg, const struct pl *body,
            const struct iface *from, const struct iface *to, struct mbuf *out)
{
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
	if (from && to &&
	    (iface_same(from, to) || (!from->inside && !to->inside)))
		return ENOENT; /* no tunnel between them */

	err = sdp_rw_read(body, mv, &n);
	if (err) {
		log_re_info("SDP in %r from %J not relayed: %s",
		            msg->req ? &msg->met : &msg->reason, &msg->src,
		            err == E2BIG ? "too many m= lines"
		                         : "it does not parse");
		return err;
	}

	e = entry_find(r, msg, msg->req ? to : from, &k);
	if (!e && from && to)
		e = entry_create(r, msg, from, to, &k);
	if (!e)
		return ENOENT;
	if (!msg->req && !e->ttag[0] && msg->to.tag.l < sizeof(e->ttag))
		pl_strcpy(&msg->to.tag, e->ttag, sizeof(e->ttag));

	addr = side_addr(r, &e->side[1 - k]);
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
		leg_update(&e->st[i]->leg[k], &mv[i], msg);
		rw.ports[i] = e->st[i]->leg[1 - k].port;
	}

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

/* -- packets -------------------------------------------------------------- */

static void forward(struct rat *r, struct rat_leg *to, int i, const uint8_t *p,
                    size_t len)
{
	struct mbuf mb;

	if (!to->has_peer || !to->port) {
		to->drops++;
		r->st.drops_nopeer++;
		return;
	}

	if (to->side.inside) {
		struct frame f;
		int e = ENOTCONN;

		memset(&f, 0, sizeof(f));
		f.type = i ? FRAME_RTCP : FRAME_RTP;
		f.addr = to->peer[i];
		f.relay_port = to->port;
		f.payload = p;
		f.len = len;
		/* the HRAC's session is kept by the leg: no table lookup per
		 * packet; a closed one (the HRAC went) is looked up again */
		for (int tries = 0; tries < 2 && e == ENOTCONN; tries++) {
			if (!to->ss)
				to->ss = sessions_find_id(r->s->h->sessions,
				                          to->side.hrac);
			if (!to->ss)
				break;
			e = session_send(to->ss, &f, mono_us());
			if (e == ENOTCONN) {
				session_deref(to->ss);
				to->ss = NULL;
			}
		}
		if (e) {
			to->drops++;
			r->st.drops_tunnel++;
		} else {
			to->pkts_out++;
			to->bytes_out += len;
		}
		return;
	}

	pktbuf_view(&mb, p, len);
	if (udp_send(to->us[i],
	             to->is_latched[i] ? &to->latched[i] : &to->peer[i], &mb)) {
		to->drops++;
		return;
	}
	to->pkts_out++;
	to->bytes_out += len;
}

/* Latching: the first packet from the negotiated peer, or from the
 * address its signalling comes from (a phone behind NAT), fixes the
 * source; anything else is a stranger's */
static bool source_ok(struct rat_leg *l, int i, const struct sa *src)
{
	if (l->is_latched[i])
		return sa_cmp(src, &l->latched[i], SA_ALL);
	if ((l->has_peer && sa_cmp(src, &l->peer[i], SA_ALL)) ||
	    (sa_isset(&l->sig, SA_ADDR) && sa_cmp(src, &l->sig, SA_ADDR))) {
		l->latched[i] = *src;
		l->is_latched[i] = true;
		return true;
	}
	return false;
}

static void relay_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct relay_sock *rs = arg;
	struct rat_leg *l = rs->leg;
	struct rat_stream *st = l->st;
	struct rat *r = st->e->r;
	size_t len = mbuf_get_left(mb);

	if (!source_ok(l, rs->i, src)) {
		l->drops++;
		if (r->st.drops_stranger++ % 1000 == 0)
			log_re_info("call %s: packet from %J to relay port "
			            "%u dropped: not the call's party",
			            st->e->callid, src, l->port + rs->i);
		return;
	}
	l->pkts_in++;
	l->bytes_in += len;
	r->st.pkts++;
	r->st.bytes += len;
	st->e->last_media = mono_ms();
	forward(r, &st->leg[1 - l->k], rs->i, mbuf_buf(mb), len);
}

struct port_find {
	const char *hrac;
	uint16_t port;
};

static bool port_cmp(struct le *le, void *arg)
{
	const struct rat_leg *l = le->data;
	const struct port_find *pf = arg;

	return l->port == pf->port && !strcmp(l->side.hrac, pf->hrac);
}

/* An RTP or RTCP frame from an HRAC: a packet of one of its phones */
void rat_from_tunnel(struct rat *r, struct session *ss, const struct frame *f)
{
	struct port_find pf = { ss->id, f->relay_port };
	struct rat_leg *l;
	struct le *le;

	le = hash_lookup(r->by_port, port_key(ss->id, f->relay_port), port_cmp,
	                 &pf);
	if (!le) {
		r->st.drops_stranger++;
		log_debug("%s frame from '%s' for port %u: no such call",
		          frame_type_name(f->type), ss->id, f->relay_port);
		return;
	}
	l = le->data;
	l->pkts_in++;
	l->bytes_in += f->len;
	r->st.pkts++;
	r->st.bytes += f->len;
	l->st->e->last_media = mono_ms();
	forward(r, &l->st->leg[1 - l->k], f->type == FRAME_RTCP, f->payload,
	        f->len);
}

static bool reopen_one(struct le *le, void *arg)
{
	struct rat_leg *l = le->data;
	const struct hrac_media *hm = arg;
	char text[64];

	if (strcmp(l->side.hrac, hm->hrac))
		return false;
	snprintf(text, sizeof(text), "media-open %u", l->port);
	control_send(l->st->e->r, hm->hrac, text);
	return false;
}

/* "lan-rtp IP LO-HI" from an HRAC (on every connect): where its media
 * ports are; it is told again which ports its calls use */
void rat_hrac_media(struct rat *r, struct session *ss, const char *arg)
{
	struct hrac_media *hm = hrac_media_find(r, ss->id);
	char ip[64], range[32];
	uint16_t lo, hi;
	struct sa sa;

	if (sscanf(arg, "%63s %31s", ip, range) != 2 ||
	    sa_set_str(&sa, ip, 0) || portpool_parse(range, &lo, &hi)) {
		log_warn("HRAC '%s' sent bad media ports: %.60s", ss->id, arg);
		return;
	}
	if (!hm) {
		hm = mem_zalloc(sizeof(*hm), NULL);
		if (!hm)
			return;
		snprintf(hm->hrac, sizeof(hm->hrac), "%s", ss->id);
		hash_append(r->hracs, hash_joaat_str(hm->hrac), &hm->he, hm);
	}
	if (!hm->pool || hm->lo != lo || hm->hi != hi) {
		struct portpool *pool = NULL;

		if (portpool_alloc(&pool, lo, hi))
			return;
		/* ports of calls still up stay theirs in the new pool */
		mem_deref(hm->pool);
		hm->pool = pool;
		hm->lo = lo;
		hm->hi = hi;
	}
	if (!sa_cmp(&hm->ip, &sa, SA_ADDR))
		log_info("HRAC '%s': media on %s, ports %u-%u", ss->id, ip, lo,
		         hi);
	hm->ip = sa;
	control_send(r, ss->id, "media-reset");
	hash_apply(r->by_port, reopen_one, hm);
}

/* -- life ------------------------------------------------------------------ */

static void sweep(void *arg)
{
	struct rat *r = arg;
	uint64_t now = mono_ms();
	struct le *le = list_head(&r->entries);

	tmr_start(&r->sweep, SWEEP_MS, sweep, r);
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
	mem_deref(r->by_callid);
	hash_flush(r->hracs);
	mem_deref(r->hracs);
	mem_deref(r->pool);
}

int rat_alloc(struct rat **rp, struct sipsrv *s)
{
	const struct hras_conf *cfg = &s->h->cfg;
	struct rat *r;
	uint16_t lo, hi;
	int e;

	r = mem_zalloc(sizeof(*r), rat_destructor);
	if (!r)
		return ENOMEM;
	r->s = s;
	r->timeout = (uint64_t)cfg->media_timeout * 1000;
	r->unanswered = (uint64_t)cfg->timer_c * 2000 + 64000;
	tmr_init(&r->sweep);

	e = 0;
	if (cfg->public_ip)
		e = sa_set_str(&r->public_ip, cfg->public_ip, 0);
	else
		r->public_ip = s->laddr[0];
	sa_set_port(&r->public_ip, 0);
	sa_init(&r->bind, sa_af(&r->public_ip));
	e = e ? e : portpool_parse(cfg->rtp_ports, &lo, &hi);
	e = e ? e : portpool_alloc(&r->pool, lo, hi);
	e = e ? e : hash_alloc(&r->by_callid, 1024);
	e = e ? e : hash_alloc(&r->by_port, 1024);
	e = e ? e : hash_alloc(&r->hracs, 64);
	if (e) {
		mem_deref(r);
		return e;
	}
	tmr_start(&r->sweep, SWEEP_MS, sweep, r);
	log_re_info("media relay on %j, ports %u-%u", &r->public_ip, lo, hi);
	*rp = r;
	return 0;
}

/* -- status ---------------------------------------------------------------- */

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
int rat_status(struct rat *r, struct re_printf *pf)
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
