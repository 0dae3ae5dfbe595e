/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file ratelimit.h  Requests per second per source
 *
 * A token bucket per source, in a fixed table indexed by a keyed hash of
 * the source: bounded memory whatever the number of sources.  Sources
 * that share a slot share its bucket, which only errs on the side of
 * limiting; the key is random, so no one can choose whose slot to share.
 * A source is an IPv4 address, or an IPv6 /64 (one subscriber's prefix:
 * a host has as many addresses in it as it likes).  Loop thread only.
 */

struct ratelimit;

int ratelimit_alloc(struct ratelimit **rlp, uint32_t rate, uint32_t burst,
                    uint32_t slots);
void ratelimit_set(struct ratelimit *rl, uint32_t rate, uint32_t burst);
bool ratelimit_allow(struct ratelimit *rl, const struct sa *src,
                     uint64_t now_us);
uint32_t ratelimit_slot(const struct ratelimit *rl, const struct sa *src);
