/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file portpool.c  A range of media ports handed out in RTP/RTCP pairs
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "portpool.h"

struct portpool {
	uint16_t lo;    /* even */
	uint32_t pairs; /* in the range */
	uint32_t used;
	uint32_t limit; /* pairs in use at most (descriptors) */
	uint32_t next;  /* where the search starts */
	uint8_t *bits;  /* one per pair */
};

/* "LO-HI": at least one even/odd pair inside 1024..65535 */
int portpool_parse(const char *s, uint16_t *lo, uint16_t *hi)
{
	char *end;
	unsigned long a, b;

	a = strtoul(s, &end, 10);
	if (end == s || *end != '-')
		return EINVAL;
	s = end + 1;
	b = strtoul(s, &end, 10);
	if (end == s || *end)
		return EINVAL;
	if (a & 1)
		a++;
	if (a < 1024 || b > 65535 || a + 1 > b)
		return EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static void pool_destructor(void *arg)
{
	struct portpool *pp = arg;

	mem_deref(pp->bits);
}

int portpool_alloc(struct portpool **ppp, uint16_t lo, uint16_t hi)
{
	struct portpool *pp;

	if (lo & 1)
		lo++;
	if (lo + 1 > hi)
		return EINVAL;
	pp = mem_zalloc(sizeof(*pp), pool_destructor);
	if (!pp)
		return ENOMEM;
	pp->lo = lo;
	pp->pairs = (uint32_t)(hi - lo + 1) / 2;
	pp->limit = pp->pairs;
	pp->bits = mem_zalloc(pp->pairs, NULL);
	if (!pp->bits) {
		mem_deref(pp);
		return ENOMEM;
	}
	*ppp = pp;
	return 0;
}

/**
 * Take the next free pair
 *
 * @return 0 (*port is its even RTP port), or ENOSPC
 */
int portpool_take(struct portpool *pp, uint16_t *port)
{
	if (pp->used >= pp->limit)
		return ENOSPC;
	for (uint32_t n = 0; n < pp->pairs; n++) {
		uint32_t i = (pp->next + n) % pp->pairs;

		if (!pp->bits[i]) {
			pp->bits[i] = 1;
			pp->used++;
			pp->next = (i + 1) % pp->pairs;
			*port = (uint16_t)(pp->lo + 2 * i);
			return 0;
		}
	}
	return ENOSPC;
}

/**
 * Take the pair of @port, which something already uses (a call's port
 * carried over into a new pool)
 *
 * @return 0, EALREADY (taken), or ERANGE (not a pair of this pool)
 */
int portpool_mark(struct portpool *pp, uint16_t port)
{
	uint32_t i;

	if (!portpool_holds(pp, port))
		return ERANGE;
	i = (uint32_t)(port - pp->lo) / 2;
	if (pp->bits[i])
		return EALREADY;
	pp->bits[i] = 1;
	pp->used++;
	return 0;
}

/* At most @limit pairs in use at once (each costs two descriptors) */
void portpool_limit(struct portpool *pp, uint32_t limit)
{
	pp->limit = min(limit, pp->pairs);
}

/* The pairs in the range */
uint32_t portpool_pairs(const struct portpool *pp)
{
	return pp->pairs;
}

bool portpool_holds(const struct portpool *pp, uint16_t port)
{
	return port >= pp->lo && !(port & 1) &&
	       (uint32_t)(port - pp->lo) / 2 < pp->pairs;
}

void portpool_give(struct portpool *pp, uint16_t port)
{
	uint32_t i;

	if (!pp || !portpool_holds(pp, port))
		return;
	i = (uint32_t)(port - pp->lo) / 2;
	if (pp->bits[i]) {
		pp->bits[i] = 0;
		pp->used--;
	}
}
