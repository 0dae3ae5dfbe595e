/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file quota.h  How much of a shared bound one party may hold
 *
 * A count per party (a key: "o:198.51.100.7", "o:2001:db8:1:2::/64",
 * "i:site-a"), refused past a limit, so that one source or one site
 * cannot take what every other party needs (transactions, relay calls).
 * Bounded: a party's entry goes when its count returns to 0.  Not
 * thread-safe: the loop thread's.
 */

enum {
	QUOTA_KEY_MAX = 96,
};

struct quota;
struct sa;

int quota_alloc(struct quota **qp, uint32_t limit);
bool quota_take(struct quota *q, const char *key);
void quota_give(struct quota *q, const char *key);
uint32_t quota_held(const struct quota *q, const char *key);
uint32_t quota_limit(const struct quota *q);
void quota_key_addr(char out[QUOTA_KEY_MAX], const struct sa *a);
