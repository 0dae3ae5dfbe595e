/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_digest.c  SIP Digest authentication: RFC test vectors, then
 * the module's own challenges answered in SIP requests
 *
 * The vectors' responses were computed independently with Python's
 * hashlib and with openssl dgst (printf 'user:realm:pw' | openssl dgst
 * -md5, and so on for HA2 and the response).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <re.h>
#include "secret.h"
#include "token.h"
#include "digest.h"
#include "unit.h"

enum {
	HEX_MAX = 65,
};

static char path[64];

/* --- the computation, against published vectors --- */

struct vector {
	const char *algorithm; /* NULL: absent */
	const char *ha1;
	const char *method, *uri, *nonce;
	const char *qop, *nc, *cnonce; /* NULL: absent (RFC 2069) */
	const char *response;
};

static int response_of(char *out, size_t outsz, const struct vector *v)
{
	struct pl alg, met, uri, nonce, qop, nc, cnonce;

	if (v->algorithm)
		pl_set_str(&alg, v->algorithm);
	pl_set_str(&met, v->method);
	pl_set_str(&uri, v->uri);
	pl_set_str(&nonce, v->nonce);
	if (v->qop) {
		pl_set_str(&qop, v->qop);
		pl_set_str(&nc, v->nc);
		pl_set_str(&cnonce, v->cnonce);
	}
	return digest_response(out, outsz, v->algorithm ? &alg : NULL, v->ha1,
	                       &met, &uri, &nonce, v->qop ? &qop : NULL,
	                       v->qop ? &nc : NULL, v->qop ? &cnonce : NULL);
}

/* HA1 = H(user:realm:password), computed here with OpenSSL directly */
static void ha1_of(char out[HEX_MAX], bool sha256, const char *user,
                   const char *realm, const char *password)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s:%s:%s", user, realm, password);

	EVP_Digest(buf, (size_t)n, md, &mdlen,
	           sha256 ? EVP_sha256() : EVP_md5(), NULL);
	secret_hex(out, md, mdlen);
}

static const char n7616[] = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
static const char c7616[] = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

static int rfc_vectors(void)
{
	static const struct vector v[] = {
		/* RFC 2617 §3.5: Mufasa, testrealm@host.com, "Circle Of
		 * Life" */
		{ NULL, "939e7578ed9e3c518a452acee763bce9", "GET",
		  "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
		  "auth", "00000001", "0a4f113b",
		  "6629fae49393a05397450978507c4ef1" },
		/* RFC 7616 §3.9.1: Mufasa, http-auth@example.org, "Circle
		 * of Life" */
		{ "MD5", "3d78807defe7de2157e2b0b6573a855f", "GET",
		  "/dir/index.html", n7616, "auth", "00000001", c7616,
		  "8ca523f5e9506fed4657c9700eebdbec" },
		{ "SHA-256",
		  "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b479"
		  "4"
		  "232",
		  "GET", "/dir/index.html", n7616, "auth", "00000001", c7616,
		  "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856c"
		  "b6c1" },
		/* RFC 2069 §2.4 (its example as corrected by erratum 749):
		 * Mufasa, testrealm@host.com, "CircleOfLife", no qop */
		{ NULL, "4945ecf42b1bb868634058a845bedde8", "GET",
		  "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093", NULL,
		  NULL, NULL, "1949323746fe6a43ef61f9606e7febea" },
		/* the names of algorithm and qop are not case-sensitive */
		{ "md5", "3d78807defe7de2157e2b0b6573a855f", "GET",
		  "/dir/index.html", n7616, "AUTH", "00000001", c7616,
		  "8ca523f5e9506fed4657c9700eebdbec" },
		{ "sha-256",
		  "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b479"
		  "4"
		  "232",
		  "GET", "/dir/index.html", n7616, "auth", "00000001", c7616,
		  "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856c"
		  "b6c1" },
	};
	char out[HEX_MAX], ha1[HEX_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		memset(out, 'x', sizeof(out));
		TEST_EQ(response_of(out, sizeof(out), &v[i]), 0);
		TEST_STREQ(out, v[i].response);
	}

	/* and the HA1 this file computes for the API tests below */
	ha1_of(ha1, false, "Mufasa", "testrealm@host.com", "Circle Of Life");
	TEST_STREQ(ha1, v[0].ha1);
	ha1_of(ha1, true, "Mufasa", "http-auth@example.org", "Circle of Life");
	TEST_STREQ(ha1, v[2].ha1);
	return 0;
}

