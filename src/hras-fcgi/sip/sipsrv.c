/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sipsrv.c  The SIP service of HRAS: stack, validation, dispatch
 *
 * Every request passes, in order: the per-source rate limit; RFC 3261
 * §16.3 validation (syntax, Content-Length, Max-Forwards, Proxy-Require,
 * loops); §16.4 route preprocessing; then the registrar, the server
 * itself (OPTIONS), the location service, or the outbound route.
 * Requests for foreign domains leave only for authenticated users of
 * ours, through --outbound: HRAS is never an open relay.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "secret.h"
#include "quota.h"
#include "mono.h"
#include "hracs.h"
#include "session.h"
#include "iface.h"
#include "lan_gw.h"
#include "store.h"
#include "location.h"
#include "loc_store.h"
#include "digest.h"
#include "ratelimit.h"
#include "sipfwd.h"
#include "sipsrv.h"
#include "dialog.h"
#include "route.h"
#include "proxy.h"
#include "registrar.h"
#include "rat.h"
#include "sockbuf.h"

enum {
	RATE_SLOTS = 65536,
	SIP_RCVBUF = 8 << 20, /* bursts of signalling from the tunnel */
};

static const char allow_hdr[] =
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, "
    "UPDATE, INFO, NOTIFY, SUBSCRIBE, REFER, PRACK\r\n";

struct lan_addr {
	struct le he;
	char hrac[HRACS_ID_MAX + 1];
	char addr[64];
};

int sipsrv_reply(struct sipsrv *s, const struct sip_msg *msg, uint16_t code,
                 const char *reason, const char *extra)
{
	if (!pl_strcmp(&msg->met, "ACK"))
		return 0; /* never answered */
	return sip_treplyf(NULL, NULL, s->sip, msg, false, code, reason,
	                   "%sContent-Length: 0\r\n\r\n", extra ? extra : "");
}

bool sipsrv_domain_ours(const struct sipsrv *s, const struct pl *host)
{
	for (size_t i = 0; i < s->ndomains; i++) {
		if (!pl_strcasecmp(host, s->domains[i]))
			return true;
	}
	return false;
}

/* The URI names one of our SIP addresses (port 5060 when none given) */
bool sipsrv_addr_ours(const struct sipsrv *s, const struct uri *uri)
{
	struct sa a;

	if (sa_set(&a, &uri->host, uri->port ? uri->port : SIP_PORT))
		return false;
	for (size_t i = 0; i < s->nladdr; i++) {
		if (sa_cmp(&a, &s->laddr[i], SA_ALL))
			return true;
	}
	return false;
}

static bool lan_cmp(struct le *le, void *arg)
{
	const struct lan_addr *l = le->data;

	return !strcmp(l->hrac, arg);
}

const char *sipsrv_lan_addr(const struct sipsrv *s, const char *hrac)
{
	struct le *le = hash_lookup(s->lan_addrs, hash_joaat_str(hrac), lan_cmp,
	                            (void *)hrac);

	return le ? ((const struct lan_addr *)le->data)->addr : NULL;
}

/* "lan-sip ADDR:PORT" from an HRAC: where its phones send SIP, which
 * Record-Route names toward them */
void sipsrv_lan_sip(struct sipsrv *s, const char *hrac, const char *addr)
{
	struct lan_addr *l;
	struct sa check;
	struct le *le;

	if (strlen(addr) >= sizeof(l->addr) ||
	    sa_decode(&check, addr, strlen(addr))) {
		log_warn("HRAC '%s' sent a bad LAN SIP address: %.40s", hrac,
		         addr);
		return;
	}

	le = hash_lookup(s->lan_addrs, hash_joaat_str(hrac), lan_cmp,
	                 (void *)hrac);
	if (le) {
		l = le->data;
	} else {
		l = mem_zalloc(sizeof(*l), NULL);
		if (!l)
			return;
		snprintf(l->hrac, sizeof(l->hrac), "%s", hrac);
		hash_append(s->lan_addrs, hash_joaat_str(l->hrac), &l->he, l);
	}
	if (strcmp(l->addr, addr))
		log_info("HRAC '%s': phones send SIP to %s", hrac, addr);
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
}

void sipsrv_tunnel_sip(struct sipsrv *s, struct session *ss,
                       const struct frame *f)
{
	lan_gw_from_tunnel(s->gw, ss, f);
}

