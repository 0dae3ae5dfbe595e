/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file media_lan.c  The phones' media at hrac: RTP/RTCP port pairs
 *
 * Each port's sockets are read with recvmmsg, a batch per wake-up, and
 * the frames of one read of the tunnel leave with one sendmmsg per
 * socket (udpbatch.h): fixed buffers, nothing allocated per packet.
 * With an up window (--coalesce-us), the sockets of all ports are read
 * together (read_hold.h): while the window holds a busy link
 * (tunnel_set_source) they wake nobody, and the window's end reads every
 * port at once, so the phones' packets do not wake hrac one by one.
 * Without a window the loop watches each socket itself, which saves the
 * second epoll_wait per wake-up.
 */
#include <errno.h>
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
#include "secret.h"
#include "tunnel.h"
#include "hrac.h"
#include "sip_lan.h"
#include "media_lan.h"
#include "udpbatch.h"
#include "read_hold.h"

struct media_port;

struct port_sock {
	struct media_port *mp;
	int i; /* 0 RTP, 1 RTCP */
};

struct media_port {
	struct le he;
	struct media_lan *m;
	uint16_t port;
	int fd[2]; /* RTP, RTCP; -1: not open */
	struct port_sock ps[2];
	struct sa ok_dst[2]; /* last destination found to be a phone */
	/* the call's phone, once HRAS has seen its SDP ("media-peer"): its
	 * signalling and media addresses; none: any phone of this LAN */
	bool has_peer;
	struct sa peer[2];
	uint64_t up, down, drops;
};

struct media_lan {
	struct sip_lan *lan;
	struct tunnel *t;
	struct hash *ports;
	struct sa ip;
	uint16_t lo, hi;
	struct media_lan_stats st;
	struct udpbatch *rx, *tx; /* from the phones, to the phones */
	struct read_hold *rh;     /* every port's sockets; NULL: no up
	                             window, the loop watches each */
};

static bool port_cmp(struct le *le, void *arg)
{
	const struct media_port *p = le->data;

	return p->port == *(uint16_t *)arg;
}

static struct media_port *port_find(struct media_lan *m, uint16_t port)
{
	struct le *le = hash_lookup(m->ports, port, port_cmp, &port);

	return le ? le->data : NULL;
}

static void port_destructor(void *arg)
{
	struct media_port *p = arg;

	hash_unlink(&p->he);
	/* what is queued for its sockets leaves before they close */
	if (p->m)
		media_lan_flush(p->m);
	for (int i = 0; i < 2; i++) {
		if (p->fd[i] < 0)
			continue;
		if (p->m && p->m->rh)
			read_hold_del(p->m->rh, p->fd[i]);
		else
			fd_close(p->fd[i]);
		close(p->fd[i]);
	}
	if (p->m)
		p->m->st.ports--;
}

/* May this port exchange packets with @a?  Its call's phone only, once
 * known; until then, a phone of this LAN (HRAS checks the rest) */
static bool party_ok(const struct media_port *p, const struct sa *a)
{
	if (p->has_peer)
		return sa_cmp(a, &p->peer[0], SA_ADDR) ||
		       sa_cmp(a, &p->peer[1], SA_ADDR);
	return sip_lan_is_phone(p->m->lan, a);
}

static void stranger(struct media_port *p, const struct sa *a, const char *dir)
{
	p->drops++;
	if (p->m->st.drops_stranger++ % 1000 == 0)
		log_re_warn("media %s %J on port %u dropped: not the call's "
		            "phone",
		            dir, a, p->port);
}

/* A packet from a phone: up the tunnel with its address */
static void phone_recv(struct media_port *p, int i, const struct sa *src,
                       const uint8_t *data, size_t len)
{
	struct media_lan *m = p->m;
	struct frame f;

	if (!party_ok(p, src)) {
		stranger(p, src, "from");
		return;
	}

	memset(&f, 0, sizeof(f));
	f.type = i ? FRAME_RTCP : FRAME_RTP;
	f.addr = *src;
	f.relay_port = p->port;
	f.payload = data;
	f.len = len;
	if (tunnel_send(m->t, &f)) {
		p->drops++;
		return;
	}
	p->up++;
	m->st.up_pkts++;
}