static int response_errors(void)
{
	struct vector v = { "MD5",      "3d78807defe7de2157e2b0b6573a855f",
		            "GET",      "/dir/index.html",
		            n7616,      "auth",
		            "00000001", c7616,
		            NULL };
	char out[HEX_MAX];

	TEST_EQ(response_of(out, 33, &v), 0); /* MD5 fits in 33 */
	TEST_EQ(response_of(out, 32, &v), EMSGSIZE);
	v.algorithm = "SHA-256";
	TEST_EQ(response_of(out, 64, &v), EMSGSIZE);
	v.algorithm = "MD5-sess";
	TEST_EQ(response_of(out, sizeof(out), &v), EINVAL);
	v.algorithm = "SHA-512-256";
	TEST_EQ(response_of(out, sizeof(out), &v), EINVAL);
	v.algorithm = "MD5";
	v.qop = "auth-int";
	TEST_EQ(response_of(out, sizeof(out), &v), EINVAL);
	v.qop = "auth";
	v.cnonce = "";
	TEST_EQ(response_of(out, sizeof(out), &v), EINVAL);
	return 0;
}

/* --- the module: its challenges answered in SIP requests --- */

static const char realm[] = "sofw.test";

static int write_file(const char *text, mode_t mode)
{
	return unit_file(path, sizeof(path), "digest", text, mode);
}

/* alice has an MD5 and a SHA-256 line, bob MD5 only */
static int write_users(void)
{
	char a5[HEX_MAX], a256[HEX_MAX], b5[HEX_MAX], text[512];

	ha1_of(a5, false, "alice", realm, "wonderland");
	ha1_of(a256, true, "alice", realm, "wonderland");
	ha1_of(b5, false, "bob", realm, "builder");
	snprintf(text, sizeof(text),
	         "# users\nalice:%s:%s\n\nalice:%s:%s\nbob:%s:%s\n", realm, a5,
	         realm, a256, realm, b5);
	return write_file(text, 0600);
}

static struct digest *digest_new(const char *algorithms, uint32_t ttl)
{
	struct digest *d = NULL;
	char err[256];
	int e =
	    digest_alloc(&d, path, realm, ttl, algorithms, err, sizeof(err));

	if (e)
		fprintf(stderr, "digest_alloc: %s\n", err);
	return d;
}

/* The module's challenge, and the nonce in it */
static int challenge(struct digest *d, bool proxy, bool stale, char *text,
                     size_t textsz, char nonce[HEX_MAX])
{
	struct mbuf *mb = mbuf_alloc(512);
	struct pl n;

	TEST_ASSERT(mb);
	TEST_EQ(digest_challenge(d, mb, proxy, stale), 0);
	TEST_ASSERT(mb->end < textsz);
	memcpy(text, mb->buf, mb->end);
	text[mb->end] = '\0';
	mem_deref(mb);
	TEST_EQ(re_regex(text, strlen(text), "nonce=\"[^\"]+\"", &n), 0);
	TEST_ASSERT(n.l < HEX_MAX);
	pl_strcpy(&n, nonce, HEX_MAX);
	return 0;
}

static char *new_nonce(struct digest *d)
{
	static char nonce[HEX_MAX];
	char text[1024];

	if (challenge(d, false, false, text, sizeof(text), nonce))
		return NULL;
	return nonce;
}

/* What a phone answers: @alg NULL leaves algorithm out, @nc NULL
 * leaves qop, nc and cnonce out */
struct answer {
	const char *user, *password, *alg, *nonce, *nc;
	const char *hashed_method; /* the method hashed, if not the one sent */
	const char *ha1;           /* the HA1 used, if not the password's */
	size_t cut;                /* send only this many response digits */
};

static struct answer ans(const char *user, const char *password,
                         const char *alg, const char *nonce, const char *nc)
{
	struct answer a = { user, password, alg, nonce, nc, NULL, NULL, 0 };

	return a;
}

