/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_secret.c  Secret files, the HRAC proof, identities, nonces
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <re.h>
#include "secret.h"
#include "hracs.h"
#include "nonces.h"
#include "unit.h"

static char path[64];

static int write_file(const char *text, mode_t mode)
{
	return unit_file(path, sizeof(path), "secret", text, mode);
}

static unsigned revoked_n;
static char revoked_ids[256];

static void on_revoked(const char *id, void *arg)
{
	(void)arg;
	if (!revoked_n)
		revoked_ids[0] = '\0';
	revoked_n++;
	snprintf(revoked_ids + strlen(revoked_ids),
	         sizeof(revoked_ids) - strlen(revoked_ids), "[%s]", id);
}

static int secret_files(void)
{
	char buf[SECRET_MAX + 2], err[256];

	if (write_file("s3cret\n", 0600))
		return 1;
	TEST_EQ(secret_file_read(path, buf, sizeof(buf), err, sizeof(err)), 0);
	TEST_STREQ(buf, "s3cret");

	if (write_file("s3cret\n", 0644))
		return 1;
	TEST_EQ(secret_file_read(path, buf, sizeof(buf), err, sizeof(err)),
	        EACCES);
	TEST_ASSERT(strstr(err, "readable by others (mode 0644); run: chmod "
	                        "600"));
	if (write_file("s3cret\n", 0640))
		return 1;
	TEST_EQ(secret_file_read(path, buf, sizeof(buf), err, sizeof(err)),
	        EACCES);
	if (write_file("\n", 0600))
		return 1;
	TEST_EQ(secret_file_read(path, buf, sizeof(buf), err, sizeof(err)),
	        EINVAL);
	TEST_EQ(secret_file_read("/nonexistent", buf, sizeof(buf), err,
	                         sizeof(err)),
	        ENOENT);
	unlink(path);
	return 0;
}

/* The reference value comes from: printf 'SoFW-1 abc site-a' |
 * openssl dgst -sha256 -hmac sekrit (an independent implementation) */
static int proof_vector(void)
{
	char out[SECRET_PROOF_HEX + 1];

	TEST_EQ(secret_proof(out, "sekrit", "abc", "site-a"), 0);
	TEST_STREQ(
	    out,
	    "791b7ce340c91b0e2638ce5557fb28fa64fde92c1490e3f88166a58ebd343636");
	TEST_ASSERT(secret_equal("abcd", "abcd", 4));
	TEST_ASSERT(!secret_equal("abcd", "abce", 4));
	return 0;
}

static int identities(void)
{
	char err[256], nonce[] = "n0nce", proof[SECRET_PROOF_HEX + 1];
	struct hracs *h = NULL;

	if (write_file("# sites\nsite-a:alpha-secret\nsite_b.x:beta\n", 0600))
		return 1;
	TEST_EQ(hracs_alloc(&h, path, err, sizeof(err)), 0);
	TEST_EQ(hracs_count(h), 2);
	secret_proof(proof, "alpha-secret", nonce, "site-a");
	TEST_EQ(hracs_verify(h, "site-a", nonce, proof), HRACS_OK);
	TEST_EQ(hracs_verify(h, "site_b.x", nonce, proof), HRACS_WRONG_PROOF);
	TEST_EQ(hracs_verify(h, "nobody", nonce, proof), HRACS_UNKNOWN_ID);
	TEST_EQ(hracs_verify(h, "site-a", "other", proof), HRACS_WRONG_PROOF);
	TEST_EQ(hracs_verify(h, "site-a", nonce, "00"), HRACS_WRONG_PROOF);

	/* a bad reload keeps the identities in force */
	if (write_file("no colon here\n", 0600))
		return 1;
	TEST_EQ(hracs_reload(h, path, on_revoked, NULL, err, sizeof(err)),
	        EINVAL);
	TEST_ASSERT(strstr(err, "line 1: expected name:secret"));
	TEST_EQ(hracs_verify(h, "site-a", nonce, proof), HRACS_OK);
	TEST_EQ(revoked_n, 0);

	/* a good one: site-a gone, site_b.x with a new secret, site-c new;
	 * the first two are revoked, nothing else */
	if (write_file("site-c:gamma\nsite_b.x:beta2\nsite-d:delta\n", 0600))
		return 1;
	TEST_EQ(hracs_reload(h, path, on_revoked, NULL, err, sizeof(err)), 0);
	TEST_EQ(revoked_n, 2);
	TEST_ASSERT(strstr(revoked_ids, "[site-a]"));
	TEST_ASSERT(strstr(revoked_ids, "[site_b.x]"));
	TEST_EQ(hracs_verify(h, "site-a", nonce, proof), HRACS_UNKNOWN_ID);
	secret_proof(proof, "delta", nonce, "site-d");
	TEST_EQ(hracs_verify(h, "site-d", nonce, proof), HRACS_OK);
	revoked_n = 0;
	TEST_EQ(hracs_reload(h, path, on_revoked, NULL, err, sizeof(err)), 0);
	TEST_EQ(revoked_n, 0); /* the same file: nothing changed */
	hracs_free(h);

	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "a b:s\n", "a name is 1 to 64" },
		{ "a:s\na:t\n", "'a' given twice" },
		{ "a:\n", "a secret is 1 to 256 bytes" },
		{ ":s\n", "a name is" },
		{ "# nothing\n", "no identities" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (write_file(bad[i].text, 0600))
			return 1;
		TEST_EQ(hracs_alloc(&h, path, err, sizeof(err)), EINVAL);
		TEST_ASSERT(strstr(err, bad[i].msg));
	}
	if (write_file("a:s\n", 0604))
		return 1;
	TEST_EQ(hracs_alloc(&h, path, err, sizeof(err)), EACCES);
	unlink(path);
	return 0;
}

static int nonce_use(void)
{
	char n1[NONCE_LEN + 1], n2[NONCE_LEN + 1];
	struct nonces *n;

	TEST_EQ(nonces_alloc(&n, 200, 2), 0);
	TEST_EQ(nonces_make(n, n1), 0);
	TEST_EQ(strlen(n1), NONCE_LEN);
	TEST_EQ(nonces_use(n, n1), NONCE_OK);
	TEST_EQ(nonces_use(n, n1), NONCE_REPLAYED);

	TEST_EQ(nonces_make(n, n2), 0);
	n2[40] = n2[40] == 'a' ? 'b' : 'a'; /* tampered MAC */
	TEST_EQ(nonces_use(n, n2), NONCE_STALE);
	TEST_EQ(nonces_use(n, "short"), NONCE_STALE);

	/* a cache of 2, both live: the third open must wait */
	TEST_EQ(nonces_make(n, n2), 0);
	TEST_EQ(nonces_use(n, n2), NONCE_OK);
	TEST_EQ(nonces_make(n, n2), 0);
	TEST_EQ(nonces_use(n, n2), NONCE_BUSY);

	/* after the lifetime: expired nonces are stale, the cache is free */
	usleep(250000);
	TEST_EQ(nonces_use(n, n2), NONCE_STALE);
	TEST_EQ(nonces_make(n, n2), 0);
	TEST_EQ(nonces_use(n, n2), NONCE_OK);
	nonces_free(n);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(secret_files),
		UNIT_TEST(proof_vector),
		UNIT_TEST(identities),
		UNIT_TEST(nonce_use),
	};

	return unit_main("secret", tests, ARRAY_SIZE(tests));
}
