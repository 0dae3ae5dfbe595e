/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file frame.h  Tunnel frames: the generalized RA header (see sofw-tunnel(7))
 *
 * Every byte that crosses the HTTP tunnel is a sequence of frames.  The
 * codec is shared by hrac and hras-fcgi so both ends agree byte for byte.
 * All fields are in network byte order:
 *
 *   0       version (FRAME_VERSION)
 *   1       type    (enum frame_type)
 *   2       flags   (FRAME_F_*)
 *   3       reserved, must be 0
 *   4..7    payload length
 *   8..9    inside party port
 *   10..11  relay port
 *   12..    inside party address: 4 bytes, or 16 with FRAME_F_IPV6
 *   ..      sequence number, cumulative ack (4 + 4 bytes, FRAME_F_REL)
 *   ..      payload
 */

enum {
	FRAME_VERSION = 1,
	FRAME_FIXED_LEN = 12,
	FRAME_MAX_HDR_LEN = FRAME_FIXED_LEN + 16 + 8,
	/* the largest payload the protocol allows; configurable lower */
	FRAME_MAX_PAYLOAD = 65535,
};

enum frame_type {
	FRAME_SIP = 1,
	FRAME_RTP = 2,
	FRAME_RTCP = 3,
	FRAME_CONTROL = 4,
	FRAME_KEEPALIVE = 5,
};

enum frame_flags {
	FRAME_F_IPV6 = 0x01, /* the address is 16 bytes */
	FRAME_F_REL = 0x02,  /* sequence number and ack are present */
	FRAME_F_PING = 0x04, /* keepalive asking for a PONG */
	FRAME_F_PONG = 0x08, /* keepalive answering a PING */
	FRAME_F_TCP = 0x10,  /* SIP frame: the inside party uses TCP */
	FRAME_F_ALL = 0x1f,
};

struct frame {
	enum frame_type type;
	uint8_t flags;       /* FRAME_F_PING/PONG/TCP; IPV6 and REL derived */
	struct sa addr;      /* inside party (unset: 0.0.0.0:0) */
	uint16_t relay_port; /* HRAC/HRAS media port, 0 for signalling */
	bool rel;            /* carries seq and ack */
	uint32_t seq;        /* reliable frames: >= 1; ack-only: 0 */
	uint32_t ack;        /* cumulative: every seq <= ack arrived */
	const uint8_t *payload; /* points into the decoded buffer */
	size_t len;
};

/* The whole encoded frame of a decoded one (for relaying it unchanged) */
static inline const uint8_t *frame_wire(const struct frame *f, size_t *len)
{
	size_t hlen =
	    12 + (sa_af(&f->addr) == AF_INET6 ? 16 : 4) + (f->rel ? 8 : 0);

	*len = hlen + f->len;
	return f->payload - hlen;
}

int frame_decode(struct frame *f, const uint8_t *buf, size_t size,
                 size_t max_payload, size_t *framelen);
int frame_validate(const struct frame *f);
size_t frame_hdr_len(const struct frame *f);
int frame_encode(uint8_t *buf, size_t size, const struct frame *f,
                 size_t *framelen);
bool frame_is_reliable_type(enum frame_type type);
const char *frame_type_name(enum frame_type type);
const char *frame_strerror(int err);
