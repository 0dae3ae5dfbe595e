/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_sip_refuse.c  hrac's own 503 to a request it cannot pass on
 *
 * The answer must match the request as RFC 3261 §8.2.6 says (every Via
 * in order, From, To with a tag, Call-ID, CSeq), so that the phone's
 * transaction takes it; ACKs and responses get nothing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "sip_refuse.h"
#include "unit.h"

static const char reg[] =
    "REGISTER sip:example.test SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 10.77.1.11:5062;branch=z9hG4bK-1;rport\r\n"
    "v: SIP/2.0/UDP 10.77.1.99:5070;branch=z9hG4bK-0\r\n"
    "f: <sip:alice@example.test>;tag=a1\r\n"
    "t: <sip:alice@example.test>\r\n"
    "i: reg-1@10.77.1.11\r\n"
    "CSeq: 7 REGISTER\r\n"
    "Contact: <sip:alice@10.77.1.11:5062;transport=tcp>\r\n"
    "l: 0\r\n\r\n";

static int decode(struct sip_msg **msg, struct mbuf *mb)
{
	return sip_msg_decode(msg, mb);
}

static int answers_register(void)
{
	struct mbuf *mb = NULL;
	struct sip_msg *msg = NULL;
	const char *text;
	const char *v1, *v2;

	TEST_EQ(sip_refuse_build(&mb, (const uint8_t *)reg, strlen(reg), 503,
	                         "HRAC Restarting", 2),
	        0);
	mbuf_set_pos(mb, mb->end);
	TEST_EQ(mbuf_write_u8(mb, 0), 0);
	text = (const char *)mb->buf;
	TEST_ASSERT(!strncmp(text, "SIP/2.0 503 HRAC Restarting\r\n", 29));
	v1 = strstr(text, "Via: SIP/2.0/TCP 10.77.1.11:5062;branch=z9hG4bK-1");
	v2 = strstr(text, "Via: SIP/2.0/UDP 10.77.1.99:5070;branch=z9hG4bK-0");
	TEST_ASSERT(v1 && v2 && v1 < v2);
	TEST_ASSERT(strstr(text, "Retry-After: 2\r\n") != NULL);
	TEST_ASSERT(strstr(text, "Content-Length: 0\r\n\r\n") != NULL);

	mb->end--; /* the NUL */
	mbuf_set_pos(mb, 0);
	TEST_EQ(decode(&msg, mb), 0);
	TEST_ASSERT(!msg->req);
	TEST_EQ(msg->scode, 503);
	TEST_ASSERT(!pl_strcmp(&msg->callid, "reg-1@10.77.1.11"));
	TEST_ASSERT(!pl_strcmp(&msg->from.tag, "a1"));
	TEST_ASSERT(pl_isset(&msg->to.tag)); /* ours */
	TEST_EQ(msg->cseq.num, 7);
	TEST_ASSERT(!pl_strcmp(&msg->cseq.met, "REGISTER"));
	TEST_ASSERT(!pl_strcmp(&msg->via.branch, "z9hG4bK-1"));
	mem_deref(msg);
	mem_deref(mb);
	return 0;
}

/* In a dialog the To tag is the peer's: kept, none added */
static int keeps_to_tag(void)
{
	static const char bye[] =
	    "BYE sip:bob@192.0.2.7 SIP/2.0\r\n"
	    "Via: SIP/2.0/TCP 10.77.1.11:5062;branch=z9hG4bK-2\r\n"
	    "From: <sip:alice@example.test>;tag=a1\r\n"
	    "To: <sip:bob@example.test>;tag=b9\r\n"
	    "Call-ID: c-2\r\nCSeq: 3 BYE\r\nContent-Length: 0\r\n\r\n";
	struct mbuf *mb = NULL;
	struct sip_msg *msg = NULL;

	TEST_EQ(sip_refuse_build(&mb, (const uint8_t *)bye, strlen(bye), 503,
	                         "X", 1),
	        0);
	TEST_EQ(decode(&msg, mb), 0);
	TEST_ASSERT(!pl_strcmp(&msg->to.tag, "b9"));
	TEST_EQ(msg->scode, 503);
	mem_deref(msg);
	mem_deref(mb);
	return 0;
}

static int nothing_to_answer(void)
{
	static const char ack[] =
	    "ACK sip:bob@192.0.2.7 SIP/2.0\r\n"
	    "Via: SIP/2.0/TCP 10.77.1.11:5062;branch=z9hG4bK-3\r\n"
	    "From: <sip:alice@example.test>;tag=a1\r\n"
	    "To: <sip:bob@example.test>;tag=b9\r\n"
	    "Call-ID: c-3\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
	static const char resp[] =
	    "SIP/2.0 200 OK\r\n"
	    "Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-4\r\n"
	    "From: <sip:bob@example.test>;tag=b9\r\n"
	    "To: <sip:alice@example.test>;tag=a1\r\n"
	    "Call-ID: c-4\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	static const char novia[] =
	    "OPTIONS sip:bob@192.0.2.7 SIP/2.0\r\n"
	    "From: <sip:alice@example.test>;tag=a1\r\n"
	    "To: <sip:bob@example.test>\r\n"
	    "Call-ID: c-5\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	struct mbuf *mb = NULL;

	TEST_EQ(sip_refuse_build(&mb, (const uint8_t *)ack, strlen(ack), 503,
	                         "X", 1),
	        ENOENT);
	TEST_EQ(sip_refuse_build(&mb, (const uint8_t *)resp, strlen(resp), 503,
	                         "X", 1),
	        ENOENT);
	TEST_EQ(sip_refuse_build(&mb, (const uint8_t *)novia, strlen(novia),
	                         503, "X", 1),
	        EBADMSG);
	TEST_EQ(sip_refuse_build(&mb, (const uint8_t *)"\x16\x03\x01", 3, 503,
	                         "X", 1),
	        EBADMSG);
	TEST_ASSERT(mb == NULL);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(answers_register),
		UNIT_TEST(keeps_to_tag),
		UNIT_TEST(nothing_to_answer),
	};
	int r;

	if (libre_init())
		return 1;
	r = unit_main("sip_refuse", tests, ARRAY_SIZE(tests));
	libre_close();
	return r;
}
