/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file hracs.h  The HRAC identities HRAS accepts (--hracs FILE)
 *
 * Lines "name:secret"; # starts a comment.  The file must not be readable
 * by others.  Reloaded on SIGHUP (by the loop thread only); an identity
 * removed or given a new secret is revoked: its session ends at once.
 * Lookups are safe from any thread.
 */

enum {
	HRACS_ID_MAX = 64,
};

enum hracs_verdict {
	HRACS_OK,
	HRACS_UNKNOWN_ID,
	HRACS_WRONG_PROOF,
};

struct hracs;

typedef void(hracs_revoked_h)(const char *id, void *arg);

int hracs_alloc(struct hracs **hp, const char *path, char *err, size_t errsz);
int hracs_reload(struct hracs *h, const char *path, hracs_revoked_h *revokedh,
                 void *arg, char *err, size_t errsz);
void hracs_replace(struct hracs *h, struct hracs *from,
                   hracs_revoked_h *revokedh, void *arg);
void hracs_free(struct hracs *h);
size_t hracs_count(struct hracs *h);
int hracs_ids(struct hracs *h, char (**vp)[HRACS_ID_MAX + 1], size_t *np);
enum hracs_verdict hracs_verify(struct hracs *h, const char *id,
                                const char *nonce, const char *proof);
bool hracs_id_valid(const char *id, size_t len);
int hracs_session_key(struct hracs *h, const char *id, const char *nonce,
                      char *out);
