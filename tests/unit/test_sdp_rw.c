/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_sdp_rw.c  SDP rewriting for the media relay
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "sdp_rw.h"
#include "unit.h"

static const char offer[] =
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 10.1.0.5\r\n"
    "s=-\r\n"
    "c=IN IP4 10.1.0.5\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtcp:49175\r\n"
    "a=candidate:1 1 UDP 2130706431 10.1.0.5 49170 typ host\r\n"
    "a=candidate:2 1 UDP 1694498815 203.0.113.7 5000 typ srflx\r\n"
    "a=sendrecv\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "m=video 51372 RTP/AVP 97\r\n"
    "c=IN IP4 10.1.0.6\r\n"
    "a=rtcp-mux\r\n";

static int read_media(void)
{
	struct sdp_rw_media m[SDP_RW_MEDIA_MAX];
	struct pl sdp = PL(offer);
	size_t n = 0;

	TEST_EQ(sdp_rw_read(&sdp, m, &n), 0);
	TEST_EQ(n, 3);
	TEST_ASSERT(!m[0].rejected && !m[0].hold && !m[0].mux);
	TEST_EQ(sa_port(&m[0].rtp), 49170);
	TEST_EQ(sa_in(&m[0].rtp), 0x0a010005);
	TEST_EQ(sa_port(&m[0].rtcp), 49175); /* a=rtcp wins over port+1 */
	TEST_ASSERT(m[1].rejected);
	TEST_ASSERT(m[2].mux);
	TEST_EQ(sa_in(&m[2].rtp), 0x0a010006); /* media level c= wins */
	TEST_EQ(sa_port(&m[2].rtcp), 51372);   /* rtcp-mux */
	return 0;
}

static int write_relay(void)
{
	static const char want[] =
	    "v=0\r\n"
	    "o=alice 2890844526 2890844527 IN IP4 192.0.2.1\r\n"
	    "s=-\r\n"
	    "c=IN IP4 192.0.2.1\r\n"
	    "t=0 0\r\n"
	    "m=audio 30000 RTP/AVP 0 101\r\n"
	    "a=rtpmap:0 PCMU/8000\r\n"
	    "a=rtcp:30001\r\n"
	    "a=candidate:2 1 UDP 1694498815 203.0.113.7 5000 typ srflx\r\n"
	    "a=sendrecv\r\n"
	    "m=video 0 RTP/AVP 96\r\n"
	    "m=video 30004 RTP/AVP 97\r\n"
	    "c=IN IP4 192.0.2.1\r\n"
	    "a=rtcp-mux\r\n";
	struct sdp_rw_to to = { .n = 3,
		                .ports = { 30000, 30002, 30004 },
		                .fix_origin = true };
	struct pl sdp = PL(offer);
	struct mbuf *mb = mbuf_alloc(1024);

	TEST_ASSERT(mb);
	sa_set_str(&to.addr, "192.0.2.1", 0);
	TEST_EQ(sdp_rw_write(mb, &sdp, &to), 0);
	TEST_EQ(mb->end, sizeof(want) - 1);
	TEST_MEMEQ(mb->buf, want, sizeof(want) - 1);
	mem_deref(mb);
	return 0;
}

