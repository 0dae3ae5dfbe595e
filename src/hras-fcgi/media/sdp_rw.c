/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sdp_rw.c  SDP rewritten at text level for the media relay
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "sdp_rw.h"

/* One line: its text without the line end, and the line end */
struct line {
	struct pl text;
	struct pl eol;
};

static bool next_line(struct pl *rest, struct line *l)
{
	const char *nl;

	if (!rest->l)
		return false;
	nl = memchr(rest->p, '\n', rest->l);
	l->text.p = rest->p;
	l->text.l = nl ? (size_t)(nl - rest->p) : rest->l;
	l->eol.p = l->text.p + l->text.l;
	l->eol.l = nl ? 1 : 0;
	if (l->text.l && l->text.p[l->text.l - 1] == '\r') {
		l->text.l--;
		l->eol.p--;
		l->eol.l++;
	}
	pl_advance(rest, l->text.l + l->eol.l);
	return true;
}

static bool starts(const struct pl *t, const char *prefix)
{
	size_t n = strlen(prefix);

	return t->l >= n && !memcmp(t->p, prefix, n);
}

/* "IN IP4 10.0.0.1[/ttl]" after "c=": the address */
static int conn_addr(const struct pl *t, struct sa *a)
{
	struct pl af, addr;

	if (re_regex(t->p, t->l, "c=IN IP[46]1 [^ /]+", &af, &addr))
		return EBADMSG;
	return sa_set(a, &addr, 0);
}

bool sdp_rw_is_sdp(const struct pl *ctype)
{
	static const char sdp[] = "application/sdp";

	return ctype && ctype->l >= sizeof(sdp) - 1 &&
	       !strncasecmp(ctype->p, sdp, sizeof(sdp) - 1);
}

