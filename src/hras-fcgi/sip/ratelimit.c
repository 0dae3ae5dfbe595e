/**
 * @file ratelimit.c  Requests per second per source address
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include "ratelimit.h"

struct bucket {
	struct sa addr;
	uint64_t last;   /* us */
	uint64_t tokens; /* millitokens */
};

struct ratelimit {
	struct bucket *b;
	uint32_t slots;
	uint64_t rate; /* tokens per second */
	uint64_t burst;
};

static void rl_destructor(void *arg)
{
	struct ratelimit *rl = arg;

	mem_deref(rl->b);
}

int ratelimit_alloc(struct ratelimit **rlp, uint32_t rate, uint32_t burst,
                    uint32_t slots)
{
	struct ratelimit *rl = mem_zalloc(sizeof(*rl), rl_destructor);

	if (!rl)
		return ENOMEM;
	rl->b = mem_zalloc(slots * sizeof(*rl->b), NULL);
	if (!rl->b) {
		mem_deref(rl);
		return ENOMEM;
	}
	rl->slots = slots;
	rl->rate = rate;
	rl->burst = burst;
	*rlp = rl;
	return 0;
}

/* One request from @src now: allowed, or over its rate? */
bool ratelimit_allow(struct ratelimit *rl, const struct sa *src,
                     uint64_t now_us)
{
	struct bucket *b = &rl->b[sa_hash(src, SA_ADDR) % rl->slots];
	uint64_t cap = rl->burst * 1000;

	if (!rl->rate)
		return true;
	if (!sa_cmp(&b->addr, src, SA_ADDR)) {
		b->addr = *src;
		b->last = now_us;
		b->tokens = cap;
	} else if (now_us > b->last) {
		b->tokens += (now_us - b->last) * rl->rate / 1000;
		if (b->tokens > cap)
			b->tokens = cap;
		b->last = now_us;
	}
	if (b->tokens < 1000)
		return false;
	b->tokens -= 1000;
	return true;
}
