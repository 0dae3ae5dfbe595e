/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file nonces.c  Challenge nonces for opening a session
 *
 * A nonce is a token (token.h) of 32 MAC digits, in monotonic time.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "mono.h"
#include "token.h"
#include "nonces.h"

enum {
	NONCE_MAC_HEX = NONCE_LEN - TOKEN_HEAD_HEX,
};

struct used {
	char rnd[TOKEN_RANDOM_HEX + 1];
	uint64_t issued;
};

struct nonces {
	pthread_mutex_t lock;
	uint8_t key[32];
	uint64_t lifetime;
	struct used *used;
	size_t cap, next;
};

int nonces_alloc(struct nonces **np, uint32_t lifetime_ms, size_t cache)
{
	struct nonces *n;

	n = calloc(1, sizeof(*n));
	if (!n)
		return ENOMEM;
	n->used = calloc(cache, sizeof(*n->used));
	if (!n->used ||
	    getrandom(n->key, sizeof(n->key), 0) != (ssize_t)sizeof(n->key)) {
		free(n->used);
		free(n);
		return ENOMEM;
	}
	pthread_mutex_init(&n->lock, NULL);
	n->lifetime = lifetime_ms;
	n->cap = cache;
	*np = n;
	return 0;
}

void nonces_free(struct nonces *n)
{
	if (!n)
		return;
	pthread_mutex_destroy(&n->lock);
	explicit_bzero(n->key, sizeof(n->key));
	free(n->used);
	free(n);
}

int nonces_make(struct nonces *n, char out[NONCE_LEN + 1])
{
	return token_make(out, NONCE_LEN + 1, n->key, sizeof(n->key),
	                  NONCE_MAC_HEX, mono_ms(), NULL);
}

static bool fresh(const struct nonces *n, const char *nonce, uint64_t now,
                  uint64_t *issued)
{
	return token_check(nonce, strlen(nonce), n->key, sizeof(n->key),
	                   NONCE_MAC_HEX, NULL, now, n->lifetime,
	                   issued) == TOKEN_OK;
}

/* Ours and not expired (NONCE_OK), or NONCE_STALE; nothing is recorded */
enum nonce_verdict nonces_check(const struct nonces *n, const char *nonce)
{
	uint64_t issued;

	return fresh(n, nonce, mono_ms(), &issued) ? NONCE_OK : NONCE_STALE;
}

/*
 * Use a nonce up: only for a proof already verified, so that no one
 * without a secret can fill the cache of used nonces
 */
enum nonce_verdict nonces_use(struct nonces *n, const char *nonce)
{
	enum nonce_verdict v = NONCE_OK;
	const char *rnd = nonce + TOKEN_RANDOM_OFF;
	uint64_t issued, now = mono_ms();
	struct used *slot;

	if (!fresh(n, nonce, now, &issued))
		return NONCE_STALE;

	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < n->cap; i++) {
		if (n->used[i].issued &&
		    !memcmp(n->used[i].rnd, rnd, TOKEN_RANDOM_HEX)) {
			v = NONCE_REPLAYED;
			goto out;
		}
	}
	slot = &n->used[n->next];
	if (slot->issued && now - slot->issued <= n->lifetime) {
		v = NONCE_BUSY;
		goto out;
	}
	memcpy(slot->rnd, rnd, TOKEN_RANDOM_HEX);
	slot->rnd[TOKEN_RANDOM_HEX] = '\0';
	slot->issued = issued ? issued : 1;
	n->next = (n->next + 1) % n->cap;
out:
	pthread_mutex_unlock(&n->lock);
	return v;
}
