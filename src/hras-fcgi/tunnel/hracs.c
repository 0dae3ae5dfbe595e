/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file hracs.c  The HRAC identities HRAS accepts
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "secret.h"
#include "hracs.h"

enum {
	HRACS_MAX = 65536,
};

struct hrac_ident {
	char id[HRACS_ID_MAX + 1];
	char secret[SECRET_MAX + 1];
};

struct hracs {
	pthread_rwlock_t lock;
	struct hrac_ident *v;
	size_t n;
};

bool hracs_id_valid(const char *id, size_t len)
{
	if (len == 0 || len > HRACS_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

static int parse(FILE *f, const char *path, struct hrac_ident **vp, size_t *np,
                 char *err, size_t errsz)
{
	char line[HRACS_ID_MAX + SECRET_MAX + 8];
	struct hrac_ident *v = NULL;
	unsigned lineno = 0;
	size_t n = 0;

	while (fgets(line, sizeof(line), f)) {
		char *colon, *end;
		size_t idlen, slen;
		struct hrac_ident *nv;

		lineno++;
		end = strpbrk(line, "\r\n");
		if (!end && !feof(f)) {
			snprintf(err, errsz, "%s line %u: line too long", path,
			         lineno);
			goto fail;
		}
		if (end)
			*end = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (secret_example_line(path, lineno, line, err, errsz))
			goto fail;

		colon = strchr(line, ':');
		if (!colon) {
			snprintf(err, errsz, "%s line %u: expected name:secret",
			         path, lineno);
			goto fail;
		}
		idlen = (size_t)(colon - line);
		slen = strlen(colon + 1);
		if (!hracs_id_valid(line, idlen)) {
			snprintf(err, errsz,
			         "%s line %u: a name is 1 to %d of "
			         "A-Z a-z 0-9 . _ -",
			         path, lineno, HRACS_ID_MAX);
			goto fail;
		}
		if (slen == 0 || slen > SECRET_MAX) {
			snprintf(err, errsz,
			         "%s line %u: a secret is 1 to %d bytes", path,
			         lineno, SECRET_MAX);
			goto fail;
		}
		for (size_t i = 0; i < n; i++) {
			if (strlen(v[i].id) == idlen &&
			    !strncmp(v[i].id, line, idlen)) {
				snprintf(err, errsz,
				         "%s line %u: '%.*s' given twice", path,
				         lineno, (int)idlen, line);
				goto fail;
			}
		}
		if (n >= HRACS_MAX) {
			snprintf(err, errsz, "%s: more than %d identities",
			         path, HRACS_MAX);
			goto fail;
		}

		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			snprintf(err, errsz, "%s: out of memory", path);
			goto fail;
		}
		v = nv;
		memcpy(v[n].id, line, idlen);
		v[n].id[idlen] = '\0';
		memcpy(v[n].secret, colon + 1, slen + 1);
		n++;
		/* an HMAC key: a short one can be guessed offline from one
		 * captured open (sofw-security(7)) */
		if (slen < SECRET_MIN_ADVISED)
			log_warn("%s line %u: the secret of '%s' is %zu bytes: "
			         "give it at least %d random ones",
			         path, lineno, v[n - 1].id, slen,
			         SECRET_MIN_ADVISED);
	}

	if (n == 0) {
		snprintf(err, errsz, "%s: no identities (lines name:secret)",
		         path);
		goto fail;
	}

	*vp = v;
	*np = n;
	return 0;

fail:
	if (v)
		explicit_bzero(v, n * sizeof(*v));
	free(v);
	return EINVAL;
}

static int load(const char *path, struct hrac_ident **vp, size_t *np, char *err,
                size_t errsz)
{
	FILE *f;
	int e = secret_file_fopen(path, &f, err, errsz);

	if (e)
		return e;
	e = parse(f, path, vp, np, err, errsz);
	fclose(f);

	return e;
}

static int ident_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hrac_ident *)a)->id,
	              ((const struct hrac_ident *)b)->id);
}

/* The identity named @id in a sorted table, or NULL */
static const struct hrac_ident *find(const struct hrac_ident *v, size_t n,
                                     const char *id)
{
	struct hrac_ident key;

	if (strlen(id) >= sizeof(key.id))
		return NULL;
	strcpy(key.id, id);
	return n ? bsearch(&key, v, n, sizeof(*v), ident_cmp) : NULL;
}

static int load_sorted(const char *path, struct hrac_ident **vp, size_t *np,
                       char *err, size_t errsz)
{
	int e = load(path, vp, np, err, errsz);

	if (!e && *np)
		qsort(*vp, *np, sizeof(**vp), ident_cmp);
	return e;
}

