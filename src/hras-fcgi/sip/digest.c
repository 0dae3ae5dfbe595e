/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file digest.c  SIP Digest authentication (RFC 3261 §22, RFC 8760)
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <stdarg.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <re.h>
#include "log.h"
#include "mono.h"
#include "secret.h"
#include "token.h"
#include "digest.h"

enum {
	USERS_MAX = 100000,
	NONCE_HEX = 64, /* 16 time + 16 random + 32 MAC */
	NONCE_MAC_HEX = NONCE_HEX - TOKEN_HEAD_HEX,
	SEEN_SLOTS = 65536, /* nonces whose counts are remembered */
	PARAM_MAX = 512,
};

enum algo {
	ALGO_MD5,
	ALGO_SHA256,
};

struct user {
	char name[DIGEST_USER_MAX];
	char realm[128];
	char ha1[2][65]; /* per algorithm, hex; "" if none */
};

/* the highest nonce count seen per nonce, in a fixed table */
struct seen {
	char rnd[TOKEN_RANDOM_HEX + 1];
	uint64_t issued;
	uint32_t nc;
};

/* The users, found by name and realm through an open-addressed index:
 * a request's lookup and each line of a reload cost O(1), not a scan of
 * up to USERS_MAX entries */
struct userdb {
	struct user *v;
	size_t n, cap;
	uint32_t *slot; /* index + 1 into v, 0 empty; a power of two */
	size_t nslot;
	uint64_t seed; /* names come from requests: a keyed hash */
};

struct digest {
	struct userdb users;
	bool have_sha256, have_md5;
	enum algo offer[2]; /* challenged with, in this order */
	size_t noffer;
	char realm[128];
	uint64_t ttl; /* ms */
	uint8_t key[32];
	struct seen *seen;
};

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* The HA1s are as good as passwords: wiped before their memory goes */
static void userdb_clear_array(struct userdb *db)
{
	if (db->v)
		explicit_bzero(db->v, db->cap * sizeof(*db->v));
	free(db->v);
}

