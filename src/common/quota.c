/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file quota.c  How much of a shared bound one party may hold
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "quota.h"

struct party {
	struct le he;
	char key[QUOTA_KEY_MAX];
	uint32_t n;
};

struct quota {
	struct hash *parties;
	uint32_t limit;
};

static void quota_destructor(void *arg)
{
	struct quota *q = arg;

	hash_flush(q->parties);
	mem_deref(q->parties);
}

int quota_alloc(struct quota **qp, uint32_t limit)
{
	struct quota *q = mem_zalloc(sizeof(*q), quota_destructor);

	if (!q)
		return ENOMEM;
	if (hash_alloc(&q->parties, 1024)) {
		mem_deref(q);
		return ENOMEM;
	}
	q->limit = limit;
	*qp = q;
	return 0;
}

static bool party_cmp(struct le *le, void *arg)
{
	const struct party *p = le->data;

	return !strcmp(p->key, arg);
}

static struct party *find(const struct quota *q, const char *key)
{
	struct le *le = hash_lookup(q->parties, hash_joaat_str(key), party_cmp,
	                            (void *)key);

	return le ? le->data : NULL;
}

/* One more for @key: false (nothing taken) if it holds its limit */
bool quota_take(struct quota *q, const char *key)
{
	struct party *p = find(q, key);

	if (!p) {
		if (!q->limit)
			return false;
		p = mem_zalloc(sizeof(*p), NULL);
		if (!p)
			return false;
		snprintf(p->key, sizeof(p->key), "%s", key);
		hash_append(q->parties, hash_joaat_str(p->key), &p->he, p);
	}
	if (p->n >= q->limit)
		return false;
	p->n++;
	return true;
}

/* One less for @key (one it took) */
void quota_give(struct quota *q, const char *key)
{
	struct party *p = find(q, key);

	if (!p)
		return;
	if (p->n > 0)
		p->n--;
	if (!p->n) {
		hash_unlink(&p->he);
		mem_deref(p);
	}
}

uint32_t quota_held(const struct quota *q, const char *key)
{
	const struct party *p = find(q, key);

	return p ? p->n : 0;
}

uint32_t quota_limit(const struct quota *q)
{
	return q->limit;
}

/* "o:" and an IPv4 address, or an IPv6 /64: a host has all of it */
void quota_key_addr(char out[QUOTA_KEY_MAX], const struct sa *a)
{
	if (sa_af(a) == AF_INET6) {
		const uint8_t *b = a->u.in6.sin6_addr.s6_addr;

		snprintf(out, QUOTA_KEY_MAX,
		         "o:%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", b[0],
		         b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
		return;
	}
	re_snprintf(out, QUOTA_KEY_MAX, "o:%j", a);
}
