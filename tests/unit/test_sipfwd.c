/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_sipfwd.c  Building the messages a proxy passes on: headers
 * kept as received, the proxy's own rewritten, the body byte for byte
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "sipfwd.h"
#include "unit.h"

/* Decode @text as received over @tp from @src */
static struct sip_msg *decode(const char *text, size_t len, enum sip_transp tp,
                              const char *src)
{
	struct mbuf *mb = mbuf_alloc(len + 1);
	struct sip_msg *msg = NULL;

	if (!mb)
		return NULL;
	if (!mbuf_write_mem(mb, (const uint8_t *)text, len)) {
		mb->pos = 0;
		if (!sip_msg_decode(&msg, mb)) {
			msg->tp = tp;
			sa_decode(&msg->src, src, strlen(src));
		}
	}
	mem_deref(mb);
	return msg;
}

static struct sip_msg *decode_str(const char *text, enum sip_transp tp)
{
	return decode(text, strlen(text), tp, "198.51.100.20:40000");
}

/* @mb from its start equals @want */
static int mb_is(const struct mbuf *mb, const char *want)
{
	size_t n = strlen(want);

	if (mb->end != n || memcmp(mb->buf, want, n)) {
		fprintf(stderr, "got:\n%.*s\nwant:\n%s\n", (int)mb->end,
		        (const char *)mb->buf, want);
		return 1;
	}
	return 0;
}

#define REQ_HEAD                                                               \
	"INVITE sip:bob@sofw.test SIP/2.0\r\n"                                 \
	"Via: SIP/2.0/UDP 10.1.0.5:5060;branch=z9hG4bK-a;rport\r\n"            \
	"Via: SIP/2.0/TCP p1.example.com;branch=z9hG4bK-b, "                   \
	"SIP/2.0/UDP p2.example.com;branch=z9hG4bK-c\r\n"                      \
	"Route: <sip:hras.sofw.test;lr>, <sip:next.example.com;lr>\r\n"        \
	"Route: <sip:last.example.com;lr>\r\n"                                 \
	"Max-Forwards: 70\r\n"                                                 \
	"f: \"Alice\" <sip:alice@sofw.test>;tag=9fxced76sl\r\n"                \
	"To: Bob <sip:bob@sofw.test>\r\n"                                      \
	"call-id: 3848276298220188511@atlanta.example.com\r\n"                 \
	"CSeq: 2 INVITE\r\n"                                                   \
	"Proxy-Authorization: Digest username=\"alice\", "                     \
	"realm=\"sofw.test\"\r\n"                                              \
	"Proxy-Authorization: Digest username=\"a1\", "                        \
	"realm=\"trunk.example.net\"\r\n"                                      \
	"X-Odd:  two  spaces ,and;params=1\r\n"                                \
	"Contact: <sip:alice@10.1.0.5:5060>\r\n"                               \
	"Content-Type: application/sdp\r\n"

static const char body[] = "v=0\r\no=- 1 1 IN IP4 10.1.0.5\r\ns=-\r\n";

/* What a forwarded request keeps: every header as received but Via,
 * Max-Forwards, Content-Length, the Route values popped and the
 * Proxy-Authorization for our realm (credentials for another realm
 * pass); then Max-Forwards, Content-Length, body */
