/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file proxy.c  Stateful forwarding (RFC 3261 §16) on libre transactions
 *
 * A transaction (struct ptx) holds the request, its server transaction
 * and its branches; each branch is one libre client request.  The ptx
 * lives until its final response has gone upstream and every branch has
 * ended; Timer C and a last-resort timer bound both.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "conf.h"
#include "digest.h"
#include "log.h"
#include "quota.h"
#include "hracs.h"
#include "iface.h"
#include "lan_gw.h"
#include "sipfwd.h"
#include "sipsrv.h"
#include "dialog.h"
#include "route.h"
#include "proxy.h"
#include "rat.h"

enum {
	BRANCHES_MAX = 16,
	CANCEL_GRACE_MS = 32000, /* after a CANCEL, how long to wait */
	ANSWERED_MS = 32000,     /* 64*T1: how long a UAS resends its 2xx */
	BRANCH_MAX = 128,
};

/*
 * A 2xx to an INVITE that went upstream: its retransmissions, which no
 * transaction takes, go where it went, with the body it had (RFC 6026
 * §7.1), and nowhere else: a response no transaction of ours and no
 * answered 2xx expects is dropped, whatever its Vias say
 */
struct answered {
	struct le he;
	struct proxy *px;
	char branch[BRANCH_MAX]; /* of our Via toward the UAS */
	char callid[256];
	uint32_t cseq;
	struct sa dst;   /* upstream */
	struct iface to; /* the side upstream is */
	enum sip_transp tp;
	void *sock;        /* the upstream request's, referenced */
	struct mbuf *body; /* as it went upstream */
	struct tmr tmr;
};

struct proxy {
	struct sipsrv *s;
	struct list txl;
	struct hash *answered;           /* struct answered, by our branch */
	struct quota *q_source, *q_site; /* transactions per party */
	uint32_t nanswered;
	uint64_t strays_dropped;
	uint32_t ntx, max_tx;
	uint64_t timer_c; /* ms */
	uint64_t life;    /* ms a transaction may live at most */
};

struct ptx {
	struct le le;
	struct proxy *px;
	char party[QUOTA_KEY_MAX]; /* who holds it, in the quotas */
	struct sip_msg *req;
	struct sip_strans *st;
	struct list branches;
	struct fwd_opts o;
	bool invite, final_sent, cancelled;
	struct sip_msg *best;   /* best final response so far */
	struct iface best_side; /* the side it came from */
	uint16_t best_code;
	struct mbuf *challenges; /* of every 401/407, combined */
	struct tmr life;
};

struct branch {
	struct le le;
	struct ptx *t;
	struct sip_request *req;
	struct target tgt;
	char route[SIPSRV_URI_MAX];
	struct uri route_uri;
	struct tmr timer_c;
	bool done;
	bool timed_out; /* cancelled by Timer C: its end counts as 408 */
};

static void branch_destructor(void *arg)
{
	struct branch *b = arg;

	tmr_cancel(&b->timer_c);
	list_unlink(&b->le);
	/* a pending request is cancelled by libre when dereferenced */
	mem_deref(b->req);
}

static void ptx_destructor(void *arg)
{
	struct ptx *t = arg;

	tmr_cancel(&t->life);
	list_flush(&t->branches);
	list_unlink(&t->le);
	if (t->px) {
		t->px->ntx--;
		quota_give(t->party[0] == 'i' ? t->px->q_site : t->px->q_source,
		           t->party);
	}
	mem_deref(t->st);
	mem_deref(t->best);
	mem_deref(t->challenges);
	mem_deref(t->req);
}

static bool all_done(const struct ptx *t)
{
	struct le *le;

	LIST_FOREACH(&t->branches, le)
	{
		const struct branch *b = le->data;

		if (!b->done)
			return false;
	}
	return true;
}

static void maybe_free(struct ptx *t)
{
	if (t->final_sent && all_done(t))
		mem_deref(t);
}

/* §16.7 step 6: 6xx first; then 3xx, 4xx, 5xx; 401/407 and 487 among
 * the 4xx before the rest; 408 and 503 (our own failures) last, and of
 * those two the lower class, 408, whichever came first */