static uint64_t userdb_hash(const struct userdb *db, const char *name,
                            size_t nl, const char *realm, size_t rl)
{
	uint64_t h = db->seed ^ 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < nl; i++)
		h = (h ^ (uint8_t)name[i]) * 0x100000001b3ULL;
	h = (h ^ ':') * 0x100000001b3ULL;
	for (size_t i = 0; i < rl; i++)
		h = (h ^ (uint8_t)realm[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static bool user_is(const struct user *u, const char *name, size_t nl,
                    const char *realm, size_t rl)
{
	return strlen(u->name) == nl && !memcmp(u->name, name, nl) &&
	       strlen(u->realm) == rl && !memcmp(u->realm, realm, rl);
}

static struct user *userdb_find(const struct userdb *db, const char *name,
                                size_t nl, const char *realm, size_t rl)
{
	size_t mask = db->nslot - 1, i;

	if (!db->nslot)
		return NULL;
	for (i = userdb_hash(db, name, nl, realm, rl) & mask; db->slot[i];
	     i = (i + 1) & mask) {
		struct user *u = &db->v[db->slot[i] - 1];

		if (user_is(u, name, nl, realm, rl))
			return u;
	}
	return NULL;
}

static void userdb_index(struct userdb *db, size_t k)
{
	const struct user *u = &db->v[k];
	size_t mask = db->nslot - 1, i;

	i = userdb_hash(db, u->name, strlen(u->name), u->realm,
	                strlen(u->realm)) &
	    mask;
	while (db->slot[i])
		i = (i + 1) & mask;
	db->slot[i] = (uint32_t)(k + 1);
}

/* Room for one more, the index kept at most half full */
static int userdb_grow(struct userdb *db)
{
	if (db->n == db->cap) {
		size_t cap = db->cap ? 2 * db->cap : 64;
		struct user *v = calloc(cap, sizeof(*v));

		if (!v)
			return ENOMEM;
		if (db->n)
			memcpy(v, db->v, db->n * sizeof(*v));
		userdb_clear_array(db);
		db->v = v;
		db->cap = cap;
	}
	if (2 * (db->n + 1) > db->nslot) {
		size_t nslot = db->nslot ? 2 * db->nslot : 128;
		uint32_t *slot = calloc(nslot, sizeof(*slot));

		if (!slot)
			return ENOMEM;
		free(db->slot);
		db->slot = slot;
		db->nslot = nslot;
		for (size_t k = 0; k < db->n; k++)
			userdb_index(db, k);
	}
	return 0;
}

static int userdb_add(struct userdb *db, const char *name, const char *realm,
                      struct user **up)
{
	struct user *u;
	int e;

	if (db->n >= USERS_MAX)
		return E2BIG;
	e = userdb_grow(db);
	if (e)
		return e;
	u = &db->v[db->n];
	snprintf(u->name, sizeof(u->name), "%s", name);
	snprintf(u->realm, sizeof(u->realm), "%s", realm);
	userdb_index(db, db->n++);
	*up = u;
	return 0;
}

static void userdb_free(struct userdb *db)
{
	userdb_clear_array(db);
	free(db->slot);
	memset(db, 0, sizeof(*db));
}

static int parse_users(FILE *f, const char *path, struct digest *d, char *err,
                       size_t errsz)
{
	char line[512];
	unsigned lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		char *user, *realm, *ha1, *nl;
		size_t hl;
		struct user *u = NULL;
		enum algo a;

		lineno++;
		nl = strpbrk(line, "\r\n");
		if (nl)
			*nl = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (secret_example_line(path, lineno, line, err, errsz))
			return EINVAL;

		user = line;
		realm = strchr(user, ':');
		ha1 = realm ? strchr(realm + 1, ':') : NULL;
		if (!ha1) {
			snprintf(err, errsz,
			         "%s line %u: expected user:realm:HA1", path,
			         lineno);
			return EINVAL;
		}
		*realm++ = '\0';
		*ha1++ = '\0';
		hl = strlen(ha1);
		if (!*user || strlen(user) >= DIGEST_USER_MAX ||
		    strlen(realm) >= sizeof(u->realm) ||
		    (hl != 32 && hl != 64) || !is_hex(ha1, hl)) {
			snprintf(err, errsz,
			         "%s line %u: HA1 is 32 (MD5) or 64 (SHA-256) "
			         "hex digits; user and realm must be short",
			         path, lineno);
			return EINVAL;
		}
		a = hl == 64 ? ALGO_SHA256 : ALGO_MD5;

		u = userdb_find(&d->users, user, strlen(user), realm,
		                strlen(realm));
		if (!u) {
			int e = userdb_add(&d->users, user, realm, &u);

			if (e == E2BIG)
				snprintf(err, errsz, "%s: more than %d users",
				         path, USERS_MAX);
			if (e)
				return e;
		}
		for (size_t i = 0; i < hl; i++)
			u->ha1[a][i] = (char)tolower((unsigned char)ha1[i]);
		u->ha1[a][hl] = '\0';
		if (a == ALGO_SHA256)
			d->have_sha256 = true;
		else
			d->have_md5 = true;
	}
	return 0;
}

static int load_users(struct digest *d, const char *path, char *err,
                      size_t errsz)
{
	FILE *f;
	int e = secret_file_fopen(path, &f, err, errsz);

	if (e)
		return e;
	e = parse_users(f, path, d, err, errsz);
	fclose(f);
	return e;
}

static void digest_destructor(void *arg)
{
	struct digest *d = arg;

	userdb_free(&d->users);
	free(d->seen);
	explicit_bzero(d->key, sizeof(d->key));
}

/* "md5,sha-256": the algorithms challenged with, preferred first */
static int parse_algorithms(struct digest *d, const char *list, char *err,
                            size_t errsz)
{
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ", ");
		enum algo a;

		if (n == 3 && !strncasecmp(p, "md5", 3))
			a = ALGO_MD5;
		else if (n == 7 && !strncasecmp(p, "sha-256", 7))
			a = ALGO_SHA256;
		else if (n == 0) {
			p++;
			continue;
		} else {
			snprintf(err, errsz,
			         "digest-algorithms: '%.*s' is not md5 or "
			         "sha-256",
			         (int)n, p);
			return EINVAL;
		}
		if (d->noffer < 2 && (!d->noffer || d->offer[0] != a))
			d->offer[d->noffer++] = a;
		p += n;
	}
	if (!d->noffer) {
		snprintf(err, errsz, "digest-algorithms: none given");
		return EINVAL;
	}
	return 0;
}