/* What a port's socket holds, one batch (the rest stays ready for the
 * next drain) */
static void port_read(struct media_port *p, int i)
{
	struct udpbatch *rx = p->m->rx;
	int n;

	n = udpbatch_recv(rx, p->fd[i]);
	for (int k = 0; k < n; k++) {
		const uint8_t *data;
		struct sa src;
		size_t len;

		data = udpbatch_rx(rx, (unsigned)k, &len, &src);
		phone_recv(p, i, &src, data, len);
	}
}

/* A port's socket that a drain found readable.  A port is found again
 * by its number: one that closed while the drain ran is simply not
 * there */
static void port_ready(uint64_t key, void *arg)
{
	struct media_port *p = port_find(arg, (uint16_t)(key >> 1));
	int i = (int)(key & 1);

	if (p && p->fd[i] >= 0)
		port_read(p, i);
}

/* No window: the loop watches each socket */
static void port_readable(int flags, void *arg)
{
	struct port_sock *ps = arg;

	(void)flags;
	ps->mp->m->st.reads_woken++;
	port_read(ps->mp, ps->i);
}

/* A phone's packet while the ports were not held */
static void ports_woken(void *arg)
{
	struct media_lan *m = arg;

	m->st.reads_woken++;
	read_hold_drain(m->rh, port_ready, m);
}

/* The window's end: what came while the ports were held */
void media_lan_drain_held(struct media_lan *m)
{
	if (!m->rh)
		return;
	m->st.reads_window++;
	read_hold_drain(m->rh, port_ready, m);
}

/* The tunnel's window holds the up stream: its end drains the ports */
void media_lan_hold(struct media_lan *m)
{
	/* (a failure cannot happen; the ports would wake the loop as
	 * before) */
	if (m->rh)
		(void)read_hold_hold(m->rh);
}

/* The link is idle again: a phone's packet wakes the loop at once */
void media_lan_release(struct media_lan *m)
{
	if (m->rh && read_hold_release(m->rh))
		log_error("cannot watch the media ports again: the next "
		          "window reads them");
}

static int sock_open(struct media_lan *m, struct media_port *p, int i,
                     const struct sa *a)
{
	int e = udpbatch_open(&p->fd[i], a);

	if (e)
		return e;
	if (m->rh)
		e = read_hold_add(m->rh, p->fd[i],
		                  (uint64_t)p->port << 1 | (uint64_t)i);
	else
		e = fd_listen(p->fd[i], FD_READ, port_readable, &p->ps[i]);
	if (e) {
		close(p->fd[i]);
		p->fd[i] = -1;
	}
	return e;
}

static int port_open(struct media_lan *m, uint16_t port)
{
	struct media_port *p;
	struct sa a = m->ip;
	int e;

	if (port < m->lo || port + 1 > m->hi || (port & 1)) {
		log_warn("HRAS asked for media port %u, outside --rtp-ports "
		         "%u-%u: refused",
		         port, m->lo, m->hi);
		return EINVAL;
	}
	if (port_find(m, port))
		return 0;

	p = mem_zalloc(sizeof(*p), port_destructor);
	if (!p)
		return ENOMEM;
	p->port = port;
	p->fd[0] = p->fd[1] = -1;
	p->ps[0].mp = p->ps[1].mp = p;
	p->ps[1].i = 1;
	sa_set_port(&a, port);
	e = sock_open(m, p, 0, &a);
	if (!e) {
		sa_set_port(&a, port + 1);
		e = sock_open(m, p, 1, &a);
	}
	if (e) {
		log_re(LL_WARN,
		       "media ports %u/%u on %j: %m: this call has no "
		       "audio inside",
		       port, port + 1, &m->ip, e);
		mem_deref(p);
		return e;
	}
	p->m = m;
	m->st.ports++;
	hash_append(m->ports, port, &p->he, p);
	log_debug("media ports %u/%u open", port, port + 1);
	return 0;
}

