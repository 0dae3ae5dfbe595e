/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sipfwd.c  Building the messages a proxy passes on
 *
 * libre's msg->hdrl lists header lines in order, except that Via and
 * Route are split into one entry per value; copying hdrl therefore keeps
 * every other header exactly as it came.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "digest.h"
#include "sipfwd.h"

/* The body, trimmed to Content-Length (UDP datagrams may carry more) */
int sipfwd_body(const struct sip_msg *msg, struct pl *body)
{
	size_t left = mbuf_get_left(msg->mb);
	uint32_t clen;

	body->p = (const char *)mbuf_buf(msg->mb);
	body->l = left;
	if (!pl_isset(&msg->clen))
		return msg->tp == SIP_TRANSP_UDP ? 0 : EBADMSG;

	clen = pl_u32(&msg->clen);
	if (clen > left)
		return EBADMSG; /* a Content-Length that lies */
	body->l = clen;
	return body->l > SIPFWD_BODY_MAX ? EMSGSIZE : 0;
}

/*
 * Max-Forwards of a request: -1 when absent, -2 when malformed; a value
 * over 255 counts as 255, leading zeros as what they are ("0001" is 1)
 */
int sipfwd_maxfwd(const struct sip_msg *msg)
{
	const struct pl *m = &msg->maxfwd;
	uint32_t v = 0;

	if (!pl_isset(m))
		return -1;
	for (size_t i = 0; i < m->l; i++) {
		if (m->p[i] < '0' || m->p[i] > '9')
			return -2;
		v = min(v * 10 + (uint32_t)(m->p[i] - '0'), 256u);
	}
	return (int)min(v, 255u);
}

static bool via_has_param(const struct sip_via *via, const char *name)
{
	struct pl v;

	return msg_param_exists(&via->params, name, &v) == 0;
}

/* Via params but received and rport, which the proxy writes anew */
static int write_params(struct mbuf *mb, const struct pl *params)
{
	const char *p = params->p, *end = params->p + params->l;
	int err = 0;

	while (p < end) {
		const char *q = p + 1;
		size_t nlen;

		while (q < end && *q != ';')
			q++;
		/* the name: up to '=' within this parameter (the message
		 * is not NUL-terminated: never look past @q) */
		for (nlen = 0; p + 1 + nlen < q && p[1 + nlen] != '='; nlen++)
			;
		if (*p == ';' &&
		    !((nlen == 8 && !strncasecmp(p + 1, "received", 8)) ||
		      (nlen == 5 && !strncasecmp(p + 1, "rport", 5))))
			err |= mbuf_write_mem(mb, (const uint8_t *)p,
			                      (size_t)(q - p));
		p = q;
	}
	return err;
}

/**
 * The received request's Via values, in order; the first gains received
 * and rport as RFC 3261 §18.2.1 and RFC 3581 §4 say, so responses find
 * their way back through NATs and the tunnel gateway
 */
int sipfwd_vias(struct mbuf *mb, const struct sip_msg *msg,
                const struct sa *src)
{
	bool first = true;
	struct le *le;
	int err = 0;

	LIST_FOREACH(&msg->hdrl, le)
	{
		const struct sip_hdr *hdr = le->data;
		struct sip_via via;
		bool rport, recv;

		if (hdr->id != SIP_HDR_VIA)
			continue;
		if (!first) {
			err |= mbuf_printf(mb, "Via: %r\r\n", &hdr->val);
			continue;
		}
		first = false;

		if (sip_via_decode(&via, &hdr->val))
			return EBADMSG;
		rport = via_has_param(&via, "rport");
		recv = !sa_cmp(&via.addr, src, SA_ADDR);

		if (!via.params.p) {
			err |= mbuf_printf(mb, "Via: %r", &hdr->val);
		} else {
			err |= mbuf_printf(mb, "Via: %b", hdr->val.p,
			                   (size_t)(via.params.p - hdr->val.p));
			err |= write_params(mb, &via.params);
		}
		if (recv || rport)
			err |= mbuf_printf(mb, ";received=%j", src);
		if (rport)
			err |= mbuf_printf(mb, ";rport=%u", sa_port(src));
		err |= mbuf_write_str(mb, "\r\n");
	}
	return err;
}

