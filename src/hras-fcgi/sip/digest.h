/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file digest.h  SIP Digest authentication (RFC 3261 §22, RFC 8760)
 *
 * Users come from a file of "user:realm:HA1" lines; HA1 is the hex
 * MD5 (32 digits) or SHA-256 (64 digits) of "user:realm:password", so
 * the file holds no password.  A user may have a line of each kind.
 * Challenges offer each algorithm the file has lines for, with qop=auth:
 * MD5 first (unmodified phones read the first), or SHA-256 first.  Nonces carry
 * their time and a MAC, expire, and a nonce count that does not grow is
 * refused, so a captured request cannot be replayed.  Loop thread only.
 */

struct sip_msg;

enum digest_result {
	DIGEST_OK,
	DIGEST_NONE,  /* no credentials for our realm: challenge */
	DIGEST_STALE, /* a good answer to an expired nonce: challenge,
	                 stale=true */
	DIGEST_FAIL,  /* wrong password, unknown user, replay: challenge */
	DIGEST_BAD,   /* malformed credentials: 400 */
};

enum {
	DIGEST_USER_MAX = 128,
};

struct digest;

int digest_alloc(struct digest **dp, const char *users_path, const char *realm,
                 uint32_t nonce_ttl, const char *algorithms, char *err,
                 size_t errsz);
int digest_algorithms_check(const char *algorithms, char *err, size_t errsz);
int digest_users_check(const char *users_path, char *err, size_t errsz);
int digest_reload(struct digest *d, const char *users_path, char *err,
                  size_t errsz);
enum digest_result digest_check(struct digest *d, const struct sip_msg *msg,
                                bool proxy, char *user, size_t usersz);
int digest_challenge(struct digest *d, struct mbuf *mb, bool proxy, bool stale);
bool digest_user_known(struct digest *d, const struct pl *user);
int digest_response(char *out, size_t outsz, const struct pl *algorithm,
                    const char *ha1, const struct pl *method,
                    const struct pl *uri, const struct pl *nonce,
                    const struct pl *qop, const struct pl *nc,
                    const struct pl *cnonce);
const char *digest_realm(const struct digest *d);
bool digest_creds_for(const struct pl *hval, const char *realm);