/* §16.3: can this request be handled at all? */
static bool validate(struct sipsrv *s, const struct sip_msg *msg, int *maxfwd)
{
	const struct sip_hdr *preq;
	struct pl body;
	char unsup[300];
	int e;

	if (!pl_isset(&msg->via.sentby) || !pl_isset(&msg->from.auri) ||
	    !pl_isset(&msg->to.auri) || !pl_isset(&msg->callid) ||
	    !pl_isset(&msg->cseq.met)) {
		log_re_info("%r from %J: a mandatory header is missing: 400",
		            &msg->met, &msg->src);
		sipsrv_reply(s, msg, 400, "Missing Mandatory Header", NULL);
		return false;
	}
	if (pl_cmp(&msg->cseq.met, &msg->met)) {
		sipsrv_reply(s, msg, 400, "CSeq Method Mismatch", NULL);
		return false;
	}
	e = sipfwd_body(msg, &body);
	if (e) {
		log_re_info("%r from %J: %s: 400", &msg->met, &msg->src,
		            e == EMSGSIZE ? "body too large"
		                          : "Content-Length does not match");
		sipsrv_reply(s, msg, e == EMSGSIZE ? 413 : 400,
		             e == EMSGSIZE ? "Request Entity Too Large"
		                           : "Bad Content-Length",
		             NULL);
		return false;
	}
	if (pl_strcasecmp(&msg->uri.scheme, "sip") &&
	    pl_strcasecmp(&msg->uri.scheme, "sips")) {
		sipsrv_reply(s, msg, 416, "Unsupported URI Scheme", NULL);
		return false;
	}

	*maxfwd = sipfwd_maxfwd(msg);
	if (*maxfwd == -2) {
		sipsrv_reply(s, msg, 400, "Bad Max-Forwards", NULL);
		return false;
	}

	preq = sip_msg_hdr(msg, SIP_HDR_PROXY_REQUIRE);
	if (preq) {
		/* the whole header line, CRLF included, or none at all */
		int n = re_snprintf(unsup, sizeof(unsup), "Unsupported: %r\r\n",
		                    &preq->val);

		if (n < 0 || n >= (int)sizeof(unsup))
			unsup[0] = '\0';
		sipsrv_reply(s, msg, 420, "Bad Extension", unsup);
		return false;
	}
	return true;
}

/* A request that has passed us twice is looping (§16.3 step 4) */
static bool looping(struct sipsrv *s, const struct sip_msg *msg)
{
	uint32_t ours = 0;
	struct le *le;

	LIST_FOREACH(&msg->hdrl, le)
	{
		const struct sip_hdr *hdr = le->data;
		struct sip_via v;

		if (hdr->id != SIP_HDR_VIA || sip_via_decode(&v, &hdr->val))
			continue;
		if (sip_transp_isladdr(s->sip, SIP_TRANSP_NONE, &v.addr))
			ours++;
	}
	return ours >= 2;
}

/* What a node's proof binds: the node, the request's Call-ID, CSeq and
 * method, under the cluster's key (Redis's sofw:rr-key) */
static int node_mac(const struct sipsrv *s, char *out, size_t size,
                    const char *node, const struct sip_msg *req)
{
	char m[512];

	re_snprintf(m, sizeof(m), "SoFW-node %s %r %u %r", node, &req->callid,
	            req->cseq.num, &req->met);
	return secret_hmac_hex(out, size, s->rr_key, sizeof(s->rr_key), m);
}

/* The header a node adds to a request it forwards to another node */
int sipsrv_node_proof(const struct sipsrv *s, struct mbuf *mb,
                      const struct sip_msg *req)
{
	char mac[SECRET_PROOF_HEX + 1];
	int e = node_mac(s, mac, sizeof(mac), store_node(s->store), req);

	return e ? e
	         : mbuf_printf(mb, SIPFWD_NODE_HDR ": %s %s\r\n",
	                       store_node(s->store), mac);
}

/* Did @o come from another live node's SIP address?  (its requests are
 * not limited as one party's) */
static bool from_node_addr(const struct sipsrv *s, const struct origin *o)
{
	return !o->inside && store_up(s->store) &&
	       store_peer_by_sip(s->store, &o->addr) != NULL;
}

/* Is @msg a request another node authenticated and forwards: from the
 * SIP address that node announces, with its proof?  (never a REGISTER:
 * each node registers its own phones) */
