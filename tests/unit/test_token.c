/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_token.c  Self-validating tokens: the format, the MAC against
 * an independent HMAC-SHA256, every way a token is refused, lifetimes
 *
 * The fixed vectors were computed outside the code under test with
 *   printf '%s' HEAD | openssl dgst -sha256 -hmac 'sofw unit test key'
 *   printf '%s' 'HEAD|isite-a|call-1@example.test' | openssl dgst ...
 * (OpenSSL 3.0), and checked with Python's hmac module; the tests also
 * recompute every token's MAC with OpenSSL's HMAC().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "secret.h"
#include "token.h"
#include "unit.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

enum {
	TOK_MAX = TOKEN_HEAD_HEX + TOKEN_MAC_HEX_MAX + 1,
};

static const uint8_t key[32] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba,
	0x98, 0x76, 0x54, 0x32, 0x10, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
	0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};

static const size_t mac_lens[] = { 12, 16, 32, 64 };

/* The key of the fixed vectors, and HEAD: time 0x18f2b3c4d5e
 * (1714417323358 ms), random 0123456789abcdef */
static const char vkey[] = "sofw unit test key";
static const char vhead[] = "0000018f2b3c4d5e0123456789abcdef";
static const uint64_t vtime = 1714417323358ULL;
static const char vmac[] =
    "dce7589c0faef91b6c3a46db8abeed49f0036a6566af5331ae1c3199cbaef26c";
static const char vbound[] = "isite-a|call-1@example.test";
static const char vmac_bound[] =
    "d6126f20aa555807187e935969ce3db6b81854dcfabaca3f69bd4effa684df3c";

/* HMAC-SHA256(@k, @head or @head "|" @bound) in lower-case hex, by
 * OpenSSL directly */