static int rank(uint16_t code)
{
	if (code >= 600)
		return 100;
	if (code == 408)
		return 2;
	if (code == 503)
		return 1;
	if (code == 401 || code == 407)
		return 60;
	if (code == 487)
		return 55;
	if (code >= 300 && code < 400)
		return 70;
	if (code >= 400 && code < 500)
		return 50;
	return 10;
}

/* Is a branch's final @code better than the best so far (0: none)? */
bool proxy_better(uint16_t code, uint16_t best)
{
	return !best || rank(code) > rank(best);
}

/**
 * §16.7 steps 6-7: what goes upstream once every branch has answered
 *
 * @param have_best  a response of the best branch is at hand (not one
 *                   we made up: Timer C, no answer)
 * @param best       the best branch's code (0: no branch answered)
 * @param cancelled  upstream sent CANCEL
 */
struct proxy_final proxy_final_for(bool have_best, uint16_t best,
                                   bool cancelled)
{
	struct proxy_final f = { 0, NULL, false };

	if (cancelled && (!have_best || best != 487)) {
		f.code = 487;
		f.reason = "Request Terminated";
	} else if (best == 503 || !best) {
		/* §16.7: a 503 is not passed on; no answer at all is ours */
		f.code = best ? 500 : 408;
		f.reason = best ? "Server Internal Error" : "Request Timeout";
	} else if (!have_best) {
		f.code = best; /* 408: our own timeout of every branch */
		f.reason = "Request Timeout";
	} else {
		f.code = best;
		f.relay = true;
	}
	return f;
}

static bool collect_challenge(const struct sip_hdr *hdr,
                              const struct sip_msg *msg, void *arg)
{
	struct ptx *t = arg;

	(void)msg;
	mbuf_printf(t->challenges, "%r: %r\r\n", &hdr->name, &hdr->val);
	return false;
}

/* The body a message passes on with: its SDP as the relay rewrites it
 * for the receiving side, the body as it came (not relayed), or none
 * (an SDP that was not its sender's to give) */
static const struct pl *relay_body(struct sipsrv *s, const struct sip_msg *msg,
                                   const struct pl *body,
                                   const struct iface *from,
                                   const struct iface *to, struct mbuf **sdp,
                                   struct pl *rewritten)
{
	static const struct pl none = PL_INIT;
	struct sa party;
	int e;

	*sdp = NULL;
	if (!s->rat || !body->l)
		return body;
	route_party(s, msg, &party);
	*sdp = mbuf_alloc(body->l + 256);
	e = *sdp ? rat_sdp(s->rat, msg, body, from, to, &party, *sdp) : ENOMEM;
	if (e) {
		*sdp = mem_deref(*sdp);
		return e == EPERM ? &none : body;
	}
	rewritten->p = (const char *)(*sdp)->buf;
	rewritten->l = (*sdp)->end;
	return rewritten;
}

static void answered_destructor(void *arg)
{
	struct answered *a = arg;

	tmr_cancel(&a->tmr);
	hash_unlink(&a->he);
	if (a->px)
		a->px->nanswered--;
	mem_deref(a->sock);
	mem_deref(a->body);
}

static void answered_expire(void *arg)
{
	mem_deref(arg);
}

static bool answered_cmp(struct le *le, void *arg)
{
	const struct answered *a = le->data;

	return !pl_strcmp(arg, a->branch);
}

static struct answered *answered_find(struct proxy *px, const struct pl *branch)
{
	struct le *le = hash_lookup(px->answered, hash_joaat_pl(branch),
	                            answered_cmp, (void *)branch);

	return le ? le->data : NULL;
}