static int forward_headers(void)
{
	char text[2048];
	struct sip_msg *msg;
	struct mbuf *mb = mbuf_alloc(2048);
	struct pl b;
	int n;

	n = snprintf(text, sizeof(text),
	             REQ_HEAD "Content-Length: %zu\r\n\r\n%s", strlen(body),
	             body);
	msg = decode(text, (size_t)n, SIP_TRANSP_UDP, "198.51.100.20:40000");
	TEST_ASSERT(msg && mb);
	TEST_EQ(sipfwd_body(msg, &b), 0);
	TEST_EQ(b.l, 35);
	TEST_EQ(strlen(body), 35);

	TEST_EQ(sipfwd_headers(mb, msg, 1, 69, "sofw.test", &b), 0);
	if (mb_is(mb, "Route: <sip:next.example.com;lr>\r\n"
	              "Route: <sip:last.example.com;lr>\r\n"
	              "f: \"Alice\" <sip:alice@sofw.test>;tag=9fxced76sl\r\n"
	              "To: Bob <sip:bob@sofw.test>\r\n"
	              "call-id: 3848276298220188511@atlanta.example.com\r\n"
	              "CSeq: 2 INVITE\r\n"
	              "Proxy-Authorization: Digest username=\"a1\", "
	              "realm=\"trunk.example.net\"\r\n"
	              "X-Odd: two  spaces ,and;params=1\r\n"
	              "Contact: <sip:alice@10.1.0.5:5060>\r\n"
	              "Content-Type: application/sdp\r\n"
	              "Max-Forwards: 69\r\n"
	              "Content-Length: 35\r\n"
	              "\r\n"
	              "v=0\r\no=- 1 1 IN IP4 10.1.0.5\r\ns=-\r\n"))
		return 1;

	/* nothing popped, no realm of ours (no authentication): credentials
	 * kept; no Max-Forwards, a new body */
	mbuf_reset(mb);
	pl_set_str(&b, "x");
	TEST_EQ(sipfwd_headers(mb, msg, 0, -1, NULL, &b), 0);
	if (mb_is(mb, "Route: <sip:hras.sofw.test;lr>\r\n"
	              "Route: <sip:next.example.com;lr>\r\n"
	              "Route: <sip:last.example.com;lr>\r\n"
	              "f: \"Alice\" <sip:alice@sofw.test>;tag=9fxced76sl\r\n"
	              "To: Bob <sip:bob@sofw.test>\r\n"
	              "call-id: 3848276298220188511@atlanta.example.com\r\n"
	              "CSeq: 2 INVITE\r\n"
	              "Proxy-Authorization: Digest username=\"alice\", "
	              "realm=\"sofw.test\"\r\n"
	              "Proxy-Authorization: Digest username=\"a1\", "
	              "realm=\"trunk.example.net\"\r\n"
	              "X-Odd: two  spaces ,and;params=1\r\n"
	              "Contact: <sip:alice@10.1.0.5:5060>\r\n"
	              "Content-Type: application/sdp\r\n"
	              "Content-Length: 1\r\n"
	              "\r\n"
	              "x"))
		return 1;

	/* popping more than there are drops them all */
	mbuf_reset(mb);
	TEST_EQ(sipfwd_headers(mb, msg, 5, 0, "sofw.test", &b), 0);
	TEST_ASSERT(!memmem(mb->buf, mb->end, "Route", 5));
	TEST_ASSERT(memmem(mb->buf, mb->end, "Max-Forwards: 0\r\n", 17));
	mem_deref(mb);
	mem_deref(msg);
	return 0;
}

/* The Via values in order; the first gains received= when its sent-by
 * is not the source, and received= and rport= when it asks for rport */
static int vias(void)
{
	static const char direct[] =
	    "OPTIONS sip:sofw.test SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK-a\r\n"
	    "From: <sip:a@sofw.test>;tag=1\r\n"
	    "To: <sip:sofw.test>\r\n"
	    "Call-ID: c\r\n"
	    "CSeq: 1 OPTIONS\r\n"
	    "Content-Length: 0\r\n\r\n";
	static const char direct_rport[] =
	    "OPTIONS sip:sofw.test SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK-a;rport\r\n"
	    "From: <sip:a@sofw.test>;tag=1\r\n"
	    "To: <sip:sofw.test>\r\n"
	    "Call-ID: c\r\n"
	    "CSeq: 1 OPTIONS\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct sip_msg *msg;
	struct mbuf *mb = mbuf_alloc(1024);

	TEST_ASSERT(mb);
	msg = decode_str(REQ_HEAD "Content-Length: 0\r\n\r\n", SIP_TRANSP_UDP);
	TEST_ASSERT(msg);
	TEST_EQ(sipfwd_vias(mb, msg, &msg->src), 0);
	if (mb_is(mb, "Via: SIP/2.0/UDP "
	              "10.1.0.5:5060;branch=z9hG4bK-a;received="
	              "198.51.100.20;rport=40000\r\n"
	              "Via: SIP/2.0/TCP p1.example.com;branch=z9hG4bK-b\r\n"
	              "Via: SIP/2.0/UDP p2.example.com;branch=z9hG4bK-c\r\n"))
		return 1;
	mem_deref(msg);

	/* received and rport already there are written anew, after the
	 * other parameters */
	mbuf_reset(mb);
	msg = decode_str("OPTIONS sip:sofw.test SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP 10.1.0.5:5060;received=6.6.6.6;"
	                 "branch=z9hG4bK-a;rport=1;x\r\n"
	                 "From: <sip:a@sofw.test>;tag=1\r\n"
	                 "To: <sip:sofw.test>\r\n"
	                 "Call-ID: c\r\n"
	                 "CSeq: 1 OPTIONS\r\n"
	                 "Content-Length: 0\r\n\r\n",
	                 SIP_TRANSP_UDP);
	TEST_ASSERT(msg);
	TEST_EQ(sipfwd_vias(mb, msg, &msg->src), 0);
	if (mb_is(mb, "Via: SIP/2.0/UDP 10.1.0.5:5060;branch=z9hG4bK-a;"
	              "x;received=198.51.100.20;rport=40000\r\n"))
		return 1;
	mem_deref(msg);

	/* sent from where it says, with rport: received all the same
	 * (RFC 3581 §4) */
	mbuf_reset(mb);
	msg = decode(direct_rport, strlen(direct_rport), SIP_TRANSP_UDP,
	             "198.51.100.20:5062");
	TEST_ASSERT(msg);
	TEST_EQ(sipfwd_vias(mb, msg, &msg->src), 0);
	if (mb_is(mb, "Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK-a;"
	              "received=198.51.100.20;rport=5062\r\n"))
		return 1;
	mem_deref(msg);

	/* sent from where it says, without rport: untouched */
	mbuf_reset(mb);
	msg = decode(direct, strlen(direct), SIP_TRANSP_UDP,
	             "198.51.100.20:5060");
	TEST_ASSERT(msg);
	TEST_EQ(sipfwd_vias(mb, msg, &msg->src), 0);
	if (mb_is(mb,
	          "Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK-a\r\n"))
		return 1;
	mem_deref(msg);
	mem_deref(mb);
	return 0;
}

