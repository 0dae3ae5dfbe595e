/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file frame.c  Tunnel frame codec
 *
 * The decoder is strict on purpose: a frame that is not exactly what the
 * sender's codec would have produced means the byte stream is corrupt (an
 * error page injected by a proxy, a truncated body, an attacker), and the
 * stream cannot be resynchronised.  It never reads past @size.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "frame.h"

static inline uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

bool frame_is_reliable_type(enum frame_type type)
{
	return type == FRAME_SIP || type == FRAME_CONTROL;
}

static bool addr_is_v6(const struct sa *sa)
{
	return sa_af(sa) == AF_INET6;
}

static bool addr_is_none(const struct sa *sa)
{
	return sa_af(sa) != AF_INET6 && sa_port(sa) == 0 &&
	       (sa_af(sa) != AF_INET || sa_in(sa) == 0);
}

/**
 * Check the consistency rules of sofw-tunnel(7); shared by the encoder,
 * the decoder and the queues, so nothing inconsistent is ever sent
 *
 * @return 0 or EBADMSG
 */
int frame_validate(const struct frame *f)
{
	uint8_t pp = f->flags & (FRAME_F_PING | FRAME_F_PONG);

	if (f->flags & ~(FRAME_F_PING | FRAME_F_PONG | FRAME_F_TCP))
		return EBADMSG;
	if (pp && f->type != FRAME_KEEPALIVE)
		return EBADMSG;
	if (pp == (FRAME_F_PING | FRAME_F_PONG))
		return EBADMSG;
	if ((f->flags & FRAME_F_TCP) && f->type != FRAME_SIP)
		return EBADMSG;

	switch (f->type) {

	case FRAME_SIP:
	case FRAME_CONTROL:
		if (!f->rel || f->seq == 0)
			return EBADMSG;
		if (f->relay_port != 0)
			return EBADMSG;
		if (f->type == FRAME_SIP &&
		    (sa_port(&f->addr) == 0 || f->len == 0))
			return EBADMSG;
		break;

	case FRAME_RTP:
	case FRAME_RTCP:
		if (f->rel || f->relay_port == 0 || sa_port(&f->addr) == 0 ||
		    f->len == 0)
			return EBADMSG;
		break;

	case FRAME_KEEPALIVE:
		if (f->rel && f->seq != 0)
			return EBADMSG;
		if (f->relay_port != 0 || !addr_is_none(&f->addr))
			return EBADMSG;
		if (!pp && f->len != 0)
			return EBADMSG;
		break;

	default:
		return EBADMSG;
	}

	return 0;
}

size_t frame_hdr_len(const struct frame *f)
{
	return FRAME_FIXED_LEN + (addr_is_v6(&f->addr) ? 16 : 4) +
	       (f->rel ? 8 : 0);
}

/**
 * Decode one frame from the start of @buf
 *
 * @param f            Decoded frame; payload points into @buf
 * @param buf          Bytes received
 * @param size         Number of bytes in @buf
 * @param max_payload  Largest payload accepted (<= FRAME_MAX_PAYLOAD)
 * @param framelen     Length of the decoded frame, or with ENODATA the
 *                     number of bytes needed before decoding can go on
 *
 * @return 0, ENODATA (incomplete: not an error in a stream),
 *         EPROTONOSUPPORT (unknown version), EMSGSIZE (payload over
 *         @max_payload) or EBADMSG (unknown type or flags, inconsistent)
 */
