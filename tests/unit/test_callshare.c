/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_callshare.c  The header of a node's calls in Redis
 * (callshare.h): where it relays and takes SIP, then the calls file's
 * text; what does not parse is refused whole
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "callshare.h"
#include "unit.h"

enum { NSIP = 4 };

static int parse(const char *text, struct sa *relay, struct sa *sip,
                 size_t *nsip, size_t *body)
{
	*nsip = NSIP;
	return callshare_header_parse(text, strlen(text), relay, sip, nsip,
	                              body);
}

static int header_read(void)
{
	static const char text[] = "node\tnode-a\nrelay\t192.0.2.21\n"
	                           "sip\t192.0.2.21:5060\t[2001:db8::21]:5070\n"
	                           "# sofw-calls 1\nsaved\t1\n";
	struct sa relay, sip[NSIP], want;
	size_t nsip, body;

	TEST_EQ(parse(text, &relay, sip, &nsip, &body), 0);
	TEST_EQ(sa_set_str(&want, "192.0.2.21", 0), 0);
	TEST_ASSERT(sa_cmp(&relay, &want, SA_ADDR));
	TEST_EQ(nsip, 2);
	TEST_EQ(sa_set_str(&want, "192.0.2.21", 5060), 0);
	TEST_ASSERT(sa_cmp(&sip[0], &want, SA_ALL));
	TEST_EQ(sa_set_str(&want, "2001:db8::21", 5070), 0);
	TEST_ASSERT(sa_cmp(&sip[1], &want, SA_ALL));
	TEST_STREQ(text + body, "# sofw-calls 1\nsaved\t1\n");

	/* no SIP address (a node without --sip), and a line a later
	 * version adds */
	TEST_EQ(parse("relay\t2001:db8::1\nsip\nzone\tx\n# sofw-calls 1\n",
	              &relay, sip, &nsip, &body),
	        0);
	TEST_EQ(nsip, 0);
	TEST_EQ(sa_af(&relay), AF_INET6);
	return 0;
}

static int header_refused(void)
{
	static const char *const bad[] = {
		"node\tx\nsip\t192.0.2.1:5060\n# sofw-calls 1\n", /* no relay */
		"relay\tnowhere\n# sofw-calls 1\n",
		"relay\t192.0.2.1\nsip\t192.0.2.1:x\n# sofw-calls 1\n",
		"relay\t192.0.2.1\n", /* no calls text */
		"relay\t192.0.2.1",   /* cut short */
		"",
	};
	struct sa relay, sip[NSIP];
	size_t nsip, body;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (parse(bad[i], &relay, sip, &nsip, &body) != EINVAL) {
			fprintf(stderr, "header %zu taken: %s\n", i, bad[i]);
			return 1;
		}
	}
	return 0;
}

/* More SIP addresses than asked for: the first ones */
static int header_bounded(void)
{
	static const char text[] =
	    "relay\t192.0.2.1\nsip\t192.0.2.1:1\t192.0.2.1:2\t192.0.2.1:3"
	    "\t192.0.2.1:4\t192.0.2.1:5\t192.0.2.1:6\n# sofw-calls 1\n";
	struct sa relay, sip[NSIP];
	size_t nsip, body;

	TEST_EQ(parse(text, &relay, sip, &nsip, &body), 0);
	TEST_EQ(nsip, NSIP);
	TEST_EQ(sa_port(&sip[3]), 4);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(header_read),
		UNIT_TEST(header_refused),
		UNIT_TEST(header_bounded),
	};

	return unit_main("callshare", tests, ARRAY_SIZE(tests));
}
