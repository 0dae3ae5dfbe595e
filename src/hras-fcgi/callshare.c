/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file callshare.c  Media failover: each node's calls in Redis, a dead
 * node's taken over (callshare.h)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include <re.h>
#include "conf.h"
#include "log.h"
#include "mono.h"
#include "quota.h"
#include "hracs.h"
#include "iface.h"
#include "rat.h"
#include "sipsrv.h"
#include "store.h"
#include "callstate.h"
#include "callshare.h"

enum {
	HEADER_MAX = 1024, /* node, relay and the SIP addresses */
};

struct takeover {
	struct callshare *c;
	char id[STORE_NODE_MAX]; /* "": free */
	uint64_t started;        /* mono ms */
	struct tmr expiry;       /* its heartbeat key's, looked at again */
};

struct callshare {
	struct store *st;
	struct callstate *cs;
	struct sipsrv *sip;
	struct sa relay;
	bool shared; /* our key is in Redis */
	struct tmr poll;
	struct takeover tk[CALLSHARE_TAKEOVERS];
	struct takeover own; /* our calls of the last run, from Redis */
	bool own_done;       /* taken up (or not ours): shared from now */
};

/* -- the header ----------------------------------------------------------- */

static int header_write(struct mbuf *mb, const struct callshare *c)
{
	const struct sa *a;
	int e;

	e = mbuf_printf(mb, "node\t%s\nrelay\t%j\nsip", store_node(c->st),
	                &c->relay);
	for (size_t i = 0; !e && (a = sipsrv_laddr_at(c->sip, i)); i++)
		e = mbuf_printf(mb, "\t%J", a);
	return e ? e : mbuf_write_str(mb, "\n");
}

/**
 * The header of a node's calls: its relay address, its SIP addresses
 * (up to @nsip, their number back in it), and where the calls file's
 * text begins (@body, the offset of its "#" line)
 *
 * @return 0, or EINVAL (no relay address, an address that is none, no
 *         calls text after it)
 */
int callshare_header_parse(const char *text, size_t len, struct sa *relay,
                           struct sa *sip, size_t *nsip, size_t *body)
{
	size_t max = *nsip, off = 0;
	bool has_relay = false;

	*nsip = 0;
	while (off < len && text[off] != '#') {
		const char *eol = memchr(text + off, '\n', len - off);
		struct pl line, key, rest;

		if (!eol || eol - (text + off) > HEADER_MAX)
			return EINVAL;
		line.p = text + off;
		line.l = (size_t)(eol - line.p);
		off = (size_t)(eol - text) + 1;
		if (re_regex(line.p, line.l, "[^\t]+[\t]*[^]*", &key, NULL,
		             &rest))
			return EINVAL;
		if (!pl_strcmp(&key, "relay")) {
			if (sa_set(relay, &rest, 0))
				return EINVAL;
			has_relay = true;
		} else if (!pl_strcmp(&key, "sip")) {
			struct pl a;

			while (!re_regex(rest.p, rest.l, "[^\t]+[\t]*", &a,
			                 NULL)) {
				struct sa sa;

				if (sa_decode(&sa, a.p, a.l) || !sa_port(&sa))
					return EINVAL;
				if (*nsip < max)
					sip[(*nsip)++] = sa;
				pl_advance(&rest, (size_t)(a.p + a.l - rest.p));
				while (rest.l && rest.p[0] == '\t')
					pl_advance(&rest, 1);
			}
		} /* "node" and what a later version adds: not needed */
	}
	if (!has_relay || off >= len)
		return EINVAL;
	*body = off;
	return 0;
}

/* -- our calls to Redis --------------------------------------------------- */

static void put_reply(int err, const struct redisReply *r, void *arg)
{
	(void)r;
	(void)arg;
	if (err)
		log_warn("calls not shared in Redis: %s", strerror(err));
}

static void on_snapshot(const char *text, size_t len, bool empty, void *arg)
{
	struct callshare *c = arg;
	const char *me = store_node(c->st);
	struct mbuf *mb;

	if (empty) {
		if (c->shared) {
			(void)store_cmd(c->st, put_reply, c,
			                "DEL sofw:calls:%s", me);
			(void)store_cmd(c->st, put_reply, c,
			                "SREM sofw:callnodes %s", me);
		}
		c->shared = false;
		return;
	}
	mb = mbuf_alloc(len + 256);
	if (!mb || header_write(mb, c) ||
	    mbuf_write_mem(mb, (void *)text, len)) {
		log_error("calls not shared: %s", strerror(ENOMEM));
		mem_deref(mb);
		return;
	}
	(void)store_cmd(c->st, put_reply, c, "SET sofw:calls:%s %b", me,
	                mb->buf, mb->end);
	if (!c->shared)
		(void)store_cmd(c->st, put_reply, c, "SADD sofw:callnodes %s",
		                me);
	c->shared = true;
	mem_deref(mb);
}

