/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file hreq.h  One FastCGI request of the tunnel, as a worker sees it
 *
 * Reading the CGI parameters nginx passes, and writing responses: every
 * response carries Cache-Control: no-store and X-Accel-Buffering: no;
 * every error response a machine-readable X-SoFW-Error code and a
 * one-line text/plain body a person can act on.
 */

struct tunsrv;

struct hreq {
	FCGX_Request *r;
	struct tunsrv *t;
	const char *method;
	const char *endpoint; /* path below base-path */
	const char *query;
	char peer[128]; /* REMOTE_ADDR, and X-Forwarded-For if any */
	bool started;   /* response headers sent */
};

void hreq_init(struct hreq *q, FCGX_Request *r, struct tunsrv *t,
               const char *base_path);
const char *hreq_param(const struct hreq *q, const char *name);
bool hreq_query_is(const struct hreq *q, const char *key, const char *val);
int hreq_start(struct hreq *q, int status, const char *ctype,
               long long content_length, const char *extra);
int hreq_write(struct hreq *q, const void *buf, size_t n, bool flush);
int hreq_error(struct hreq *q, int status, const char *code, const char *extra,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
const char *hreq_status_text(int status);
int hreq_read_some(struct hreq *q, uint8_t *buf, int size);
