/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file store_url.c  --store: "file", redis://[[user]:password@]host[:port]
 * [/db] or redis+unix:///path[?db=N]; a node id's spelling
 *
 * The password never leaves the struct: store_url_print() writes the URL
 * as logs may show it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store.h"

enum { REDIS_PORT = 6379 };

static int copy(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		return ENAMETOOLONG;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

static int parse_u32(const char *s, size_t n, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;

	if (!n || n > 10)
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return EINVAL;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > max)
		return ERANGE;
	*v = (uint32_t)x;
	return 0;
}

/* "[user]:password@" before the host, if there */
static int parse_userinfo(struct store_url *u, const char **p, const char *end)
{
	const char *at = memchr(*p, '@', (size_t)(end - *p));
	const char *colon;

	if (!at)
		return 0;
	colon = memchr(*p, ':', (size_t)(at - *p));
	if (!colon)
		return EINVAL; /* a user alone: Redis has no such login */
	if (copy(u->user, sizeof(u->user), *p, (size_t)(colon - *p)) ||
	    copy(u->password, sizeof(u->password), colon + 1,
	         (size_t)(at - colon - 1)))
		return ENAMETOOLONG;
	*p = at + 1;
	return 0;
}

/* host, [v6], then :port and /db */
static int parse_tcp(struct store_url *u, const char *p)
{
	const char *end = p + strlen(p), *hend, *slash;
	uint32_t v;

	slash = memchr(p, '/', (size_t)(end - p));
	if (parse_userinfo(u, &p, slash ? slash : end))
		return EINVAL;
	slash = memchr(p, '/', (size_t)(end - p));
	if (slash) {
		if (slash[1] && parse_u32(slash + 1, (size_t)(end - slash - 1),
		                          STORE_DB_MAX, &u->db))
			return EINVAL;
		end = slash;
	}
	if (*p == '[') {
		hend = memchr(p, ']', (size_t)(end - p));
		if (!hend || hend == p + 1 ||
		    copy(u->host, sizeof(u->host), p + 1,
		         (size_t)(hend - p - 1)))
			return EINVAL;
		p = hend + 1;
	} else {
		hend = memchr(p, ':', (size_t)(end - p));
		hend = hend ? hend : end;
		if (hend == p ||
		    copy(u->host, sizeof(u->host), p, (size_t)(hend - p)))
			return EINVAL;
		p = hend;
	}
	for (const char *c = u->host; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr(".-_:", *c))
			return EINVAL;
	u->port = REDIS_PORT;
	if (p < end) {
		if (*p != ':' ||
		    parse_u32(p + 1, (size_t)(end - p - 1), 65535, &v) || !v)
			return EINVAL;
		u->port = (uint16_t)v;
	}
	return 0;
}

/* /path[?db=N] */
static int parse_unix(struct store_url *u, const char *p)
{
	const char *q = strchr(p, '?');
	size_t n = q ? (size_t)(q - p) : strlen(p);

	if (*p != '/' || n < 2 || copy(u->path, sizeof(u->path), p, n))
		return EINVAL;
	if (q && (strncmp(q, "?db=", 4) ||
	          parse_u32(q + 4, strlen(q + 4), STORE_DB_MAX, &u->db)))
		return EINVAL;
	return 0;
}

/**
 * Parse --store
 *
 * @return 0, or EINVAL with one line in @err (the password not in it)
 */
int store_url_parse(struct store_url *u, const char *url, char *err,
                    size_t errsz)
{
	int e = EINVAL;

	memset(u, 0, sizeof(*u));
	if (!url || !strcmp(url, "file")) {
		u->kind = STORE_FILE;
		return 0;
	}
	u->kind = STORE_REDIS;
	if (!strncmp(url, "redis://", 8))
		e = parse_tcp(u, url + 8);
	else if (!strncmp(url, "redis+unix://", 13))
		e = parse_unix(u, url + 13);
	if (e) {
		/* the URL may hold a password: say what is wrong, not it */
		snprintf(err, errsz,
		         "--store takes file, "
		         "redis://[[user]:password@]host[:port][/db] or "
		         "redis+unix:///path[?db=N]; this one is not "
		         "well-formed");
		memset(u, 0, sizeof(*u));
		return EINVAL;
	}
	return 0;
}

/* The URL as a log may show it: the password replaced */
int store_url_print(char *buf, size_t size, const struct store_url *u)
{
	const char *pw = u->password[0] ? ":***@" : "";
	int n;

	if (u->kind == STORE_FILE)
		n = snprintf(buf, size, "file");
	else if (u->path[0])
		n = snprintf(buf, size, "redis+unix://%s?db=%u", u->path,
		             u->db);
	else {
		bool v6 = strchr(u->host, ':') != NULL;

		n = snprintf(buf, size, "redis://%s%s%s%s%s:%u/%u", u->user, pw,
		             v6 ? "[" : "", u->host, v6 ? "]" : "", u->port,
		             u->db);
	}
	return n < 0 || (size_t)n >= size ? ENOSPC : 0;
}

/* A node id goes into Redis keys and SIP headers: letters, digits, . - _ */
bool store_node_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (!n || n >= STORE_NODE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && !strchr(".-_", id[i]))
			return false;
	return true;
}