static bool from_node(const struct sipsrv *s, const struct origin *o,
                      const struct sip_msg *msg)
{
	const struct store_peer *p;
	const struct sip_hdr *h;
	char want[SECRET_PROOF_HEX + 1], node[STORE_NODE_MAX];
	struct pl id, mac;

	p = o->inside || !store_up(s->store)
	        ? NULL
	        : store_peer_by_sip(s->store, &o->addr);
	h = p ? sip_msg_xhdr(msg, SIPFWD_NODE_HDR) : NULL;
	if (!h || re_regex(h->val.p, h->val.l, "[^ ]+ [0-9a-f]+", &id, &mac) ||
	    pl_strcpy(&id, node, sizeof(node)) || strcmp(node, p->id) ||
	    mac.l != SECRET_PROOF_HEX ||
	    node_mac(s, want, sizeof(want), node, msg))
		return false;
	return secret_equal(want, mac.p, SECRET_PROOF_HEX);
}

/* Does this request have to prove who sends it? */
static bool must_authenticate(const struct sipsrv *s, const struct origin *o,
                              const struct sip_msg *msg, bool proxy)
{
	if (!s->digest || (o->inside && !s->cfg->auth_inside))
		return false;
	/* another node forwards only what it authenticated itself */
	if (proxy && from_node(s, o, msg))
		return false;
	/* users of ours prove who they are; strangers may call them */
	return !proxy || sipsrv_domain_ours(s, &msg->from.uri.host);
}

/**
 * The one authentication gate (RFC 3261 §22): digest credentials for our
 * realm, and the user they prove may speak only for itself
 *
 * @param proxy   true: a request we forward (Proxy-Authorization, 407,
 *                the From user); false: a REGISTER (Authorization, 401,
 *                the To user)
 * @param authed  set: the sender proved who it is, or is trusted (an
 *                inside phone that need not authenticate: the tunnel it
 *                came by is authenticated)
 * @return true to go on; false when the request has been answered
 */
bool sipsrv_authorize(struct sipsrv *s, const struct sip_msg *msg,
                      const struct origin *o, bool proxy, bool *authed)
{
	const struct pl *claimed =
	    proxy ? &msg->from.uri.user : &msg->to.uri.user;
	char ob[96], user[DIGEST_USER_MAX];
	enum digest_result r;
	struct mbuf *mb;

	if (!must_authenticate(s, o, msg, proxy)) {
		/* a node's forward is not "authed": that would let it
		 * relay to the trunk, and a node forwards only for our
		 * own users */
		*authed = o->inside && (!s->digest || !s->cfg->auth_inside);
		return true;
	}
	*authed = false;

	r = digest_check(s->digest, msg, proxy, user, sizeof(user));
	switch (r) {

	case DIGEST_OK:
		if (!pl_strcmp(claimed, user)) {
			*authed = true;
			return true;
		}
		log_re_warn("%r from %s: user '%s' may not %s %r", &msg->met,
		            route_origin_str(o, ob, sizeof(ob)), user,
		            proxy ? "send as" : "register", claimed);
		s->st.refused_auth++;
		sipsrv_reply(s, msg, 403, "Forbidden", NULL);
		return false;
	case DIGEST_BAD:
		sipsrv_reply(s, msg, 400,
		             proxy ? "Bad Proxy-Authorization"
		                   : "Bad Authorization",
		             NULL);
		return false;
	case DIGEST_FAIL:
		log_re_warn("%r for %r from %s: wrong credentials", &msg->met,
		            claimed, route_origin_str(o, ob, sizeof(ob)));
		s->st.refused_auth++;
		break;
	case DIGEST_NONE:
	case DIGEST_STALE:
		break;
	}

	mb = mbuf_alloc(512);
	if (mb && !digest_challenge(s->digest, mb, proxy, r == DIGEST_STALE) &&
	    !mbuf_write_u8(mb, 0))
		sipsrv_reply(s, msg, proxy ? 407 : 401,
		             proxy ? "Proxy Authentication Required"
		                   : "Unauthorized",
		             (const char *)mb->buf);
	mem_deref(mb);
	return false;
}

static bool session_connected(struct sipsrv *s, const char *hrac)
{
	struct session *ss = sessions_find_id(s->sessions, hrac);

	if (!ss)
		return false;
	session_deref(ss);
	return true;
}

/* Among several nodes: the node an inside phone's HRAC is at home on,
 * if another live one (sofw(7), "Several nodes") */
static const struct store_peer *home_node(const struct sipsrv *s,
                                          const char *hrac)
{
	const char *node = store_home_of(s->store, hrac);
	const struct store_peer *p;

	if (!node || !strcmp(node, store_node(s->store)))
		return NULL;
	p = store_peer_find(s->store, node);
	return p && p->sip[0] ? p : NULL;
}

