/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_frame.c  Frame codec: round trips and the strict decoder
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <re.h>
#include "frame.h"
#include "unit.h"

static int roundtrip_sip_v4(void)
{
	static const uint8_t sip[] = "INVITE sip:bob@example.com SIP/2.0\r\n";
	uint8_t buf[256];
	struct frame f, d;
	size_t n, m;

	memset(&f, 0, sizeof(f));
	f.type = FRAME_SIP;
	f.rel = true;
	f.seq = 7;
	f.ack = 3;
	sa_set_str(&f.addr, "10.1.2.3", 5060);
	f.payload = sip;
	f.len = sizeof(sip) - 1;

	TEST_EQ(frame_encode(buf, sizeof(buf), &f, &n), 0);
	TEST_EQ(n, 12 + 4 + 8 + f.len);
	TEST_EQ(frame_decode(&d, buf, n, FRAME_MAX_PAYLOAD, &m), 0);
	TEST_EQ(m, n);
	TEST_EQ(d.type, FRAME_SIP);
	TEST_EQ(d.seq, 7);
	TEST_EQ(d.ack, 3);
	TEST_ASSERT(sa_cmp(&d.addr, &f.addr, SA_ALL));
	TEST_EQ(d.len, f.len);
	TEST_MEMEQ(d.payload, sip, f.len);
	return 0;
}

static int truncated_is_enodata(void)
{
	uint8_t buf[64], pl[20] = { 1 };
	struct frame f, d;
	size_t n, m;

	memset(&f, 0, sizeof(f));
	f.type = FRAME_RTP;
	f.relay_port = 40000;
	sa_set_str(&f.addr, "fd77::5", 4000);
	f.payload = pl;
	f.len = sizeof(pl);
	TEST_EQ(frame_encode(buf, sizeof(buf), &f, &n), 0);
	for (size_t i = 0; i < n; i++)
		TEST_EQ(frame_decode(&d, buf, i, FRAME_MAX_PAYLOAD, &m),
		        ENODATA);
	return 0;
}

static int roundtrip(const struct frame *f)
{
	uint8_t buf[FRAME_MAX_HDR_LEN + 2048];
	const uint8_t *w;
	struct frame d;
	size_t n, m, wl;

	TEST_EQ(frame_encode(buf, sizeof(buf), f, &n), 0);
	TEST_EQ(n, frame_hdr_len(f) + f->len);
	TEST_EQ(frame_decode(&d, buf, n, FRAME_MAX_PAYLOAD, &m), 0);
	TEST_EQ(m, n);
	TEST_EQ(d.type, f->type);
	TEST_EQ(d.flags, f->flags);
	TEST_EQ(d.rel, f->rel);
	TEST_EQ(d.seq, f->seq);
	TEST_EQ(d.ack, f->ack);
	TEST_EQ(d.relay_port, f->relay_port);
	TEST_EQ(sa_port(&d.addr), sa_port(&f->addr));
	/* the address itself, IPv4 as well as IPv6 */
	if (sa_af(&f->addr) == AF_INET || sa_af(&f->addr) == AF_INET6)
		TEST_ASSERT(sa_cmp(&d.addr, &f->addr, SA_ALL));
	TEST_EQ(d.len, f->len);
	if (f->len)
		TEST_MEMEQ(d.payload, f->payload, f->len);
	w = frame_wire(&d, &wl);
	TEST_ASSERT(w == buf);
	TEST_EQ(wl, n);
	return 0;
}

static int roundtrip_every_kind(void)
{
	static const uint8_t pl[1024] = { 1, 2, 3 };
	struct frame f;

	memset(&f, 0, sizeof(f));
	f.type = FRAME_SIP;
	f.flags = FRAME_F_TCP;
	f.rel = true;
	f.seq = 0xffffffff;
	f.ack = 0x12345678;
	sa_set_str(&f.addr, "fd77:1::10", 5080);
	f.payload = pl;
	f.len = 1024;
	if (roundtrip(&f))
		return 1;

	memset(&f, 0, sizeof(f));
	f.type = FRAME_RTP;
	f.relay_port = 40000;
	sa_set_str(&f.addr, "10.77.1.10", 4000);
	f.payload = pl;
	f.len = 172;
	if (roundtrip(&f))
		return 1;
	f.type = FRAME_RTCP;
	f.relay_port = 40001;
	if (roundtrip(&f))
		return 1;

	memset(&f, 0, sizeof(f));
	f.type = FRAME_CONTROL;
	f.rel = true;
	f.seq = 1;
	f.payload = pl;
	f.len = 12;
	if (roundtrip(&f))
		return 1;

	memset(&f, 0, sizeof(f));
	f.type = FRAME_KEEPALIVE;
	if (roundtrip(&f))
		return 1;
	f.rel = true;
	f.ack = 77;
	if (roundtrip(&f))
		return 1;
	f.rel = false;
	f.ack = 0;
	f.flags = FRAME_F_PING;
	f.payload = pl;
	f.len = 40;
	if (roundtrip(&f))
		return 1;
	f.flags = FRAME_F_PONG;
	return roundtrip(&f);
}

