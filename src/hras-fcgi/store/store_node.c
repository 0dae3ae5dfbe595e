/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file store_node.c  The nodes: this one's heartbeat, the others as heard
 *
 * Every STORE_NODE_BEAT_MS each node sets sofw:node:<id> to "<sip> <relay>
 * <started>" for STORE_NODE_TTL_MS milliseconds (whoever reads Redis sees the
 * live nodes) and publishes "<id>:<sip> <relay> <started>" on sofw:nodes (the
 * others learn of it without polling).  A node not heard of for
 * STORE_NODE_DEAD_MS is dead:
 * its watchers are told, but only while this node's own store has been
 * up that long (a node that lost Redis has heard nobody, and must not
 * call everyone dead).  A node heard with another start time restarted:
 * told down, then up.  "-" stands for a value a node has not.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "log.h"
#include "mono.h"
#include "store.h"
#include "store_priv.h"

#define NODES_CHANNEL "sofw:nodes"

static const char *or_dash(const char *v)
{
	return v[0] ? v : "-";
}

static void tell(struct store *s, const struct store_peer *p, bool up)
{
	log_info("store: node %s %s (SIP %s, relay %s)", p->id,
	         up ? "is up" : "is gone", or_dash(p->sip), or_dash(p->relay));
	for (size_t i = 0; i < s->npeer_watchers; i++)
		s->peer_watchers[i].h(p, up, s->peer_watchers[i].arg);
}

static void beat_send(struct store *s)
{
	char v[3 * STORE_HOST_MAX];

	if (!s->up)
		return;
	snprintf(v, sizeof(v), "%s %s %llu", or_dash(s->node_sip),
	         or_dash(s->relay), (unsigned long long)s->started);
	(void)store_cmd(s, NULL, NULL, "SET sofw:node:%s %s PX %u", s->node, v,
	                (unsigned)STORE_NODE_TTL_MS);
	(void)store_cmd(s, NULL, NULL, "PUBLISH " NODES_CHANNEL " %s:%s",
	                s->node, v);
}

static void peer_remove(struct store *s, size_t i)
{
	struct store_peer p = s->peers[i].p;

	s->peers[i] = s->peers[--s->npeers];
	tell(s, &p, false);
}

static void expire(struct store *s)
{
	uint64_t now = mono_ms();

	if (!s->up || now - s->up_since < STORE_NODE_DEAD_MS)
		return;
	for (size_t i = 0; i < s->npeers;) {
		if (now - s->peers[i].seen > STORE_NODE_DEAD_MS)
			peer_remove(s, i);
		else
			i++;
	}
}

/* Twice a beat: a dead node is told within STORE_NODE_DEAD_MS + half a
 * beat of its last */
static void on_beat(void *arg)
{
	struct store *s = arg;

	tmr_start(&s->beat, STORE_NODE_BEAT_MS / 2, on_beat, s);
	if (++s->half_beats % 2)
		beat_send(s);
	expire(s);
}

static void field(char *dst, size_t size, const struct pl *v)
{
	if (!pl_strcmp(v, "-"))
		dst[0] = '\0';
	else
		(void)pl_strcpy(v, dst, size);
}

/* "<id>:<sip> <relay> <started>" */
static int parse(struct store_peer *p, const char *msg, size_t len)
{
	struct pl id, sip, relay, started;

	memset(p, 0, sizeof(*p));
	if (re_regex(msg, len, "[^:]+:[^ ]+ [^ ]+ [0-9]+", &id, &sip, &relay,
	             &started) ||
	    id.l >= sizeof(p->id) || sip.l >= sizeof(p->sip) ||
	    relay.l >= sizeof(p->relay))
		return EBADMSG;
	(void)pl_strcpy(&id, p->id, sizeof(p->id));
	if (!store_node_id_valid(p->id))
		return EBADMSG;
	field(p->sip, sizeof(p->sip), &sip);
	field(p->relay, sizeof(p->relay), &relay);
	p->started = pl_u64(&started);
	return 0;
}

static struct store_peer_ent *find(const struct store *s, const char *id)
{
	for (size_t i = 0; i < s->npeers; i++)
		if (!strcmp(s->peers[i].p.id, id))
			return (struct store_peer_ent *)&s->peers[i];
	return NULL;
}

static void on_nodes(const char *channel, const char *msg, size_t len,
                     void *arg)
{
	struct store *s = arg;
	struct store_peer_ent *e;
	struct store_peer p;

	if (parse(&p, msg, len)) {
		log_debug("store: a malformed heartbeat on " NODES_CHANNEL);
		return;
	}
	if (!strcmp(p.id, s->node))
		return;
	e = find(s, p.id);
	if (e && e->p.started != p.started) {
		/* it restarted: what it had is gone */
		peer_remove(s, (size_t)(e - s->peers));
		e = NULL;
	}
	if (!e) {
		if (s->npeers >= STORE_PEERS) {
			log_debug("store: node %s not kept: %u nodes known",
			          p.id, (unsigned)STORE_PEERS);
			return;
		}
		e = &s->peers[s->npeers++];
		e->p = p;
		e->seen = mono_ms();
		tell(s, &e->p, true);
		return;
	}
	e->p = p;
	e->seen = mono_ms();
}

/* The store came or went: on coming, every node counts as heard now */
void store_node_conn(struct store *s, bool up)
{
	uint64_t now = mono_ms();

	if (!up)
		return;
	for (size_t i = 0; i < s->npeers; i++)
		s->peers[i].seen = now;
	beat_send(s);
}

int store_node_start(struct store *s)
{
	int e = store_subscribe(s, NODES_CHANNEL, on_nodes, s);

	if (e)
		return e;
	tmr_start(&s->beat, STORE_NODE_BEAT_MS, on_beat, s);
	return 0;
}

void store_node_stop(struct store *s)
{
	tmr_cancel(&s->beat);
}

/* This node's relay address, for the heartbeat (e.g. a floating IP) */
void store_set_relay(struct store *s, const char *relay)
{
	if (s)
		snprintf(s->relay, sizeof(s->relay), "%s", relay ? relay : "");
}

/* Be told when a node comes or goes */
int store_peer_watch(struct store *s, store_peer_h *peerh, void *arg)
{
	if (!store_shared(s))
		return ENOTSUP;
	if (s->npeer_watchers >= STORE_WATCHERS)
		return ENOSPC;
	s->peer_watchers[s->npeer_watchers].h = peerh;
	s->peer_watchers[s->npeer_watchers].arg = arg;
	s->npeer_watchers++;
	return 0;
}

const struct store_peer *store_peer_find(const struct store *s, const char *id)
{
	const struct store_peer_ent *e = s ? find(s, id) : NULL;

	return e ? &e->p : NULL;
}

/* The live node whose --node-sip address is @addr's (the port aside: a
 * TCP connection comes from any) */
const struct store_peer *store_peer_by_sip(const struct store *s,
                                           const struct sa *addr)
{
	for (size_t i = 0; s && i < s->npeers; i++) {
		struct sa sa;

		if (!s->peers[i].p.sip[0] ||
		    sa_decode(&sa, s->peers[i].p.sip,
		              strlen(s->peers[i].p.sip)))
			continue;
		if (sa_cmp(&sa, addr, SA_ADDR))
			return &s->peers[i].p;
	}
	return NULL;
}

/* The nodes known (this one aside): up to @max into @v */
size_t store_peers(const struct store *s, const struct store_peer **v,
                   size_t max)
{
	size_t n = 0;

	for (size_t i = 0; s && i < s->npeers && n < max; i++)
		v[n++] = &s->peers[i].p;
	return n;
}
