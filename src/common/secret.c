/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file secret.c  Secrets: files that hold them, random tokens, proofs
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <pwd.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "secret.h"

/**
 * Refuse a secret file that others can read or that is not a regular
 * file: a secret that leaked is no secret
 */
int secret_file_check(const char *path, int fd, char *err, size_t errsz)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "%s: not a regular file", path);
		return EINVAL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errsz,
		         "%s: readable by others (mode %04o); "
		         "run: chmod 600 %s",
		         path, (unsigned)(st.st_mode & 07777), path);
		return EACCES;
	}

	return 0;
}

/**
 * Open a file of secrets after checking that only its owner can read it
 *
 * @return a file descriptor, or -errno with @err saying why
 */
int secret_file_open(const char *path, char *err, size_t errsz)
{
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		const struct passwd *pw;

		e = errno;
		pw = e == EACCES ? getpwuid(geteuid()) : NULL;
		if (pw)
			/* after --user, a SIGHUP reads it as that user */
			snprintf(err, errsz,
			         "%s: %s (this process runs as %s: run chown "
			         "%s %s)",
			         path, strerror(e), pw->pw_name, pw->pw_name,
			         path);
		else
			snprintf(err, errsz, "%s: %s", path, strerror(e));
		return -e;
	}
	e = secret_file_check(path, fd, err, errsz);
	if (e) {
		close(fd);
		return -e;
	}
	return fd;
}

/**
 * The same, as a stdio stream for reading lines
 *
 * @return 0 with *fp open, or an errno value with @err saying why
 */
int secret_file_fopen(const char *path, FILE **fp, char *err, size_t errsz)
{
	int fd = secret_file_open(path, err, errsz), e;

	if (fd < 0)
		return -fd;
	*fp = fdopen(fd, "r");
	if (!*fp) {
		e = errno;
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		close(fd);
		return e;
	}
	return 0;
}

/* Read the first line of a private file (trailing newline removed) */
int secret_file_read(const char *path, char *buf, size_t size, char *err,
                     size_t errsz)
{
	ssize_t n;
	char *nl;
	int fd, e;

	fd = secret_file_open(path, err, errsz);
	if (fd < 0)
		return -fd;

	n = read(fd, buf, size - 1);
	e = errno;
	close(fd);
	if (n < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		return e;
	}
	buf[n] = '\0';
	nl = strpbrk(buf, "\r\n");
	if (nl)
		*nl = '\0';
	else if ((size_t)n == size - 1) {
		snprintf(err, errsz, "%s: secret longer than %zu bytes", path,
		         size - 2);
		return EMSGSIZE;
	}
	if (!buf[0]) {
		snprintf(err, errsz,
		         "%s: empty (the secret goes on its first line)", path);
		return EINVAL;
	}

	return 0;
}

void secret_hex(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* @out receives 2 * nbytes hex digits and a NUL */
int secret_random_hex(char *out, size_t nbytes)
{
	uint8_t raw[64];

	if (nbytes > sizeof(raw))
		return EINVAL;
	if (getrandom(raw, nbytes, 0) != (ssize_t)nbytes)
		return errno ? errno : EIO;
	secret_hex(out, raw, nbytes);

	return 0;
}

/*
 * A line of a credential file that is the example's placeholder: EINVAL
 * with a message naming the file and line, so that a copied example is
 * refused in words an administrator acts on, and no example file ever
 * carries publicly known credentials that would work
 */
int secret_example_line(const char *path, unsigned lineno, const char *line,
                        char *err, size_t errsz)
{
	if (strncmp(line, SECRET_EXAMPLE_LINE, strlen(SECRET_EXAMPLE_LINE)))
		return 0;
	snprintf(err, errsz,
	         "%s line %u: replace the example secret (this file was "
	         "copied from an example: write your own lines as its "
	         "comments show, and delete this one)",
	         path, lineno);
	return EINVAL;
}

/* Constant-time comparison of two n-byte strings */
bool secret_equal(const char *a, const char *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int secret_hmac_hex(char *out, size_t outsz, const void *key, size_t keylen,
                    const char *msg)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, (const uint8_t *)msg,
	          strlen(msg), mac, &maclen))
		return EIO;
	if (outsz < 2 * (size_t)maclen + 1)
		return EOVERFLOW;
	secret_hex(out, mac, maclen);

	return 0;
}

/* HMAC-SHA256 in hex, keyed with the string @key, of a message made
 * from @fmt */
static int __attribute__((format(printf, 3, 4)))
hmac_printf(char out[SECRET_PROOF_HEX + 1], const char *key, const char *fmt,
            ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return EMSGSIZE;
	return secret_hmac_hex(out, SECRET_PROOF_HEX + 1, key, strlen(key),
	                       msg);
}

/* The proof an HRAC sends to open a session (sofw-tunnel(7)) */
int secret_proof(char out[SECRET_PROOF_HEX + 1], const char *secret,
                 const char *nonce, const char *id)
{
	return hmac_printf(out, secret, "SoFW-1 %s %s", nonce, id);
}

/*
 * The key of a session's requests: HMAC-SHA256(secret, "SoFW-1 key "
 * nonce " " id) in hex.  Both ends have it after the open; the path saw
 * the nonce and the proof but cannot make it without the secret.
 */
int secret_session_key(char out[SECRET_PROOF_HEX + 1], const char *secret,
                       const char *nonce, const char *id)
{
	return hmac_printf(out, secret, "SoFW-1 key %s %s", nonce, id);
}

/*
 * The proof one request of a session carries (X-SoFW-Auth: N MAC): the
 * first SECRET_REQ_MAC_HEX digits of HMAC-SHA256(key, "SoFW-1 " method
 * " " endpoint " " token " " N)
 */
int secret_request_mac(char out[SECRET_REQ_MAC_HEX + 1], const char *key,
                       const char *method, const char *endpoint,
                       const char *token, uint64_t n)
{
	char full[SECRET_PROOF_HEX + 1];
	int e;

	e = hmac_printf(full, key, "SoFW-1 %s %s %s %llu", method, endpoint,
	                token, (unsigned long long)n);
	if (e)
		return e;
	memcpy(out, full, SECRET_REQ_MAC_HEX);
	out[SECRET_REQ_MAC_HEX] = '\0';
	return 0;
}
