/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file ratelimit.c  Requests per second per source
 *
 * Tokens are counted in millionths, so a refill of any length of time
 * is exact and a source calling very often still refills.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <re.h>
#include "ratelimit.h"

enum {
	KEY_LEN = 16,
	TOKEN = 1000000, /* one request, in millionths of a token */
};

struct bucket {
	uint64_t last;   /* us; 0: never used */
	uint64_t tokens; /* millionths */
};

struct ratelimit {
	struct bucket *b;
	uint32_t slots;
	uint64_t rate; /* tokens per second */
	uint64_t burst;
	uint8_t key[KEY_LEN];
};

static void rl_destructor(void *arg)
{
	struct ratelimit *rl = arg;

	mem_deref(rl->b);
}

int ratelimit_alloc(struct ratelimit **rlp, uint32_t rate, uint32_t burst,
                    uint32_t slots)
{
	struct ratelimit *rl;

	if (!slots)
		return EINVAL;
	rl = mem_zalloc(sizeof(*rl), rl_destructor);
	if (!rl)
		return ENOMEM;
	rl->b = mem_zalloc(slots * sizeof(*rl->b), NULL);
	if (!rl->b || getrandom(rl->key, sizeof(rl->key), 0) !=
	                  (ssize_t)sizeof(rl->key)) {
		mem_deref(rl);
		return ENOMEM;
	}
	rl->slots = slots;
	rl->rate = rate;
	rl->burst = burst;
	*rlp = rl;
	return 0;
}

/* New limits (a reload): the buckets keep their tokens, up to the new
 * burst on their next request */
void ratelimit_set(struct ratelimit *rl, uint32_t rate, uint32_t burst)
{
	rl->rate = rate;
	rl->burst = burst;
}

/* The bucket of @src: its IPv4 address, or its IPv6 /64 */
uint32_t ratelimit_slot(const struct ratelimit *rl, const struct sa *src)
{
	uint8_t in[KEY_LEN + 8];
	size_t n = KEY_LEN;

	memcpy(in, rl->key, KEY_LEN);
	if (sa_af(src) == AF_INET6) {
		memcpy(in + n, &src->u.in6.sin6_addr, 8);
		n += 8;
	} else {
		memcpy(in + n, &src->u.in.sin_addr, 4);
		n += 4;
	}
	return hash_joaat(in, n) % rl->slots;
}

/* One request from @src now: allowed, or over its rate? */
bool ratelimit_allow(struct ratelimit *rl, const struct sa *src,
                     uint64_t now_us)
{
	struct bucket *b = &rl->b[ratelimit_slot(rl, src)];
	uint64_t cap = rl->burst * TOKEN;

	if (!rl->rate)
		return true;
	if (!b->last) {
		b->tokens = cap;
		b->last = now_us;
	} else if (now_us > b->last) {
		uint64_t dt = now_us - b->last;

		/* beyond the time a refill takes, the bucket is full */
		if (dt >= cap / rl->rate)
			b->tokens = cap;
		else
			b->tokens = min(cap, b->tokens + dt * rl->rate);
		b->last = now_us;
	}
	if (b->tokens < TOKEN)
		return false;
	b->tokens -= TOKEN;
	return true;
}
