/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_prom.c  The Prometheus text writer: families, samples, and
 * the escaping that keeps a name from a file or a peer from forging one
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <re.h>
#include "prom.h"
#include "unit.h"

/* What @mb holds, as a string (NUL-ended in @buf) */
static const char *text(struct mbuf *mb, char *buf, size_t size)
{
	size_t n = mb->end < size - 1 ? mb->end : size - 1;

	memcpy(buf, mb->buf, n);
	buf[n] = '\0';
	return buf;
}

static int family_and_samples(void)
{
	struct mbuf *mb = mbuf_alloc(256);
	char buf[512];

	TEST_ASSERT(mb);
	TEST_EQ(prom_one(mb, "sofw_x_total", PROM_COUNTER, "things done", 7),
	        0);
	TEST_EQ(prom_family(mb, "sofw_g", PROM_GAUGE, "a gauge"), 0);
	TEST_EQ(prom_sample(mb, "sofw_g", "a", "1", "b", "2",
	                    18446744073709551615ull),
	        0);
	TEST_STREQ(text(mb, buf, sizeof(buf)),
	           "# HELP sofw_x_total things done\n"
	           "# TYPE sofw_x_total counter\n"
	           "sofw_x_total 7\n"
	           "# HELP sofw_g a gauge\n"
	           "# TYPE sofw_g gauge\n"
	           "sofw_g{a=\"1\",b=\"2\"} 18446744073709551615\n");
	mem_deref(mb);
	return 0;
}

static int escaping(void)
{
	struct mbuf *mb = mbuf_alloc(256);
	char buf[512];

	TEST_ASSERT(mb);
	/* an HRAC identity or a reason cannot close the label and add one */
	TEST_EQ(prom_sample(mb, "m", "hrac", "x\",evil=\"1\\\n", NULL, NULL, 1),
	        0);
	TEST_EQ(prom_family(mb, "h", PROM_GAUGE, "a \\ and a\nnewline \"q\""),
	        0);
	TEST_STREQ(text(mb, buf, sizeof(buf)),
	           "m{hrac=\"x\\\",evil=\\\"1\\\\\\n\"} 1\n"
	           "# HELP h a \\\\ and a\\nnewline \"q\"\n"
	           "# TYPE h gauge\n");
	mem_deref(mb);
	return 0;
}

static int by_label(void)
{
	struct mbuf *mb = mbuf_alloc(256);
	char buf[512];

	TEST_ASSERT(mb);
	TEST_EQ(prom_by(mb, "d_total", PROM_COUNTER, "drops", "reason",
	                (struct prom_kv[]){ { "a", 1 }, { "b", 2 } }, 2),
	        0);
	TEST_STREQ(text(mb, buf, sizeof(buf)),
	           "# HELP d_total drops\n# TYPE d_total counter\n"
	           "d_total{reason=\"a\"} 1\nd_total{reason=\"b\"} 2\n");
	mem_deref(mb);
	/* the process's families: the start is now minus the uptime */
	mb = mbuf_alloc(256);
	TEST_ASSERT(mb);
	TEST_EQ(prom_process(mb, "hrac", "9.9", "hrac", "site-a", 5), 0);
	text(mb, buf, sizeof(buf));
	TEST_ASSERT(strstr(buf, "\nsofw_hrac_build_info{version=\"9.9\","
	                        "hrac=\"site-a\"} 1\n"));
	TEST_ASSERT(strstr(buf, "\nsofw_hrac_uptime_seconds 5\n"));
	TEST_ASSERT(strstr(buf, "# TYPE sofw_hrac_start_time_seconds gauge\n"));
	mem_deref(mb);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(family_and_samples),
		UNIT_TEST(escaping),
		UNIT_TEST(by_label),
	};

	return unit_main("prom", tests, ARRAY_SIZE(tests));
}