/* Remember a 2xx that went upstream, for its retransmissions */
static void answered_add(struct ptx *t, const struct sip_msg *resp,
                         const struct sa *dst, const struct pl *body)
{
	struct proxy *px = t->px;
	struct answered *a;

	if (answered_find(px, &resp->via.branch))
		return; /* a retransmission of one we know */
	if (px->nanswered >= px->max_tx ||
	    resp->via.branch.l >= sizeof(a->branch) ||
	    resp->callid.l >= sizeof(a->callid))
		return;
	a = mem_zalloc(sizeof(*a), answered_destructor);
	if (!a)
		return;
	a->body = mbuf_alloc(body ? body->l : 0);
	if (!a->body || (body && mbuf_write_pl(a->body, body))) {
		mem_deref(a);
		return;
	}
	a->px = px;
	px->nanswered++;
	pl_strcpy(&resp->via.branch, a->branch, sizeof(a->branch));
	pl_strcpy(&resp->callid, a->callid, sizeof(a->callid));
	a->cseq = resp->cseq.num;
	a->dst = *dst;
	a->to = t->o.in;
	a->tp = t->req->tp;
	a->sock = mem_ref(t->req->sock);
	hash_append(px->answered, hash_joaat_pl(&resp->via.branch), &a->he, a);
	tmr_init(&a->tmr);
	tmr_start(&a->tmr, ANSWERED_MS, answered_expire, a);
}

/* The Contact URI of a message, or "" */
static void contact_of(const struct sip_msg *msg, char *out, size_t size)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	struct sip_addr a;

	out[0] = '\0';
	if (h && !sip_addr_decode(&a, &h->val))
		re_snprintf(out, size, "%r", &a.auri);
}

/* A response with a To tag to a dialog-creating request: the dialog, as
 * the proxy saw its parties */
static void record_dialog(struct ptx *t, const struct sip_msg *resp,
                          const struct iface *from)
{
	struct sipsrv *s = t->px->s;
	struct dialog_party p[2];

	if (!t->o.record_route || pl_isset(&t->req->to.tag) ||
	    !pl_isset(&resp->to.tag) || resp->scode < 101 || resp->scode >= 300)
		return;
	memset(p, 0, sizeof(p));
	p[0].side = t->o.in;
	p[0].addr = t->o.party;
	p[0].tp = t->o.tp;
	contact_of(t->req, p[0].target, sizeof(p[0].target));
	p[1].side = *from;
	route_party(s, resp, &p[1].addr);
	p[1].tp = resp->tp;
	contact_of(resp, p[1].target, sizeof(p[1].target));
	(void)dialogs_save(s->dialogs, resp, &p[0], &p[1]);
}

/* Record-Route values of a response as the side it goes to sees them */
struct rr_to {
	struct sipsrv *s;
	const struct iface *to;
};

static int rr_for(struct mbuf *mb, const struct sip_msg *resp,
                  const struct pl *val, void *arg)
{
	const struct rr_to *r = arg;

	return route_rr_rewrite(r->s, mb, resp, val, r->to);
}

static void send_upstream(struct ptx *t, const struct sip_msg *resp,
                          const char *challenges, const struct iface *from)
{
	struct sipsrv *s = t->px->s;
	struct mbuf *mb = mbuf_alloc(1024), *sdp = NULL;
	const struct pl *nb = NULL;
	struct pl body, rewritten;
	struct sa dst;
	int e;

	if (!mb)
		return;
	if (!sipfwd_body(resp, &body))
		nb = relay_body(s, resp, &body, from, &t->o.in, &sdp,
		                &rewritten);
	struct rr_to rt = { s, &t->o.in };

	e = sipfwd_response(mb, resp, challenges, challenges == NULL, nb,
	                    rr_for, &rt);
	sip_reply_addr(&dst, t->req, true);
	if (!e && t->invite && resp->scode >= 200 && resp->scode < 300)
		answered_add(t, resp, &dst, nb ? nb : &body);
	if (!e)
		record_dialog(t, resp, from);
	mem_deref(sdp);
	if (e) {
		log_warn("response %u from downstream not relayed: %s",
		         resp->scode, strerror(e));
		mem_deref(mb);
		return;
	}
	if (t->st)
		e = sip_strans_reply(&t->st, s->sip, t->req, &dst, resp->scode,
		                     mb);
	else /* a second 2xx: the transaction has gone, relay as is */
		e = sip_send(s->sip, t->req->sock, t->req->tp, &dst, mb);
	if (e)
		log_debug("response %u upstream: %s", resp->scode, strerror(e));
	mem_deref(mb);
}

static void cancel_others(struct ptx *t, const struct branch *keep)
{
	struct le *le;

	LIST_FOREACH(&t->branches, le)
	{
		struct branch *b = le->data;

		if (b != keep && !b->done && b->req)
			sip_request_cancel(b->req);
	}
}