/* The live node an outside phone registered through, if another one */
static const struct store_peer *path_node(const struct sipsrv *s,
                                          const struct binding *b)
{
	const struct store_peer *p;

	if (!b->node[0] || !store_up(s->store) ||
	    !strcmp(b->node, store_node(s->store)))
		return NULL;
	p = store_peer_find(s->store, b->node);
	return p && p->sip[0] ? p : NULL;
}

/* A branch to node @p for the request's own Request-URI: that node looks
 * the address of record up again and reaches its HRAC; once per node,
 * and never back to @via, the node that forwarded the request here: two
 * nodes whose views of a home differ for a moment would otherwise pass
 * it to and fro until Max-Forwards ran out */
static bool node_target(struct target *tv, size_t n, const struct sip_msg *msg,
                        const struct store_peer *p,
                        const struct store_peer *via)
{
	char ruri[SIPSRV_URI_MAX];
	struct sa dst;

	if (via && !strcmp(via->id, p->id)) {
		log_re_info("%r for %r: not sent back to node %s, which "
		            "forwarded it here",
		            &msg->met, &msg->ruri, p->id);
		return false;
	}
	if (sa_decode(&dst, p->sip, strlen(p->sip)))
		return false;
	re_snprintf(ruri, sizeof(ruri), "%r", &msg->ruri);
	for (size_t i = 0; i < n; i++)
		if (!tv[i].out.inside && !strcmp(tv[i].ruri, ruri) &&
		    strstr(tv[i].route, p->sip))
			return false;
	proxy_target_outside(&tv[n], ruri, &dst, SIP_TRANSP_UDP);
	tv[n].node = true;
	return true;
}

/* Targets for an address of record of ours (@via: the node that forwarded
 * the request, or NULL); @return the number */
static size_t lookup_targets(struct sipsrv *s, const struct sip_msg *msg,
                             const char *aor, const struct store_peer *via,
                             struct target *tv, size_t max)
{
	const struct list *l = location_lookup(s->loc, aor);
	uint64_t now = location_now();
	struct le *le;
	size_t n = 0;

	if (!l)
		return 0;
	LIST_FOREACH(l, le)
	{
		const struct binding *b = le->data;
		struct target *t = &tv[n];
		const struct store_peer *p;

		if (n >= max)
			break;
		if (b->expires <= now)
			continue;
		if (b->inside && !session_connected(s, b->hrac)) {
			/* its HRAC is at home on another node: that node
			 * takes it on; or reachable again as soon as its
			 * HRAC reconnects */
			p = home_node(s, b->hrac);
			if (p && node_target(tv, n, msg, p, via))
				n++;
			continue;
		}
		if (b->inside) {
			memset(t, 0, sizeof(*t));
			snprintf(t->ruri, sizeof(t->ruri), "%s", b->contact);
			t->out.inside = true;
			snprintf(t->out.hrac, sizeof(t->out.hrac), "%s",
			         b->hrac);
			t->out.tcp = b->tcp;
			t->addr = b->addr;
		} else if ((p = path_node(s, b))) {
			/* registered through another node: through it, as
			 * its Path would say (RFC 3327); the phone's NAT
			 * lets that node's packets in */
			if (node_target(tv, n, msg, p, via))
				n++;
			continue;
		} else {
			proxy_target_outside(t, b->contact, &b->addr, b->tp);
		}
		n++;
	}
	return n;
}

static bool dialog_creating(const struct pl *met)
{
	return !pl_strcmp(met, "INVITE") || !pl_strcmp(met, "SUBSCRIBE") ||
	       !pl_strcmp(met, "REFER");
}

static void answer_options(struct sipsrv *s, const struct sip_msg *msg)
{
	char hdrs[512];

	snprintf(hdrs, sizeof(hdrs),
	         "%sAccept: application/sdp\r\nSupported: path\r\n", allow_hdr);
	sipsrv_reply(s, msg, 200, "OK", hdrs);
}

/* How a request from @o goes on: its side, its sender, the Route values
 * of ours to drop, and one hop less */
static void fwd_opts_init(struct fwd_opts *fo, const struct origin *o,
                          const struct route_pre *rp, int maxfwd)
{
	memset(fo, 0, sizeof(*fo));
	fo->popped = rp->popped;
	route_iface_of_origin(o, &fo->in);
	fo->party = o->addr;
	fo->tp = o->tp;
	fo->maxfwd = maxfwd < 0 ? SIPFWD_MAXFWD_DEFAULT : maxfwd - 1;
}