static int credentials(char *out, size_t sz, const char *method,
                       const struct answer *a)
{
	struct vector v = { .algorithm = a->alg,
		            .method =
		                a->hashed_method ? a->hashed_method : method,
		            .uri = "sip:sofw.test",
		            .nonce = a->nonce,
		            .qop = a->nc ? "auth" : NULL,
		            .nc = a->nc,
		            .cnonce = "0a4f113b" };
	char ha1[HEX_MAX], resp[HEX_MAX];
	bool sha = a->alg && !strcasecmp(a->alg, "SHA-256");

	ha1_of(ha1, sha, a->user, realm, a->password);
	v.ha1 = a->ha1 ? a->ha1 : ha1;
	TEST_EQ(response_of(resp, sizeof(resp), &v), 0);
	if (a->cut)
		resp[a->cut] = '\0';
	snprintf(out, sz,
	         "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
	         "uri=\"sip:sofw.test\", response=\"%s\"%s%s%s%s",
	         a->user, realm, a->nonce, resp, a->alg ? ", algorithm=" : "",
	         a->alg ? a->alg : "",
	         a->nc ? ", qop=auth, cnonce=\"0a4f113b\", nc=" : "",
	         a->nc ? a->nc : "");
	return 0;
}

/* Decode a request carrying @hdrs and check it; -1 if it cannot be
 * built */
static int check_request(struct digest *d, const char *method, const char *hdrs,
                         bool proxy, char *user, size_t usersz)
{
	struct sip_msg *msg = NULL;
	struct mbuf *mb = mbuf_alloc(2048);
	int r = -1;

	if (!mb)
		return -1;
	if (!mbuf_printf(mb,
	                 "%s sip:sofw.test SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "From: <sip:alice@sofw.test>;tag=1\r\n"
	                 "To: <sip:alice@sofw.test>\r\n"
	                 "Call-ID: c1@192.0.2.10\r\n"
	                 "CSeq: 1 %s\r\n"
	                 "%s"
	                 "Content-Length: 0\r\n\r\n",
	                 method, method, hdrs)) {
		mb->pos = 0;
		if (!sip_msg_decode(&msg, mb)) {
			user[0] = '\0';
			r = (int)digest_check(d, msg, proxy, user, usersz);
		}
	}
	mem_deref(msg);
	mem_deref(mb);
	return r;
}

/* Answer as a phone would, in Authorization (or Proxy-Authorization) */
static int answer(struct digest *d, const char *method, bool proxy,
                  const struct answer *a, char *user, size_t usersz)
{
	char cred[1024], hdr[1100];

	if (credentials(cred, sizeof(cred), method, a))
		return -1;
	snprintf(hdr, sizeof(hdr), "%s: %s\r\n",
	         proxy ? "Proxy-Authorization" : "Authorization", cred);
	return check_request(d, method, hdr, proxy, user, usersz);
}

static int check_answers(void)
{
	char user[DIGEST_USER_MAX], *nonce;
	struct digest *d;

	if (write_users())
		return 1;
	d = digest_new("md5,sha-256", 300);
	TEST_ASSERT(d);
	TEST_STREQ(digest_realm(d), realm);

	/* a right answer, once per nonce count */
	nonce = new_nonce(d);
	TEST_ASSERT(nonce);
	struct answer a = ans("alice", "wonderland", "MD5", nonce, "00000001");
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_OK);
	TEST_STREQ(user, "alice");
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL); /* replayed */
	a.nc = "00000002";
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_OK);
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);
	a.nc = "00000001"; /* a count that went back */
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);
	a.nc = "0000000a";
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_OK);

	/* the algorithm left out is MD5 */
	a = ans("alice", "wonderland", NULL, new_nonce(d), "00000001");
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_OK);

	/* SHA-256 */
	a = ans("alice", "wonderland", "SHA-256", new_nonce(d), "00000001");
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_OK);
	TEST_STREQ(user, "alice");

	/* no qop (RFC 2069): a nonce answers once */
	a = ans("alice", "wonderland", "MD5", new_nonce(d), NULL);
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_OK);
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);

	/* a wrong password */
	a = ans("alice", "Wonderland", "MD5", new_nonce(d), "00000001");
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);
	TEST_STREQ(user, "");
	/* ... and the right one on the same nonce still works */
	a.password = "wonderland";
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_OK);

	/* a user not in the file, or with no line of that algorithm */
	a = ans("mallory", "wonderland", "MD5", new_nonce(d), "00000001");
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);
	a = ans("bob", "builder", "SHA-256", new_nonce(d), "00000001");
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);
	a.ha1 = ""; /* what bob's missing SHA-256 line would hash as */
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);
	a.ha1 = NULL;
	a.alg = "MD5";
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_OK);
	TEST_STREQ(user, "bob");

	/* a response cut short */
	a = ans("alice", "wonderland", "MD5", new_nonce(d), "00000001");
	a.cut = 2;
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);
	a.cut = 31;
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);

	/* an answer for another method (the method is hashed) */
	a = ans("alice", "wonderland", "MD5", new_nonce(d), "00000001");
	a.hashed_method = "REGISTER";
	TEST_EQ(answer(d, "INVITE", true, &a, user, sizeof(user)), DIGEST_FAIL);

	/* a nonce the module did not mint, or minted by another instance
	 * (another key) */
	a = ans("alice", "wonderland", "MD5",
	        "00000000000000000000000000000000"
	        "00000000000000000000000000000000",
	        "00000001");
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);
	{
		struct digest *d2 = digest_new("md5,sha-256", 300);

		TEST_ASSERT(d2);
		a.nonce = new_nonce(d2);
		TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
		        DIGEST_FAIL);
		TEST_EQ(answer(d2, "REGISTER", false, &a, user, sizeof(user)),
		        DIGEST_OK);
		mem_deref(d2);
	}
	mem_deref(d);
	unlink(path);
	return 0;
}

