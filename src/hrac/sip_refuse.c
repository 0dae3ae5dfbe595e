/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sip_refuse.c  A final answer hrac gives in HRAS's place
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "sip_refuse.h"

static bool via_copy(const struct sip_hdr *hdr, const struct sip_msg *msg,
                     void *arg)
{
	(void)msg;
	return mbuf_printf(arg, "Via: %r\r\n", &hdr->val) != 0;
}

/**
 * The response @scode @reason to the request @req
 *
 * @return 0 (*mbp holds it, from its start), ENOENT (a response or an
 *         ACK: nothing to answer), EBADMSG (not SIP), ENOMEM
 */
int sip_refuse_build(struct mbuf **mbp, const uint8_t *req, size_t len,
                     uint16_t scode, const char *reason, uint32_t retry_after)
{
	const struct sip_hdr *from, *to;
	struct sip_msg *msg = NULL;
	struct mbuf *in, *out;
	int e;

	in = mbuf_alloc(len);
	if (!in)
		return ENOMEM;
	e = mbuf_write_mem(in, req, len);
	mbuf_set_pos(in, 0);
	e = e ? e : sip_msg_decode(&msg, in);
	mem_deref(in);
	if (e)
		return e == ENOMEM ? e : EBADMSG;
	from = sip_msg_hdr(msg, SIP_HDR_FROM);
	to = sip_msg_hdr(msg, SIP_HDR_TO);
	if (!msg->req || !pl_strcmp(&msg->met, "ACK")) {
		e = ENOENT;
		goto out;
	}
	if (!from || !to || !pl_isset(&msg->callid) ||
	    !sip_msg_hdr(msg, SIP_HDR_VIA) || !pl_isset(&msg->cseq.met)) {
		e = EBADMSG;
		goto out;
	}
	out = mbuf_alloc(512);
	if (!out) {
		e = ENOMEM;
		goto out;
	}
	e = mbuf_printf(out, "SIP/2.0 %u %s\r\n", scode, reason);
	if (!e && sip_msg_hdr_apply(msg, true, SIP_HDR_VIA, via_copy, out))
		e = ENOMEM;
	e = e ? e : mbuf_printf(out, "From: %r\r\n", &from->val);
	/* a final response to a request outside a dialog needs a To tag:
	 * one of our own, random */
	e = e ? e
	      : mbuf_printf(out, "To: %r", &to->val) ||
	            (!pl_isset(&msg->to.tag) &&
	             mbuf_printf(out, ";tag=%016llx", rand_u64())) ||
	            mbuf_write_str(out, "\r\n");
	e = e ? e
	      : mbuf_printf(out,
	                    "Call-ID: %r\r\nCSeq: %u %r\r\n"
	                    "Retry-After: %u\r\nContent-Length: 0\r\n\r\n",
	                    &msg->callid, msg->cseq.num, &msg->cseq.met,
	                    retry_after);
	if (e) {
		mem_deref(out);
		e = ENOMEM;
		goto out;
	}
	mbuf_set_pos(out, 0);
	*mbp = out;
out:
	mem_deref(msg);
	return e;
}
