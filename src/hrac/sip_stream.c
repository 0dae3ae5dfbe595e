/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sip_stream.c  Where one SIP message ends in a TCP byte stream
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include "sip_stream.h"

/* The value of Content-Length (or its compact form "l") in a header
 * block, or -1 when it is missing or not a number */
static long content_length(const char *h, size_t hlen)
{
	const char *end = h + hlen;
	const char *line = h;
	long found = -1;

	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *p;
		size_t nlen;

		if (!eol)
			eol = end;
		p = memchr(line, ':', (size_t)(eol - line));
		if (p) {
			nlen = (size_t)(p - line);
			while (nlen && (line[nlen - 1] == ' ' ||
			                line[nlen - 1] == '\t'))
				nlen--;
			if ((nlen == 14 &&
			     !strncasecmp(line, "Content-Length", 14)) ||
			    (nlen == 1 && (*line == 'l' || *line == 'L'))) {
				long v = 0;
				bool digits = false;

				for (p++; p < eol && (*p == ' ' || *p == '\t');
				     p++)
					;
				for (; p < eol && *p >= '0' && *p <= '9'; p++) {
					v = v * 10 + (*p - '0');
					digits = true;
					if (v > SIP_STREAM_MAX)
						return -1;
				}
				for (; p < eol &&
				       (*p == ' ' || *p == '\t' || *p == '\r');
				     p++)
					;
				/* two different values: the message lies */
				if (!digits || p != eol ||
				    (found >= 0 && found != v))
					return -1;
				found = v;
			}
		}
		line = eol + 1;
	}
	return found;
}

/**
 * Find the end of the next message or keepalive in a stream buffer
 *
 * @param max  a message may be this long at most
 * @return 0 (*kind and *lenp set), EAGAIN (need more bytes), or EBADMSG
 *         (no Content-Length, a bad one, or over max: the stream cannot
 *         be resynchronised and should be closed)
 */
int sip_stream_next(const uint8_t *buf, size_t len, size_t max,
                    enum sip_stream_kind *kind, size_t *lenp)
{
	const char *s = (const char *)buf;
	const char *eoh;
	size_t n = 0, hlen;
	long clen;

	while (n < len && (s[n] == '\r' || s[n] == '\n'))
		n++;
	if (n) {
		*kind = SIP_STREAM_KEEPALIVE;
		*lenp = n;
		return 0;
	}
	if (!len)
		return EAGAIN;

	eoh = memmem(s, len < max ? len : max, "\r\n\r\n", 4);
	if (!eoh)
		return len >= max ? EBADMSG : EAGAIN;
	hlen = (size_t)(eoh - s) + 4;

	clen = content_length(s, hlen - 2);
	if (clen < 0 || hlen + (size_t)clen > max)
		return EBADMSG;
	if (len < hlen + (size_t)clen)
		return EAGAIN;

	*kind = SIP_STREAM_MSG;
	*lenp = hlen + (size_t)clen;
	return 0;
}
