/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_httpproxy.c  Which proxy a URL takes; address prefixes
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "httpproxy.h"
#include "cidr.h"
#include "unit.h"

static void clear_env(void)
{
	static const char *vars[] = { "https_proxy", "HTTPS_PROXY",
		                      "http_proxy",  "HTTP_PROXY",
		                      "all_proxy",   "ALL_PROXY",
		                      "no_proxy",    "NO_PROXY" };

	for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
		unsetenv(vars[i]);
}

static int pick(const char *url, const char *conf, const char *want)
{
	char out[256];

	TEST_EQ(httpproxy_for_url(url, conf, out, sizeof(out)), 0);
	TEST_STREQ(out, want);
	return 0;
}

static int selection(void)
{
	clear_env();
	if (pick("https://h.example/sofw/", NULL, ""))
		return 1;
	if (pick("https://h.example/sofw/", "http://conf:1", "http://conf:1"))
		return 1;

	setenv("HTTPS_PROXY", "http://upper:3128", 1);
	if (pick("https://h.example/", NULL, "http://upper:3128"))
		return 1;
	setenv("https_proxy", "http://lower:3128", 1);
	if (pick("https://h.example/", NULL, "http://lower:3128"))
		return 1;

	/* http: lower case only, as curl (HTTP_PROXY is the CGI header) */
	setenv("HTTP_PROXY", "http://cgi-header:1", 1);
	if (pick("http://h.example/", NULL, ""))
		return 1;
	setenv("http_proxy", "http://plain:8080", 1);
	if (pick("http://h.example/", NULL, "http://plain:8080"))
		return 1;

	clear_env();
	setenv("ALL_PROXY", "http://all:1", 1);
	if (pick("http://h.example/", NULL, "http://all:1"))
		return 1;

	char out[64];
	TEST_EQ(httpproxy_for_url("ftp://x/", NULL, out, sizeof(out)), EINVAL);
	clear_env();
	return 0;
}

static int no_proxy(void)
{
	clear_env();
	setenv("https_proxy", "http://p:3128", 1);
	setenv("no_proxy", "localhost, .corp.example,example.org", 1);
	if (pick("https://a.corp.example/", NULL, "") ||
	    pick("https://corp.example/", NULL, "") ||
	    pick("https://example.org:8443/x", NULL, "") ||
	    pick("https://sub.example.org/", NULL, "") ||
	    pick("https://user:pw@localhost/", NULL, ""))
		return 1;
	/* a suffix must end at a dot: ample.org is not example.org */
	if (pick("https://ample.org/", NULL, "http://p:3128") ||
	    pick("https://badexample.org/", NULL, "http://p:3128"))
		return 1;
	setenv("no_proxy", "*", 1);
	if (pick("https://anything/", NULL, ""))
		return 1;
	setenv("no_proxy", "::1", 1);
	if (pick("https://[::1]:443/", NULL, ""))
		return 1;
	clear_env();
	return 0;
}

static int prefixes(void)
{
	struct cidr c;
	struct sa a;

	TEST_EQ(cidr_parse(&c, "10.0.0.0/8"), 0);
	sa_set_str(&a, "10.200.1.2", 5060);
	TEST_ASSERT(cidr_match(&c, &a));
	sa_set_str(&a, "11.0.0.1", 5060);
	TEST_ASSERT(!cidr_match(&c, &a));

	TEST_EQ(cidr_parse(&c, "192.168.1.77"), 0);
	TEST_EQ(c.bits, 32);
	sa_set_str(&a, "192.168.1.77", 1);
	TEST_ASSERT(cidr_match(&c, &a));
	sa_set_str(&a, "192.168.1.78", 1);
	TEST_ASSERT(!cidr_match(&c, &a));

	TEST_EQ(cidr_parse(&c, "10.77.0.0/21"), 0);
	sa_set_str(&a, "10.77.7.255", 1);
	TEST_ASSERT(cidr_match(&c, &a));
	sa_set_str(&a, "10.77.8.0", 1);
	TEST_ASSERT(!cidr_match(&c, &a));

	TEST_EQ(cidr_parse(&c, "0.0.0.0/0"), 0);
	TEST_ASSERT(cidr_match(&c, &a));
	sa_set_str(&a, "fd77::1", 1);
	TEST_ASSERT(!cidr_match(&c, &a)); /* families never mix */

	TEST_EQ(cidr_parse(&c, "fd77::/16"), 0);
	TEST_ASSERT(cidr_match(&c, &a));
	sa_set_str(&a, "fd78::1", 1);
	TEST_ASSERT(!cidr_match(&c, &a));
	TEST_EQ(cidr_parse(&c, "fd77::5/128"), 0);
	sa_set_str(&a, "fd77::5", 9);
	TEST_ASSERT(cidr_match(&c, &a));

	TEST_EQ(cidr_parse(&c, "10.0.0.0/33"), EINVAL);
	TEST_EQ(cidr_parse(&c, "fd77::/129"), EINVAL);
	TEST_EQ(cidr_parse(&c, "not-an-address/8"), EINVAL);
	TEST_EQ(cidr_parse(&c, "10.0.0.0/"), EINVAL);
	return 0;
}

/* A URL's password, as every printer shows it and as ps shows argv */
static int redaction(void)
{
	static const struct {
		const char *in, *shown;
	} v[] = {
		{ "http://carol:EnvPass@10.77.0.1:3128",
		  "http://carol:***@10.77.0.1:3128" },
		{ "http://u:p@w@h/x@y", "http://u:***@h/x@y" },
		{ "http://user@h:3128", "http://user@h:3128" },
		{ "http://h:3128/", "http://h:3128/" },
		{ "u:pwd@h", "u:***@h" },
		{ "", "" },
	};
	char out[128], arg[128];

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		httpproxy_redact(v[i].in, out, sizeof(out));
		TEST_STREQ(out, v[i].shown);
		snprintf(arg, sizeof(arg), "%s", v[i].in);
		httpproxy_hide_arg(arg, false);
		TEST_STREQ(arg, v[i].shown);
	}
	TEST_ASSERT(httpproxy_has_password("http://a:b@h"));
	TEST_ASSERT(!httpproxy_has_password("http://a@h"));

	/* in place: what follows is zeroed, the length shows nothing */
	memset(arg, 'Z', sizeof(arg));
	memcpy(arg, "alice:TopSecret", 16);
	httpproxy_hide_arg(arg, true);
	TEST_STREQ(arg, "alice:***");
	for (size_t i = 9; i < 16; i++)
		TEST_EQ(arg[i], 0);
	TEST_EQ(arg[16], 'Z');
	memcpy(arg, "al:pw", 6);
	httpproxy_hide_arg(arg, true);
	TEST_STREQ(arg, "al:");
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(selection),
		UNIT_TEST(no_proxy),
		UNIT_TEST(prefixes),
		UNIT_TEST(redaction),
	};

	return unit_main("httpproxy", tests, ARRAY_SIZE(tests));
}