/* hand-made bytes: fixed header, IPv4 address, optional seq/ack, payload */
static size_t raw(uint8_t *b, uint8_t ver, uint8_t type, uint8_t flags,
                  uint8_t rsv, uint32_t len, uint16_t port, uint16_t relay,
                  uint32_t seq)
{
	size_t n = 16;

	memset(b, 0, 64 + len);
	b[0] = ver;
	b[1] = type;
	b[2] = flags;
	b[3] = rsv;
	b[4] = (uint8_t)(len >> 24);
	b[5] = (uint8_t)(len >> 16);
	b[6] = (uint8_t)(len >> 8);
	b[7] = (uint8_t)len;
	b[8] = (uint8_t)(port >> 8);
	b[9] = (uint8_t)port;
	b[10] = (uint8_t)(relay >> 8);
	b[11] = (uint8_t)relay;
	b[12] = 10; /* 10.0.0.1 */
	b[15] = 1;
	if (flags & FRAME_F_REL) {
		b[16] = (uint8_t)(seq >> 24);
		b[19] = (uint8_t)seq;
		n += 8;
	}
	return n + len;
}

static int decodes(const uint8_t *b, size_t n, int want)
{
	struct frame f;
	size_t m;

	TEST_EQ(frame_decode(&f, b, n, FRAME_MAX_PAYLOAD, &m), want);
	return 0;
}

static int strict_rules(void)
{
	uint8_t b[256];
	size_t n;

	/* the well-formed baseline of each rule below */
	n = raw(b, 1, FRAME_SIP, FRAME_F_REL, 0, 4, 5060, 0, 1);
	if (decodes(b, n, 0))
		return 1;

	struct {
		uint8_t ver, type, flags, rsv;
		uint32_t len;
		uint16_t port, relay;
		uint32_t seq;
		int err;
	} bad[] = {
		{ 2, FRAME_SIP, FRAME_F_REL, 0, 4, 5060, 0, 1,
		  EPROTONOSUPPORT },
		{ 0, FRAME_SIP, FRAME_F_REL, 0, 4, 5060, 0, 1,
		  EPROTONOSUPPORT },
		{ 1, 0, FRAME_F_REL, 0, 4, 5060, 0, 1, EBADMSG },
		{ 1, 6, FRAME_F_REL, 0, 4, 5060, 0, 1, EBADMSG },
		{ 1, FRAME_SIP, FRAME_F_REL | 0x20, 0, 4, 5060, 0, 1, EBADMSG },
		{ 1, FRAME_SIP, FRAME_F_REL, 1, 4, 5060, 0, 1, EBADMSG },
		/* SIP: reliable, seq >= 1, port, payload, no relay port */
		{ 1, FRAME_SIP, 0, 0, 4, 5060, 0, 1, EBADMSG },
		{ 1, FRAME_SIP, FRAME_F_REL, 0, 4, 5060, 0, 0, EBADMSG },
		{ 1, FRAME_SIP, FRAME_F_REL, 0, 4, 0, 0, 1, EBADMSG },
		{ 1, FRAME_SIP, FRAME_F_REL, 0, 0, 5060, 0, 1, EBADMSG },
		{ 1, FRAME_SIP, FRAME_F_REL, 0, 4, 5060, 9, 1, EBADMSG },
		{ 1, FRAME_SIP, FRAME_F_REL | FRAME_F_PING, 0, 4, 5060, 0, 1,
		  EBADMSG },
		/* RTP/RTCP: not reliable, relay port, port, payload, no TCP */
		{ 1, FRAME_RTP, FRAME_F_REL, 0, 4, 4000, 40000, 0, EBADMSG },
		{ 1, FRAME_RTP, 0, 0, 4, 4000, 0, 0, EBADMSG },
		{ 1, FRAME_RTCP, 0, 0, 4, 0, 40001, 0, EBADMSG },
		{ 1, FRAME_RTP, 0, 0, 0, 4000, 40000, 0, EBADMSG },
		{ 1, FRAME_RTP, FRAME_F_TCP, 0, 4, 4000, 40000, 0, EBADMSG },
		/* control: reliable, no relay port */
		{ 1, FRAME_CONTROL, 0, 0, 4, 0, 0, 0, EBADMSG },
		{ 1, FRAME_CONTROL, FRAME_F_REL, 0, 4, 0, 7, 1, EBADMSG },
		/* keepalive: seq 0, no address or port, payload only with
		 * PING or PONG, not both */
		{ 1, FRAME_KEEPALIVE, FRAME_F_REL, 0, 0, 0, 0, 3, EBADMSG },
		{ 1, FRAME_KEEPALIVE, 0, 0, 4, 0, 0, 0, EBADMSG },
		{ 1, FRAME_KEEPALIVE, FRAME_F_PING | FRAME_F_PONG, 0, 4, 0, 0,
		  0, EBADMSG },
		{ 1, FRAME_KEEPALIVE, 0, 0, 0, 5, 0, 0, EBADMSG },
		{ 1, FRAME_KEEPALIVE, FRAME_F_IPV6, 0, 0, 0, 0, 0, EBADMSG },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		n = raw(b, bad[i].ver, bad[i].type, bad[i].flags, bad[i].rsv,
		        bad[i].len, bad[i].port, bad[i].relay, bad[i].seq);
		if (bad[i].type == FRAME_KEEPALIVE && bad[i].port == 0 &&
		    !(bad[i].flags & FRAME_F_IPV6))
			b[12] = b[15] = 0; /* no address */
		if (bad[i].flags & FRAME_F_IPV6)
			n += 12;
		if (decodes(b, n, bad[i].err)) {
			fprintf(stderr, "  rule %zu\n", i);
			return 1;
		}
	}
	return 0;
}

