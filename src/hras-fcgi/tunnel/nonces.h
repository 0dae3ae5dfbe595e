/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file nonces.h  Challenge nonces for opening a session
 *
 * A nonce is self-validating (it carries its time and an HMAC under a key
 * made at start-up), so HRAS keeps no state per challenge; the nonces
 * answered with a right proof are remembered until they expire, so a
 * proof seen on the wire cannot be replayed.  A wrong proof is checked
 * against nonces_check() only: it uses nothing up (a stranger cannot
 * fill the cache).  Safe from any thread.
 */

enum {
	NONCE_LEN = 64,
};

enum nonce_verdict {
	NONCE_OK,
	NONCE_STALE,    /* expired, malformed or not ours: challenge again */
	NONCE_REPLAYED, /* answered before */
	NONCE_BUSY,     /* too many opens in one lifetime: try later */
};

struct nonces;

int nonces_alloc(struct nonces **np, uint32_t lifetime_ms, size_t cache);
void nonces_free(struct nonces *n);
int nonces_make(struct nonces *n, char out[NONCE_LEN + 1]);
enum nonce_verdict nonces_check(const struct nonces *n, const char *nonce);
enum nonce_verdict nonces_use(struct nonces *n, const char *nonce);