/* A request with no To tag: a new transaction, maybe a new dialog */
static void initial(struct sipsrv *s, const struct sip_msg *msg,
                    const struct origin *o, const struct route_pre *rp,
                    int maxfwd)
{
	char ob[96];
	const struct sipsrv_conf *cfg = s->cfg;
	struct target tv[16];
	struct fwd_opts fo;
	char aor[LOC_AOR_MAX];
	bool ours_host, authed;
	size_t n;

	fwd_opts_init(&fo, o, rp, maxfwd);
	fo.record_route = dialog_creating(&msg->met);

	if (!pl_strcmp(&msg->met, "ACK"))
		return; /* an ACK always belongs to something */

	ours_host = sipsrv_domain_ours(s, &msg->uri.host) ||
	            sipsrv_addr_ours(s, &msg->uri);

	if (!pl_strcmp(&msg->met, "REGISTER")) {
		registrar_handle(s, msg, o);
		return;
	}
	if (ours_host && !pl_isset(&msg->uri.user)) {
		if (!pl_strcmp(&msg->met, "OPTIONS"))
			answer_options(s, msg);
		else
			sipsrv_reply(s, msg, 405, "Method Not Allowed",
			             allow_hdr);
		return;
	}

	if (!sipsrv_authorize(s, msg, o, true, &authed))
		return;

	if (!ours_host) {
		/* a foreign domain: only our users, only by the trunk */
		if (!authed || !cfg->outbound) {
			log_re_info("%r from %s to %r refused: %s", &msg->met,
			            route_origin_str(o, ob, sizeof(ob)),
			            &msg->uri.host,
			            authed ? "no --outbound route"
			                   : "relaying for strangers");
			s->st.refused_relay++;
			sipsrv_reply(s, msg, 403, "Relaying Denied", NULL);
			return;
		}
		memset(&tv[0], 0, sizeof(tv[0]));
		re_snprintf(tv[0].ruri, sizeof(tv[0].ruri), "%r", &msg->ruri);
		snprintf(tv[0].route, sizeof(tv[0].route), "%s", cfg->outbound);
		proxy_request(s->px, msg, &fo, tv, 1);
		return;
	}

	/* one of our users: the location service; a Request-URI naming
	 * our address rather than a domain means the first domain */
	if (sipsrv_domain_ours(s, &msg->uri.host))
		re_snprintf(aor, sizeof(aor), "%r@%r", &msg->uri.user,
		            &msg->uri.host);
	else
		re_snprintf(aor, sizeof(aor), "%r@%s", &msg->uri.user,
		            s->domains[0]);
	location_aor_norm(aor);

	n = lookup_targets(
	    s, msg, aor,
	    from_node(s, o, msg) ? store_peer_by_sip(s->store, &o->addr) : NULL,
	    tv, ARRAY_SIZE(tv));
	if (!n) {
		bool known =
		    location_aor_known(s->loc, aor) ||
		    (s->digest && digest_user_known(s->digest, &msg->uri.user));

		log_re_info("%r for %s: %s", &msg->met, aor,
		            known ? "not reachable now (480)"
		                  : "no such user (404)");
		sipsrv_reply(s, msg, known ? 480 : 404,
		             known ? "Temporarily Unavailable" : "Not Found",
		             NULL);
		return;
	}
	if (!pl_strcmp(&msg->met, "INVITE"))
		s->st.calls++;
	proxy_request(s->px, msg, &fo, tv, n);
}

/* A dialog's party may send this request: who it is, and how */
static const char *not_the_party(const struct dialog *d, int k,
                                 const struct iface *in, const struct origin *o,
                                 const struct route_pre *rp)
{
	if (!o->inside && !rp->have_last)
		return "in-dialog but not routed through us";
	if (!d)
		return "in-dialog but no dialog of ours has these tags";
	if (!iface_same(in, &d->party[k].side))
		return "in-dialog from another side than the party's";
	if (!sa_cmp(&o->addr, &d->party[k].addr, SA_ADDR))
		return o->inside ? "in-dialog from another phone than the party"
		                 : "in-dialog from another address than the "
		                   "party's";
	return NULL;
}

/*
 * A request inside a dialog: only from a party of a dialog we recorded,
 * from its side and its address (inside: the phone as its HRAC sees
 * it), and only to the other party, where we recorded it - never where
 * the request says
 */
