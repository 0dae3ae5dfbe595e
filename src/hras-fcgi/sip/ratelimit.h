/**
 * @file ratelimit.h  Requests per second per source address
 *
 * A token bucket per source, in a fixed table indexed by a hash of the
 * address: bounded memory whatever the number of sources (sources that
 * share a slot share a bucket, which only errs on the side of limiting).
 * Loop thread only.
 */

struct ratelimit;

int ratelimit_alloc(struct ratelimit **rlp, uint32_t rate, uint32_t burst,
                    uint32_t slots);
bool ratelimit_allow(struct ratelimit *rl, const struct sa *src,
                     uint64_t now_us);