/* Credentials in an algorithm not configured are refused even when
 * right: no downgrade to an answer never asked for */
static int algorithm_not_offered(void)
{
	char user[DIGEST_USER_MAX];
	struct digest *md5, *sha;
	struct answer a;

	if (write_users())
		return 1;
	md5 = digest_new("md5", 300);
	sha = digest_new("sha-256", 300);
	TEST_ASSERT(md5 && sha);

	a = ans("alice", "wonderland", "SHA-256", new_nonce(md5), "00000001");
	TEST_EQ(answer(md5, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);
	a.alg = "MD5";
	TEST_EQ(answer(md5, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_OK);

	a = ans("alice", "wonderland", "MD5", new_nonce(sha), "00000001");
	TEST_EQ(answer(sha, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);
	a.alg = NULL; /* MD5 too */
	TEST_EQ(answer(sha, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);
	TEST_EQ(
	    check_request(sha, "REGISTER",
	                  "Authorization: Digest username=\"alice\", "
	                  "realm=\"sofw.test\", nonce=\"x\", uri=\"sip:x\", "
	                  "response=\"00\", algorithm=MD5-sess\r\n",
	                  false, user, sizeof(user)),
	    DIGEST_FAIL);
	a.alg = "SHA-256";
	TEST_EQ(answer(sha, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_OK);
	mem_deref(md5);
	mem_deref(sha);
	unlink(path);
	return 0;
}

/* Which header is read; none for our realm, malformed */
static int headers(void)
{
	char user[DIGEST_USER_MAX], cred[1024], hdr[2200];
	struct digest *d;
	struct answer a;

	if (write_users())
		return 1;
	d = digest_new("md5,sha-256", 300);
	TEST_ASSERT(d);

	TEST_EQ(check_request(d, "REGISTER", "", false, user, sizeof(user)),
	        DIGEST_NONE);
	TEST_EQ(check_request(d, "REGISTER",
	                      "Authorization: Basic YWxpY2U6d29uZGVy\r\n",
	                      false, user, sizeof(user)),
	        DIGEST_NONE);
	TEST_EQ(
	    check_request(d, "REGISTER",
	                  "Authorization: Digest username=\"alice\", "
	                  "realm=\"elsewhere\", nonce=\"x\", uri=\"sip:x\", "
	                  "response=\"00\"\r\n",
	                  false, user, sizeof(user)),
	    DIGEST_NONE);
	TEST_EQ(check_request(d, "REGISTER",
	                      "Authorization: Digest username=\"alice\", "
	                      "realm=\"sofw.test\", nonce=\"x\"\r\n",
	                      false, user, sizeof(user)),
	        DIGEST_BAD);
	TEST_EQ(
	    check_request(d, "REGISTER",
	                  "Authorization: Digest username=\"alice\", "
	                  "realm=\"sofw.test\", nonce=\"x\", uri=\"sip:x\", "
	                  "response=\"00\", qop=auth, cnonce=\"c\"\r\n",
	                  false, user, sizeof(user)),
	    DIGEST_BAD); /* qop without nc */

	/* a proxy reads Proxy-Authorization only, a registrar
	 * Authorization only */
	a = ans("alice", "wonderland", "MD5", new_nonce(d), "00000001");
	TEST_EQ(credentials(cred, sizeof(cred), "INVITE", &a), 0);
	snprintf(hdr, sizeof(hdr), "Authorization: %s\r\n", cred);
	TEST_EQ(check_request(d, "INVITE", hdr, true, user, sizeof(user)),
	        DIGEST_NONE);
	snprintf(hdr, sizeof(hdr), "Proxy-Authorization: %s\r\n", cred);
	TEST_EQ(check_request(d, "INVITE", hdr, false, user, sizeof(user)),
	        DIGEST_NONE);
	TEST_EQ(check_request(d, "INVITE", hdr, true, user, sizeof(user)),
	        DIGEST_OK);
	TEST_STREQ(user, "alice");

	/* credentials for another realm first, then ours */
	a.nc = "00000002";
	TEST_EQ(credentials(cred, sizeof(cred), "INVITE", &a), 0);
	snprintf(hdr, sizeof(hdr),
	         "Proxy-Authorization: Digest username=\"a\", "
	         "realm=\"elsewhere\", nonce=\"x\", uri=\"sip:x\", "
	         "response=\"00\"\r\n"
	         "Proxy-Authorization: %s\r\n",
	         cred);
	TEST_EQ(check_request(d, "INVITE", hdr, true, user, sizeof(user)),
	        DIGEST_OK);
	mem_deref(d);
	unlink(path);
	return 0;
}

/* The challenge lines: one per algorithm configured and present in the
 * users file, in the configured order, with qop="auth" */
static int challenges(void)
{
	char text[1024], nonce[HEX_MAX], want[1024], err[256];
	struct digest *d;

	if (write_users())
		return 1;
	d = digest_new("md5,sha-256", 300);
	TEST_ASSERT(d);
	TEST_EQ(challenge(d, false, false, text, sizeof(text), nonce), 0);
	TEST_EQ(strlen(nonce), 64);
	snprintf(want, sizeof(want),
	         "WWW-Authenticate: Digest realm=\"sofw.test\", nonce=\"%s\", "
	         "algorithm=MD5, qop=\"auth\"\r\n"
	         "WWW-Authenticate: Digest realm=\"sofw.test\", nonce=\"%s\", "
	         "algorithm=SHA-256, qop=\"auth\"\r\n",
	         nonce, nonce);
	TEST_STREQ(text, want);

	TEST_EQ(challenge(d, true, true, text, sizeof(text), nonce), 0);
	snprintf(
	    want, sizeof(want),
	    "Proxy-Authenticate: Digest realm=\"sofw.test\", nonce=\"%s\", "
	    "algorithm=MD5, qop=\"auth\", stale=true\r\n"
	    "Proxy-Authenticate: Digest realm=\"sofw.test\", nonce=\"%s\", "
	    "algorithm=SHA-256, qop=\"auth\", stale=true\r\n",
	    nonce, nonce);
	TEST_STREQ(text, want);
	mem_deref(d);

	/* SHA-256 preferred */
	d = digest_new("sha-256, md5", 300);
	TEST_ASSERT(d);
	TEST_EQ(challenge(d, false, false, text, sizeof(text), nonce), 0);
	TEST_ASSERT(strstr(text, "algorithm=SHA-256"));
	TEST_ASSERT(strstr(text, "algorithm=SHA-256") <
	            strstr(text, "algorithm=MD5"));

	/* a users file with MD5 lines only: no SHA-256 challenge */
	if (write_file("bob:sofw.test:0123456789abcdef0123456789ABCDEF\n",
	               0600))
		return 1;
	TEST_EQ(digest_reload(d, path, err, sizeof(err)), 0);
	TEST_EQ(challenge(d, false, false, text, sizeof(text), nonce), 0);
	TEST_ASSERT(strstr(text, "algorithm=MD5"));
	TEST_ASSERT(!strstr(text, "SHA-256"));
	mem_deref(d);

	/* nonces differ */
	d = digest_new("md5", 300);
	TEST_ASSERT(d);
	TEST_EQ(challenge(d, false, false, text, sizeof(text), nonce), 0);
	TEST_EQ(challenge(d, false, false, text, sizeof(text), want), 0);
	TEST_ASSERT(strcmp(nonce, want));
	mem_deref(d);
	unlink(path);
	return 0;
}

/* A right answer to an expired nonce is stale (challenged again with
 * stale=true); a wrong one is still a failure.  The module reads its own
 * clock: with a lifetime of 0 s a nonce expires within 2 ms. */
static int stale_nonce(void)
{
	char user[DIGEST_USER_MAX];
	struct digest *d;
	struct answer a;

	if (write_users())
		return 1;
	d = digest_new("md5", 0);
	TEST_ASSERT(d);
	a = ans("alice", "wonderland", "MD5", new_nonce(d), "00000001");
	usleep(2000);
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_STALE);
	a.password = "x";
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);
	mem_deref(d);
	unlink(path);
	return 0;
}

/* The users file: mode, format, reload */
static int users_file(void)
{
	char user[DIGEST_USER_MAX], err[256];
	struct digest *d = NULL;
	struct answer a;
	struct pl name;

	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "alice:sofw.test\n", "expected user:realm:HA1" },
		{ "alice:sofw.test:0123\n", "HA1 is 32 (MD5) or 64" },
		{ "alice:sofw.test:0123456789abcdef0123456789abcdeg\n",
		  "HA1 is 32" },
		{ ":sofw.test:0123456789abcdef0123456789abcdef\n",
		  "HA1 is 32" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (write_file(bad[i].text, 0600))
			return 1;
		TEST_EQ(
		    digest_alloc(&d, path, realm, 300, "md5", err, sizeof(err)),
		    EINVAL);
		TEST_ASSERT(strstr(err, bad[i].msg));
	}
	if (write_users())
		return 1;
	TEST_EQ(
	    digest_alloc(&d, path, realm, 300, "md5,sha-1", err, sizeof(err)),
	    EINVAL);
	TEST_ASSERT(strstr(err, "'sha-1' is not md5 or sha-256"));
	TEST_EQ(chmod(path, 0644), 0);
	TEST_EQ(digest_alloc(&d, path, realm, 300, "md5", err, sizeof(err)),
	        EACCES);
	TEST_ASSERT(d == NULL);

	if (write_users())
		return 1;
	d = digest_new("md5", 300);
	TEST_ASSERT(d);
	pl_set_str(&name, "alice");
	TEST_ASSERT(digest_user_known(d, &name));
	pl_set_str(&name, "alic");
	TEST_ASSERT(!digest_user_known(d, &name));

	/* a bad reload keeps the users in force */
	if (write_file("garbage\n", 0600))
		return 1;
	TEST_EQ(digest_reload(d, path, err, sizeof(err)), EINVAL);
	a = ans("alice", "wonderland", "MD5", new_nonce(d), "00000001");
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_OK);

	/* a good one replaces them */
	if (write_file("bob:sofw.test:0123456789abcdef0123456789abcdef\n",
	               0600))
		return 1;
	TEST_EQ(digest_reload(d, path, err, sizeof(err)), 0);
	a.nc = "00000002";
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_FAIL);
	pl_set_str(&name, "alice");
	TEST_ASSERT(!digest_user_known(d, &name));
	mem_deref(d);
	unlink(path);
	return 0;
}