static int maxfwd_of(const char *value)
{
	char text[512];
	struct sip_msg *msg;
	int r;

	snprintf(text, sizeof(text),
	         "OPTIONS sip:sofw.test SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 10.1.0.5;branch=z9hG4bK-a\r\n"
	         "%s%s%s"
	         "From: <sip:a@sofw.test>;tag=1\r\n"
	         "To: <sip:sofw.test>\r\n"
	         "Call-ID: c\r\n"
	         "CSeq: 1 OPTIONS\r\n"
	         "Content-Length: 0\r\n\r\n",
	         value ? "Max-Forwards: " : "", value ? value : "",
	         value ? "\r\n" : "");
	msg = decode_str(text, SIP_TRANSP_UDP);
	if (!msg)
		return -100;
	r = sipfwd_maxfwd(msg);
	mem_deref(msg);
	return r;
}

/* Max-Forwards: -1 absent, -2 malformed; more than 3 digits is 255 */
static int maxfwd(void)
{
	TEST_EQ(maxfwd_of(NULL), -1);
	TEST_EQ(maxfwd_of("70"), 70);
	TEST_EQ(maxfwd_of("0"), 0);
	TEST_EQ(maxfwd_of("1"), 1);
	TEST_EQ(maxfwd_of("255"), 255);
	TEST_EQ(maxfwd_of("1000"), 255);
	TEST_EQ(maxfwd_of("70000"), 255);
	TEST_EQ(maxfwd_of("256"), 255);
	TEST_EQ(maxfwd_of("999"), 255);
	TEST_EQ(maxfwd_of("0001"), 1);
	TEST_EQ(maxfwd_of("0000"), 0);
	TEST_EQ(maxfwd_of("00000000000000000070"), 70);
	TEST_EQ(maxfwd_of("99999999999999999999"), 255);
	TEST_EQ(maxfwd_of("-1"), -2);
	TEST_EQ(maxfwd_of("7a"), -2);
	TEST_EQ(maxfwd_of("abc"), -2);
	TEST_EQ(maxfwd_of("7 0"), -2);
	TEST_EQ(maxfwd_of("+7"), -2);
	return 0;
}

/* The body: trimmed to Content-Length; a length that lies, a stream
 * without one, or a body over the limit is refused */