/* Every branch has answered: the best final response goes upstream */
static void send_final(struct ptx *t)
{
	struct sipsrv *s = t->px->s;
	struct proxy_final f;

	if (t->final_sent)
		return;
	t->final_sent = true;

	f = proxy_final_for(t->best != NULL, t->best_code, t->cancelled);
	if (!f.relay) {
		sip_treply(&t->st, s->sip, t->req, f.code, f.reason);
	} else {
		const char *challenges = NULL;

		/* §16.7 step 7: every branch's challenge in one 401/407 */
		if ((f.code == 401 || f.code == 407) && t->challenges &&
		    !mbuf_write_u8(t->challenges, 0))
			challenges = (const char *)t->challenges->buf;
		send_upstream(t, t->best, challenges, &t->best_side);
	}
	t->st = NULL;

	/* the INVITE that would have set up a call failed */
	if (t->invite && !pl_isset(&t->req->to.tag) &&
	    (!t->best || t->best_code >= 300)) {
		if (s->rat)
			rat_failed(s->rat, t->req);
		dialogs_failed(s->dialogs, t->req);
	}
}

static void branch_final(struct branch *b, uint16_t code,
                         const struct sip_msg *msg)
{
	struct ptx *t = b->t;

	b->done = true;
	tmr_cancel(&b->timer_c);
	if (b->timed_out && code == 487) {
		code = 408; /* §16.8: Timer C ends a branch with 408 */
		msg = NULL;
	}

	if (msg && (code == 401 || code == 407)) {
		if (!t->challenges)
			t->challenges = mbuf_alloc(512);
		if (t->challenges)
			sip_msg_hdr_apply(msg, true,
			                  code == 401
			                      ? SIP_HDR_WWW_AUTHENTICATE
			                      : SIP_HDR_PROXY_AUTHENTICATE,
			                  collect_challenge, t);
	}
	if (proxy_better(code, t->best_code)) {
		t->best_code = code;
		mem_deref(t->best);
		t->best = msg ? mem_ref((void *)msg) : NULL;
		t->best_side = b->tgt.out;
	}
	if (code >= 600)
		cancel_others(t, b);

	if (all_done(t)) {
		send_final(t);
		maybe_free(t);
	}
}

static void timer_c_fire(void *arg);

static void give_up(void *arg)
{
	struct branch *b = arg;

	/* cancelled, but the far end never answered: stop waiting */
	b->req = mem_deref(b->req);
	branch_final(b, 408, NULL);
}

static void timer_c_fire(void *arg)
{
	struct branch *b = arg;

	log_info("no final answer to an INVITE for %s within Timer C: "
	         "cancelling",
	         b->tgt.ruri);
	b->timed_out = true;
	if (b->req)
		sip_request_cancel(b->req);
	tmr_start(&b->timer_c, CANCEL_GRACE_MS, give_up, b);
}

static void branch_resp(int err, const struct sip_msg *msg, void *arg)
{
	struct branch *b = arg;
	struct ptx *t = b->t;

	if (err || !msg) {
		log_re_info("%r to %s: no answer (%s)", &t->req->met,
		            b->tgt.ruri, strerror(err));
		branch_final(b, err == ETIMEDOUT ? 408 : 503, NULL);
		return;
	}

	if (msg->scode < 200) {
		if (msg->scode == 100)
			return;
		if (t->invite && !t->cancelled)
			tmr_start(&b->timer_c, t->px->timer_c, timer_c_fire, b);
		if (!t->final_sent)
			send_upstream(t, msg, NULL, &b->tgt.out);
		return;
	}

	if (msg->scode < 300) {
		b->done = true;
		tmr_cancel(&b->timer_c);
		send_upstream(t, msg, NULL, &b->tgt.out);
		if (t->invite && t->px->s->rat)
			rat_answered(t->px->s->rat, msg, &b->tgt.out);
		if (!t->final_sent) {
			t->final_sent = true;
			t->st = NULL;
		}
		if (t->invite)
			cancel_others(t, b);
		maybe_free(t);
		return;
	}

	branch_final(b, msg->scode, msg);
}