/* -- a dead node's calls -------------------------------------------------- */

static struct takeover *tk_find(struct callshare *c, const char *id)
{
	for (size_t i = 0; i < CALLSHARE_TAKEOVERS; i++) {
		if (!strcmp(c->tk[i].id, id))
			return &c->tk[i];
	}
	return NULL;
}

static void tk_end(struct takeover *t)
{
	tmr_cancel(&t->expiry);
	t->id[0] = '\0';
}

static void adopt(struct takeover *t, const char *text, size_t len)
{
	struct callshare *c = t->c;
	struct sa relay, sip[SIPSRV_LADDR_MAX];
	size_t nsip = SIPSRV_LADDR_MAX, body;
	unsigned calls = 0, dialogs = 0;
	int e;

	e = callshare_header_parse(text, len, &relay, sip, &nsip, &body);
	if (e) {
		log_error("node %s: its calls in Redis are not ours to read: "
		          "not taken over",
		          t->id);
		return;
	}
	/* its SIP addresses first: its dialogs' requests come there */
	for (size_t i = 0; i < nsip; i++) {
		e = sipsrv_listen_add(c->sip, &sip[i]);
		if (e)
			log_re_warn("node %s: cannot take SIP on %J: %s", t->id,
			            &sip[i], strerror(e));
	}
	e = callstate_adopt(c->cs, text + body, len - body, &relay, t->id,
	                    &calls, &dialogs);
	if (e) {
		log_error("node %s: calls not taken over: %s", t->id,
		          strerror(e));
		return;
	}
	if (!strcmp(t->id, store_node(c->st)))
		log_info("%u calls and %u dialogs of the last run taken up "
		         "from Redis",
		         calls, dialogs);
	else
		log_re_info("node %s is dead: took over %u calls and %u "
		            "dialogs (relay %j) in %llu ms",
		            t->id, calls, dialogs, &relay,
		            (unsigned long long)(mono_ms() - t->started));
}

static void got_calls(int err, const struct redisReply *r, void *arg)
{
	struct takeover *t = arg;
	struct callshare *c = t->c;

	if (err) {
		/* the claim runs out: this node or another tries again */
		log_warn("node %s: its calls not read: %s", t->id,
		         strerror(err));
		tk_end(t);
		return;
	}
	if (r->type == REDIS_REPLY_STRING)
		adopt(t, r->str, r->len);
	/* ours are written (adopt saved them, the command before these):
	 * its copy goes, whatever became of it */
	(void)store_cmd(c->st, NULL, NULL, "DEL sofw:calls:%s", t->id);
	(void)store_cmd(c->st, NULL, NULL, "SREM sofw:callnodes %s", t->id);
	tk_end(t);
}

static void got_claim(int err, const struct redisReply *r, void *arg)
{
	struct takeover *t = arg;

	if (err || r->type != REDIS_REPLY_STATUS) {
		tk_end(t); /* another node took it, or Redis went */
		return;
	}
	if (store_cmd(t->c->st, got_calls, t, "GET sofw:calls:%s", t->id))
		tk_end(t);
}

static void got_alive(int err, const struct redisReply *r, void *arg);

static void ask_alive(void *arg)
{
	struct takeover *t = arg;

	if (store_cmd(t->c->st, got_alive, t, "PTTL sofw:node:%s", t->id))
		tk_end(t);
}

/* The ms its heartbeat key has left: -2, gone (dead); -1, no expiry (a
 * key not of a heartbeat: alive); else looked at again the moment it
 * runs out, so that the take-over waits for Redis and not a second more */
static void got_alive(int err, const struct redisReply *r, void *arg)
{
	struct takeover *t = arg;
	struct callshare *c = t->c;

	if (err || r->type != REDIS_REPLY_INTEGER || r->integer == -1) {
		tk_end(t); /* alive, or we cannot tell */
		return;
	}
	if (r->integer >= 0) {
		/* a key that outlives the next poll is looked at then; one
		 * that expires sooner is looked at the moment it does, so a
		 * dead node is known when Redis expires its key, not up to
		 * a poll later (a live one has refreshed it by then) */
		if (r->integer > CALLSHARE_POLL_MS)
			tk_end(t);
		else
			tmr_start(&t->expiry, (uint64_t)r->integer + 1,
			          ask_alive, t);
		return;
	}
	log_info("node %s: its heartbeat expired, claiming its calls", t->id);
	if (store_cmd(c->st, got_claim, t, "SET sofw:claim:%s %s NX EX %u",
	              t->id, store_node(c->st), (unsigned)CALLSHARE_CLAIM_S))
		tk_end(t);
}