static int bodies(void)
{
	static const char head[] =
	    "MESSAGE sip:bob@sofw.test SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.1.0.5;branch=z9hG4bK-a\r\n"
	    "From: <sip:a@sofw.test>;tag=1\r\n"
	    "To: <sip:bob@sofw.test>\r\n"
	    "Call-ID: c\r\n"
	    "CSeq: 1 MESSAGE\r\n";
	static char big[SIPFWD_BODY_MAX + 2];
	char text[SIPFWD_BODY_MAX + 1024];
	struct sip_msg *msg;
	struct pl b;
	int n;

	/* a datagram may carry more than its Content-Length */
	n = snprintf(text, sizeof(text),
	             "%sContent-Length: 5\r\n\r\nhello, and more", head);
	msg = decode(text, (size_t)n, SIP_TRANSP_UDP, "198.51.100.20:5060");
	TEST_ASSERT(msg);
	TEST_EQ(sipfwd_body(msg, &b), 0);
	TEST_EQ(b.l, 5);
	TEST_MEMEQ(b.p, "hello", 5);
	mem_deref(msg);

	/* a length longer than what came */
	n = snprintf(text, sizeof(text), "%sContent-Length: 50\r\n\r\nhello",
	             head);
	msg = decode(text, (size_t)n, SIP_TRANSP_UDP, "198.51.100.20:5060");
	TEST_ASSERT(msg);
	TEST_EQ(sipfwd_body(msg, &b), EBADMSG);
	mem_deref(msg);

	/* no Content-Length: over UDP the datagram's end, over TCP an
	 * error (RFC 3261 §18.3) */
	n = snprintf(text, sizeof(text), "%s\r\nhello", head);
	msg = decode(text, (size_t)n, SIP_TRANSP_UDP, "198.51.100.20:5060");
	TEST_ASSERT(msg);
	TEST_EQ(sipfwd_body(msg, &b), 0);
	TEST_EQ(b.l, 5);
	msg->tp = SIP_TRANSP_TCP;
	TEST_EQ(sipfwd_body(msg, &b), EBADMSG);
	mem_deref(msg);

	/* the limit, and one byte over */
	memset(big, 'a', sizeof(big) - 1);
	big[SIPFWD_BODY_MAX] = '\0';
	n = snprintf(text, sizeof(text), "%sContent-Length: %d\r\n\r\n%s", head,
	             SIPFWD_BODY_MAX, big);
	msg = decode(text, (size_t)n, SIP_TRANSP_TCP, "198.51.100.20:5060");
	TEST_ASSERT(msg);
	TEST_EQ(sipfwd_body(msg, &b), 0);
	TEST_EQ(b.l, SIPFWD_BODY_MAX);
	mem_deref(msg);
	big[SIPFWD_BODY_MAX] = 'a';
	n = snprintf(text, sizeof(text), "%sContent-Length: %d\r\n\r\n%s", head,
	             SIPFWD_BODY_MAX + 1, big);
	msg = decode(text, (size_t)n, SIP_TRANSP_TCP, "198.51.100.20:5060");
	TEST_ASSERT(msg);
	TEST_EQ(sipfwd_body(msg, &b), EMSGSIZE);
	mem_deref(msg);
	return 0;
}

/* A response passed upstream: our Via off, challenges kept only when
 * asked, extra headers, the length of the body it carries */
static int responses(void)
{
	static const char resp[] =
	    "SIP/2.0 407 Proxy Authentication Required\r\n"
	    "Via: SIP/2.0/UDP hras.sofw.test;branch=z9hG4bK-ours\r\n"
	    "Via: SIP/2.0/UDP "
	    "10.1.0.5:5060;branch=z9hG4bK-a;received=1.2.3.4\r\n"
	    "From: <sip:a@sofw.test>;tag=1\r\n"
	    "To: <sip:bob@example.com>;tag=2\r\n"
	    "Call-ID: c\r\n"
	    "CSeq: 1 INVITE\r\n"
	    "Proxy-Authenticate: Digest realm=\"example.com\", nonce=\"n\"\r\n"
	    "WWW-Authenticate: Digest realm=\"other\", nonce=\"m\"\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 4\r\n"
	    "\r\n"
	    "oops";
	static const char common[] =
	    "SIP/2.0 407 Proxy Authentication Required\r\n"
	    "Via: SIP/2.0/UDP "
	    "10.1.0.5:5060;branch=z9hG4bK-a;received=1.2.3.4\r\n"
	    "From: <sip:a@sofw.test>;tag=1\r\n"
	    "To: <sip:bob@example.com>;tag=2\r\n"
	    "Call-ID: c\r\n"
	    "CSeq: 1 INVITE\r\n";
	char want[2048];
	struct sip_msg *msg = decode_str(resp, SIP_TRANSP_UDP);
	struct mbuf *mb = mbuf_alloc(1024);
	struct pl nb = PL("v=0\r\n");

	TEST_ASSERT(msg && mb);
	TEST_EQ(sipfwd_response(mb, msg, NULL, true, NULL, NULL, NULL), 0);
	TEST_EQ(mb->pos, 0);
	snprintf(want, sizeof(want),
	         "%s"
	         "Proxy-Authenticate: Digest realm=\"example.com\", "
	         "nonce=\"n\"\r\n"
	         "WWW-Authenticate: Digest realm=\"other\", nonce=\"m\"\r\n"
	         "Content-Type: text/plain\r\n"
	         "Content-Length: 4\r\n"
	         "\r\n"
	         "oops",
	         common);
	if (mb_is(mb, want))
		return 1;

	mbuf_reset(mb);
	TEST_EQ(sipfwd_response(mb, msg,
	                        "Proxy-Authenticate: Digest realm=\"all\"\r\n",
	                        false, &nb, NULL, NULL),
	        0);
	snprintf(want, sizeof(want),
	         "%s"
	         "Content-Type: text/plain\r\n"
	         "Proxy-Authenticate: Digest realm=\"all\"\r\n"
	         "Content-Length: 5\r\n"
	         "\r\n"
	         "v=0\r\n",
	         common);
	if (mb_is(mb, want))
		return 1;
	mem_deref(msg);

	/* a response whose Content-Length lies is not passed on */
	msg = decode_str("SIP/2.0 200 OK\r\n"
	                 "Via: SIP/2.0/UDP hras.sofw.test;branch=z9hG4bK-o\r\n"
	                 "From: <sip:a@sofw.test>;tag=1\r\n"
	                 "To: <sip:b@sofw.test>;tag=2\r\n"
	                 "Call-ID: c\r\n"
	                 "CSeq: 1 INVITE\r\n"
	                 "Content-Length: 100\r\n\r\nshort",
	                 SIP_TRANSP_UDP);
	TEST_ASSERT(msg);
	mbuf_reset(mb);
	TEST_EQ(sipfwd_response(mb, msg, NULL, true, NULL, NULL, NULL),
	        EBADMSG);
	mem_deref(msg);
	mem_deref(mb);
	return 0;
}