/* An address HRAS must never send a proxied request to: one of its own
 * SIP addresses, a socket of the tunnel gateway (that would reach an
 * inside phone of any site), no address at all, or loopback - unless
 * HRAS serves SIP on loopback itself (a test, a box of its own) */
static bool forbidden_hop(const struct sipsrv *s, const struct sa *hop)
{
	bool own_loopback = false;

	if (sa_is_any(hop) || lan_gw_lookup(s->gw, hop))
		return true;
	for (size_t i = 0; i < s->nladdr; i++) {
		if (sa_cmp(hop, &s->laddr[i], SA_ALL))
			return true;
		own_loopback |= sa_is_loopback(&s->laddr[i]);
	}
	return sa_is_loopback(hop) && !own_loopback;
}

/* The next hop of a target, as a SIP URI libre can send to */
static int next_hop(struct sipsrv *s, struct branch *b)
{
	struct sa hop;
	struct pl pl;
	int e;

	if (b->tgt.out.inside) {
		struct lan_peer *p;

		e = lan_gw_peer(s->gw, b->tgt.out.hrac, &b->tgt.addr,
		                b->tgt.out.tcp, &p);

		if (e)
			return e;
		re_snprintf(b->route, sizeof(b->route), "sip:%J;transport=udp",
		            &p->laddr);
	} else {
		snprintf(b->route, sizeof(b->route), "%s", b->tgt.route);
	}
	pl_set_str(&pl, b->route);
	e = uri_decode(&b->route_uri, &pl);
	if (e || b->tgt.out.inside ||
	    sa_set(&hop, &b->route_uri.host,
	           b->route_uri.port ? b->route_uri.port : SIP_PORT))
		return e;
	/* an address, outside: never ourselves, unless it is the trunk
	 * the configuration names */
	if (forbidden_hop(s, &hop) &&
	    !(s->cfg->outbound && !strcmp(b->tgt.route, s->cfg->outbound))) {
		log_re_warn("%s: a next hop of our own or loopback: refused",
		            b->route);
		return EPERM;
	}
	/* a next hop given by address: our Record-Route in its family */
	b->tgt.out.af = sa_af(&hop);
	return 0;
}

/* Proxy-Authorization for this realm is ours: it goes no further */
static const char *own_realm(const struct sipsrv *s)
{
	return s->digest ? digest_realm(s->digest) : NULL;
}

static int branch_start(struct ptx *t, const struct target *tgt)
{
	struct sipsrv *s = t->px->s;
	struct mbuf *mb = NULL, *sdp = NULL;
	const struct pl *nb = NULL;
	struct branch *b;
	struct pl body, rewritten;
	int e;

	b = mem_zalloc(sizeof(*b), branch_destructor);
	if (!b)
		return ENOMEM;
	b->t = t;
	b->tgt = *tgt;
	tmr_init(&b->timer_c);
	list_append(&t->branches, &b->le, b);

	e = next_hop(s, b);
	if (!e)
		e = sipfwd_body(t->req, &body);
	/* libre writes the request line and our Via; then come the
	 * received Vias, Record-Route and the rest */
	if (!e) {
		mb = mbuf_alloc(1024);
		/* received/rport tell where it came from: an inside phone
		 * as its HRAC saw it, never the gateway's loopback socket */
		e = mb ? sipfwd_vias(mb, t->req, &t->o.party) : ENOMEM;
	}
	if (!e && t->o.record_route)
		e = route_rr_print(s, mb, &b->tgt.out, &t->o.in,
		                   &t->req->callid, &t->req->from.tag);
	if (!e && b->tgt.node)
		e = sipsrv_node_proof(s, mb, t->req);
	if (!e) {
		nb = relay_body(s, t->req, &body, &t->o.in, &b->tgt.out, &sdp,
		                &rewritten);
		e = sipfwd_headers(mb, t->req, t->o.popped, t->o.maxfwd,
		                   own_realm(s), nb);
		mem_deref(sdp);
	}
	if (!e) {
		mbuf_set_pos(mb, 0);
		e = sip_request(&b->req, s->sip, true, t->req->met.p,
		                (int)t->req->met.l, b->tgt.ruri,
		                (int)strlen(b->tgt.ruri), &b->route_uri, mb, 0,
		                NULL, branch_resp, b);
	}
	mem_deref(mb);
	if (e) {
		log_re_warn("%r to %s not sent: %s", &t->req->met, b->tgt.ruri,
		            strerror(e));
		mem_deref(b);
		return e;
	}
	if (t->invite)
		tmr_start(&b->timer_c, t->px->timer_c, timer_c_fire, b);
	return 0;
}