/* --digest-algorithms alone, before start-up (also without --users) */
int digest_algorithms_check(const char *algorithms, char *err, size_t errsz)
{
	struct digest d;

	memset(&d, 0, sizeof(d));
	return parse_algorithms(&d, algorithms, err, errsz);
}

static bool offered(const struct digest *d, enum algo a)
{
	for (size_t i = 0; i < d->noffer; i++) {
		if (d->offer[i] == a)
			return true;
	}
	return false;
}

int digest_alloc(struct digest **dp, const char *users_path, const char *realm,
                 uint32_t nonce_ttl, const char *algorithms, char *err,
                 size_t errsz)
{
	struct digest *d;
	int e;

	d = mem_zalloc(sizeof(*d), digest_destructor);
	if (!d)
		return ENOMEM;
	snprintf(d->realm, sizeof(d->realm), "%s", realm);
	d->ttl = (uint64_t)nonce_ttl * 1000;
	e = parse_algorithms(d, algorithms, err, errsz);
	if (e) {
		mem_deref(d);
		return e;
	}
	d->seen = calloc(SEEN_SLOTS, sizeof(*d->seen));
	if (!d->seen ||
	    getrandom(d->key, sizeof(d->key), 0) != sizeof(d->key)) {
		mem_deref(d);
		return ENOMEM;
	}
	memcpy(&d->users.seed, d->key, sizeof(d->users.seed));
	e = load_users(d, users_path, err, errsz);
	if (e) {
		mem_deref(d);
		return e;
	}
	*dp = d;
	return 0;
}

/* Replace the users; on error the old ones stay */
int digest_reload(struct digest *d, const char *users_path, char *err,
                  size_t errsz)
{
	struct digest tmp;
	int e;

	memset(&tmp, 0, sizeof(tmp));
	tmp.users.seed = d->users.seed;
	e = load_users(&tmp, users_path, err, errsz);
	if (e) {
		userdb_free(&tmp.users);
		return e;
	}
	userdb_free(&d->users);
	d->users = tmp.users;
	d->have_sha256 = tmp.have_sha256;
	d->have_md5 = tmp.have_md5;
	return 0;
}

/* Would digest_reload() take @users_path?  Reads it, keeps nothing */
int digest_users_check(const char *users_path, char *err, size_t errsz)
{
	struct digest tmp;
	int e;

	memset(&tmp, 0, sizeof(tmp));
	e = load_users(&tmp, users_path, err, errsz);
	userdb_free(&tmp.users);
	return e;
}

const char *digest_realm(const struct digest *d)
{
	return d->realm;
}

/* A user of our realm, whatever the algorithm */
bool digest_user_known(struct digest *d, const struct pl *user)
{
	return userdb_find(&d->users, user->p, user->l, d->realm,
	                   strlen(d->realm)) != NULL;
}

static int hash_hex(enum algo a, char *out, const char *fmt, ...)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return EMSGSIZE;
	if (!EVP_Digest(buf, (size_t)n, md, &mdlen,
	                a == ALGO_SHA256 ? EVP_sha256() : EVP_md5(), NULL))
		return EIO;
	secret_hex(out, md, mdlen);
	return 0;
}

/* "MD5" or "SHA-256", case aside; none: MD5 (RFC 2617 §3.2.1) */
static int algo_parse(const struct pl *name, enum algo *a)
{
	if (!name || !pl_isset(name) || !pl_strcasecmp(name, "MD5"))
		*a = ALGO_MD5;
	else if (!pl_strcasecmp(name, "SHA-256"))
		*a = ALGO_SHA256;
	else
		return EINVAL;
	return 0;
}