static void in_dialog(struct sipsrv *s, const struct sip_msg *msg,
                      const struct origin *o, const struct route_pre *rp,
                      int maxfwd)
{
	char ob[96];
	struct target t;
	struct fwd_opts fo;
	bool ack = !pl_strcmp(&msg->met, "ACK");
	const struct dialog_party *to;
	struct dialog *d;
	const char *why;
	int k = 0;

	fwd_opts_init(&fo, o, rp, maxfwd);
	d = dialogs_find(s->dialogs, msg, &k);
	why = not_the_party(d, k, &fo.in, o, rp);
	if (why) {
		if (!ack) {
			log_re_info("%r from %s: %s: 403 (call %r)", &msg->met,
			            route_origin_str(o, ob, sizeof(ob)), why,
			            &msg->callid);
			s->st.refused_relay++;
			sipsrv_reply(s, msg, 403, "Not A Dialog Routed Here",
			             NULL);
		}
		return;
	}

	if (!pl_strcmp(&msg->met, "BYE")) {
		if (s->rat)
			rat_bye(s->rat, msg);
		dialogs_bye(s->dialogs, d);
	} else {
		dialogs_touch(s->dialogs, d);
	}
	/* a target refresh (RFC 3261 §12.2.2): the party's new Contact */
	if (!pl_strcmp(&msg->met, "INVITE") ||
	    !pl_strcmp(&msg->met, "UPDATE")) {
		const struct sip_hdr *c = sip_msg_hdr(msg, SIP_HDR_CONTACT);
		struct sip_addr a;

		if (c && !sip_addr_decode(&a, &c->val))
			dialogs_target(s->dialogs, d, k, &a.auri);
	}

	to = &d->party[1 - k];
	memset(&t, 0, sizeof(t));
	if (to->side.inside) {
		re_snprintf(t.ruri, sizeof(t.ruri), "%r", &msg->ruri);
		t.out = to->side;
		t.addr = to->addr;
	} else {
		char ruri[SIPSRV_URI_MAX];

		re_snprintf(ruri, sizeof(ruri), "%r", &msg->ruri);
		proxy_target_outside(&t, ruri, &to->addr, to->tp);
	}

	if (ack)
		proxy_ack(s->px, msg, &fo, &t);
	else
		proxy_request(s->px, msg, &fo, &t, 1);
}

static bool on_request(const struct sip_msg *msg, void *arg)
{
	struct sipsrv *s = arg;
	struct route_pre rp;
	struct origin o;
	int maxfwd;

	s->st.requests++;
	route_origin(s, msg, &o);

	/* the other nodes carry many parties' requests: not limited as one */
	if (!o.inside && !from_node_addr(s, &o) &&
	    !ratelimit_allow(s->rl, &msg->src, mono_us())) {
		if (s->st.refused_rate++ % 1000 == 0)
			log_re_warn("%J sends more than %u requests/s: refused "
			            "(503)",
			            &msg->src, s->cfg->rate_limit);
		sipsrv_reply(s, msg, 503, "Service Unavailable",
		             "Retry-After: 10\r\n");
		return true;
	}

	if (!validate(s, msg, &maxfwd)) {
		s->st.refused_bad++;
		return true;
	}
	if (maxfwd == 0) {
		if (!pl_strcmp(&msg->met, "OPTIONS") &&
		    sipsrv_addr_ours(s, &msg->uri))
			answer_options(s, msg);
		else
			sipsrv_reply(s, msg, 483, "Too Many Hops", NULL);
		return true;
	}
	if (looping(s, msg)) {
		log_re_info("%r from %J passed us twice: loop (482)", &msg->met,
		            &msg->src);
		sipsrv_reply(s, msg, 482, "Loop Detected", NULL);
		return true;
	}

	route_preprocess(s, msg, &rp);
	if (pl_isset(&msg->to.tag))
		in_dialog(s, msg, &o, &rp, maxfwd);
	else
		initial(s, msg, &o, &rp, maxfwd);
	return true;
}

static bool on_response(const struct sip_msg *msg, void *arg)
{
	struct sipsrv *s = arg;

	s->st.responses++;
	return proxy_stray_response(s->px, msg);
}

static int default_laddr(struct sa *sa)
{
	if (!net_default_source_addr_get(AF_INET, sa) &&
	    sa_isset(sa, SA_ADDR)) {
		sa_set_port(sa, SIP_PORT);
		return 0;
	}
	return sa_set_str(sa, "127.0.0.1", SIP_PORT);
}

static void sipsrv_destructor(void *arg)
{
	struct sipsrv *s = arg;

	mem_deref(s->px);
	mem_deref(s->dialogs);
	mem_deref(s->rat);
	mem_deref(s->lsnr_req);
	mem_deref(s->lsnr_resp);
	if (s->sip) {
		sipsrv_metrics_detach(s);
		sip_close(s->sip, true);
	}
	mem_deref(s->sip);
	mem_deref(s->gw);
	mem_deref(s->ls);
	mem_deref(s->loc);
	mem_deref(s->digest);
	mem_deref(s->rl);
	hash_flush(s->lan_addrs);
	mem_deref(s->lan_addrs);
	mem_deref(s->dnsc);
}