static void cancel_h(void *arg)
{
	struct ptx *t = arg;

	log_re_debug("CANCEL for %r: cancelling its branches", &t->req->callid);
	t->cancelled = true;
	cancel_others(t, NULL);
}

/* Never wait forever: the longest a transaction may live */
static void life_over(void *arg)
{
	struct ptx *t = arg;

	log_re_warn("proxy transaction for %r outlived its bounds: ended",
	            &t->req->callid);
	send_final(t);
	mem_deref(t);
}

/**
 * Forward a request statefully to the targets, in parallel
 */
void proxy_request(struct proxy *px, const struct sip_msg *msg,
                   const struct fwd_opts *o, const struct target *tv, size_t n)
{
	struct sipsrv *s = px->s;
	struct ptx *t;
	size_t started = 0;

	char party[QUOTA_KEY_MAX];
	struct quota *q;

	if (px->ntx >= px->max_tx) {
		log_re_warn(
		    "%u proxy transactions in progress: %r refused (503)",
		    px->ntx, &msg->met);
		sipsrv_reply(s, msg, 503, "Service Unavailable",
		             "Retry-After: 5\r\n");
		return;
	}
	rat_party_key(party, &o->in, &o->party);
	q = party[0] == 'i' ? px->q_site : px->q_source;
	if (!quota_take(q, party)) {
		log_re_warn("%s holds %u proxy transactions, its share: %r "
		            "refused (503)",
		            party, quota_limit(q), &msg->met);
		sipsrv_reply(s, msg, 503, "Service Unavailable",
		             "Retry-After: 5\r\n");
		return;
	}

	t = mem_zalloc(sizeof(*t), ptx_destructor);
	if (!t) {
		quota_give(q, party);
		sipsrv_reply(s, msg, 500, "Server Internal Error", NULL);
		return;
	}
	t->px = px;
	memcpy(t->party, party, sizeof(party));
	px->ntx++;
	list_append(&px->txl, &t->le, t);
	t->req = mem_ref((void *)msg);
	t->o = *o;
	t->invite = !pl_strcmp(&msg->met, "INVITE");
	tmr_init(&t->life);
	tmr_start(&t->life, px->life, life_over, t);

	if (sip_strans_alloc(&t->st, s->sip, msg, cancel_h, t)) {
		mem_deref(t);
		sipsrv_reply(s, msg, 500, "Server Internal Error", NULL);
		return;
	}
	if (t->invite)
		sip_treply(&t->st, s->sip, msg, 100, "Trying");

	for (size_t i = 0; i < n && i < BRANCHES_MAX; i++)
		started += branch_start(t, &tv[i]) == 0;

	if (!started) {
		t->final_sent = true;
		sip_treply(&t->st, s->sip, msg, 503, "Service Unavailable");
		t->st = NULL;
		mem_deref(t);
	}
}

/**
 * Forward an ACK for a 2xx: a transaction of its own, sent statelessly
 * (§16.11; an ACK for a non-2xx never leaves libre's transaction)
 */
void proxy_ack(struct proxy *px, const struct sip_msg *msg,
               const struct fwd_opts *o, const struct target *tgt)
{
	struct sipsrv *s = px->s;
	struct branch hop;
	struct mbuf *mb, *sdp = NULL;
	struct pl body, rewritten;
	const struct pl *nb;
	int e;

	memset(&hop, 0, sizeof(hop));
	hop.tgt = *tgt;
	e = next_hop(s, &hop);
	if (!e)
		e = sipfwd_body(msg, &body);
	mb = e ? NULL : mbuf_alloc(512);
	if (!mb)
		return;
	/* an ACK may carry the answer to an offer in a 2xx */
	nb = relay_body(s, msg, &body, &o->in, &tgt->out, &sdp, &rewritten);
	e = sipfwd_vias(mb, msg, &o->party);
	e = e ? e
	      : sipfwd_headers(mb, msg, o->popped, o->maxfwd, own_realm(s), nb);
	mem_deref(sdp);
	mbuf_set_pos(mb, 0);
	if (!e)
		e = sip_request(NULL, s->sip, false, "ACK", 3, tgt->ruri,
		                (int)strlen(tgt->ruri), &hop.route_uri, mb, 0,
		                NULL, NULL, NULL);
	if (e)
		log_debug("ACK to %s not relayed: %s", tgt->ruri, strerror(e));
	mem_deref(mb);
}