/**
 * The response to a challenge (RFC 2617 §3.2.2.1, RFC 7616 §3.4.1):
 * H(HA1:nonce:nc:cnonce:qop:H(method:uri)), or without qop the RFC 2069
 * form H(HA1:nonce:H(method:uri))
 *
 * @param out        receives the response in lower-case hex
 * @param outsz      33 (MD5) or 65 (SHA-256) bytes at least
 * @param algorithm  "MD5" or "SHA-256", case aside; NULL or unset: MD5
 * @param ha1        hex H(user:realm:password) in that algorithm
 * @param qop        "auth" (hashed as "auth"), with @nc and @cnonce; NULL
 *                   or unset: the RFC 2069 form, @nc and @cnonce unused
 *
 * @return 0, EINVAL (another algorithm or qop, or qop without nc and
 *         cnonce), EMSGSIZE (inputs or @out too long), EIO
 */
int digest_response(char *out, size_t outsz, const struct pl *algorithm,
                    const char *ha1, const struct pl *method,
                    const struct pl *uri, const struct pl *nonce,
                    const struct pl *qop, const struct pl *nc,
                    const struct pl *cnonce)
{
	char ha2[65], hex[65];
	bool with_qop = qop && pl_isset(qop);
	enum algo a;
	int e;

	if (algo_parse(algorithm, &a))
		return EINVAL;
	if (with_qop && (pl_strcasecmp(qop, "auth") || !nc || !pl_isset(nc) ||
	                 !cnonce || !pl_isset(cnonce)))
		return EINVAL;

	e = hash_hex(a, ha2, "%.*s:%.*s", (int)method->l, method->p,
	             (int)uri->l, uri->p);
	if (!e && with_qop)
		e = hash_hex(a, hex, "%s:%.*s:%.*s:%.*s:auth:%s", ha1,
		             (int)nonce->l, nonce->p, (int)nc->l, nc->p,
		             (int)cnonce->l, cnonce->p, ha2);
	else if (!e)
		e = hash_hex(a, hex, "%s:%.*s:%s", ha1, (int)nonce->l, nonce->p,
		             ha2);
	if (e)
		return e;
	if (strlen(hex) >= outsz)
		return EMSGSIZE;
	memcpy(out, hex, strlen(hex) + 1);
	return 0;
}

/* A nonce is a token (token.h) of 32 MAC digits, in monotonic time */
static int nonce_make(struct digest *d, char out[NONCE_HEX + 1])
{
	return token_make(out, NONCE_HEX + 1, d->key, sizeof(d->key),
	                  NONCE_MAC_HEX, mono_ms(), NULL);
}

/* @return 0 valid, ETIMEDOUT expired, EBADMSG not ours */
static int nonce_check(struct digest *d, const struct pl *nonce,
                       uint64_t *issued)
{
	switch (token_check(nonce->p, nonce->l, d->key, sizeof(d->key),
	                    NONCE_MAC_HEX, NULL, mono_ms(), d->ttl, issued)) {
	case TOKEN_OK:
		return 0;
	case TOKEN_EXPIRED:
		return ETIMEDOUT;
	default:
		return EBADMSG;
	}
}

/*
 * A nonce count must grow for each use of a nonce (no qop: used once).
 * Has this nonce count not been seen with this nonce?  One slot per hash
 * of the nonce's random part remembers the last nonce used there and its
 * highest count.  A nonce not in its slot is new only if it is younger
 * than the slot's (which it then takes); an older one may have been
 * there and been pushed out, so its counts are no longer known: it is
 * answered as stale (the phone gets a fresh nonce, one round trip), never
 * taken, so a captured request cannot be replayed once its nonce has
 * left the table.
 *
 * @return 0 (fresh), EALREADY (a count seen before), ESTALE
 */
