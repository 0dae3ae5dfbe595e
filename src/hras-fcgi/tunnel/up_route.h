/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file up_route.h  A call's media, sent on by the worker that reads it
 *
 * A media frame up a tunnel used to take the loop thread: the worker that
 * read it put it in the inbox and rang the doorbell, the loop woke, read
 * the doorbell, found the call and sent the packet.  Once a call's way
 * out is settled (the inside leg latched to its phone, the outside leg's
 * party known, its socket open), the loop publishes it in the HRAC's
 * session as a route: for a relay port and RTP or RTCP, the phone address
 * the frames must name, and the socket and address they go to.  The
 * worker then sends such a frame itself, under the session lock, and
 * counts it in the route; the loop folds the counts into the call's.
 *
 * Where a packet goes stays the loop's decision, taken from authenticated
 * state (the latching, the SDP): a route serves only frames of its
 * session, for its port, from its latched phone, and only while its
 * generation is the relay's, which the loop bumps on every change to the
 * relay's state (latching, SDP, calls coming and going).  The first frame
 * after a change goes the loop's way, which publishes the route anew.
 * The loop withdraws a route, under the session lock, before it closes
 * the socket the route names, so a worker never sends on a descriptor
 * that may have been reused.
 *
 * Bounded: one route per inside leg and kind, so the relay's call limits
 * bound a session's routes.
 */

enum {
	UP_ROUTE_BUCKETS = 64, /* a session's table (libre hash) */
};

/* What a route carried since the loop last looked */
struct up_route_counts {
	uint64_t pkts, bytes, drops;
	uint64_t last_ms; /* mono ms of the last packet; 0: none */
};

/* What the loop decided: see above */
struct up_route_spec {
	uint16_t relay_port;
	bool rtcp;
	struct sa src; /* the phone, as its HRAC sees it */
	int fd;        /* our outside relay socket (the loop's) */
	struct sa dst; /* the outside party */
	uint64_t gen;  /* the relay's generation when decided */
};

struct session;
struct up_route;

int up_route_publish(struct up_route **rp, struct session *ss,
                     const struct up_route_spec *spec,
                     const _Atomic uint64_t *gen, struct up_route_counts *c);
void up_route_withdraw(struct up_route **rp, struct up_route_counts *c);
void up_route_fold(struct up_route *rt, struct up_route_counts *c);
bool up_route_send(struct session *s, const struct frame *f, uint64_t now_ms);