/*
 * A response no transaction took: a retransmission of a 2xx we relayed
 * goes where the first one went, with the same body; anything else is
 * dropped (never sent to an address the message itself names)
 */
bool proxy_stray_response(struct proxy *px, const struct sip_msg *msg)
{
	struct sipsrv *s = px->s;
	struct answered *a = NULL;
	struct mbuf *mb;
	struct pl body;

	if (msg->scode >= 200 && msg->scode < 300 &&
	    sip_transp_isladdr(s->sip, SIP_TRANSP_NONE, &msg->via.addr))
		a = answered_find(px, &msg->via.branch);
	if (!a || pl_strcmp(&msg->callid, a->callid) ||
	    msg->cseq.num != a->cseq) {
		if (px->strays_dropped++ % 1000 == 0)
			log_re_info("%u response from %J to no transaction of "
			            "ours: dropped",
			            msg->scode, &msg->src);
		return true;
	}

	mb = mbuf_alloc(1024);
	if (!mb)
		return true;
	body.p = (const char *)a->body->buf;
	body.l = a->body->end;
	if (!sipfwd_response(mb, msg, NULL, true, &body, rr_for,
	                     &(struct rr_to){ s, &a->to }))
		sip_send(s->sip, a->sock, a->tp, &a->dst, mb);
	mem_deref(mb);
	return true;
}

/* An outside target at a known address */
int proxy_target_outside(struct target *t, const char *ruri,
                         const struct sa *dst, enum sip_transp tp)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->ruri, sizeof(t->ruri), "%s", ruri);
	t->out.tcp = tp == SIP_TRANSP_TCP;
	re_snprintf(t->route, sizeof(t->route), "sip:%J;transport=%s", dst,
	            tp == SIP_TRANSP_TCP ? "tcp" : "udp");
	return 0;
}

/* The longest a transaction may live: Timer C twice over (provisional
 * answers restart it), then the wait for a CANCEL's 487 */
uint64_t proxy_tx_life_ms(uint32_t timer_c)
{
	return (uint64_t)timer_c * 2000 + 2 * CANCEL_GRACE_MS;
}

static bool answered_detach(struct le *le, void *arg)
{
	struct answered *a = le->data;

	(void)arg;
	a->px = NULL;
	return false;
}

static void proxy_destructor(void *arg)
{
	struct proxy *px = arg;
	struct le *le;

	hash_apply(px->answered, answered_detach, NULL);
	hash_flush(px->answered);
	mem_deref(px->answered);

	while ((le = list_head(&px->txl))) {
		struct ptx *t = le->data;

		t->px = NULL;
		list_unlink(&t->le);
		mem_deref(t);
	}
	mem_deref(px->q_source);
	mem_deref(px->q_site);
}

int proxy_alloc(struct proxy **pp, struct sipsrv *s, uint32_t timer_c,
                uint32_t max_tx)
{
	struct proxy *px = mem_zalloc(sizeof(*px), proxy_destructor);

	if (!px)
		return ENOMEM;
	/* one source may hold a tenth of the transactions, a site half */
	if (hash_alloc(&px->answered, 1024) ||
	    quota_alloc(&px->q_source, max(16, max_tx / 10)) ||
	    quota_alloc(&px->q_site, max(16, max_tx / 2))) {
		mem_deref(px);
		return ENOMEM;
	}
	px->s = s;
	px->timer_c = (uint64_t)timer_c * 1000;
	px->life = proxy_tx_life_ms(timer_c);
	px->max_tx = max_tx;
	*pp = px;
	return 0;
}