/* A users file at the bound: every user found (the index grows past many
 * rehashes), a later line for the same user and realm updates it, a user
 * of another realm is not one of ours, and one more user is refused */
static int many_users(void)
{
	enum { N = 100000 };
	char user[DIGEST_USER_MAX], err[256], a5[HEX_MAX], name_s[32];
	struct digest *d = NULL;
	struct answer a;
	struct pl name;
	FILE *f;

	if (write_file("", 0600))
		return 1;
	f = fopen(path, "w");
	TEST_ASSERT(f);
	for (unsigned i = 0; i < N - 1; i++)
		fprintf(f, "u%u:%s:0123456789abcdef0123456789abcdef\n", i,
		        realm);
	fprintf(f, "carol:other.realm:0123456789abcdef0123456789abcdef\n");
	ha1_of(a5, false, "u77777", realm, "secret77777");
	fprintf(f, "u77777:%s:%s\n", realm, a5); /* the same user again */
	TEST_EQ(fclose(f), 0);

	d = digest_new("md5", 300);
	TEST_ASSERT(d);
	for (unsigned i = 0; i < N - 1; i += 997) {
		snprintf(name_s, sizeof(name_s), "u%u", i);
		pl_set_str(&name, name_s);
		TEST_ASSERT(digest_user_known(d, &name));
	}
	pl_set_str(&name, "u99999");
	TEST_ASSERT(!digest_user_known(d, &name));
	pl_set_str(&name, "carol");
	TEST_ASSERT(!digest_user_known(d, &name));
	a = ans("u77777", "secret77777", "MD5", new_nonce(d), "00000001");
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_OK);
	TEST_ASSERT(!strcmp(user, "u77777"));

	f = fopen(path, "a");
	TEST_ASSERT(f);
	fprintf(f, "one:more:0123456789abcdef0123456789abcdef\n");
	TEST_EQ(fclose(f), 0);
	TEST_EQ(digest_reload(d, path, err, sizeof(err)), E2BIG);
	TEST_ASSERT(strstr(err, "more than 100000 users"));
	pl_set_str(&name, "u5");
	TEST_ASSERT(digest_user_known(d, &name)); /* the old ones stay */
	mem_deref(d);
	unlink(path);
	return 0;
}