/* Credentials for our realm are ours, whichever request carries them
 * (an ACK, a BYE, a re-INVITE: phones send them unasked once
 * challenged); a realm that merely looks like ours, or another scheme,
 * is not */
static int own_credentials(void)
{
	static const char head[] =
	    "BYE sip:olivia@192.0.2.20 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.77.10.21:5060;branch=z9hG4bK.x;rport\r\n"
	    "From: <sip:alice@sofw.test>;tag=a\r\n"
	    "To: <sip:olivia@sofw.test>;tag=o\r\n"
	    "Call-ID: c\r\n"
	    "CSeq: 24 BYE\r\n"
	    "Proxy-Authorization:  Digest realm=\"sofw.test\", nonce=\"n\", "
	    "algorithm=MD5, username=\"alice\",  "
	    "uri=\"sip:olivia@192.0.2.20\", "
	    "response=\"0123\", cnonce=\"c\", nc=00000002, qop=auth\r\n"
	    "Proxy-Authorization: Digest username=\"alice\", realm=sofw.test, "
	    "response=\"4567\"\r\n"
	    "Proxy-Authorization: digest\trealm=\"sofw.test\"\r\n"
	    "Proxy-Authorization: Digest realm=\"sofw.test.example\", "
	    "response=\"89ab\"\r\n"
	    "Proxy-Authorization: Basic c29mdy50ZXN0\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct sip_msg *msg = decode_str(head, SIP_TRANSP_UDP);
	struct mbuf *mb = mbuf_alloc(1024);
	struct pl b = PL("");

	TEST_ASSERT(msg && mb);
	TEST_EQ(sipfwd_headers(mb, msg, 0, 69, "sofw.test", &b), 0);
	if (mb_is(mb, "From: <sip:alice@sofw.test>;tag=a\r\n"
	              "To: <sip:olivia@sofw.test>;tag=o\r\n"
	              "Call-ID: c\r\n"
	              "CSeq: 24 BYE\r\n"
	              "Proxy-Authorization: Digest "
	              "realm=\"sofw.test.example\", response=\"89ab\"\r\n"
	              "Proxy-Authorization: Basic c29mdy50ZXN0\r\n"
	              "Max-Forwards: 69\r\n"
	              "Content-Length: 0\r\n"
	              "\r\n"))
		return 1;
	mem_deref(mb);
	mem_deref(msg);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(forward_headers), UNIT_TEST(vias),
		UNIT_TEST(maxfwd),          UNIT_TEST(bodies),
		UNIT_TEST(responses),       UNIT_TEST(own_credentials),
	};

	return unit_main("sipfwd", tests, ARRAY_SIZE(tests));
}