int frame_decode(struct frame *f, const uint8_t *buf, size_t size,
                 size_t max_payload, size_t *framelen)
{
	size_t need, addrlen;
	uint8_t flags;
	uint32_t len;
	int err;

	if (!f || !buf || !framelen)
		return EINVAL;

	/* check each field as soon as it is there: reject garbage early */
	if (size >= 1 && buf[0] != FRAME_VERSION)
		return EPROTONOSUPPORT;
	if (size >= 4) {
		if (buf[1] < FRAME_SIP || buf[1] > FRAME_KEEPALIVE)
			return EBADMSG;
		if ((buf[2] & ~FRAME_F_ALL) || buf[3] != 0)
			return EBADMSG;
	}
	if (size < 8) {
		*framelen = FRAME_FIXED_LEN;
		return ENODATA;
	}

	len = get_u32(buf + 4);
	if (len > max_payload || len > FRAME_MAX_PAYLOAD)
		return EMSGSIZE;

	flags = buf[2];
	addrlen = (flags & FRAME_F_IPV6) ? 16 : 4;
	need = FRAME_FIXED_LEN + addrlen + ((flags & FRAME_F_REL) ? 8 : 0);
	need += len;
	if (size < need) {
		*framelen = need;
		return ENODATA;
	}

	memset(f, 0, sizeof(*f));
	f->type = buf[1];
	f->flags = flags & (FRAME_F_PING | FRAME_F_PONG | FRAME_F_TCP);
	f->relay_port = get_u16(buf + 10);
	if (flags & FRAME_F_IPV6)
		sa_set_in6(&f->addr, buf + 12, get_u16(buf + 8));
	else
		sa_set_in(&f->addr, get_u32(buf + 12), get_u16(buf + 8));

	buf += FRAME_FIXED_LEN + addrlen;
	f->rel = (flags & FRAME_F_REL) != 0;
	if (f->rel) {
		f->seq = get_u32(buf);
		f->ack = get_u32(buf + 4);
		buf += 8;
	}
	f->payload = buf;
	f->len = len;

	err = frame_validate(f);
	if (err)
		return err;

	*framelen = need;
	return 0;
}

/**
 * Encode a frame into @buf
 *
 * @return 0, EINVAL (inconsistent frame), EMSGSIZE (payload too large)
 *         or EOVERFLOW (@buf too small)
 */
int frame_encode(uint8_t *buf, size_t size, const struct frame *f,
                 size_t *framelen)
{
	size_t hlen, off;

	if (!buf || !f || !framelen)
		return EINVAL;
	if (f->len > FRAME_MAX_PAYLOAD)
		return EMSGSIZE;
	if (frame_validate(f))
		return EINVAL;

	hlen = frame_hdr_len(f);
	if (size < hlen + f->len)
		return EOVERFLOW;

	buf[0] = FRAME_VERSION;
	buf[1] = (uint8_t)f->type;
	buf[2] =
	    (uint8_t)(f->flags | (addr_is_v6(&f->addr) ? FRAME_F_IPV6 : 0) |
	              (f->rel ? FRAME_F_REL : 0));
	buf[3] = 0;
	put_u32(buf + 4, (uint32_t)f->len);
	put_u16(buf + 8, sa_port(&f->addr));
	put_u16(buf + 10, f->relay_port);
	off = FRAME_FIXED_LEN;
	if (addr_is_v6(&f->addr)) {
		sa_in6(&f->addr, buf + off);
		off += 16;
	} else {
		put_u32(buf + off,
		        sa_af(&f->addr) == AF_INET ? sa_in(&f->addr) : 0);
		off += 4;
	}
	if (f->rel) {
		put_u32(buf + off, f->seq);
		put_u32(buf + off + 4, f->ack);
		off += 8;
	}
	if (f->len)
		memcpy(buf + off, f->payload, f->len);

	*framelen = off + f->len;
	return 0;
}

const char *frame_type_name(enum frame_type type)
{
	switch (type) {

	case FRAME_SIP:
		return "SIP";
	case FRAME_RTP:
		return "RTP";
	case FRAME_RTCP:
		return "RTCP";
	case FRAME_CONTROL:
		return "control";
	case FRAME_KEEPALIVE:
		return "keepalive";
	default:
		return "?";
	}
}

/* What a decode error means, in words for a log line */
const char *frame_strerror(int err)
{
	switch (err) {

	case 0:
		return "no error";
	case ENODATA:
		return "truncated frame";
	case EPROTONOSUPPORT:
		return "unknown frame version";
	case EMSGSIZE:
		return "frame payload over the size limit";
	case EBADMSG:
		return "malformed or inconsistent frame";
	default:
		return "frame error";
	}
}