static void setup_dns(struct sipsrv *s)
{
	struct sa ns[4];
	uint32_t n = ARRAY_SIZE(ns);
	char domain[64];

	if (dns_srv_get(domain, sizeof(domain), ns, &n) || !n ||
	    dnsc_alloc(&s->dnsc, NULL, ns, n)) {
		log_warn("no DNS resolver: SIP next hops must be addresses");
		s->dnsc = NULL;
	}
}

int sipsrv_alloc(struct sipsrv **sp, const struct sipsrv_conf *cfg,
                 struct sessions *sessions)
{
	char err[512];
	struct sipsrv *s;
	int e = 0;

	s = mem_zalloc(sizeof(*s), sipsrv_destructor);
	if (!s)
		return ENOMEM;
	s->cfg = cfg;
	s->sessions = sessions;

	for (size_t i = 0; i < cfg->listen.n && i < SIPSRV_LADDR_MAX; i++) {
		if (sa_decode(&s->laddr[i], cfg->listen.v[i],
		              strlen(cfg->listen.v[i]))) {
			log_error("--sip takes ADDR:PORT, not '%s'",
			          cfg->listen.v[i]);
			e = EINVAL;
			goto out;
		}
		s->nladdr++;
	}
	if (!s->nladdr) {
		default_laddr(&s->laddr[0]);
		s->nladdr = 1;
	}
	for (size_t i = 0; i < cfg->domain.n && i < SIPSRV_DOMAIN_MAX; i++)
		snprintf(s->domains[s->ndomains++], sizeof(s->domains[0]), "%s",
		         cfg->domain.v[i]);
	if (!s->ndomains)
		re_snprintf(s->domains[s->ndomains++], sizeof(s->domains[0]),
		            "%j", &s->laddr[0]);

	setup_dns(s);
	e = sip_alloc(&s->sip, s->dnsc, 1024, 1024, 1024, "SoFW HRAS", NULL,
	              NULL);
	if (!e)
		sipsrv_metrics_attach(s);
	for (size_t i = 0; !e && i < s->nladdr; i++) {
		e = sip_transp_add(s->sip, SIP_TRANSP_UDP, &s->laddr[i]);
		e = e ? e
		      : sip_transp_add(s->sip, SIP_TRANSP_TCP, &s->laddr[i]);
		if (e)
			log_re(LL_ERROR, "cannot listen for SIP on %J: %s",
			       &s->laddr[i], strerror(e));
	}
	/* the tunnel gateway passes whole batches of frames at once */
	for (size_t i = 0; !e && i < s->nladdr; i++)
		(void)sockbuf_grow_bound(&s->laddr[i], SIP_RCVBUF);
	e = e ? e : sip_listen(&s->lsnr_req, s->sip, true, on_request, s);
	e = e ? e : sip_listen(&s->lsnr_resp, s->sip, false, on_response, s);
	e = e ? e
	      : lan_gw_alloc(&s->gw, sessions, &s->laddr[0], cfg->max_phones);
	e = e ? e
	      : location_alloc(&s->loc, cfg->max_bindings, cfg->max_contacts,
	                       cfg->state);
	e = e ? e : location_rr_key(s->loc, s->rr_key);
	e = e ? e : proxy_alloc(&s->px, s, cfg->timer_c, cfg->max_transactions);
	e = e ? e
	      : dialogs_alloc(&s->dialogs, cfg->max_dialogs, cfg->dialog_max);
	e = e ? e
	      : ratelimit_alloc(&s->rl, cfg->rate_limit, cfg->rate_burst,
	                        RATE_SLOTS);
	e = e ? e : hash_alloc(&s->lan_addrs, 256);
	if (!e && cfg->users) {
		e = digest_alloc(&s->digest, cfg->users,
		                 cfg->realm ? cfg->realm : s->domains[0],
		                 cfg->nonce_ttl, cfg->digest_algorithms, err,
		                 sizeof(err));
		if (e)
			log_error("users: %s", err);
	}
out:
	if (e) {
		mem_deref(s);
		return e;
	}
	log_re_info("SIP on %J (UDP, TCP) for %s%s%s", &s->laddr[0],
	            s->domains[0], s->ndomains > 1 ? " and more" : "",
	            s->digest ? ", with digest authentication" : "");
	*sp = s;
	return 0;
}