/* Addresses that mean nothing beyond their own network */
bool sdp_rw_private(const struct sa *a)
{
	if (sa_af(a) == AF_INET) {
		uint32_t v = sa_in(a);

		return (v >> 24) == 10 || (v >> 20) == (172u << 4 | 1) ||
		       (v >> 16) == (192u << 8 | 168) || (v >> 24) == 127 ||
		       (v >> 16) == (169u << 8 | 254) ||
		       (v >> 22) == (100u << 2 | 1);
	}
	if (sa_af(a) == AF_INET6) {
		uint8_t b[16];

		sa_in6(a, b);
		return (b[0] & 0xfe) == 0xfc ||
		       (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||
		       sa_is_loopback(a);
	}
	return false;
}

static bool is_unspecified(const struct sa *a)
{
	return sa_is_any(a);
}

/**
 * Read what each m= line of an SDP asks for
 *
 * @param mv  SDP_RW_MEDIA_MAX entries
 * @return 0, EBADMSG (no m= line, or a c=/m= line that does not parse),
 *         E2BIG (more m= lines than SDP_RW_MEDIA_MAX)
 */
int sdp_rw_read(const struct pl *sdp, struct sdp_rw_media *mv, size_t *n)
{
	/* ports are kept apart: a struct sa holds a port only with an
	 * address, and c= may come before or after m= */
	struct {
		uint16_t port, rtcp_port;
		bool have_c, have_rtcp_addr;
		struct sa c, rtcp_addr;
	} tmp[SDP_RW_MEDIA_MAX];
	struct pl rest = *sdp;
	struct sa session_c;
	bool have_session_c = false;
	struct line l;
	size_t i = 0;
	int cur = -1;

	memset(tmp, 0, sizeof(tmp));
	while (next_line(&rest, &l)) {
		if (starts(&l.text, "m=")) {
			struct pl port;

			if (i >= SDP_RW_MEDIA_MAX)
				return E2BIG;
			cur = (int)i++;
			memset(&mv[cur], 0, sizeof(mv[cur]));
			if (re_regex(l.text.p, l.text.l, "m=[^ ]+ [0-9]+", NULL,
			             &port))
				return EBADMSG;
			tmp[cur].port = (uint16_t)pl_u32(&port);
			mv[cur].rejected = tmp[cur].port == 0;
		} else if (starts(&l.text, "c=")) {
			struct sa a;

			if (conn_addr(&l.text, &a))
				return EBADMSG;
			if (cur >= 0) {
				tmp[cur].c = a;
				tmp[cur].have_c = true;
			} else {
				session_c = a;
				have_session_c = true;
			}
		} else if (cur < 0) {
			continue;
		} else if (starts(&l.text, "a=rtcp-mux")) {
			mv[cur].mux = true;
		} else if (starts(&l.text, "a=rtcp:")) {
			struct pl port, addr;

			if (re_regex(l.text.p, l.text.l, "a=rtcp:[0-9]+",
			             &port))
				return EBADMSG;
			tmp[cur].rtcp_port = (uint16_t)pl_u32(&port);
			/* a=rtcp:port IN IP4 address */
			if (!re_regex(l.text.p, l.text.l,
			              "a=rtcp:[0-9]+ IN IP[46]1 [^ ]+", NULL,
			              NULL, &addr) &&
			    !sa_set(&tmp[cur].rtcp_addr, &addr, 0))
				tmp[cur].have_rtcp_addr = true;
		}
	}
	if (cur < 0)
		return EBADMSG;

	for (size_t k = 0; k < i; k++) {
		struct sdp_rw_media *m = &mv[k];

		if (!tmp[k].have_c && !have_session_c) {
			if (!m->rejected)
				return EBADMSG; /* no c= for this media */
			continue;
		}
		m->rtp = tmp[k].have_c ? tmp[k].c : session_c;
		sa_set_port(&m->rtp, tmp[k].port);
		m->hold = is_unspecified(&m->rtp);
		m->rtcp = tmp[k].have_rtcp_addr ? tmp[k].rtcp_addr : m->rtp;
		if (m->mux)
			sa_set_port(&m->rtcp, tmp[k].port);
		else
			sa_set_port(&m->rtcp,
			            tmp[k].rtcp_port
			                ? tmp[k].rtcp_port
			                : (uint16_t)(tmp[k].port + 1));
	}
	*n = i;
	return 0;
}

static int write_addr(struct mbuf *out, const char *prefix, const struct sa *a)
{
	return mbuf_printf(out, "%sIN IP%c %j", prefix,
	                   sa_af(a) == AF_INET6 ? '6' : '4', a);
}

/* a=candidate:foundation component transport priority address port ... */
static bool private_candidate(const struct pl *t)
{
	struct pl addr;
	struct sa a;

	if (re_regex(t->p, t->l, "a=candidate:[^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+",
	             NULL, NULL, NULL, NULL, &addr))
		return false;
	if (sa_set(&a, &addr, 0))
		return false; /* a host name (mDNS .local): cannot work here */
	return sdp_rw_private(&a);
}

/**
 * Write the SDP with our address and ports
 *
 * @return 0, or EBADMSG when the SDP does not parse
 */
int sdp_rw_write(struct mbuf *out, const struct pl *sdp,
                 const struct sdp_rw_to *to)
{
	struct pl rest = *sdp;
	struct line l;
	int cur = -1;
	int err = 0;

	while (!err && next_line(&rest, &l)) {
		const struct pl *t = &l.text;
		uint16_t port =
		    cur >= 0 && (size_t)cur < to->n ? to->ports[cur] : 0;

		if (starts(t, "m=")) {
			struct pl media, oldport, tail;

			cur++;
			port = (size_t)cur < to->n ? to->ports[cur] : 0;
			if (re_regex(t->p, t->l, "m=[^ ]+ [0-9]+", &media,
			             &oldport))
				return EBADMSG;
			tail.p = oldport.p + oldport.l;
			tail.l = (size_t)(t->p + t->l - tail.p);
			if (port && pl_u32(&oldport))
				err = mbuf_printf(out, "m=%r %u%r", &media,
				                  port, &tail);
			else
				err = mbuf_write_pl(out, t);
		} else if (starts(t, "c=")) {
			struct sa a;

			if (conn_addr(t, &a))
				return EBADMSG;
			/* hold stays hold: we will not send either */
			if (is_unspecified(&a))
				err = mbuf_write_pl(out, t);
			else
				err = write_addr(out, "c=", &to->addr);
		} else if (starts(t, "o=") && to->fix_origin) {
			struct pl user, id, ver;

			/* o=user sess-id version IN IP4 address */
			if (re_regex(t->p, t->l,
			             "o=[^ ]+ [^ ]+ [^ ]+ IN IP[46]1 [^ ]+",
			             &user, &id, &ver, NULL, NULL))
				return EBADMSG;
			err =
			    mbuf_printf(out, "o=%r %r %r ", &user, &id, &ver) |
			    write_addr(out, "", &to->addr);
		} else if (starts(t, "a=rtcp:") && port) {
			struct pl p, addr;

			if (!re_regex(t->p, t->l, "a=rtcp:[0-9]+ [^ ]+", &p,
			              &addr))
				err = mbuf_printf(out, "a=rtcp:%u ", port + 1) |
				      write_addr(out, "", &to->addr);
			else
				err = mbuf_printf(out, "a=rtcp:%u", port + 1);
		} else if (starts(t, "a=candidate:") && private_candidate(t)) {
			continue; /* the line and its end go */
		} else {
			err = mbuf_write_pl(out, t);
		}
		err |= mbuf_write_pl(out, &l.eol);
	}
	return err;
}
