/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_store_url.c  --store's URL, and what a log may show of it
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "store.h"
#include "unit.h"

static int parse(struct store_url *u, const char *url)
{
	char err[256];

	return store_url_parse(u, url, err, sizeof(err));
}

static int file_default(void)
{
	struct store_url u;

	TEST_EQ(parse(&u, "file"), 0);
	TEST_EQ(u.kind, STORE_FILE);
	TEST_EQ(parse(&u, NULL), 0);
	TEST_EQ(u.kind, STORE_FILE);
	return 0;
}

static int tcp_forms(void)
{
	struct store_url u;
	char buf[512];

	TEST_EQ(parse(&u, "redis://10.0.0.5"), 0);
	TEST_EQ(u.kind, STORE_REDIS);
	TEST_STREQ(u.host, "10.0.0.5");
	TEST_EQ(u.port, 6379);
	TEST_EQ(u.db, 0);
	TEST_EQ(parse(&u, "redis://redis.example.net:6380/3"), 0);
	TEST_STREQ(u.host, "redis.example.net");
	TEST_EQ(u.port, 6380);
	TEST_EQ(u.db, 3);
	TEST_EQ(parse(&u, "redis://[fd77::5]:7000/"), 0);
	TEST_STREQ(u.host, "fd77::5");
	TEST_EQ(u.port, 7000);
	TEST_EQ(store_url_print(buf, sizeof(buf), &u), 0);
	TEST_STREQ(buf, "redis://[fd77::5]:7000/0");
	return 0;
}

/* the password is parsed, and never printed */
static int password_hidden(void)
{
	struct store_url u;
	char buf[512];

	TEST_EQ(parse(&u, "redis://:s3cr3t@127.0.0.1:6379/1"), 0);
	TEST_STREQ(u.password, "s3cr3t");
	TEST_STREQ(u.user, "");
	TEST_EQ(store_url_print(buf, sizeof(buf), &u), 0);
	TEST_STREQ(buf, "redis://:***@127.0.0.1:6379/1");
	TEST_ASSERT(!strstr(buf, "s3cr3t"));
	TEST_EQ(parse(&u, "redis://sofw:pa:ss@h"), 0);
	TEST_STREQ(u.user, "sofw");
	TEST_STREQ(u.password, "pa:ss");
	TEST_EQ(store_url_print(buf, sizeof(buf), &u), 0);
	TEST_STREQ(buf, "redis://sofw:***@h:6379/0");
	return 0;
}

static int unix_forms(void)
{
	struct store_url u;
	char buf[512];

	TEST_EQ(parse(&u, "redis+unix:///run/redis/redis.sock"), 0);
	TEST_STREQ(u.path, "/run/redis/redis.sock");
	TEST_EQ(u.db, 0);
	TEST_EQ(parse(&u, "redis+unix:///run/r.sock?db=7"), 0);
	TEST_STREQ(u.path, "/run/r.sock");
	TEST_EQ(u.db, 7);
	TEST_EQ(store_url_print(buf, sizeof(buf), &u), 0);
	TEST_STREQ(buf, "redis+unix:///run/r.sock?db=7");
	return 0;
}

static int malformed(void)
{
	static const char *bad[] = {
		"",
		"redis",
		"redis://",
		"redis://:6379",
		"redis://host:0",
		"redis://host:65536",
		"redis://host:63x9",
		"redis://host/abc",
		"redis://host/70000",
		"redis://user@host",
		"redis://[fd77::1",
		"redis://ho st",
		"redis+unix://",
		"redis+unix://relative.sock",
		"redis+unix:///r.sock?db=",
		"redis+unix:///r.sock?x=1",
		"rediss://host",
		"http://host",
		"file:///x",
	};
	struct store_url u;
	char err[256];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (!store_url_parse(&u, bad[i], err, sizeof(err))) {
			fprintf(stderr, "accepted: '%s'\n", bad[i]);
			return 1;
		}
		TEST_ASSERT(err[0]);
	}
	/* the error line does not echo a password */
	TEST_ASSERT(
	    store_url_parse(&u, "redis://:hunter2@/x", err, sizeof(err)));
	TEST_ASSERT(!strstr(err, "hunter2"));
	return 0;
}

static int node_ids(void)
{
	char longid[STORE_NODE_MAX + 1];

	TEST_ASSERT(store_node_id_valid("hras-1"));
	TEST_ASSERT(store_node_id_valid("a.b_c"));
	TEST_ASSERT(!store_node_id_valid(""));
	TEST_ASSERT(!store_node_id_valid(NULL));
	TEST_ASSERT(!store_node_id_valid("a b"));
	TEST_ASSERT(!store_node_id_valid("a:b"));
	TEST_ASSERT(!store_node_id_valid("a\r\nb"));
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	TEST_ASSERT(!store_node_id_valid(longid));
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(file_default),    UNIT_TEST(tcp_forms),
		UNIT_TEST(password_hidden), UNIT_TEST(unix_forms),
		UNIT_TEST(malformed),       UNIT_TEST(node_ids),
	};

	return unit_main("store_url", tests, ARRAY_SIZE(tests));
}
