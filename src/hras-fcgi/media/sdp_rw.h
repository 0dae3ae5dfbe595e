/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sdp_rw.h  SDP rewritten at text level for the media relay
 *
 * libre's sdp module is built for endpoints; a relay must change a few
 * fields of someone else's SDP and keep every other byte: c= (session
 * and media level), the m= ports, a=rtcp, the o= address when it would
 * leak an inside address plan, and ICE candidates with private
 * addresses (they cannot work across the tunnel).  The ports of a
 * stream come in RTP/RTCP pairs: RTCP is the RTP port + 1 unless
 * a=rtcp says otherwise (RFC 3605) or a=rtcp-mux puts it on the RTP port.
 */

enum {
	SDP_RW_MEDIA_MAX = 16, /* m= lines relayed per SDP at most */
};

/* What one m= line of an SDP asks for */
struct sdp_rw_media {
	bool rejected; /* port 0: stays 0 */
	bool hold;     /* connection address 0.0.0.0 (or ::): send nothing */
	bool mux;      /* a=rtcp-mux */
	struct sa rtp; /* where the party receives RTP */
	struct sa rtcp;
};

/* How to rewrite: our address, and per m= line our even RTP port (0:
 * leave that line's port alone) */
struct sdp_rw_to {
	struct sa addr;
	uint16_t ports[SDP_RW_MEDIA_MAX];
	size_t n;
	bool fix_origin; /* o= gets our address (inside plan must not leak) */
};

bool sdp_rw_is_sdp(const struct pl *ctype);
int sdp_rw_read(const struct pl *sdp, struct sdp_rw_media *mv, size_t *n);
int sdp_rw_write(struct mbuf *out, const struct pl *sdp,
                 const struct sdp_rw_to *to);
bool sdp_rw_private(const struct sa *a);
