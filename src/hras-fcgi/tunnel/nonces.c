/**
 * @file nonces.c  Challenge nonces for opening a session
 *
 * Layout (hex): 16 digits issue time (ms, monotonic), 16 random, 32 of
 * HMAC-SHA256(key, the first 32 digits).
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
#include "secret.h"
#include "nonces.h"

struct used {
	char rnd[17];
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

static int mac(const struct nonces *n, const char *head, char out[33])
{
	char full[SECRET_PROOF_HEX + 1];
	int e;

	e = secret_hmac_hex(full, sizeof(full), n->key, sizeof(n->key), head);
	if (e)
		return e;
	memcpy(out, full, 32);
	out[32] = '\0';
	return 0;
}

int nonces_make(struct nonces *n, char out[NONCE_LEN + 1])
{
	char head[33], m[33], rnd[17];
	int e;

	e = secret_random_hex(rnd, 8);
	if (e)
		return e;
	snprintf(head, sizeof(head), "%016" PRIx64 "%s", mono_ms(), rnd);
	e = mac(n, head, m);
	if (e)
		return e;
	snprintf(out, NONCE_LEN + 1, "%s%s", head, m);
	return 0;
}

enum nonce_verdict nonces_use(struct nonces *n, const char *nonce)
{
	enum nonce_verdict v = NONCE_OK;
	char head[33], m[33];
	uint64_t issued, now = mono_ms();
	struct used *slot;
	char *end;

	if (strlen(nonce) != NONCE_LEN)
		return NONCE_STALE;
	memcpy(head, nonce, 32);
	head[32] = '\0';
	if (mac(n, head, m) || !secret_equal(m, nonce + 32, 32))
		return NONCE_STALE;

	head[16] = '\0';
	issued = strtoull(head, &end, 16);
	if (*end || issued > now || now - issued > n->lifetime)
		return NONCE_STALE;

	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < n->cap; i++) {
		if (n->used[i].issued &&
		    !memcmp(n->used[i].rnd, nonce + 16, 16)) {
			v = NONCE_REPLAYED;
			goto out;
		}
	}
	slot = &n->used[n->next];
	if (slot->issued && now - slot->issued <= n->lifetime) {
		v = NONCE_BUSY;
		goto out;
	}
	memcpy(slot->rnd, nonce + 16, 16);
	slot->rnd[16] = '\0';
	slot->issued = issued ? issued : 1;
	n->next = (n->next + 1) % n->cap;
out:
	pthread_mutex_unlock(&n->lock);
	return v;
}
