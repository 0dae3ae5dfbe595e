/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sip_stream.h  Where one SIP message ends in a TCP byte stream
 *
 * RFC 3261 18.3: on a stream transport a message is its header, the empty
 * line, and Content-Length bytes of body.  This is all the SIP hrac
 * parses: it must know where to cut, nothing more.
 */

enum {
	SIP_STREAM_MAX = 65536, /* a message (header and body) at most */
};

/* What the next bytes of the stream are */
enum sip_stream_kind {
	SIP_STREAM_MSG,       /* a message of *lenp bytes */
	SIP_STREAM_KEEPALIVE, /* *lenp bytes of CRLF keepalive (RFC 5626) */
};

int sip_stream_next(const uint8_t *buf, size_t len, size_t max,
                    enum sip_stream_kind *kind, size_t *lenp);
