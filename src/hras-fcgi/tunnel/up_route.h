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
 * The send itself comes after the session lock, not under it: a chunk
 * of an up stream carries the frames of many calls, and a system call
 * for each under the lock held the loop thread's down path (which takes
 * the same lock) for the whole chunk, so the workers looked frames up
 * and the loop waited (seen in a profile at 600 calls: a tenth of
 * hras-fcgi's time in futex waits, wakes and the switches they made).
 * A worker now takes a chunk's frames into a batch under the session
 * lock (up_route_take), then holds the session's route lock for reading
 * and sends them (up_route_send_batch).  The loop, before a socket a
 * route named may close, takes that lock for writing once (withdraw, or
 * a route moved to another socket), so a descriptor a batch holds is
 * still the route's when it is used.
 *
 * Bounded: one route per inside leg and kind, so the relay's call limits
 * bound a session's routes; a batch holds UP_ROUTE_BATCH frames, and
 * the frames after those go out at once, under the lock, as before.
 */

enum {
	UP_ROUTE_BUCKETS = 64, /* a session's table at first (libre hash) */
	UP_ROUTE_BUCKETS_MAX = 4096, /* grown x4 past 2 routes a bucket */
	UP_ROUTE_BATCH = 128,        /* a chunk's frames (UP_CHUNK / 128 B) */
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

/* A chunk's frames that routes took, sent after the session lock */
struct up_route_batch {
	const uint8_t *lo, *hi; /* where payloads stay until the send */
	unsigned n;
	struct {
		struct up_route *rt; /* alive while the route lock is held */
		int fd;
		struct sa dst;
		const uint8_t *payload;
		size_t len;
	} v[UP_ROUTE_BATCH];
};

int up_route_publish(struct up_route **rp, struct session *ss,
                     const struct up_route_spec *spec,
                     const _Atomic uint64_t *gen, struct up_route_counts *c);
void up_route_withdraw(struct up_route **rp, struct up_route_counts *c);
void up_route_fold(struct up_route *rt, struct up_route_counts *c);
bool up_route_take(struct session *s, const struct frame *f, uint64_t now_ms,
                   struct up_route_batch *b);
void up_route_hold(struct session *s, const struct up_route_batch *b);
void up_route_send_batch(struct session *s, struct up_route_batch *b);
