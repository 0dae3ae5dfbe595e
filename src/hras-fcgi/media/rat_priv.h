/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file rat_priv.h  The Relay Agent Table inside: what rat.c (entries,
 * SDP, life), relay.c (ports and packets) and rat_status.c share
 *
 * An entry (a call) has up to STREAMS_MAX streams (its m= lines); a
 * stream has two legs, one per side; a leg has our relay port facing its
 * party and what we know of that party (its SDP address, where its
 * packets come from once latched).  Loop thread only.
 */

enum {
	STREAMS_MAX = SDP_RW_MEDIA_MAX,
	RAT_CALLID_MAX = 256,
	RAT_TAG_MAX = 128,
};

struct rat_stats {
	uint32_t calls, streams, ports; /* now */
	uint64_t calls_total;
	uint64_t pkts, bytes, drops_stranger, drops_nopeer, drops_tunnel;
	uint64_t drops_nocall; /* an HRAC's frame for a port of no call */
	uint64_t rx_reads;     /* reads of relay ports that got packets */
	uint64_t reads_woken;  /* passes over relay ports: woken by a packet */
	uint64_t reads_window; /* or at a relay window's end */
	uint64_t routed;       /* of pkts, sent by workers (up_route.h) */
	uint64_t refused_sdp, refused_quota;
};

struct rat_leg;
struct up_route;

/* Which leg and which of its two sockets a packet came to */
struct relay_sock {
	struct rat_leg *leg;
	int i;        /* 0 RTP, 1 RTCP */
	struct le he; /* with a relay window: in rat->by_fd */
};

struct rat_leg {
	struct rat_stream *st;
	int k; /* 0: the caller's side, 1: the callee's */
	struct iface side;
	uint16_t port; /* ours facing this party; 0: none */
	int fd[2];     /* outside: our relay sockets; -1: none (mmsg.h) */
	struct relay_sock rs[2];
	bool has_peer; /* its SDP gave an address (not hold) */
	struct sa peer[2];
	struct sa sig; /* where its signalling comes from (inside: the
	                  phone as its HRAC sees it) */
	bool is_latched[2];
	struct sa latched[2];
	struct le he;       /* inside: in rat->by_port */
	struct session *ss; /* inside: the HRAC's, referenced */
	struct list held;   /* packets that came before its SDP (relay.c) */
	struct up_route *route[2]; /* inside: its way out (relay_route.c) */
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
	char party[QUOTA_KEY_MAX]; /* who set it up, in the quotas */
	char callid[RAT_CALLID_MAX];
	char ftag[RAT_TAG_MAX]; /* the caller's */
	char ttag[RAT_TAG_MAX]; /* the callee's, once answered */
	struct iface side[2];
	struct rat_stream *st[STREAMS_MAX];
	size_t nst;
	bool established;
	bool adopted; /* taken over from a dead node: relays on its address
	                 (relay), its ports not in our pool */
	struct sa relay;
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

struct relay_batch;
struct read_hold;
struct coalesce;

struct rat {
	struct sessions *sessions;
	struct list entries;
	struct hash *by_callid;
	struct hash *by_port; /* inside legs, by HRAC and port */
	struct hash *hracs;   /* struct hrac_media */
	struct portpool *pool;
	struct sa public_ip, bind;
	uint64_t timeout;    /* ms */
	uint64_t unanswered; /* ms an unanswered entry may live */
	struct tmr sweep;
	struct quota *q_source, *q_site; /* calls per party */
	struct rat_stats st;
	struct mmsg_rx *rx;     /* where relay ports are read (mmsg.h) */
	struct relay_batch *tb; /* a read's frames for tunnels (relay.c) */
	/* --relay-window-us (relay.c): the outside ports read together */
	uint32_t window_us;   /* 0: none, the loop watches each socket */
	struct read_hold *rh; /* the outside ports' sockets */
	struct coalesce *win; /* the window's end */
	struct hash *by_fd;   /* struct relay_sock, by descriptor */
	uint64_t last_down;   /* us: the last pass that sent down a tunnel */
	uint64_t pass_down;   /* frames this pass sent down tunnels */
	_Atomic uint64_t route_gen; /* routes of an older one are void */
	rat_change_h *changeh;      /* what a restart must keep changed */
	void *change_arg;
};

const char *rat_side_name(const struct iface *f, char *buf, size_t sz);
struct rat_entry *rat_entry_new(struct rat *r, const char *callid,
                                const char *ftag, const struct iface side[2],
                                const char *party);
struct rat_stream *rat_stream_new(struct rat_entry *e, unsigned idx);
void rat_changed(struct rat *r);
int rat_leg_restore(struct rat *r, struct rat_leg *l, uint16_t port);
const struct sa *rat_entry_bind(const struct rat *r, const struct rat_entry *e);
struct hrac_media *rat_hrac_find(struct rat *r, const char *hrac);
int rat_leg_open(struct rat *r, struct rat_leg *l);
int relay_batch_alloc(struct relay_batch **bp);
int relay_window_alloc(struct rat *r, uint32_t window_us);
void relay_window_free(struct rat *r);
void rat_leg_close(struct rat *r, struct rat_leg *l);
void rat_leg_tell_peer(struct rat *r, struct rat_leg *l);
void rat_leg_release(struct rat *r, struct rat_leg *l);
void rat_route_publish(struct rat *r, struct session *ss, struct rat_leg *l,
                       int i);
void rat_route_withdraw(struct rat_leg *l);
void rat_routes_fold(struct rat *r);
void rat_routes_stale(struct rat *r);
