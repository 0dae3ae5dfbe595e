/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file hreq.c  One FastCGI request of the tunnel, as a worker sees it
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcgiapp.h>
#include "hreq.h"

const char *hreq_status_text(int status)
{
	switch (status) {

	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

const char *hreq_param(const struct hreq *q, const char *name)
{
	return FCGX_GetParam(name, q->r->envp);
}

/* The request path: nginx passes DOCUMENT_URI (decoded, no query) */
static const char *request_path(const struct hreq *q)
{
	const char *p = hreq_param(q, "DOCUMENT_URI");

	if (!p)
		p = hreq_param(q, "SCRIPT_NAME");
	return p ? p : "";
}

void hreq_init(struct hreq *q, FCGX_Request *r, struct tunsrv *t,
               const char *base_path)
{
	const char *addr, *port, *xff, *path;
	size_t blen = strlen(base_path);

	memset(q, 0, sizeof(*q));
	q->r = r;
	q->t = t;
	q->method = hreq_param(q, "REQUEST_METHOD");
	if (!q->method)
		q->method = "";
	q->query = hreq_param(q, "QUERY_STRING");
	if (!q->query)
		q->query = "";

	path = request_path(q);
	q->endpoint = strncmp(path, base_path, blen) ? NULL : path + blen;

	addr = hreq_param(q, "REMOTE_ADDR");
	port = hreq_param(q, "REMOTE_PORT");
	xff = hreq_param(q, "HTTP_X_FORWARDED_FOR");
	snprintf(q->peer, sizeof(q->peer), "%s%s%s%s%.40s%s", addr ? addr : "?",
	         port ? ":" : "", port ? port : "", xff ? " (for " : "",
	         xff ? xff : "", xff ? ")" : "");
	/* the client writes X-Forwarded-For: it reaches logs and the status
	 * report as address characters only */
	for (char *p = q->peer; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr(".:[]()%, -_", *p))
			*p = '?';
	}
}

/* Exact match of one key=value pair in the query string */
bool hreq_query_is(const struct hreq *q, const char *key, const char *val)
{
	size_t klen = strlen(key), vlen = strlen(val);
	const char *p = q->query;

	while (*p) {
		size_t len = strcspn(p, "&");

		if (len == klen + 1 + vlen && !strncmp(p, key, klen) &&
		    p[klen] == '=' && !strncmp(p + klen + 1, val, vlen))
			return true;
		p += len;
		if (*p == '&')
			p++;
	}
	return false;
}

/**
 * Send the response headers
 *
 * @param content_length  -1: none (nginx then streams the body chunked)
 * @param extra           more header lines, each ending in \r\n, or NULL
 */
int hreq_start(struct hreq *q, int status, const char *ctype,
               long long content_length, const char *extra)
{
	char hdr[1024], cl[48] = "";
	int n;

	if (content_length >= 0)
		snprintf(cl, sizeof(cl), "Content-Length: %lld\r\n",
		         content_length);

	/* formatted here: FCGX_FPrintF knows no %lld or %zu */
	n = snprintf(hdr, sizeof(hdr),
	             "Status: %d %s\r\n"
	             "Content-Type: %s\r\n"
	             "%s"
	             "Cache-Control: no-store\r\n"
	             "X-Accel-Buffering: no\r\n"
	             "%s"
	             "\r\n",
	             status, hreq_status_text(status), ctype, cl,
	             extra ? extra : "");
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return -1;

	q->started = true;
	if (FCGX_PutStr(hdr, n, q->r->out) != n)
		return -1;
	return 0;
}

int hreq_write(struct hreq *q, const void *buf, size_t n, bool flush)
{
	if (n && FCGX_PutStr(buf, (int)n, q->r->out) != (int)n)
		return -1;
	if (flush && FCGX_FFlush(q->r->out) < 0)
		return -1;
	return 0;
}

/**
 * Answer with an error: status, X-SoFW-Error code, one line of text
 *
 * If a streamed response has already begun, nothing can be said any
 * more: the caller ends the stream instead.
 */
int hreq_error(struct hreq *q, int status, const char *code, const char *extra,
               const char *fmt, ...)
{
	char body[512], hdrs[512];
	va_list ap;
	int n;

	if (q->started)
		return -1;

	n = snprintf(body, sizeof(body), "sofw: ");
	va_start(ap, fmt);
	n += vsnprintf(body + n, sizeof(body) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(body) - 2)
		n = (int)sizeof(body) - 2;
	body[n++] = '\n';
	body[n] = '\0';

	snprintf(hdrs, sizeof(hdrs), "X-SoFW-Error: %s\r\n%s", code,
	         extra ? extra : "");
	if (hreq_start(q, status, "text/plain", n, hdrs))
		return -1;
	return hreq_write(q, body, (size_t)n, true);
}

/**
 * Read the next piece of request body, never waiting for more than one
 * byte: libfcgi's FCGX_GetStr blocks until it has all it was asked for,
 * so this takes one byte, then what libfcgi already holds
 *
 * @return bytes read, 0 at the end of the body, -errno on a read error
 *         (-EAGAIN: the socket's receive timeout passed)
 */
int hreq_read_some(struct hreq *q, uint8_t *buf, int size)
{
	FCGX_Stream *in = q->r->in;
	int c, avail, e;

	c = FCGX_GetChar(in);
	if (c == EOF) {
		e = FCGX_GetError(in);
		return e > 0 ? -e : e < 0 ? -EIO : 0;
	}
	buf[0] = (uint8_t)c;

	avail = (int)(in->stop - in->rdNext);
	if (avail > size - 1)
		avail = size - 1;
	if (avail > 0)
		avail = FCGX_GetStr((char *)buf + 1, avail, in);

	return 1 + (avail > 0 ? avail : 0);
}