static int nc_fresh(struct digest *d, const struct pl *nonce, uint64_t issued,
                    uint32_t nc)
{
	uint32_t slot = hash_joaat((const uint8_t *)nonce->p + TOKEN_RANDOM_OFF,
	                           TOKEN_RANDOM_HEX) %
	                SEEN_SLOTS;
	struct seen *s = &d->seen[slot];

	if (s->issued == issued &&
	    !memcmp(s->rnd, nonce->p + TOKEN_RANDOM_OFF, TOKEN_RANDOM_HEX)) {
		if (nc <= s->nc)
			return EALREADY;
		s->nc = nc;
		return 0;
	}
	if (s->issued && s->issued >= issued)
		return ESTALE;
	memcpy(s->rnd, nonce->p + TOKEN_RANDOM_OFF, TOKEN_RANDOM_HEX);
	s->rnd[TOKEN_RANDOM_HEX] = '\0';
	s->issued = issued;
	s->nc = nc;
	return 0;
}

struct creds {
	struct pl username, realm, nonce, uri, response, algorithm, qop, nc,
	    cnonce;
};

/* key=value or key="value", comma-separated */
static bool param(const struct pl *v, const char *key, struct pl *out)
{
	const char *p = v->p, *end = v->p + v->l;
	size_t klen = strlen(key);

	while (p < end) {
		const char *name, *val;
		size_t nlen, vlen;

		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		name = p;
		while (p < end && *p != '=' && *p != ',')
			p++;
		nlen = (size_t)(p - name);
		while (nlen &&
		       (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
			nlen--;
		if (p >= end || *p != '=')
			continue;
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == '"') {
			val = ++p;
			while (p < end && *p != '"')
				p++;
			if (p >= end)
				return false;
			vlen = (size_t)(p - val);
			p++;
		} else {
			val = p;
			while (p < end && *p != ',' && *p != ' ' && *p != '\t')
				p++;
			vlen = (size_t)(p - val);
		}
		if (nlen == klen && !strncasecmp(name, key, klen)) {
			out->p = val;
			out->l = vlen;
			return vlen <= PARAM_MAX;
		}
	}
	return false;
}

/**
 * Whether @hval, an Authorization or Proxy-Authorization value, is
 * Digest credentials for @realm (NULL: none is)
 */
bool digest_creds_for(const struct pl *hval, const char *realm)
{
	struct pl v = *hval, r;

	if (!realm || v.l < 7 || strncasecmp(v.p, "Digest", 6) ||
	    (v.p[6] != ' ' && v.p[6] != '\t'))
		return false;
	v.p += 7;
	v.l -= 7;
	return param(&v, "realm", &r) && !pl_strcmp(&r, realm);
}

static int parse_creds(const struct pl *hval, struct creds *c)
{
	struct pl v = *hval;

	memset(c, 0, sizeof(*c));
	if (v.l < 7 || strncasecmp(v.p, "Digest", 6) ||
	    (v.p[6] != ' ' && v.p[6] != '\t'))
		return ENOENT;
	v.p += 7;
	v.l -= 7;
	if (!param(&v, "username", &c->username) ||
	    !param(&v, "realm", &c->realm) || !param(&v, "nonce", &c->nonce) ||
	    !param(&v, "uri", &c->uri) || !param(&v, "response", &c->response))
		return EBADMSG;
	param(&v, "algorithm", &c->algorithm);
	param(&v, "qop", &c->qop);
	param(&v, "nc", &c->nc);
	param(&v, "cnonce", &c->cnonce);
	return 0;
}

struct find_ctx {
	struct digest *d;
	struct creds c;
	int result; /* 0: found for our realm, ENOENT, EBADMSG */
};

static bool find_ours(const struct sip_hdr *hdr, const struct sip_msg *msg,
                      void *arg)
{
	struct find_ctx *fc = arg;
	struct creds c;
	int e;

	(void)msg;
	e = parse_creds(&hdr->val, &c);
	if (e == EBADMSG) {
		fc->result = EBADMSG;
		return true;
	}
	if (e || pl_strcmp(&c.realm, fc->d->realm))
		return false; /* for another realm, or another scheme */
	fc->c = c;
	fc->result = 0;
	return true;
}

static const struct user *user_find(struct digest *d, const struct pl *name,
                                    const struct pl *realm)
{
	return userdb_find(&d->users, name->p, name->l, realm->p, realm->l);
}

/**
 * Check the credentials of a request
 *
 * @param proxy  Proxy-Authorization (a proxy's 407) rather than
 *               Authorization (a registrar's 401)
 * @param user   receives the authenticated user name
 */
enum digest_result digest_check(struct digest *d, const struct sip_msg *msg,
                                bool proxy, char *user, size_t usersz)
{
	struct find_ctx fc = { .d = d, .result = ENOENT };
	char expect[65];
	const struct user *u;
	struct creds *c = &fc.c;
	uint64_t issued;
	enum algo a;
	uint32_t nc = 0;
	int e;

	sip_msg_hdr_apply(msg, true,
	                  proxy ? SIP_HDR_PROXY_AUTHORIZATION
	                        : SIP_HDR_AUTHORIZATION,
	                  find_ours, &fc);
	if (fc.result == ENOENT)
		return DIGEST_NONE;
	if (fc.result)
		return DIGEST_BAD;

	if (algo_parse(&c->algorithm, &a))
		return DIGEST_FAIL;
	/* an answer to a challenge we never made: no downgrade */
	if (!offered(d, a))
		return DIGEST_FAIL;

	if (pl_isset(&c->qop)) {
		if (pl_strcasecmp(&c->qop, "auth") || c->nc.l != 8 ||
		    !is_hex(c->nc.p, 8) || !pl_isset(&c->cnonce))
			return DIGEST_BAD;
		nc = (uint32_t)strtoul(c->nc.p, NULL, 16);
	}

	/* the digest uri is hashed, so it cannot be altered; it is not
	 * required to equal the Request-URI (some clients hash the server
	 * address): the nonce count already stops replays */

	u = user_find(d, &c->username, &c->realm);
	if (!u || !u->ha1[a][0])
		return DIGEST_FAIL;

	e = digest_response(expect, sizeof(expect), &c->algorithm, u->ha1[a],
	                    &msg->met, &c->uri, &c->nonce, &c->qop, &c->nc,
	                    &c->cnonce);
	if (e || c->response.l != strlen(expect) ||
	    !secret_equal(expect, c->response.p, c->response.l))
		return DIGEST_FAIL;

	/* right password: now is the nonce still good, and fresh? */
	e = nonce_check(d, &c->nonce, &issued);
	if (e == ETIMEDOUT)
		return DIGEST_STALE;
	if (e)
		return DIGEST_FAIL;
	e = nc_fresh(d, &c->nonce, issued, nc);
	if (e == ESTALE)
		return DIGEST_STALE;
	if (e)
		return DIGEST_FAIL;

	snprintf(user, usersz, "%s", u->name);
	return DIGEST_OK;
}

/*
 * The challenge header lines, one per algorithm the users file has.
 * RFC 8760 puts the preferred first, and a SHA-256 capable client picks
 * it wherever it stands; but many deployed phones read only the first
 * challenge and know only MD5, so MD5 goes first unless configured, and
 * some (libre 1.1, so baresip 1.0) fail on any challenge they cannot
 * answer: for those, --digest-algorithms md5.
 */
int digest_challenge(struct digest *d, struct mbuf *mb, bool proxy, bool stale)
{
	const char *hdr = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
	char nonce[NONCE_HEX + 1];
	int e;

	e = nonce_make(d, nonce);
	if (e)
		return e;
	for (size_t i = 0; i < d->noffer; i++) {
		bool sha = d->offer[i] == ALGO_SHA256;

		if (!(sha ? d->have_sha256 : d->have_md5))
			continue;
		e |= mbuf_printf(mb,
		                 "%s: Digest realm=\"%s\", nonce=\"%s\", "
		                 "algorithm=%s, qop=\"auth\"%s\r\n",
		                 hdr, d->realm, nonce, sha ? "SHA-256" : "MD5",
		                 stale ? ", stale=true" : "");
	}
	return e;
}
