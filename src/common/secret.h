/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file secret.h  Secrets: files that hold them, random tokens, proofs
 *
 * An HRAC proves its identity without sending its secret: HRAS hands out a
 * nonce and the HRAC answers HMAC-SHA256(secret, "SoFW-1 " nonce " " id),
 * compared in constant time (sofw-tunnel(7), "Opening a session").
 * Both ends then derive the session's key from the secret and the nonce,
 * and every request of the session carries a MAC under it with a number
 * that never repeats, so what a proxy on the path sees cannot be replayed
 * or reused.
 */

enum {
	SECRET_MAX = 256,        /* longest secret or credential line */
	SECRET_MIN_ADVISED = 16, /* shorter HRAC secrets get a warning */
	SECRET_PROOF_HEX = 64,   /* hex digits of an HMAC-SHA256 */
	SECRET_REQ_MAC_HEX = 32, /* of a request's MAC */
};

/* What the example credential files (etc/hracs.example, etc/users.example)
 * carry instead of a working secret */
#define SECRET_EXAMPLE_LINE "replace the example secret"

int secret_example_line(const char *path, unsigned lineno, const char *line,
                        char *err, size_t errsz);
int secret_file_check(const char *path, int fd, char *err, size_t errsz);
int secret_file_open(const char *path, char *err, size_t errsz);
int secret_file_fopen(const char *path, FILE **fp, char *err, size_t errsz);
int secret_file_read(const char *path, char *buf, size_t size, char *err,
                     size_t errsz);
int secret_random_hex(char *out, size_t nbytes);
void secret_hex(char *out, const uint8_t *in, size_t n);
bool secret_equal(const char *a, const char *b, size_t n);
int secret_proof(char out[SECRET_PROOF_HEX + 1], const char *secret,
                 const char *nonce, const char *id);
int secret_session_key(char out[SECRET_PROOF_HEX + 1], const char *secret,
                       const char *nonce, const char *id);
int secret_request_mac(char out[SECRET_REQ_MAC_HEX + 1], const char *key,
                       const char *method, const char *endpoint,
                       const char *token, uint64_t n);
int secret_hmac_hex(char *out, size_t outsz, const void *key, size_t keylen,
                    const char *msg);