int hracs_alloc(struct hracs **hp, const char *path, char *err, size_t errsz)
{
	struct hracs *h;
	int e;

	h = calloc(1, sizeof(*h));
	if (!h)
		return ENOMEM;
	pthread_rwlock_init(&h->lock, NULL);

	e = load_sorted(path, &h->v, &h->n, err, errsz);
	if (e) {
		hracs_free(h);
		return e;
	}

	*hp = h;
	return 0;
}

/**
 * Replace the identities; on error the old ones stay in force
 *
 * @param revokedh  called, after the new ones are in force, with each
 *                  identity that is gone or whose secret changed: the
 *                  sessions it opened must not outlive it
 */
int hracs_reload(struct hracs *h, const char *path, hracs_revoked_h *revokedh,
                 void *arg, char *err, size_t errsz)
{
	struct hracs *from;
	int e;

	e = hracs_alloc(&from, path, err, errsz);
	if (e)
		return e;
	hracs_replace(h, from, revokedh, arg);
	return 0;
}

/**
 * Put the identities of @from (loaded, not yet shared with any thread)
 * in force in @h, and free @from: a reload that checked the whole new
 * configuration first applies it with this
 */
void hracs_replace(struct hracs *h, struct hracs *from,
                   hracs_revoked_h *revokedh, void *arg)
{
	struct hrac_ident *v = from->v, *old;
	size_t n = from->n, oldn;

	from->v = NULL;
	from->n = 0;
	hracs_free(from);

	pthread_rwlock_wrlock(&h->lock);
	old = h->v;
	oldn = h->n;
	h->v = v;
	h->n = n;
	pthread_rwlock_unlock(&h->lock);

	/* only the loop thread replaces the table: v stays valid here */
	for (size_t i = 0; revokedh && i < oldn; i++) {
		const struct hrac_ident *now = find(v, n, old[i].id);

		if (!now || strcmp(now->secret, old[i].secret))
			revokedh(old[i].id, arg);
	}
	explicit_bzero(old, oldn * sizeof(*old));
	free(old);
}

void hracs_free(struct hracs *h)
{
	if (!h)
		return;
	if (h->v)
		explicit_bzero(h->v, h->n * sizeof(*h->v));
	free(h->v);
	pthread_rwlock_destroy(&h->lock);
	free(h);
}

size_t hracs_count(struct hracs *h)
{
	size_t n;

	pthread_rwlock_rdlock(&h->lock);
	n = h->n;
	pthread_rwlock_unlock(&h->lock);
	return n;
}

/* A copy of the identities' names (free() it): the metrics list each,
 * connected or not, without holding the lock while they render */
int hracs_ids(struct hracs *h, char (**vp)[HRACS_ID_MAX + 1], size_t *np)
{
	char(*v)[HRACS_ID_MAX + 1];
	size_t n;

	pthread_rwlock_rdlock(&h->lock);
	n = h->n;
	v = calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; v && i < n; i++)
		memcpy(v[i], h->v[i].id, sizeof(v[i]));
	pthread_rwlock_unlock(&h->lock);
	if (!v)
		return ENOMEM;
	*vp = v;
	*np = n;
	return 0;
}

/**
 * Check an HRAC's proof for a nonce
 *
 * An unknown identity costs the same HMAC as a known one, so response
 * times do not tell which names exist.
 */
enum hracs_verdict hracs_verify(struct hracs *h, const char *id,
                                const char *nonce, const char *proof)
{
	char expect[SECRET_PROOF_HEX + 1];
	const char *secret = "\x01unknown-identity";
	enum hracs_verdict v = HRACS_UNKNOWN_ID;
	bool match;

	const struct hrac_ident *ident;

	pthread_rwlock_rdlock(&h->lock);
	ident = find(h->v, h->n, id);
	if (ident) {
		secret = ident->secret;
		v = HRACS_WRONG_PROOF;
	}
	if (secret_proof(expect, secret, nonce, id))
		expect[0] = '\0';
	pthread_rwlock_unlock(&h->lock);

	match = strlen(proof) == SECRET_PROOF_HEX && expect[0] &&
	        secret_equal(expect, proof, SECRET_PROOF_HEX);
	explicit_bzero(expect, sizeof(expect));

	if (v == HRACS_WRONG_PROOF && match)
		return HRACS_OK;
	return v;
}

/* The request key of a session opened with @nonce (secret.h), into
 * SECRET_PROOF_HEX + 1 bytes; call only after hracs_verify() said
 * HRACS_OK.  @return 0 or ENOENT */
int hracs_session_key(struct hracs *h, const char *id, const char *nonce,
                      char *out)
{
	const struct hrac_ident *ident;
	int e = ENOENT;

	pthread_rwlock_rdlock(&h->lock);
	ident = find(h->v, h->n, id);
	if (ident)
		e = secret_session_key(out, ident->secret, nonce, id);
	pthread_rwlock_unlock(&h->lock);
	return e;
}