/* @id may be dead: Redis says whether its heartbeat is gone */
static void check(struct callshare *c, const char *id)
{
	struct takeover *t;

	if (!store_node_id_valid(id) || !strcmp(id, store_node(c->st)) ||
	    tk_find(c, id))
		return;
	t = tk_find(c, "");
	if (!t)
		return; /* the next poll */
	snprintf(t->id, sizeof(t->id), "%s", id);
	t->started = mono_ms();
	ask_alive(t);
}

static void on_peer(const struct store_peer *p, bool up, void *arg)
{
	if (!up)
		check(arg, p->id);
}

static void got_nodes(int err, const struct redisReply *r, void *arg)
{
	struct callshare *c = arg;

	if (err || r->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < r->elements && i < CALLSHARE_NODES; i++) {
		const struct redisReply *el = r->element[i];

		if (el->type == REDIS_REPLY_STRING && el->len < STORE_NODE_MAX)
			check(c, el->str);
	}
}

static void poll_nodes(void *arg)
{
	struct callshare *c = arg;

	tmr_start(&c->poll, CALLSHARE_POLL_MS, poll_nodes, c);
	if (store_up(c->st))
		(void)store_cmd(c->st, got_nodes, c, "SMEMBERS sofw:callnodes");
}

/* -- our own calls of the last run ---------------------------------------- */

/* Shared from now on: what we hold is written at once */
static void own_done(struct callshare *c)
{
	c->own.id[0] = '\0';
	c->own_done = true;
	callstate_share(c->cs, on_snapshot, c);
}

static void got_own(int err, const struct redisReply *r, void *arg)
{
	struct takeover *t = arg;
	struct callshare *c = t->c;

	if (err) {
		t->id[0] = '\0'; /* again when Redis is back */
		return;
	}
	if (r->type == REDIS_REPLY_STRING)
		adopt(t, r->str, r->len);
	(void)store_cmd(c->st, NULL, NULL, "DEL sofw:claim:%s", t->id);
	own_done(c);
}

static void got_own_claim(int err, const struct redisReply *r, void *arg)
{
	struct takeover *t = arg;
	struct callshare *c = t->c;

	if (err) {
		t->id[0] = '\0';
		return;
	}
	if (r->type != REDIS_REPLY_STATUS) {
		/* a survivor is taking them over: they are its */
		log_warn("the calls of the last run are being taken over by "
		         "another node: not taken up");
		own_done(c);
		return;
	}
	if (store_cmd(c->st, got_own, t, "GET sofw:calls:%s", t->id))
		t->id[0] = '\0';
}

/*
 * Redis came: the first time, our calls of the last run are taken up
 * from our key there, unless a survivor took them over (then the key is
 * gone, or claimed): Redis, not the calls file, says whose they are
 */
static void on_conn(bool up, void *arg)
{
	struct callshare *c = arg;
	struct takeover *t = &c->own;

	if (!up || c->own_done || t->id[0])
		return;
	snprintf(t->id, sizeof(t->id), "%s", store_node(c->st));
	t->started = mono_ms();
	if (store_cmd(c->st, got_own_claim, t, "SET sofw:claim:%s %s NX EX %u",
	              t->id, t->id, (unsigned)CALLSHARE_CLAIM_S))
		t->id[0] = '\0';
}

static void callshare_destructor(void *arg)
{
	struct callshare *c = arg;

	tmr_cancel(&c->poll);
	callstate_share(c->cs, NULL, NULL);
	store_cancel(c->st, c);
	store_cancel(c->st, &c->own);
	for (size_t i = 0; i < CALLSHARE_TAKEOVERS; i++) {
		tmr_cancel(&c->tk[i].expiry);
		store_cancel(c->st, &c->tk[i]);
	}
}

/**
 * Share this node's calls (@cs) in the store @st, and take over those of
 * dead nodes
 *
 * @param relay  this node's relay address (--public-ip)
 */
int callshare_alloc(struct callshare **csp, struct store *st,
                    struct callstate *cs, struct sipsrv *sip,
                    const struct sa *relay)
{
	struct callshare *c;
	int e;

	c = mem_zalloc(sizeof(*c), callshare_destructor);
	if (!c)
		return ENOMEM;
	c->st = st;
	c->cs = cs;
	c->sip = sip;
	c->relay = *relay;
	c->shared = true; /* a key of an earlier run goes if there is none */
	for (size_t i = 0; i < CALLSHARE_TAKEOVERS; i++) {
		c->tk[i].c = c;
		tmr_init(&c->tk[i].expiry);
	}
	c->own.c = c;
	tmr_init(&c->own.expiry);
	tmr_init(&c->poll);
	e = store_peer_watch(st, on_peer, c);
	e = e ? e : store_watch(st, on_conn, c);
	if (e) {
		mem_deref(c);
		return e;
	}
	tmr_start(&c->poll, CALLSHARE_POLL_MS, poll_nodes, c);
	*csp = c;
	return 0;
}
