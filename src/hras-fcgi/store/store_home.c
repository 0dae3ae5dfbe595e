/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file store_home.c  Each HRAC's home node: where its tunnel session is
 *
 *   sofw:home:<hrac>   "<hrac>:<node>" for STORE_HOME_TTL_S, refreshed
 *                      while the session is up on that node
 *   sofw:home          "<hrac>:<node>" when an HRAC settles on a node
 *
 * Every node keeps the homes it heard of (bounded), so that the SIP
 * service finds an inside phone's node without a round trip; it reads
 * them all when the store comes.  A home on a node that is gone is
 * forgotten with it; the HRAC's next session, on another node, announces
 * its new home.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "log.h"
#include "mono.h"
#include "store.h"
#include "store_priv.h"

#define HOME_CHANNEL "sofw:home"

struct home {
	struct le he;
	char id[STORE_HRAC_MAX];
	char node[STORE_NODE_MAX];
	uint64_t refreshed; /* mono ms; this node's homes only */
};

static bool id_cmp(struct le *le, void *arg)
{
	const struct home *h = le->data;

	return !strcmp(h->id, arg);
}

static struct home *find(const struct store *s, const char *id)
{
	struct le *le =
	    hash_lookup(s->homes, hash_joaat_str(id), id_cmp, (void *)id);

	return le ? le->data : NULL;
}

static void home_destructor(void *arg)
{
	struct home *h = arg;

	hash_unlink(&h->he);
}

static bool id_ok(const char *id)
{
	size_t n = strlen(id);

	return n && n < STORE_HRAC_MAX && !strpbrk(id, " \t\r\n:");
}

/* Remember @id's home; @return it, or NULL when full or malformed */
static struct home *remember(struct store *s, const char *id, const char *node)
{
	struct home *h;

	if (!id_ok(id) || !store_node_id_valid(node))
		return NULL;
	h = find(s, id);
	if (!h) {
		if (s->nhomes >= STORE_HOMES) {
			log_debug("store: home of %s not kept: %u known", id,
			          (unsigned)STORE_HOMES);
			return NULL;
		}
		h = mem_zalloc(sizeof(*h), home_destructor);
		if (!h)
			return NULL;
		snprintf(h->id, sizeof(h->id), "%s", id);
		hash_append(s->homes, hash_joaat_str(h->id), &h->he, h);
		s->nhomes++;
	}
	snprintf(h->node, sizeof(h->node), "%s", node);
	return h;
}

static void forget(struct store *s, struct home *h)
{
	mem_deref(h);
	s->nhomes--;
}

static void write_home(struct store *s, struct home *h)
{
	h->refreshed = mono_ms();
	(void)store_cmd(s, NULL, NULL, "SET sofw:home:%s %s:%s EX %u", h->id,
	                h->id, s->node, (unsigned)STORE_HOME_TTL_S);
}

/**
 * HRAC @id's session is up on this node: its home is here
 */
void store_home_set(struct store *s, const char *id)
{
	struct home *h;

	if (!store_shared(s))
		return;
	h = find(s, id);
	if (h && !strcmp(h->node, s->node))
		return; /* already; the tick refreshes it */
	h = remember(s, id, s->node);
	if (!h)
		return;
	write_home(s, h);
	(void)store_cmd(s, NULL, NULL, "PUBLISH " HOME_CHANNEL " %s:%s", id,
	                s->node);
	log_info("store: HRAC %s is at home on this node", id);
}

/* The node HRAC @id is at home on, as last heard; NULL: unknown */
const char *store_home_of(const struct store *s, const char *id)
{
	const struct home *h = store_shared(s) ? find(s, id) : NULL;

	return h ? h->node : NULL;
}

struct tick_arg {
	struct store *s;
	store_alive_h *alive;
	void *arg;
	uint64_t now;
};

static bool tick_one(struct le *le, void *arg)
{
	struct home *h = le->data;
	struct tick_arg *t = arg;

	if (strcmp(h->node, t->s->node))
		return false;
	if (!t->alive(h->id, t->arg)) {
		/* the key expires by itself: another node may own it now */
		forget(t->s, h);
		return false;
	}
	if (t->now - h->refreshed >= STORE_HOME_TTL_S * 1000u / 3)
		write_home(t->s, h);
	return false;
}

/**
 * Once a second: this node's homes whose session is still up (@alive)
 * are refreshed, the others forgotten
 */
void store_home_tick(struct store *s, store_alive_h *alive, void *arg)
{
	struct tick_arg t = { s, alive, arg, mono_ms() };

	if (store_up(s))
		(void)hash_apply(s->homes, tick_one, &t);
}

/* "<hrac>:<node>", on the channel or as a key's value */
static void heard(const char *msg, size_t len, void *arg)
{
	struct store *s = arg;
	char buf[STORE_HRAC_MAX + STORE_NODE_MAX + 2], *node;

	if (len >= sizeof(buf))
		return;
	memcpy(buf, msg, len);
	buf[len] = '\0';
	node = strrchr(buf, ':');
	if (!node)
		return;
	*node++ = '\0';
	/* this node's own homes are what its sessions say */
	if (strcmp(node, s->node))
		(void)remember(s, buf, node);
}

static void on_channel(const char *channel, const char *msg, size_t len,
                       void *arg)
{
	heard(msg, len, arg);
}

struct gone {
	struct store *s;
	const char *node;
};

static bool forget_on(struct le *le, void *arg)
{
	struct home *h = le->data;
	struct gone *g = arg;

	if (!strcmp(h->node, g->node))
		forget(g->s, h);
	return false;
}

static void on_peer(const struct store_peer *p, bool up, void *arg)
{
	struct gone g = { arg, p->id };

	/* its HRACs are elsewhere now, or nowhere */
	if (!up)
		(void)hash_apply(g.s->homes, forget_on, &g);
}

/* This node's homes written again (Redis may have lost them); every
 * node's read */
static bool rewrite(struct le *le, void *arg)
{
	struct home *h = le->data;
	struct store *s = arg;

	if (!strcmp(h->node, s->node))
		write_home(s, h);
	return false;
}

static void on_conn(bool up, void *arg)
{
	struct store *s = arg;

	if (!up)
		return;
	(void)hash_apply(s->homes, rewrite, s);
	(void)store_load(s, "sofw:home:*", STORE_HOMES, heard, NULL, s);
}

int store_home_start(struct store *s)
{
	int e = hash_alloc(&s->homes, 1024);

	e = e ? e : store_subscribe(s, HOME_CHANNEL, on_channel, s);
	e = e ? e : store_peer_watch(s, on_peer, s);
	e = e ? e : store_watch(s, on_conn, s);
	return e;
}

void store_home_stop(struct store *s)
{
	hash_flush(s->homes);
	s->homes = mem_deref(s->homes);
	s->nhomes = 0;
}