/* Garbage is refused as soon as the bytes that show it are there */
static int refused_early(void)
{
	static const uint8_t http[] = "GET / HTTP/1.1";
	static const uint8_t badtype[] = { 1, 7, 0, 0 };
	static const uint8_t huge[] = { 1, 2, 0, 0, 0, 1, 0, 0 };
	struct frame f;
	size_t m;

	TEST_EQ(frame_decode(&f, http, 1, FRAME_MAX_PAYLOAD, &m),
	        EPROTONOSUPPORT);
	TEST_EQ(frame_decode(&f, badtype, 4, FRAME_MAX_PAYLOAD, &m), EBADMSG);
	TEST_EQ(frame_decode(&f, huge, 8, FRAME_MAX_PAYLOAD, &m), EMSGSIZE);
	TEST_EQ(frame_decode(&f, huge, 7, FRAME_MAX_PAYLOAD, &m), ENODATA);
	TEST_EQ(m, FRAME_FIXED_LEN);
	return 0;
}

static int payload_limits(void)
{
	static uint8_t big[FRAME_MAX_HDR_LEN + FRAME_MAX_PAYLOAD + 1];
	static uint8_t pl[FRAME_MAX_PAYLOAD + 1];
	struct frame f, d;
	size_t n, m;

	memset(&f, 0, sizeof(f));
	f.type = FRAME_RTP;
	f.relay_port = 1;
	sa_set_str(&f.addr, "10.0.0.1", 1);
	f.payload = pl;
	f.len = FRAME_MAX_PAYLOAD;
	TEST_EQ(frame_encode(big, sizeof(big), &f, &n), 0);
	TEST_EQ(frame_decode(&d, big, n, FRAME_MAX_PAYLOAD, &m), 0);
	/* the configured limit applies below the protocol's */
	TEST_EQ(frame_decode(&d, big, n, 1500, &m), EMSGSIZE);
	TEST_EQ(frame_decode(&d, big, n, FRAME_MAX_PAYLOAD - 1, &m), EMSGSIZE);
	f.len = FRAME_MAX_PAYLOAD + 1;
	TEST_EQ(frame_encode(big, sizeof(big), &f, &n), EMSGSIZE);
	/* the encoder refuses small buffers and inconsistent frames */
	f.len = 10;
	TEST_EQ(frame_encode(big, 12 + 4 + 9, &f, &n), EOVERFLOW);
	f.relay_port = 0;
	TEST_EQ(frame_encode(big, sizeof(big), &f, &n), EINVAL);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(roundtrip_sip_v4),
		UNIT_TEST(truncated_is_enodata),
		UNIT_TEST(roundtrip_every_kind),
		UNIT_TEST(strict_rules),
		UNIT_TEST(refused_early),
		UNIT_TEST(payload_limits),
	};

	return unit_main("frame", tests, ARRAY_SIZE(tests));
}