/* "media-peer PORT SIG-IP MEDIA-IP": the phone a port's call is with */
static void port_peer(struct media_lan *m, const char *text)
{
	char sig[64], media[64];
	struct media_port *p;
	struct sa a[2];
	unsigned port;

	if (sscanf(text, "media-peer %u %63s %63s", &port, sig, media) != 3 ||
	    port > 65535 || sa_set_str(&a[0], sig, 0) ||
	    sa_set_str(&a[1], media, 0)) {
		log_warn("bad media-peer from HRAS: %.60s", text);
		return;
	}
	p = port_find(m, (uint16_t)port);
	if (!p)
		return;
	p->peer[0] = a[0];
	p->peer[1] = a[1];
	p->has_peer = true;
	memset(p->ok_dst, 0, sizeof(p->ok_dst)); /* checked anew */
	log_debug("media ports %u/%u: phone %s (media %s)", port, port + 1, sig,
	          media);
}

/* "media-open PORT", "media-peer ...", "media-close PORT", "media-reset"
 * from HRAS */
void media_lan_control(struct media_lan *m, const char *text)
{
	unsigned port;

	if (!strncmp(text, "media-peer ", 11)) {
		port_peer(m, text);
		return;
	}
	if (!strcmp(text, "media-reset")) {
		hash_flush(m->ports);
		return;
	}
	if (sscanf(text, "media-open %u", &port) == 1 && port < 65536) {
		port_open(m, (uint16_t)port);
		return;
	}
	if (sscanf(text, "media-close %u", &port) == 1 && port < 65536) {
		mem_deref(port_find(m, (uint16_t)port));
		log_debug("media ports %u/%u closed", port, port + 1);
		return;
	}
	log_debug("control frame from HRAS ignored: %.40s", text);
}

/* A queued packet to a phone could not be sent */
static void send_failed(void *arg, int err)
{
	struct media_port *p = arg;

	(void)err;
	p->drops++;
	p->down--;
	p->m->st.down_pkts--;
}

/**
 * A frame from HRAS: to the phone it names, from the port it names,
 * once that phone is found to be the call's; queued with the others of
 * the same read, which media_lan_flush() sends
 */
void media_lan_deliver(struct media_lan *m, const struct frame *f)
{
	struct media_port *p = port_find(m, f->relay_port);
	int i = f->type == FRAME_RTCP;

	if (!p) {
		m->st.drops_closed++;
		return;
	}
	if (!sa_cmp(&p->ok_dst[i], &f->addr, SA_ALL)) {
		if (!party_ok(p, &f->addr)) {
			stranger(p, &f->addr, "to");
			return;
		}
		p->ok_dst[i] = f->addr;
	}

	if (udpbatch_add(m->tx, p->fd[i], &f->addr, f->payload, f->len, p)) {
		p->drops++;
		return;
	}
	p->down++;
	m->st.down_pkts++;
}

/* Send what media_lan_deliver() queued: after each read of the tunnel */
void media_lan_flush(struct media_lan *m)
{
	if (m && m->tx && udpbatch_pending(m->tx))
		udpbatch_flush(m->tx);
}

/* Tell HRAS where this site's media ports are */
void media_lan_announce(struct media_lan *m)
{
	char text[96];
	struct frame f;

	re_snprintf(text, sizeof(text), "lan-rtp %j %u-%u", &m->ip, m->lo,
	            m->hi);
	memset(&f, 0, sizeof(f));
	f.type = FRAME_CONTROL;
	f.payload = (const uint8_t *)text;
	f.len = strlen(text);
	tunnel_send(m->t, &f);
}

