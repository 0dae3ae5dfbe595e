/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file relay.c  The relay's ports and packets: legs, HRACs' media ports,
 * forwarding with latching
 *
 * An outside leg has a pair of HRAS UDP ports on --public-ip; an inside
 * leg a pair of its HRAC's ports, which the HRAC opens and closes when
 * told by control frames.  A packet from a leg's party goes to the other
 * leg: to its party's address (latched when outside), or down its HRAC's
 * tunnel as an RTP/RTCP frame naming the HRAC port.
 *
 * Each outside socket is read with recvmmsg, all that waits in one read
 * (mmsg.h).  With a relay window (--relay-window-us), the outside
 * sockets are read together (read_hold.h): while the relay is busy (a
 * pass sent down a tunnel less than the window ago) they wake nobody,
 * and the window's end reads every one of them, so the HRACs' down
 * streams get one batch per window and the loop one wake-up, not one per
 * packet.  An idle relay's packet is read at once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "quota.h"
#include "hracs.h"
#include "session.h"
#include "iface.h"
#include "sdp_rw.h"
#include "portpool.h"
#include "rat.h"
#include "rat_priv.h"
#include "mmsg.h"
#include "coalesce.h"
#include "read_hold.h"

enum {
	BIND_TRIES = 16, /* relay ports another program holds */
	HELD_MAX = 8,    /* packets a leg holds before its SDP */
	HELD_MS = 200,   /* and for how long at most */
};

/*
 * A packet that reached a leg before the SDP naming its party did.  The
 * answering phone sends its first packets with its 200 OK; the 200 goes
 * through the SIP stack (an inside phone's by the gateway's loopback
 * socket, a loop turn later), its packets straight here.  They are held
 * a moment and relayed if the SDP then names their source: nobody else's
 * packets are ever relayed.
 */
struct held_pkt {
	struct le le;
	struct sa src;
	int i;       /* 0 RTP, 1 RTCP */
	uint64_t at; /* ms */
	size_t len;
	uint8_t data[];
};

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

struct hrac_media *rat_hrac_find(struct rat *r, const char *hrac)
{
	struct le *le =
	    hash_lookup(r->hracs, hash_joaat_str(hrac), hm_cmp, (void *)hrac);

	return le ? le->data : NULL;
}

