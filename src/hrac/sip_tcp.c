/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sip_tcp.c  Phones on SIP over TCP: their connections to hrac
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "log.h"
#include "mono.h"
#include "sip_stream.h"
#include "sip_tcp.h"
#include "pktbuf.h"

enum {
	SWEEP_MS = 10000,
	TXQ_MAX = 256 * 1024, /* bytes queued toward one slow phone */
};

struct sip_tcp {
	struct tcp_sock *ts;
	struct hash *conns; /* by the phone's address */
	uint32_t max;
	uint64_t idle_ms;
	sip_tcp_recv_h *rh;
	void *arg;
	struct tmr sweep;
	uint32_t nconns;  /* open now */
	uint64_t refused; /* logged once in a hundred */
};

struct sip_conn {
	struct le he;
	struct sip_tcp *st;
	struct tcp_conn *tc;
	struct sa peer;
	struct mbuf *rx; /* bytes of a message not yet complete */
	uint64_t last;   /* ms, anything received */
};

static void conn_destructor(void *arg)
{
	struct sip_conn *c = arg;

	hash_unlink(&c->he);
	c->tc = mem_deref(c->tc);
	c->rx = mem_deref(c->rx);
	if (c->st)
		c->st->nconns--;
}

static bool conn_cmp(struct le *le, void *arg)
{
	const struct sip_conn *c = le->data;

	return sa_cmp(&c->peer, arg, SA_ALL);
}

static struct sip_conn *conn_find(struct sip_tcp *st, const struct sa *peer)
{
	struct le *le = hash_lookup(st->conns, sa_hash(peer, SA_ALL), conn_cmp,
	                            (void *)peer);

	return le ? le->data : NULL;
}

static void conn_close(struct sip_conn *c, const char *why)
{
	char a[64];

	re_snprintf(a, sizeof(a), "%J", &c->peer);
	log_info("SIP over TCP from %s closed: %s", a, why);
	mem_deref(c);
}

/* RFC 5626 4.4.1: a double CRLF ping is answered by a single CRLF */
static void keepalive(struct sip_conn *c, const uint8_t *p, size_t n)
{
	static const uint8_t crlf[2] = { '\r', '\n' };
	struct mbuf mb;

	if (memmem(p, n, "\r\n\r\n", 4)) {
		pktbuf_view(&mb, crlf, sizeof(crlf));
		(void)tcp_send(c->tc, &mb);
	}
}

/* Cut whole messages off the front of rx; keep a partial one */
static void conn_drain(struct sip_conn *c)
{
	struct mbuf *rx = c->rx;
	enum sip_stream_kind kind;
	size_t n;
	int e;

	mbuf_set_pos(rx, 0);
	for (;;) {
		e = sip_stream_next(mbuf_buf(rx), mbuf_get_left(rx),
		                    SIP_STREAM_MAX, &kind, &n);
		if (e == EAGAIN)
			break;
		if (e) {
			conn_close(c, "not a SIP stream (no or bad "
			              "Content-Length, or a message over "
			              "64 KiB)");
			return;
		}
		if (kind == SIP_STREAM_KEEPALIVE)
			keepalive(c, mbuf_buf(rx), n);
		else
			c->st->rh(&c->peer, mbuf_buf(rx), n, c->st->arg);
		mbuf_advance(rx, (ssize_t)n);
	}

	/* keep the remainder at the front of the buffer */
	n = mbuf_get_left(rx);
	if (rx->pos) {
		memmove(rx->buf, mbuf_buf(rx), n);
		rx->end = n;
	}
	rx->pos = rx->end;
}

static void conn_recv(struct mbuf *mb, void *arg)
{
	struct sip_conn *c = arg;
	size_t n = mbuf_get_left(mb);

	c->last = mono_ms();
	if (c->rx->end + n > SIP_STREAM_MAX + 4096) {
		conn_close(c, "more than 64 KiB without a complete message");
		return;
	}
	if (mbuf_write_mem(c->rx, mbuf_buf(mb), n)) {
		conn_close(c, "out of memory");
		return;
	}
	conn_drain(c);
}

