/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_sip_stream.c  Cutting SIP messages out of a TCP stream
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <re.h>
#include "sip_stream.h"
#include "unit.h"

#define MSG(cl, body)                                                          \
	"REGISTER sip:example.test SIP/2.0\r\n"                                \
	"Via: SIP/2.0/TCP 10.0.0.5:5060;branch=z9hG4bK1\r\n"                   \
	"Call-ID: a@b\r\n" cl "\r\n\r\n" body

static int next(const char *s, size_t len, size_t max, int want_err,
                enum sip_stream_kind want_kind, size_t want_len)
{
	enum sip_stream_kind kind = SIP_STREAM_MSG;
	size_t n = 0;
	int e = sip_stream_next((const uint8_t *)s, len, max, &kind, &n);

	TEST_EQ(e, want_err);
	if (!e) {
		TEST_EQ(kind, want_kind);
		TEST_EQ(n, want_len);
	}
	return 0;
}

static int whole_messages(void)
{
	static const char m[] = MSG("Content-Length: 4", "abcd");
	static const char c[] = MSG("l:0", "");
	static const char two[] =
	    MSG("Content-Length: 4", "abcd") MSG("Content-Length: 0", "");

	if (next(m, sizeof(m) - 1, 65536, 0, SIP_STREAM_MSG, sizeof(m) - 1))
		return 1;
	if (next(c, sizeof(c) - 1, 65536, 0, SIP_STREAM_MSG, sizeof(c) - 1))
		return 1;
	/* two back to back: the first ends where its body does */
	if (next(two, sizeof(two) - 1, 65536, 0, SIP_STREAM_MSG, sizeof(m) - 1))
		return 1;
	return 0;
}

static int partial_messages(void)
{
	static const char m[] = MSG("Content-Length: 4", "abcd");

	/* every prefix is incomplete, never an error */
	for (size_t i = 1; i < sizeof(m) - 1; i++) {
		if (next(m, i, 65536, EAGAIN, SIP_STREAM_MSG, 0))
			return 1;
	}
	return next(m, 0, 65536, EAGAIN, SIP_STREAM_MSG, 0);
}

static int keepalives(void)
{
	static const char ka[] = "\r\n\r\n" MSG("Content-Length: 0", "");

	return next(ka, sizeof(ka) - 1, 65536, 0, SIP_STREAM_KEEPALIVE, 4);
}

static int bad_streams(void)
{
	static const char *const bad[] = {
		MSG("X-No-Length: 1", ""),
		MSG("Content-Length: four", ""),
		MSG("Content-Length: -1", ""),
		MSG("Content-Length: 99999999999", ""),
		MSG("Content-Length: 1\r\nl: 2", "ab"), /* two lengths: lies */
	};
	static const char big[] = MSG("Content-Length: 200", "");

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (next(bad[i], strlen(bad[i]), 65536, EBADMSG, 0, 0))
			return 1;
	}
	/* header plus body over the limit */
	return next(big, sizeof(big) - 1, 200, EBADMSG, 0, 0);
}

static int endless_header(void)
{
	char *buf = malloc(70000);
	int r;

	if (!buf)
		return 1;
	memset(buf, 'a', 70000);
	/* no end of header within the limit: it never will be a message */
	r = next(buf, 70000, 65536, EBADMSG, 0, 0);
	r = r ? r : next(buf, 1000, 65536, EAGAIN, 0, 0);
	free(buf);
	return r;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(whole_messages), UNIT_TEST(partial_messages),
		UNIT_TEST(keepalives),     UNIT_TEST(bad_streams),
		UNIT_TEST(endless_header),
	};

	return unit_main("sip_stream", tests, ARRAY_SIZE(tests));
}