static void media_destructor(void *arg)
{
	struct media_lan *m = arg;

	hash_flush(m->ports);
	mem_deref(m->ports);
	mem_deref(m->rh);
	udpbatch_free(m->rx);
	udpbatch_free(m->tx);
}

/* --rtp-ip, or the address of --sip, or the host's toward the default
 * route */
static int media_ip(struct sa *ip, const struct hrac_conf *cfg)
{
	struct sa sip;

	if (cfg->rtp_ip)
		return sa_set_str(ip, cfg->rtp_ip, 0);
	if (!sa_decode(&sip, cfg->sip, strlen(cfg->sip)) && !sa_is_any(&sip)) {
		*ip = sip;
		sa_set_port(ip, 0);
		return 0;
	}
	return net_default_source_addr_get(AF_INET, ip);
}

int media_lan_alloc(struct media_lan **mp, const struct hrac_conf *cfg,
                    struct sip_lan *lan, struct tunnel *t, char *err,
                    size_t errsz)
{
	struct media_lan *m;
	unsigned lo, hi;
	char c;
	int e;

	if (sscanf(cfg->rtp_ports, "%u-%u%c", &lo, &hi, &c) != 2 || lo < 1024 ||
	    hi > 65535 || lo + 1 > hi) {
		snprintf(err, errsz,
		         "--rtp-ports takes LO-HI within 1024-65535, not '%s'",
		         cfg->rtp_ports);
		return EINVAL;
	}
	m = mem_zalloc(sizeof(*m), media_destructor);
	if (!m)
		return ENOMEM;
	m->lan = lan;
	m->t = t;
	m->lo = (uint16_t)(lo + (lo & 1));
	m->hi = (uint16_t)hi;
	e = media_ip(&m->ip, cfg);
	if (e)
		snprintf(err, errsz, "--rtp-ip: no usable address ('%s')",
		         cfg->rtp_ip ? cfg->rtp_ip : cfg->sip);
	e = e ? e : hash_alloc(&m->ports, 256);
	e = e ? e : udpbatch_alloc(&m->rx, NULL);
	e = e ? e : udpbatch_alloc(&m->tx, send_failed);
	if (!e && cfg->coalesce_us)
		e = read_hold_alloc(&m->rh, ports_woken, m);
	if (e) {
		mem_deref(m);
		return e;
	}
	*mp = m;
	return 0;
}

static bool port_status(struct le *le, void *arg)
{
	const struct media_port *p = le->data;
	struct re_printf *pf = arg;

	re_hprintf(pf, " %u(up %llu, down %llu, dropped %llu)", p->port,
	           (unsigned long long)p->up, (unsigned long long)p->down,
	           (unsigned long long)p->drops);
	return false;
}

/* One line: the ports open and their packets (each port after a ';',
 * none when none is open) */
int media_lan_status(struct re_printf *pf, struct media_lan *m)
{
	int err = re_hprintf(pf,
	                     "media on %j ports %u-%u: %u pairs open, "
	                     "%llu packets up, %llu down, %llu dropped "
	                     "(not a phone), %llu for closed ports%s",
	                     &m->ip, m->lo, m->hi, m->st.ports,
	                     (unsigned long long)m->st.up_pkts,
	                     (unsigned long long)m->st.down_pkts,
	                     (unsigned long long)m->st.drops_stranger,
	                     (unsigned long long)m->st.drops_closed,
	                     m->st.ports ? ";" : "");

	hash_apply(m->ports, port_status, pf);
	return err;
}

/* The counters, and where the media is (the status file, the metrics) */
const struct media_lan_stats *media_lan_stats(const struct media_lan *m,
                                              const struct sa **ip,
                                              uint16_t *lo, uint16_t *hi)
{
	*ip = &m->ip;
	*lo = m->lo;
	*hi = m->hi;
	return &m->st;
}
