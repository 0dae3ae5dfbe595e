/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file callshare.h  Media failover: the calls of each node in Redis, and
 * a dead node's taken over by a survivor
 *
 * In the manner of rtpengine's Redis redundancy.  With a shared store,
 * each node writes every snapshot of its calls (callstate.h: the relay's
 * established calls and the confirmed dialogs, the calls file's very
 * text) to Redis under its node id, after a header saying where that
 * node relays and takes SIP:
 *
 *   sofw:calls:<node>   "node ID\nrelay ADDR\nsip ADDR:PORT...\n" + text
 *   sofw:callnodes      the set of the nodes that have such a key
 *   sofw:claim:<node>   who takes over that dead node (SET NX EX 10)
 *
 * A node with no call and no dialog deletes its key.  Each node looks
 * for dead ones: when the store tells that a node is gone, and once a
 * second over sofw:callnodes (a node that died before this one came up,
 * or whose survivor died in the middle).  A node is dead when its
 * heartbeat key sofw:node:<id> has expired in Redis (store.h): that
 * alone decides, never a node's own view of the heartbeats.  The first
 * survivor whose claim Redis accepts takes its calls up into its relay
 * (bound on the dead node's relay address: that address moves to it,
 * keepalived's floating IP, so the parties' media comes on), listens
 * for SIP on its SIP addresses (the in-dialog requests, BYE), writes
 * its own snapshot and only then deletes the dead node's.  The HRACs of
 * those calls reopen their sessions on a survivor (nginx); their ports
 * are opened again when they say them (rat_hrac_media), or at once when
 * they already have.
 *
 * A node's own calls of its last run are taken up the same way, from its
 * key, once Redis is first there (claiming itself: a survivor taking it
 * over at that moment wins), and not from its calls file: whose calls
 * they are is Redis's to say.  Its snapshots go to Redis from then on.
 *
 * Loop thread only.
 */

enum {
	CALLSHARE_POLL_MS = 500, /* the look for dead nodes */
	CALLSHARE_CLAIM_S = 10,  /* a claim outlives a take-over */
	CALLSHARE_TAKEOVERS = 4, /* at once */
	CALLSHARE_NODES = 64,    /* looked at per poll */
};

struct callshare;
struct callstate;
struct sipsrv;
struct store;
struct sa;

int callshare_alloc(struct callshare **csp, struct store *st,
                    struct callstate *cs, struct sipsrv *sip,
                    const struct sa *relay);
int callshare_header_parse(const char *text, size_t len, struct sa *relay,
                           struct sa *sip, size_t *nsip, size_t *body);
