/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file token.h  Self-validating tokens: issue time, random, truncated HMAC
 *
 * A token proves, without any state kept per token, that we issued it,
 * when, and for what.  In hex:
 *
 *   16 digits issue time (ms) | 16 digits random | MAC
 *
 * MAC is the first @mac_hex digits of HMAC-SHA256(key, the first 32
 * digits), or of HMAC-SHA256(key, the first 32 digits "|" bound) when
 * the token is bound to something (a dialog, say): a token made for one
 * thing is not valid for another.  The random part names the token in
 * replay caches.  Times are passed in, in whatever clock the caller
 * keeps its tokens by (monotonic for short-lived nonces, the wall clock
 * for tokens that outlive the process); the key is the caller's.
 *
 * Used for the tunnel's open challenges (tunnel/nonces.c), SIP digest
 * nonces (sip/digest.c) and Record-Route tokens (sip/route.c).
 */

enum {
	TOKEN_HEAD_HEX = 32, /* time and random */
	TOKEN_RANDOM_OFF = 16,
	TOKEN_RANDOM_HEX = 16,
	TOKEN_MAC_HEX_MIN = 12,
	TOKEN_MAC_HEX_MAX = 64,
	TOKEN_BOUND_MAX = 1024, /* longest @bound */
};

#define TOKEN_NO_EXPIRY UINT64_MAX /* a lifetime: as long as the key */

enum token_verdict {
	TOKEN_OK,
	TOKEN_EXPIRED, /* ours, but older than its lifetime, or from later */
	TOKEN_BAD,     /* malformed, another key's, or bound to another thing */
};

/* The length of a token with @mac_hex digits of MAC */
static inline size_t token_len(size_t mac_hex)
{
	return TOKEN_HEAD_HEX + mac_hex;
}

int token_make(char *out, size_t outsz, const uint8_t *key, size_t keylen,
               size_t mac_hex, uint64_t now_ms, const char *bound);
enum token_verdict token_check(const char *tok, size_t len, const uint8_t *key,
                               size_t keylen, size_t mac_hex, const char *bound,
                               uint64_t now_ms, uint64_t ttl_ms,
                               uint64_t *issued);