static void control_send(struct rat *r, const char *hrac, const char *text)
{
	struct session *ss = sessions_find_id(r->sessions, hrac);
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

static bool reopen_one(struct le *le, void *arg);
static void relay_readable(int flags, void *arg);

/* Close our relay sockets of an outside leg */
static void close_pair(struct rat_leg *l)
{
	struct rat *r = l->st->e->r;

	for (int i = 0; i < 2; i++) {
		if (l->fd[i] < 0)
			continue;
		if (r->rh) {
			read_hold_del(r->rh, l->fd[i]);
			hash_unlink(&l->rs[i].he);
		} else {
			fd_close(l->fd[i]);
		}
		(void)close(l->fd[i]);
		l->fd[i] = -1;
	}
}

/* Watch an outside leg's socket: by itself, or with the others */
static int sock_watch(struct rat *r, struct rat_leg *l, int i)
{
	int e;

	if (!r->rh)
		return fd_listen(l->fd[i], FD_READ, relay_readable, &l->rs[i]);
	e = read_hold_add(r->rh, l->fd[i], (uint64_t)l->fd[i]);
	if (!e)
		hash_append(r->by_fd, (uint32_t)l->fd[i], &l->rs[i].he,
		            &l->rs[i]);
	return e;
}

/* Our relay sockets on @port and @port + 1 for an outside leg */
static int bind_pair(struct rat *r, struct rat_leg *l, uint16_t port)
{
	int e = 0;

	for (int i = 0; i < 2 && !e; i++) {
		struct sa a = *rat_entry_bind(r, l->st->e);

		sa_set_port(&a, port + i);
		e = mmsg_bind(&l->fd[i], &a);
		if (!e) {
			e = sock_watch(r, l, i);
			if (e) {
				(void)close(l->fd[i]);
				l->fd[i] = -1;
			}
		}
	}
	if (e) {
		close_pair(l);
		return e;
	}
	l->port = port;
	r->st.ports += 2;
	return 0;
}

static int leg_open_outside(struct rat *r, struct rat_leg *l)
{
	for (int n = 0; n < BIND_TRIES; n++) {
		uint16_t port;
		int e = portpool_take(r->pool, &port);

		if (e)
			return e;
		e = bind_pair(r, l, port);
		if (!e)
			return 0;
		if (e != EADDRINUSE) {
			/* out of descriptors, say: the port is not to blame */
			portpool_give(r->pool, port);
			return e;
		}
		/* held by another program: leave it taken, try the next */
		log_debug("relay port %u: %s", port, strerror(e));
	}
	return EADDRINUSE;
}

/*
 * Tell the HRAC which phone an inside leg's port serves: "media-peer
 * PORT SIG-IP MEDIA-IP", the addresses its signalling and its SDP name.
 * The HRAC takes packets on that port from those addresses only, and
 * sends to them only.
 */
void rat_leg_tell_peer(struct rat *r, struct rat_leg *l)
{
	char text[160];

	if (!l->side.inside || !l->port || !l->has_peer)
		return;
	re_snprintf(text, sizeof(text), "media-peer %u %j %j", l->port, &l->sig,
	            &l->peer[0]);
	control_send(r, l->side.hrac, text);
}

static int leg_open_inside(struct rat *r, struct rat_leg *l)
{
	struct hrac_media *hm = rat_hrac_find(r, l->side.hrac);
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

/*
 * After a restart: the leg's port again, the very one its party knows
 * (outside: bound anew; inside: its HRAC is told to open it when it
 * says its media ports, rat_hrac_media)
 */
int rat_leg_restore(struct rat *r, struct rat_leg *l, uint16_t port)
{
	int e;

	if (l->side.inside) {
		struct hrac_media *hm = rat_hrac_find(r, l->side.hrac);

		if (hm && portpool_mark(hm->pool, port))
			return EADDRINUSE;
		l->port = port;
		r->st.ports += 2;
		hash_append(r->by_port, port_key(l->side.hrac, port), &l->he,
		            l);
		/* a call taken over from a dead node: its HRAC may be here
		 * already (told again whenever it says its ports) */
		if (hm)
			reopen_one(&l->he, hm);
		return 0;
	}
	if (l->st->e->adopted)
		return bind_pair(r, l, port); /* the dead node's port */
	e = portpool_mark(r->pool, port);
	if (e)
		return e == EALREADY ? EADDRINUSE : e;
	e = bind_pair(r, l, port);
	if (e)
		portpool_give(r->pool, port);
	return e;
}

/* Our relay port facing the leg's party */
int rat_leg_open(struct rat *r, struct rat_leg *l)
{
	return l->side.inside ? leg_open_inside(r, l) : leg_open_outside(r, l);
}

void rat_leg_close(struct rat *r, struct rat_leg *l)
{
	/* no worker sends on its sockets, nor for its port, from now */
	rat_route_withdraw(l);
	list_flush(&l->held);
	if (!l->port)
		return;
	if (l->side.inside) {
		struct hrac_media *hm = rat_hrac_find(r, l->side.hrac);
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
		close_pair(l);
		if (!l->st->e->adopted) /* a dead node's port: not our pool's */
			portpool_give(r->pool, l->port);
		r->st.ports -= 2;
	}
	l->port = 0;
}

/* -- packets -------------------------------------------------------------- */

/*
 * A relay read's packets for HRACs' tunnels, queued when the read ends
 * under one session lock per leg (session_send_batch), not one lock per
 * packet.  Loop thread, within relay_readable() only: the packets stay
 * in the read's buffers (mmsg.h) until then.
 */
struct relay_batch {
	bool on;
	size_t n;
	struct rat_leg *to[MMSG_BATCH];
	struct frame f[MMSG_BATCH];
	int err[MMSG_BATCH];
};

int relay_batch_alloc(struct relay_batch **bp)
{
	*bp = mem_zalloc(sizeof(**bp), NULL);
	return *bp ? 0 : ENOMEM;
}

/* Frames down the tunnel of an inside leg's HRAC, counted per frame */
static void tunnel_send(struct rat *r, struct rat_leg *to,
                        const struct frame *fv, size_t n, int *errv)
{
	uint64_t now = mono_us();
	int e = ENOTCONN;

	/* the HRAC's session is kept by the leg: no table lookup per
	 * packet; a closed one (the HRAC went) is looked up again */
	for (int tries = 0; tries < 2 && e == ENOTCONN; tries++) {
		if (!to->ss)
			to->ss = sessions_find_id(r->sessions, to->side.hrac);
		if (!to->ss)
			break;
		e = session_send_batch(to->ss, fv, n, now, errv);
		if (e == ENOTCONN) {
			session_deref(to->ss);
			to->ss = NULL;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (e || errv[i]) {
			to->drops++;
			r->st.drops_tunnel++;
		} else {
			to->pkts_out++;
			to->bytes_out += fv[i].len;
			r->pass_down++;
		}
	}
}

/* The read's tunnel frames: a run of one leg's goes in one batch */
static void tunnel_flush(struct rat *r)
{
	struct relay_batch *tb = r->tb;
	size_t i = 0;

	while (i < tb->n) {
		size_t j = i + 1;

		while (j < tb->n && tb->to[j] == tb->to[i])
			j++;
		tunnel_send(r, tb->to[i], &tb->f[i], j - i, &tb->err[i]);
		i = j;
	}
	tb->n = 0;
}

static void forward(struct rat *r, struct rat_leg *to, int i, const uint8_t *p,
                    size_t len)
{
	if (!to->has_peer || !to->port) {
		to->drops++;
		r->st.drops_nopeer++;
		return;
	}

	if (to->side.inside) {
		struct frame f;
		int e;

		memset(&f, 0, sizeof(f));
		f.type = i ? FRAME_RTCP : FRAME_RTP;
		f.addr = to->is_latched[i] ? to->latched[i] : to->peer[i];
		f.relay_port = to->port;
		f.payload = p;
		f.len = len;
		if (r->tb->on && r->tb->n < MMSG_BATCH) {
			r->tb->to[r->tb->n] = to;
			r->tb->f[r->tb->n++] = f;
			return;
		}
		tunnel_send(r, to, &f, 1, &e);
		return;
	}

	if (mmsg_send(to->fd[i],
	              to->is_latched[i] ? &to->latched[i] : &to->peer[i], p,
	              len)) {
		to->drops++;
		return;
	}
	to->pkts_out++;
	to->bytes_out += len;
}

/* Latching: the first packet from the negotiated peer, or from the
 * address its signalling comes from (a phone behind NAT), fixes the
 * source; anything else is a stranger's.  Inside legs latch the same
 * way, on the phone's address as its HRAC saw the packet. */
static bool source_ok(struct rat_leg *l, int i, const struct sa *src)
{
	if (l->is_latched[i])
		return sa_cmp(src, &l->latched[i], SA_ALL);
	if ((l->has_peer && sa_cmp(src, &l->peer[i], SA_ALL)) ||
	    (sa_isset(&l->sig, SA_ADDR) && sa_cmp(src, &l->sig, SA_ADDR))) {
		l->latched[i] = *src;
		l->is_latched[i] = true;
		rat_changed(l->st->e->r);
		return true;
	}
	return false;
}

/* A packet of the leg's party: counted, and on to the other leg */
static void relay_in(struct rat *r, struct rat_leg *l, int i, const uint8_t *p,
                     size_t len)
{
	l->pkts_in++;
	l->bytes_in += len;
	r->st.pkts++;
	r->st.bytes += len;
	l->st->e->last_media = mono_ms();
	forward(r, &l->st->leg[1 - l->k], i, p, len);
}

/* Before the leg's SDP: keep the packet a moment (struct held_pkt) */
static bool hold(struct rat_leg *l, int i, const struct sa *src,
                 const uint8_t *p, size_t len)
{
	struct held_pkt *h;

	if (l->has_peer || l->is_latched[i] || list_count(&l->held) >= HELD_MAX)
		return false;
	h = mem_alloc(sizeof(*h) + len, NULL);
	if (!h)
		return false;
	memset(h, 0, sizeof(*h));
	h->src = *src;
	h->i = i;
	h->at = mono_ms();
	h->len = len;
	memcpy(h->data, p, len);
	list_append(&l->held, &h->le, h);
	return true;
}

/* The leg's SDP came: what it held goes on if its party sent it */
void rat_leg_release(struct rat *r, struct rat_leg *l)
{
	uint64_t now = mono_ms();
	struct le *le;

	while ((le = list_head(&l->held))) {
		struct held_pkt *h = le->data;

		list_unlink(le);
		if (now - h->at <= HELD_MS && source_ok(l, h->i, &h->src)) {
			relay_in(r, l, h->i, h->data, h->len);
		} else {
			l->drops++;
			r->st.drops_stranger++;
		}
		mem_deref(h);
	}
}

/* A packet to one of our relay ports (struct relay_sock) */
static void relay_recv(const struct sa *src, const uint8_t *p, size_t len,
                       void *arg)
{
	struct relay_sock *rs = arg;
	struct rat_leg *l = rs->leg;
	struct rat_stream *st = l->st;
	struct rat *r = st->e->r;

	if (!source_ok(l, rs->i, src)) {
		if (hold(l, rs->i, src, p, len))
			return;
		l->drops++;
		if (r->st.drops_stranger++ % 1000 == 0)
			log_re_info("call %s: packet from %J to relay port "
			            "%u dropped: not the call's party",
			            st->e->callid, src, l->port + rs->i);
		return;
	}
	relay_in(r, l, rs->i, p, len);
}

/* Every packet waiting on a relay port, in one read */
static void relay_sock_read(struct rat *r, struct relay_sock *rs)
{
	int n;

	r->tb->on = true;
	n = mmsg_recv(r->rx, rs->leg->fd[rs->i], relay_recv, rs);
	r->tb->on = false;
	tunnel_flush(r);
	if (n > 0) {
		r->st.rx_reads++;
	} else if (n != -EAGAIN && n != -EINTR) {
		/* an ICMP error reported on the socket: read and gone */
		log_debug("relay port %u: %s", rs->leg->port + rs->i,
		          strerror(-n));
	}
}

/* No relay window: the loop watches each socket */
static void relay_readable(int flags, void *arg)
{
	struct relay_sock *rs = arg;
	struct rat *r = rs->leg->st->e->r;

	if (!(flags & FD_READ))
		return;
	r->st.reads_woken++;
	relay_sock_read(r, rs);
}

/* -- the relay window ----------------------------------------------------- */

static bool fd_cmp(struct le *le, void *arg)
{
	const struct relay_sock *rs = le->data;

	return rs->leg->fd[rs->i] == *(int *)arg;
}

/* A socket a drain found readable, found again by its descriptor: one
 * that closed while the drain ran is not there */
static void relay_ready(uint64_t key, void *arg)
{
	struct rat *r = arg;
	int fd = (int)key;
	struct le *le = hash_lookup(r->by_fd, (uint32_t)fd, fd_cmp, &fd);

	if (le)
		relay_sock_read(r, le->data);
}

/* Every outside socket readable now; what went down tunnels is flushed
 * when this loop turn's handlers are done (down_batch.h) */
static void relay_drain(struct rat *r)
{
	r->pass_down = 0;
	read_hold_drain(r->rh, relay_ready, r);
}

/* An outside packet while the sockets were not held: read at once; a
 * relay that sent down less than a window ago is busy, and holds */
static void relay_woken(void *arg)
{
	struct rat *r = arg;
	uint64_t now;
	bool busy;

	r->st.reads_woken++;
	relay_drain(r);
	if (!r->pass_down)
		return;
	now = mono_us();
	busy = coalesce_wait(r->last_down, now, r->window_us) > 0;
	r->last_down = now;
	if (busy && !read_hold_hold(r->rh) &&
	    coalesce_arm(r->win, r->window_us))
		(void)read_hold_release(r->rh); /* no timer: never held */
}

/* The window's end: all that came meanwhile, at once; held again while
 * each end finds something to send down, else released */
static void relay_window_end(void *arg)
{
	struct rat *r = arg;

	r->st.reads_window++;
	relay_drain(r);
	if (r->pass_down) {
		r->last_down = mono_us();
		if (!coalesce_arm(r->win, r->window_us))
			return;
	}
	if (read_hold_release(r->rh)) {
		/* held with no timer would stop the relay: drain on */
		log_error("relay ports cannot be watched again: read once a "
		          "window");
		(void)coalesce_arm(r->win, r->window_us);
	}
}

int relay_window_alloc(struct rat *r, uint32_t window_us)
{
	int e;

	r->window_us = window_us;
	e = hash_alloc(&r->by_fd, 1024);
	e = e ? e : read_hold_alloc(&r->rh, relay_woken, r);
	e = e ? e : coalesce_alloc(&r->win, relay_window_end, r);
	if (e)
		relay_window_free(r);
	return e;
}

void relay_window_free(struct rat *r)
{
	coalesce_free(r->win);
	r->win = NULL;
	r->rh = mem_deref(r->rh);
	r->by_fd = mem_deref(r->by_fd);
	r->window_us = 0;
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
	int i = f->type == FRAME_RTCP;
	struct rat_leg *l;
	struct le *le;

	le = hash_lookup(r->by_port, port_key(ss->id, f->relay_port), port_cmp,
	                 &pf);
	if (!le) {
		/* a call just ended (its phone sends on a moment), or a
		 * stranger */
		r->st.drops_nocall++;
		log_debug("%s frame from '%s' for port %u: no such call",
		          frame_type_name(f->type), ss->id, f->relay_port);
		return;
	}
	l = le->data;
	if (!source_ok(l, i, &f->addr)) {
		if (hold(l, i, &f->addr, f->payload, f->len))
			return;
		l->drops++;
		if (r->st.drops_stranger++ % 1000 == 0)
			log_re_info("call %s: packet from %J (site '%s') to "
			            "port %u dropped: not the call's phone",
			            l->st->e->callid, &f->addr, ss->id,
			            l->port + i);
		return;
	}
	relay_in(r, l, i, f->payload, f->len);
	rat_route_publish(r, ss, l, i);
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
	rat_leg_tell_peer(l->st->e->r, l);
	return false;
}

struct keep {
	const char *hrac;
	struct portpool *pool;
};

static void hrac_media_destructor(void *arg)
{
	struct hrac_media *hm = arg;

	hash_unlink(&hm->he);
	mem_deref(hm->pool);
}

static bool keep_port(struct le *le, void *arg)
{
	const struct rat_leg *l = le->data;
	const struct keep *k = arg;

	if (!strcmp(l->side.hrac, k->hrac))
		(void)portpool_mark(k->pool, l->port);
	return false;
}

/* "lan-rtp IP LO-HI" from an HRAC (on every connect): where its media
 * ports are; it is told again which ports its calls use */
void rat_hrac_media(struct rat *r, struct session *ss, const char *arg)
{
	struct hrac_media *hm = rat_hrac_find(r, ss->id);
	char ip[64], range[32];
	uint16_t lo, hi;
	struct sa sa;

	if (sscanf(arg, "%63s %31s", ip, range) != 2 ||
	    sa_set_str(&sa, ip, 0) || portpool_parse(range, &lo, &hi)) {
		log_warn("HRAC '%s' sent bad media ports: %.60s", ss->id, arg);
		return;
	}
	if (!hm) {
		hm = mem_zalloc(sizeof(*hm), hrac_media_destructor);
		if (!hm)
			return;
		snprintf(hm->hrac, sizeof(hm->hrac), "%s", ss->id);
		hash_append(r->hracs, hash_joaat_str(hm->hrac), &hm->he, hm);
	}
	if (!hm->pool || hm->lo != lo || hm->hi != hi) {
		struct portpool *pool = NULL;
		struct keep k = { ss->id, NULL };

		if (portpool_alloc(&pool, lo, hi))
			return;
		/* ports of calls still up stay theirs in the new pool */
		k.pool = pool;
		hash_apply(r->by_port, keep_port, &k);
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