/* The relay every SDP and every call's end goes through */
void sipsrv_use_relay(struct sipsrv *s, struct rat *rat)
{
	mem_deref(s->rat);
	s->rat = mem_ref(rat);
}

/**
 * Listen on @addr too (UDP and TCP), as one of our own addresses: a dead
 * node's, whose dialogs this node took over (callshare.h).  The address
 * need not be here yet (keepalived moves it): that bind needs
 * net.ipv4.ip_nonlocal_bind (net.ipv6.ip_nonlocal_bind).
 *
 * @return 0 (also when it is ours already), E2BIG (SIPSRV_LADDR_MAX
 *         addresses already), or the error of the bind
 */
int sipsrv_listen_add(struct sipsrv *s, const struct sa *addr)
{
	int e;

	for (size_t i = 0; i < s->nladdr; i++) {
		if (sa_cmp(&s->laddr[i], addr, SA_ALL))
			return 0;
	}
	if (s->nladdr == SIPSRV_LADDR_MAX)
		return E2BIG;
	e = sip_transp_add(s->sip, SIP_TRANSP_UDP, addr);
	/* libre keeps a UDP transport it added even when the TCP one
	 * fails: the address is ours then, for UDP */
	if (!e && sip_transp_add(s->sip, SIP_TRANSP_TCP, addr))
		log_re_warn("SIP on %J: UDP only (TCP: cannot listen)", addr);
	if (e)
		return e;
	(void)sockbuf_grow_bound(addr, SIP_RCVBUF);
	s->laddr[s->nladdr++] = *addr;
	log_re_info("SIP on %J too", addr);
	return 0;
}

/* Among several nodes: the location service shared through @st (the
 * store outlives the service) */
int sipsrv_use_store(struct sipsrv *s, struct store *st)
{
	s->store = st;
	if (!store_shared(st))
		return 0;
	return loc_store_alloc(&s->ls, st, s->loc, s->rr_key,
	                       s->cfg->max_bindings);
}

/* Our first SIP address */
const struct sa *sipsrv_laddr(const struct sipsrv *s)
{
	return &s->laddr[0];
}

/* Our SIP address @i, NULL past the last */
const struct sa *sipsrv_laddr_at(const struct sipsrv *s, size_t i)
{
	return i < s->nladdr ? &s->laddr[i] : NULL;
}

/* Add "registrations", "dialogs" and "sip" (the counters) to the report */
int sipsrv_status(struct odict *o, const struct sipsrv *s)
{
	const struct sipsrv_stats *st = &s->st;
	struct odict *c;
	int err;

	err = odict_alloc(&c, 16);
	if (err)
		return err;
	err |= odict_entry_add(c, "requests", ODICT_INT, (int64_t)st->requests);
	err |=
	    odict_entry_add(c, "responses", ODICT_INT, (int64_t)st->responses);
	err |=
	    odict_entry_add(c, "registers", ODICT_INT, (int64_t)st->registers);
	err |= odict_entry_add(c, "calls", ODICT_INT, (int64_t)st->calls);
	err |= odict_entry_add(c, "refused_rate", ODICT_INT,
	                       (int64_t)st->refused_rate);
	err |= odict_entry_add(c, "refused_bad", ODICT_INT,
	                       (int64_t)st->refused_bad);
	err |= odict_entry_add(c, "refused_auth", ODICT_INT,
	                       (int64_t)st->refused_auth);
	err |= odict_entry_add(c, "refused_relay", ODICT_INT,
	                       (int64_t)st->refused_relay);
	err |= odict_entry_add(o, "registrations", ODICT_INT,
	                       (int64_t)location_count(s->loc));
	err |= odict_entry_add(o, "dialogs", ODICT_INT,
	                       (int64_t)dialogs_count(s->dialogs));
	err |= odict_entry_add(o, "sip", ODICT_OBJECT, c);
	mem_deref(c);
	return err;
}

/* A reload's check of a users file, before anything is applied */
int sipsrv_users_check(const char *path, char *err, size_t errsz)
{
	return digest_users_check(path, err, errsz);
}

/* A reload's new rate-limit and rate-burst */
void sipsrv_set_rate(struct sipsrv *s, uint32_t rate, uint32_t burst)
{
	ratelimit_set(s->rl, rate, burst);
}

int sipsrv_reload(struct sipsrv *s, char *err, size_t errsz)
{
	if (!s->digest || !s->cfg->users)
		return 0;
	return digest_reload(s->digest, s->cfg->users, err, errsz);
}
