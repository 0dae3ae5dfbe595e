/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file token.c  Self-validating tokens: issue time, random, truncated HMAC
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "secret.h"
#include "token.h"

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* HMAC of the head, or of head "|" bound, in hex (64 digits) */
static int mac(char out[SECRET_PROOF_HEX + 1], const uint8_t *key,
               size_t keylen, const char *head, const char *bound)
{
	char msg[TOKEN_HEAD_HEX + 1 + TOKEN_BOUND_MAX + 1];

	if (!bound)
		return secret_hmac_hex(out, SECRET_PROOF_HEX + 1, key, keylen,
		                       head);
	if (strlen(bound) > TOKEN_BOUND_MAX)
		return EMSGSIZE;
	snprintf(msg, sizeof(msg), "%s|%s", head, bound);
	return secret_hmac_hex(out, SECRET_PROOF_HEX + 1, key, keylen, msg);
}

/**
 * Make a token
 *
 * @param out      token_len(@mac_hex) + 1 bytes at least
 * @param mac_hex  MAC digits, TOKEN_MAC_HEX_MIN to TOKEN_MAC_HEX_MAX
 * @param bound    what the token is for, or NULL
 * @return 0, EINVAL, EMSGSIZE (@bound too long), or the random source's
 */
int token_make(char *out, size_t outsz, const uint8_t *key, size_t keylen,
               size_t mac_hex, uint64_t now_ms, const char *bound)
{
	char head[TOKEN_HEAD_HEX + 1], m[SECRET_PROOF_HEX + 1];
	char rnd[TOKEN_RANDOM_HEX + 1];
	int e;

	if (mac_hex < TOKEN_MAC_HEX_MIN || mac_hex > TOKEN_MAC_HEX_MAX ||
	    outsz < token_len(mac_hex) + 1)
		return EINVAL;
	e = secret_random_hex(rnd, TOKEN_RANDOM_HEX / 2);
	if (e)
		return e;
	snprintf(head, sizeof(head), "%016" PRIx64 "%s", now_ms, rnd);
	e = mac(m, key, keylen, head, bound);
	if (e)
		return e;
	snprintf(out, outsz, "%s%.*s", head, (int)mac_hex, m);
	explicit_bzero(m, sizeof(m));
	return 0;
}

/**
 * Check a token (@len characters, not NUL-terminated)
 *
 * @param ttl_ms  its lifetime, or TOKEN_NO_EXPIRY
 * @param issued  when it was made, if the verdict is not TOKEN_BAD
 */
enum token_verdict token_check(const char *tok, size_t len, const uint8_t *key,
                               size_t keylen, size_t mac_hex, const char *bound,
                               uint64_t now_ms, uint64_t ttl_ms,
                               uint64_t *issued)
{
	char head[TOKEN_HEAD_HEX + 1], m[SECRET_PROOF_HEX + 1], ts[17];
	enum token_verdict v;
	uint64_t t;

	if (mac_hex < TOKEN_MAC_HEX_MIN || mac_hex > TOKEN_MAC_HEX_MAX ||
	    len != token_len(mac_hex) || !is_hex(tok, len))
		return TOKEN_BAD;
	memcpy(head, tok, TOKEN_HEAD_HEX);
	head[TOKEN_HEAD_HEX] = '\0';
	if (mac(m, key, keylen, head, bound) ||
	    !secret_equal(m, tok + TOKEN_HEAD_HEX, mac_hex))
		v = TOKEN_BAD;
	else
		v = TOKEN_OK;
	explicit_bzero(m, sizeof(m));
	if (v == TOKEN_BAD)
		return v;

	memcpy(ts, head, 16);
	ts[16] = '\0';
	t = strtoull(ts, NULL, 16);
	if (issued)
		*issued = t;
	if (ttl_ms != TOKEN_NO_EXPIRY && (t > now_ms || now_ms - t > ttl_ms))
		return TOKEN_EXPIRED;
	return TOKEN_OK;
}