/**
 * Every header but Via (written by sipfwd_vias), the first
 * @routes_popped Route values (ours), Max-Forwards, Content-Length and
 * the Proxy-Authorization values for @own_realm (NULL: none),
 * then Max-Forwards (unless @maxfwd < 0), Content-Length and the body.
 *
 * Credentials for our realm are for us alone (RFC 3261 §22.3): they go
 * no further, whether this request needed them or not.  Phones send
 * them unasked on later requests (linphone on every in-dialog request
 * and ACK, once challenged), and the far party must not get a digest
 * of the user's password to attack offline.  Those for other realms
 * are for proxies further on, and pass.
 */
int sipfwd_headers(struct mbuf *mb, const struct sip_msg *msg,
                   uint32_t routes_popped, int maxfwd, const char *own_realm,
                   const struct pl *body)
{
	uint32_t routes = 0;
	struct le *le;
	int err = 0;

	LIST_FOREACH(&msg->hdrl, le)
	{
		const struct sip_hdr *hdr = le->data;

		switch (hdr->id) {

		case SIP_HDR_VIA:
		case SIP_HDR_MAX_FORWARDS:
		case SIP_HDR_CONTENT_LENGTH:
			continue;
		case SIP_HDR_PROXY_AUTHORIZATION:
			if (digest_creds_for(&hdr->val, own_realm))
				continue;
			err |= mbuf_printf(mb, "%r: %r\r\n", &hdr->name,
			                   &hdr->val);
			continue;
		case SIP_HDR_ROUTE:
			if (routes++ < routes_popped)
				continue;
			err |= mbuf_printf(mb, "Route: %r\r\n", &hdr->val);
			continue;
		default:
			/* a node's proof is for the next node alone: one
			 * that came in is never passed on */
			if (!pl_strcasecmp(&hdr->name, SIPFWD_NODE_HDR))
				continue;
			err |= mbuf_printf(mb, "%r: %r\r\n", &hdr->name,
			                   &hdr->val);
		}
	}

	if (maxfwd >= 0)
		err |= mbuf_printf(mb, "Max-Forwards: %d\r\n", maxfwd);
	err |= mbuf_printf(mb, "Content-Length: %zu\r\n\r\n", body->l);
	err |= mbuf_write_pl(mb, body);
	return err;
}

/**
 * A response passed upstream: the status line, every header but the top
 * Via (ours) and, with @own_challenges false, WWW-/Proxy-Authenticate,
 * then @extra_headers (each ending in CRLF, may be NULL), a corrected
 * Content-Length and the body (or @new_body: the SDP the relay wrote).
 * Each Record-Route value is written by @rrh when given (a proxy may
 * rewrite the values it added, RFC 3261 §16.7 step 4)
 */
int sipfwd_response(struct mbuf *mb, const struct sip_msg *msg,
                    const char *extra_headers, bool own_challenges,
                    const struct pl *new_body, sipfwd_rr_h *rrh, void *rr_arg)
{
	bool first_via = true;
	struct pl body;
	struct le *le;
	int err;

	err = sipfwd_body(msg, &body);
	if (err)
		return err;
	if (new_body)
		body = *new_body;

	err = mbuf_printf(mb, "SIP/2.0 %u %r\r\n", msg->scode, &msg->reason);
	LIST_FOREACH(&msg->hdrl, le)
	{
		const struct sip_hdr *hdr = le->data;

		if (hdr->id == SIP_HDR_VIA && first_via) {
			first_via = false;
			continue;
		}
		if (hdr->id == SIP_HDR_CONTENT_LENGTH)
			continue;
		if (!own_challenges && (hdr->id == SIP_HDR_WWW_AUTHENTICATE ||
		                        hdr->id == SIP_HDR_PROXY_AUTHENTICATE))
			continue;
		if (rrh && hdr->id == SIP_HDR_RECORD_ROUTE) {
			err |= mbuf_write_str(mb, "Record-Route: ");
			err |= rrh(mb, msg, &hdr->val, rr_arg);
			err |= mbuf_write_str(mb, "\r\n");
			continue;
		}
		err |= mbuf_printf(mb, "%r: %r\r\n", &hdr->name, &hdr->val);
	}
	if (extra_headers)
		err |= mbuf_write_str(mb, extra_headers);
	err |= mbuf_printf(mb, "Content-Length: %zu\r\n\r\n", body.l);
	err |= mbuf_write_pl(mb, &body);
	mbuf_set_pos(mb, 0);
	return err;
}