static int hmac_hex(char out[65], const void *k, size_t klen, const char *head,
                    const char *bound)
{
	static const char hx[] = "0123456789abcdef";
	char msg[TOKEN_HEAD_HEX + 1 + TOKEN_BOUND_MAX + 16];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (bound)
		snprintf(msg, sizeof(msg), "%s|%s", head, bound);
	else
		snprintf(msg, sizeof(msg), "%s", head);
	if (!HMAC(EVP_sha256(), k, (int)klen, (const unsigned char *)msg,
	          strlen(msg), md, &mdlen) ||
	    mdlen != 32)
		return 1;
	for (unsigned i = 0; i < mdlen; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

static enum token_verdict check(const char *tok, size_t mac_hex,
                                const char *bound)
{
	return token_check(tok, strlen(tok), key, sizeof(key), mac_hex, bound,
	                   1000, TOKEN_NO_EXPIRY, NULL);
}

/* The layout: 16 digits of time, 16 of random, the MAC's first digits,
 * lower-case hex; checked back with the same length, key and bound */
static int round_trip(void)
{
	static const char *const bounds[] = { NULL, "", "o|call@x",
		                              "isite-a|3848276298@example" };

	for (size_t m = 0; m < ARRAY_SIZE(mac_lens); m++) {
		for (size_t b = 0; b < ARRAY_SIZE(bounds); b++) {
			size_t mh = mac_lens[m];
			char tok[TOK_MAX], want[65];
			uint64_t issued = 0;

			TEST_EQ(token_make(tok, sizeof(tok), key, sizeof(key),
			                   mh, 0x0123456789abcdefULL,
			                   bounds[b]),
			        0);
			TEST_EQ(strlen(tok), token_len(mh));
			TEST_EQ(strspn(tok, "0123456789abcdef"), strlen(tok));
			TEST_MEMEQ(tok, "0123456789abcdef", 16);
			TEST_EQ(token_check(tok, strlen(tok), key, sizeof(key),
			                    mh, bounds[b],
			                    0x0123456789abcdefULL,
			                    TOKEN_NO_EXPIRY, &issued),
			        TOKEN_OK);
			TEST_EQ(issued, 0x0123456789abcdefULL);

			/* the MAC is HMAC-SHA256 of the head (and bound) */
			char head[TOKEN_HEAD_HEX + 1];
			memcpy(head, tok, TOKEN_HEAD_HEX);
			head[TOKEN_HEAD_HEX] = '\0';
			TEST_EQ(
			    hmac_hex(want, key, sizeof(key), head, bounds[b]),
			    0);
			TEST_MEMEQ(tok + TOKEN_HEAD_HEX, want, mh);

			/* another MAC length is another token */
			size_t other = mh == 16 ? 12 : 16;
			TEST_EQ(token_check(tok, strlen(tok), key, sizeof(key),
			                    other, bounds[b], 0,
			                    TOKEN_NO_EXPIRY, NULL),
			        TOKEN_BAD);
		}
	}
	return 0;
}

/* Tokens built from the openssl dgst vectors are accepted; the time
 * they carry comes back */
static int vectors(void)
{
	const uint8_t *k = (const uint8_t *)vkey;
	size_t klen = strlen(vkey);
	char tok[TOK_MAX], want[65];
	uint64_t issued = 0;

	/* OpenSSL's HMAC() agrees with the pasted vectors */
	TEST_EQ(hmac_hex(want, k, klen, vhead, NULL), 0);
	TEST_STREQ(want, vmac);
	TEST_EQ(hmac_hex(want, k, klen, vhead, vbound), 0);
	TEST_STREQ(want, vmac_bound);

	for (size_t m = 0; m < ARRAY_SIZE(mac_lens); m++) {
		size_t mh = mac_lens[m];

		snprintf(tok, sizeof(tok), "%s%.*s", vhead, (int)mh, vmac);
		TEST_EQ(token_check(tok, strlen(tok), k, klen, mh, NULL, vtime,
		                    0, &issued),
		        TOKEN_OK);
		TEST_EQ(issued, vtime);
		TEST_EQ(token_check(tok, strlen(tok), k, klen, mh, vbound,
		                    vtime, 0, NULL),
		        TOKEN_BAD);

		snprintf(tok, sizeof(tok), "%s%.*s", vhead, (int)mh,
		         vmac_bound);
		TEST_EQ(token_check(tok, strlen(tok), k, klen, mh, vbound,
		                    vtime, 0, NULL),
		        TOKEN_OK);
		TEST_EQ(token_check(tok, strlen(tok), k, klen, mh, NULL, vtime,
		                    0, NULL),
		        TOKEN_BAD);
		TEST_EQ(token_check(tok, strlen(tok), k, klen, mh,
		                    "isite-a|call-2@example.test", vtime, 0,
		                    NULL),
		        TOKEN_BAD);
	}
	return 0;
}

/* Another key, or the same bytes of another length */
static int wrong_key(void)
{
	uint8_t other[sizeof(key)];
	char tok[TOK_MAX];

	memcpy(other, key, sizeof(key));
	other[31] ^= 1;
	for (size_t m = 0; m < ARRAY_SIZE(mac_lens); m++) {
		size_t mh = mac_lens[m];

		TEST_EQ(
		    token_make(tok, sizeof(tok), key, sizeof(key), mh, 5, "b"),
		    0);
		TEST_EQ(token_check(tok, strlen(tok), key, sizeof(key), mh, "b",
		                    5, 0, NULL),
		        TOKEN_OK);
		TEST_EQ(token_check(tok, strlen(tok), other, sizeof(other), mh,
		                    "b", 5, 0, NULL),
		        TOKEN_BAD);
		TEST_EQ(token_check(tok, strlen(tok), key, sizeof(key) - 1, mh,
		                    "b", 5, 0, NULL),
		        TOKEN_BAD);
	}
	return 0;
}

/* Any one digit changed, in the time, the random part or the MAC */
static int one_digit(void)
{
	for (size_t m = 0; m < ARRAY_SIZE(mac_lens); m++) {
		size_t mh = mac_lens[m];
		char tok[TOK_MAX];

		TEST_EQ(token_make(tok, sizeof(tok), key, sizeof(key), mh, 1000,
		                   NULL),
		        0);
		TEST_EQ(check(tok, mh, NULL), TOKEN_OK);
		for (size_t i = 0; i < strlen(tok); i++) {
			const char keep = tok[i];

			for (const char *d = "0123456789abcdef"; *d; d++) {
				if (*d == keep)
					continue;
				tok[i] = *d;
				if (check(tok, mh, NULL) != TOKEN_BAD) {
					fprintf(stderr,
					        "digit %zu of %s accepted\n", i,
					        tok);
					return 1;
				}
			}
			tok[i] = keep;
		}
		TEST_EQ(check(tok, mh, NULL), TOKEN_OK);
	}
	return 0;
}

/* Only lower-case hex: even with a MAC that matches what is there (made
 * here by HMAC()), an upper-case or non-hex head is refused */
static int not_hex(void)
{
	static const char *const heads[] = {
		"0000018F2B3C4D5E0123456789abcdef", /* upper-case time */
		"0000018f2b3c4d5e0123456789ABCDEF", /* upper-case random */
		"zzzzzzzzzzzzzzzz0123456789abcdef", /* not hex at all */
		" 00018f2b3c4d5e00123456789abcdef", /* strtoull skips it */
		"+00018f2b3c4d5e00123456789abcdef", /* strtoull takes it */
		"0000018f2b3c4d5e0123456789abcdeg",
	};
	char tok[TOK_MAX], want[65];

	/* the head as it should be, for contrast */
	TEST_EQ(hmac_hex(want, key, sizeof(key), vhead, NULL), 0);
	snprintf(tok, sizeof(tok), "%s%.16s", vhead, want);
	TEST_EQ(check(tok, 16, NULL), TOKEN_OK);

	for (size_t h = 0; h < ARRAY_SIZE(heads); h++) {
		TEST_EQ(strlen(heads[h]), TOKEN_HEAD_HEX);
		TEST_EQ(hmac_hex(want, key, sizeof(key), heads[h], NULL), 0);
		snprintf(tok, sizeof(tok), "%s%.16s", heads[h], want);
		if (check(tok, 16, NULL) != TOKEN_BAD) {
			fprintf(stderr, "%s accepted\n", tok);
			return 1;
		}
	}

	/* a MAC in upper case */
	TEST_EQ(hmac_hex(want, key, sizeof(key), vhead, NULL), 0);
	for (size_t i = 0; i < 16; i++) {
		if (want[i] >= 'a')
			want[i] = (char)(want[i] - 'a' + 'A');
	}
	TEST_ASSERT(strspn(want, "0123456789") < 16); /* has a letter */
	snprintf(tok, sizeof(tok), "%s%.16s", vhead, want);
	TEST_EQ(check(tok, 16, NULL), TOKEN_BAD);

	/* a made token with a letter upper-cased, or a NUL inside */
	for (int tries = 0; tries < 100; tries++) {
		char *p;

		TEST_EQ(token_make(tok, sizeof(tok), key, sizeof(key), 16,
		                   0xabcdef, NULL),
		        0);
		p = strpbrk(tok + 16, "abcdef"); /* random or MAC */
		if (!p)
			continue;
		*p = (char)(*p - 'a' + 'A');
		TEST_EQ(check(tok, 16, NULL), TOKEN_BAD);
		*p = (char)(*p - 'A' + 'a');
		TEST_EQ(check(tok, 16, NULL), TOKEN_OK);
		*p = '\0';
		TEST_EQ(token_check(tok, token_len(16), key, sizeof(key), 16,
		                    NULL, 0, TOKEN_NO_EXPIRY, NULL),
		        TOKEN_BAD);
		return 0;
	}
	return 1;
}

/* One digit short or long, or @len not the token's */
static int wrong_length(void)
{
	for (size_t m = 0; m < ARRAY_SIZE(mac_lens); m++) {
		size_t mh = mac_lens[m];
		char tok[TOK_MAX + 1];
		size_t n;

		TEST_EQ(token_make(tok, sizeof(tok), key, sizeof(key), mh, 1000,
		                   NULL),
		        0);
		n = strlen(tok);
		TEST_EQ(token_check(tok, n - 1, key, sizeof(key), mh, NULL,
		                    1000, TOKEN_NO_EXPIRY, NULL),
		        TOKEN_BAD);
		tok[n] = '0';
		tok[n + 1] = '\0';
		TEST_EQ(token_check(tok, n + 1, key, sizeof(key), mh, NULL,
		                    1000, TOKEN_NO_EXPIRY, NULL),
		        TOKEN_BAD);
		TEST_EQ(token_check(tok, n, key, sizeof(key), mh, NULL, 1000,
		                    TOKEN_NO_EXPIRY, NULL),
		        TOKEN_OK);
		TEST_EQ(token_check(tok, 0, key, sizeof(key), mh, NULL, 1000,
		                    TOKEN_NO_EXPIRY, NULL),
		        TOKEN_BAD);
		TEST_EQ(token_check(tok, TOKEN_HEAD_HEX, key, sizeof(key), mh,
		                    NULL, 1000, TOKEN_NO_EXPIRY, NULL),
		        TOKEN_BAD);
	}
	return 0;
}

/* Bound to one thing: not valid for another, nor for nothing; made for
 * nothing: not valid for anything */
static int bound_elsewhere(void)
{
	for (size_t m = 0; m < ARRAY_SIZE(mac_lens); m++) {
		size_t mh = mac_lens[m];
		char tok[TOK_MAX];

		TEST_EQ(token_make(tok, sizeof(tok), key, sizeof(key), mh, 1000,
		                   "o|call-1"),
		        0);
		TEST_EQ(check(tok, mh, "o|call-1"), TOKEN_OK);
		TEST_EQ(check(tok, mh, "o|call-2"), TOKEN_BAD);
		TEST_EQ(check(tok, mh, "isite-a|call-1"), TOKEN_BAD);
		TEST_EQ(check(tok, mh, "o|call-1 "), TOKEN_BAD);
		TEST_EQ(check(tok, mh, "o|call-"), TOKEN_BAD);
		TEST_EQ(check(tok, mh, ""), TOKEN_BAD);
		TEST_EQ(check(tok, mh, NULL), TOKEN_BAD);

		TEST_EQ(token_make(tok, sizeof(tok), key, sizeof(key), mh, 1000,
		                   NULL),
		        0);
		TEST_EQ(check(tok, mh, NULL), TOKEN_OK);
		TEST_EQ(check(tok, mh, "o|call-1"), TOKEN_BAD);
		TEST_EQ(check(tok, mh, ""), TOKEN_BAD);

		TEST_EQ(token_make(tok, sizeof(tok), key, sizeof(key), mh, 1000,
		                   ""),
		        0);
		TEST_EQ(check(tok, mh, ""), TOKEN_OK);
		TEST_EQ(check(tok, mh, NULL), TOKEN_BAD);
	}
	return 0;
}

static enum token_verdict at(const char *tok, uint64_t now, uint64_t ttl,
                             uint64_t *issued)
{
	return token_check(tok, strlen(tok), key, sizeof(key), 16, NULL, now,
	                   ttl, issued);
}

/* Older than its lifetime, or from later: expired; exactly its lifetime
 * old: fine; no expiry: never expires */
static int lifetimes(void)
{
	const uint64_t t0 = 1714417323358ULL;
	char tok[TOK_MAX];
	uint64_t issued;

	TEST_EQ(token_make(tok, sizeof(tok), key, sizeof(key), 16, t0, NULL),
	        0);

	issued = 0;
	TEST_EQ(at(tok, t0, 0, &issued), TOKEN_OK);
	TEST_EQ(issued, t0);
	TEST_EQ(at(tok, t0 + 1, 0, NULL), TOKEN_EXPIRED);
	TEST_EQ(at(tok, t0 + 30000, 30000, NULL), TOKEN_OK);
	issued = 0;
	TEST_EQ(at(tok, t0 + 30001, 30000, &issued), TOKEN_EXPIRED);
	TEST_EQ(issued, t0);
	TEST_EQ(at(tok, t0 + 29999, 30000, NULL), TOKEN_OK);
	TEST_EQ(at(tok, UINT64_MAX, 30000, NULL), TOKEN_EXPIRED);
	TEST_EQ(at(tok, UINT64_MAX, UINT64_MAX - 1, NULL), TOKEN_OK);

	/* issued in the future, by one millisecond or more */
	issued = 0;
	TEST_EQ(at(tok, t0 - 1, 30000, &issued), TOKEN_EXPIRED);
	TEST_EQ(issued, t0);
	TEST_EQ(at(tok, 0, 30000, NULL), TOKEN_EXPIRED);
	TEST_EQ(at(tok, t0 - 1, UINT64_MAX - 1, NULL), TOKEN_EXPIRED);
	TEST_EQ(at(tok, t0 - 2, UINT64_MAX - 1, NULL), TOKEN_EXPIRED);
	TEST_EQ(at(tok, 0, UINT64_MAX - 1, NULL), TOKEN_EXPIRED);

	/* no expiry: not for age, not for the future */
	TEST_EQ(at(tok, t0, TOKEN_NO_EXPIRY, NULL), TOKEN_OK);
	TEST_EQ(at(tok, UINT64_MAX, TOKEN_NO_EXPIRY, NULL), TOKEN_OK);
	TEST_EQ(at(tok, 0, TOKEN_NO_EXPIRY, NULL), TOKEN_OK);

	/* the extremes of the clock */
	TEST_EQ(token_make(tok, sizeof(tok), key, sizeof(key), 16, 0, NULL), 0);
	TEST_MEMEQ(tok, "0000000000000000", 16);
	TEST_EQ(at(tok, 0, 0, &issued), TOKEN_OK);
	TEST_EQ(issued, 0);
	TEST_EQ(token_make(tok, sizeof(tok), key, sizeof(key), 16, UINT64_MAX,
	                   NULL),
	        0);
	TEST_MEMEQ(tok, "ffffffffffffffff", 16);
	TEST_EQ(at(tok, UINT64_MAX, 0, &issued), TOKEN_OK);
	TEST_EQ(issued, UINT64_MAX);

	return 0;
}

/* The random part names the token: two made in the same millisecond
 * differ there (and so in the MAC) */
static int random_part(void)
{
	enum { N = 64 };
	static char toks[N][TOK_MAX];

	for (size_t i = 0; i < N; i++) {
		TEST_EQ(token_make(toks[i], sizeof(toks[i]), key, sizeof(key),
		                   16, 777, "same"),
		        0);
		TEST_MEMEQ(toks[i], toks[0], TOKEN_RANDOM_OFF);
		for (size_t j = 0; j < i; j++) {
			TEST_ASSERT(memcmp(toks[i] + TOKEN_RANDOM_OFF,
			                   toks[j] + TOKEN_RANDOM_OFF,
			                   TOKEN_RANDOM_HEX) != 0);
			TEST_ASSERT(memcmp(toks[i] + TOKEN_HEAD_HEX,
			                   toks[j] + TOKEN_HEAD_HEX, 16) != 0);
		}
	}
	return 0;
}

/* @bound up to TOKEN_BOUND_MAX characters; one more is refused */
static int bound_too_long(void)
{
	static char b[TOKEN_BOUND_MAX + 2];
	char tok[TOK_MAX], want[65], head[TOKEN_HEAD_HEX + 1];

	memset(b, 'x', TOKEN_BOUND_MAX);
	b[TOKEN_BOUND_MAX] = '\0';
	TEST_EQ(token_make(tok, sizeof(tok), key, sizeof(key), 16, 1000, b), 0);
	TEST_EQ(check(tok, 16, b), TOKEN_OK);
	memcpy(head, tok, TOKEN_HEAD_HEX);
	head[TOKEN_HEAD_HEX] = '\0';
	TEST_EQ(hmac_hex(want, key, sizeof(key), head, b), 0);
	TEST_MEMEQ(tok + TOKEN_HEAD_HEX, want, 16); /* all of it counted */

	b[TOKEN_BOUND_MAX] = 'x';
	b[TOKEN_BOUND_MAX + 1] = '\0';
	memset(tok, '#', sizeof(tok));
	TEST_EQ(token_make(tok, sizeof(tok), key, sizeof(key), 16, 1000, b),
	        EMSGSIZE);
	/* a token whose MAC is right for the long bound, made here */
	TEST_EQ(hmac_hex(want, key, sizeof(key), head, b), 0);
	snprintf(tok, sizeof(tok), "%s%.16s", head, want);
	TEST_EQ(check(tok, 16, b), TOKEN_BAD);
	return 0;
}

/* MAC length outside 12..64: refused by both */
static int bad_mac_hex(void)
{
	static const size_t bad[] = { 0, 1, 11, 65, 128 };
	char tok[TOKEN_HEAD_HEX + 128 + 1], want[65];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		TEST_EQ(token_make(tok, sizeof(tok), key, sizeof(key), bad[i],
		                   1000, NULL),
		        EINVAL);
	}
	/* tokens of 11 and 65 digits of MAC, right as far as they go */
	TEST_EQ(hmac_hex(want, key, sizeof(key), vhead, NULL), 0);
	snprintf(tok, sizeof(tok), "%s%.11s", vhead, want);
	TEST_EQ(token_check(tok, strlen(tok), key, sizeof(key), 11, NULL, 0,
	                    TOKEN_NO_EXPIRY, NULL),
	        TOKEN_BAD);
	snprintf(tok, sizeof(tok), "%s%s0", vhead, want);
	TEST_EQ(strlen(tok), token_len(65));
	TEST_EQ(token_check(tok, strlen(tok), key, sizeof(key), 65, NULL, 0,
	                    TOKEN_NO_EXPIRY, NULL),
	        TOKEN_BAD);
	snprintf(tok, sizeof(tok), "%s", vhead);
	TEST_EQ(token_check(tok, strlen(tok), key, sizeof(key), 0, NULL, 0,
	                    TOKEN_NO_EXPIRY, NULL),
	        TOKEN_BAD);
	snprintf(tok, sizeof(tok), "%s%s%s", vhead, want, want);
	TEST_EQ(token_check(tok, strlen(tok), key, sizeof(key), 128, NULL, 0,
	                    TOKEN_NO_EXPIRY, NULL),
	        TOKEN_BAD);
	/* the limits themselves are fine */
	snprintf(tok, sizeof(tok), "%s%.12s", vhead, want);
	TEST_EQ(token_check(tok, strlen(tok), key, sizeof(key), 12, NULL, 0,
	                    TOKEN_NO_EXPIRY, NULL),
	        TOKEN_OK);
	snprintf(tok, sizeof(tok), "%s%s", vhead, want);
	TEST_EQ(token_check(tok, strlen(tok), key, sizeof(key), 64, NULL, 0,
	                    TOKEN_NO_EXPIRY, NULL),
	        TOKEN_OK);
	return 0;
}

/* @outsz must hold the token and its NUL; nothing is written past it */
static int out_size(void)
{
	for (size_t m = 0; m < ARRAY_SIZE(mac_lens); m++) {
		size_t mh = mac_lens[m], n = token_len(mh);
		char buf[TOK_MAX + 8];

		memset(buf, '#', sizeof(buf));
		TEST_EQ(token_make(buf, n, key, sizeof(key), mh, 1, NULL),
		        EINVAL);
		TEST_EQ(token_make(buf, 0, key, sizeof(key), mh, 1, NULL),
		        EINVAL);
		TEST_EQ(token_make(buf, 1, key, sizeof(key), mh, 1, NULL),
		        EINVAL);
		for (size_t i = 0; i < sizeof(buf); i++)
			TEST_EQ(buf[i], '#');

		TEST_EQ(token_make(buf, n + 1, key, sizeof(key), mh, 1, NULL),
		        0);
		TEST_EQ(strlen(buf), n);
		for (size_t i = n + 1; i < sizeof(buf); i++)
			TEST_EQ(buf[i], '#');
	}
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(round_trip),      UNIT_TEST(vectors),
		UNIT_TEST(wrong_key),       UNIT_TEST(one_digit),
		UNIT_TEST(not_hex),         UNIT_TEST(wrong_length),
		UNIT_TEST(bound_elsewhere), UNIT_TEST(lifetimes),
		UNIT_TEST(random_part),     UNIT_TEST(bound_too_long),
		UNIT_TEST(bad_mac_hex),     UNIT_TEST(out_size),
	};

	return unit_main("token", tests, ARRAY_SIZE(tests));
}