static int hold_and_lf(void)
{
	/* legacy hold (c=0.0.0.0), bare LF line ends, IPv6 relay */
	static const char in[] = "v=0\no=- 1 2 IN IP4 198.51.100.9\ns=-\n"
	                         "c=IN IP4 0.0.0.0\nt=0 0\n"
	                         "m=audio 4000 RTP/AVP 8\na=sendonly\n";
	static const char want[] = "v=0\no=- 1 2 IN IP4 198.51.100.9\ns=-\n"
	                           "c=IN IP4 0.0.0.0\nt=0 0\n"
	                           "m=audio 20000 RTP/AVP 8\na=sendonly\n";
	struct sdp_rw_media m[SDP_RW_MEDIA_MAX];
	struct sdp_rw_to to = { .n = 1, .ports = { 20000 } };
	struct pl sdp = PL(in);
	struct mbuf *mb = mbuf_alloc(256);
	size_t n;

	TEST_ASSERT(mb);
	TEST_EQ(sdp_rw_read(&sdp, m, &n), 0);
	TEST_EQ(n, 1);
	TEST_ASSERT(m[0].hold);
	sa_set_str(&to.addr, "fd77::1", 0);
	TEST_EQ(sdp_rw_write(mb, &sdp, &to), 0);
	TEST_EQ(mb->end, sizeof(want) - 1);
	TEST_MEMEQ(mb->buf, want, sizeof(want) - 1);

	/* and an IPv6 address where there is one */
	mbuf_rewind(mb);
	{
		static const char in6[] = "v=0\r\nc=IN IP4 10.0.0.1\r\n"
		                          "m=audio 4000 RTP/AVP 8\r\n"
		                          "a=rtcp:4001 IN IP4 10.0.0.1\r\n";
		static const char want6[] = "v=0\r\nc=IN IP6 fd77::1\r\n"
		                            "m=audio 20000 RTP/AVP 8\r\n"
		                            "a=rtcp:20001 IN IP6 fd77::1\r\n";
		struct pl p6 = PL(in6);

		TEST_EQ(sdp_rw_read(&p6, m, &n), 0);
		TEST_EQ(sa_port(&m[0].rtcp), 4001);
		TEST_EQ(sdp_rw_write(mb, &p6, &to), 0);
		TEST_EQ(mb->end, sizeof(want6) - 1);
		TEST_MEMEQ(mb->buf, want6, sizeof(want6) - 1);
	}
	mem_deref(mb);
	return 0;
}

static int bad_sdp(void)
{
	static const char *const bad[] = {
		"v=0\r\ns=-\r\n",                               /* no m= */
		"v=0\r\nm=audio 4000 RTP/AVP 0\r\n",            /* no c= */
		"v=0\r\nc=IN IP4 x\r\nm=audio 1 RTP/AVP 0\r\n", /* bad c= */
		"v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio RTP/AVP\r\n",
	};
	struct sdp_rw_media m[SDP_RW_MEDIA_MAX];
	size_t n;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct pl p;

		pl_set_str(&p, bad[i]);
		TEST_EQ(sdp_rw_read(&p, m, &n), EBADMSG);
	}
	return 0;
}

static int too_many_media(void)
{
	struct sdp_rw_media m[SDP_RW_MEDIA_MAX];
	struct mbuf *mb = mbuf_alloc(4096);
	struct pl p;
	size_t n;

	TEST_ASSERT(mb);
	mbuf_printf(mb, "v=0\r\nc=IN IP4 10.0.0.1\r\n");
	for (int i = 0; i <= SDP_RW_MEDIA_MAX; i++)
		mbuf_printf(mb, "m=audio %d RTP/AVP 0\r\n", 4000 + 2 * i);
	p.p = (const char *)mb->buf;
	p.l = mb->end;
	TEST_EQ(sdp_rw_read(&p, m, &n), E2BIG);
	mem_deref(mb);
	return 0;
}

static int private_addresses(void)
{
	static const char *const priv[] = { "10.1.2.3",   "172.16.0.1",
		                            "172.31.9.9", "192.168.1.1",
		                            "100.64.0.1", "169.254.1.1",
		                            "fd77::1",    "fe80::1" };
	static const char *const pub[] = { "172.32.0.1", "192.0.2.1", "8.8.8.8",
		                           "2001:db8::1" };
	struct sa a;

	for (size_t i = 0; i < ARRAY_SIZE(priv); i++) {
		sa_set_str(&a, priv[i], 0);
		TEST_ASSERT(sdp_rw_private(&a));
	}
	for (size_t i = 0; i < ARRAY_SIZE(pub); i++) {
		sa_set_str(&a, pub[i], 0);
		TEST_ASSERT(!sdp_rw_private(&a));
	}
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(read_media),     UNIT_TEST(write_relay),
		UNIT_TEST(hold_and_lf),    UNIT_TEST(bad_sdp),
		UNIT_TEST(too_many_media), UNIT_TEST(private_addresses),
	};

	return unit_main("sdp_rw", tests, ARRAY_SIZE(tests));
}
