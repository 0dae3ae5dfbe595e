/**
 * @file test_frame.c  Frame codec: round trips and the strict decoder
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
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

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(roundtrip_sip_v4),
		UNIT_TEST(truncated_is_enodata),
	};

	return unit_main("frame", tests, ARRAY_SIZE(tests));
}