static void conn_closed(int err, void *arg)
{
	struct sip_conn *c = arg;

	if (err)
		conn_close(c, strerror(err));
	else
		mem_deref(c); /* the phone closed it: the normal end */
}

static void conn_accept(const struct sa *peer, void *arg)
{
	struct sip_tcp *st = arg;
	struct sip_conn *c, *old;
	char a[64];
	int e;

	re_snprintf(a, sizeof(a), "%J", peer);
	if (st->nconns >= st->max) {
		st->refused++;
		tcp_reject(st->ts);
		if (st->refused % 100 == 1)
			log_warn("SIP over TCP from %s refused: %u "
			         "connections already (--sip-tcp-max)",
			         a, st->max);
		return;
	}

	c = mem_zalloc(sizeof(*c), conn_destructor);
	if (!c) {
		tcp_reject(st->ts);
		return;
	}
	c->peer = *peer;
	c->last = mono_ms();
	c->rx = mbuf_alloc(2048);
	e = c->rx ? 0 : ENOMEM;
	e = e ? e : tcp_accept(&c->tc, st->ts, NULL, conn_recv, conn_closed, c);
	if (e) {
		log_warn("SIP over TCP from %s: %s", a, strerror(e));
		tcp_reject(st->ts);
		mem_deref(c);
		return;
	}
	tcp_conn_txqsz_set(c->tc, TXQ_MAX);

	/* the same address again: the old connection is dead */
	old = conn_find(st, peer);
	if (old)
		mem_deref(old);

	c->st = st;
	st->nconns++;
	hash_append(st->conns, sa_hash(peer, SA_ALL), &c->he, c);
	log_debug("SIP over TCP from %s", a);
}

/**
 * Send a message to a phone over its connection
 *
 * @return 0, ENOTCONN when the phone has no connection, or the error of
 *         the send (ENOMEM when its queue is full)
 */
int sip_tcp_send(struct sip_tcp *st, const struct sa *dst, const uint8_t *msg,
                 size_t len)
{
	struct sip_conn *c = conn_find(st, dst);
	struct mbuf mb;

	if (!c)
		return ENOTCONN;
	pktbuf_view(&mb, msg, len);
	return tcp_send(c->tc, &mb);
}

static bool sweep_one(struct le *le, void *arg)
{
	struct sip_conn *c = le->data;
	struct sip_tcp *st = arg;

	if (mono_ms() - c->last > st->idle_ms) {
		conn_close(c, "idle");
	}
	return false;
}

static void sweep(void *arg)
{
	struct sip_tcp *st = arg;

	hash_apply(st->conns, sweep_one, st);
	tmr_start(&st->sweep, SWEEP_MS, sweep, st);
}

static void tcp_destructor(void *arg)
{
	struct sip_tcp *st = arg;

	tmr_cancel(&st->sweep);
	st->ts = mem_deref(st->ts);
	hash_flush(st->conns);
	st->conns = mem_deref(st->conns);
}

/**
 * Listen for phones' SIP over TCP
 *
 * @param max_conns  connections at most; more are refused
 * @param idle_ms    a connection silent this long is closed
 */
int sip_tcp_alloc(struct sip_tcp **stp, const struct sa *laddr,
                  uint32_t max_conns, uint64_t idle_ms, sip_tcp_recv_h *rh,
                  void *arg)
{
	struct sip_tcp *st;
	int e;

	st = mem_zalloc(sizeof(*st), tcp_destructor);
	if (!st)
		return ENOMEM;
	st->max = max_conns;
	st->idle_ms = idle_ms;
	st->rh = rh;
	st->arg = arg;
	tmr_init(&st->sweep);

	e = hash_alloc(&st->conns, 256);
	e = e ? e : tcp_listen(&st->ts, laddr, conn_accept, st);
	if (e) {
		mem_deref(st);
		return e;
	}
	tmr_start(&st->sweep, SWEEP_MS, sweep, st);
	*stp = st;
	return 0;
}