/* The slot of the digest's nonce table a nonce falls in */
static uint32_t slot_of(const char *nonce)
{
	return hash_joaat((const uint8_t *)nonce + TOKEN_RANDOM_OFF,
	                  TOKEN_RANDOM_HEX) %
	       65536;
}

/*
 * Two nonces that share a slot of the table that remembers nonce counts:
 * the younger pushes the older out; the older is then answered stale,
 * never taken again, so a request captured with it cannot be replayed
 * (review L6)
 */
static int evicted_nonce_not_replayable(void)
{
	enum { TRIES = 4000 };
	static char seen[65536][HEX_MAX]; /* the nonces made, by slot */
	char user[DIGEST_USER_MAX], older[HEX_MAX], *n = NULL;
	struct digest *d;
	int tries;

	if (write_users())
		return 1;
	d = digest_new("md5", 300);
	TEST_ASSERT(d);
	memset(seen, 0, sizeof(seen));
	/* nonces until two fall in one slot (about 320 expected), each a
	 * millisecond younger than the one before */
	for (tries = 0; tries < TRIES; tries++) {
		usleep(1000);
		n = new_nonce(d);
		TEST_ASSERT(n);
		if (seen[slot_of(n)][0])
			break;
		snprintf(seen[slot_of(n)], HEX_MAX, "%s", n);
	}
	TEST_ASSERT(tries < TRIES);
	snprintf(older, sizeof(older), "%s", seen[slot_of(n)]);
	struct answer a = ans("alice", "wonderland", "MD5", older, "00000001");
	struct answer b = ans("alice", "wonderland", "MD5", n, "00000001");
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_OK);
	TEST_EQ(answer(d, "REGISTER", false, &b, user, sizeof(user)),
	        DIGEST_OK);
	/* the older one's request again, and its next count: stale */
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_STALE);
	a.nc = "00000002";
	TEST_EQ(answer(d, "REGISTER", false, &a, user, sizeof(user)),
	        DIGEST_STALE);
	/* the younger one keeps its counts */
	TEST_EQ(answer(d, "REGISTER", false, &b, user, sizeof(user)),
	        DIGEST_FAIL);
	b.nc = "00000002";
	TEST_EQ(answer(d, "REGISTER", false, &b, user, sizeof(user)),
	        DIGEST_OK);
	mem_deref(d);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(rfc_vectors),
		UNIT_TEST(response_errors),
		UNIT_TEST(check_answers),
		UNIT_TEST(algorithm_not_offered),
		UNIT_TEST(headers),
		UNIT_TEST(challenges),
		UNIT_TEST(stale_nonce),
		UNIT_TEST(users_file),
		UNIT_TEST(many_users),
		UNIT_TEST(evicted_nonce_not_replayable),
	};
	int r = unit_main("digest", tests, ARRAY_SIZE(tests));

	unlink(path);
	return r;
}
