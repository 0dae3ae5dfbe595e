/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file tunnel_xfer.c  One HTTP request of the tunnel
 *
 * Every request goes the same way: the same proxy, proxy authentication,
 * TLS verification and anti-caching headers.  Failures are turned into
 * sentences a network administrator can act on.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <re.h>
#include "frame.h"
#include "frame_reader.h"
#include "chan.h"
#include "log.h"
#include "secret.h"
#include "mono.h"
#include "curl_loop.h"
#include "tunnel.h"
#include "tunnel_priv.h"

const char *xfer_kind_name(enum xfer_kind kind)
{
	static const char *names[] = { "open",      "down stream", "long poll",
		                       "up stream", "batch POST",  "close" };

	return names[kind];
}

enum {
	HEADER_LINE_MAX = 1024, /* of a response header line parsed here */
};

static size_t header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	char buf[HEADER_LINE_MAX];
	const char *v;

	/* libcurl does not promise a NUL after the line: parse a bounded
	 * copy (the headers read here are short; a longer one is cut) */
	memcpy(buf, data, min(len, sizeof(buf) - 1));
	buf[min(len, sizeof(buf) - 1)] = '\0';

	if (len >= 5 && !strncmp(buf, "HTTP/", 5)) {
		/* a new response (after 100, 407, CONNECT): forget the last */
		x->sofw_error[0] = '\0';
		x->server[0] = '\0';
		x->nonce[0] = '\0';
		x->stale = false;
		return len;
	}
	if (len <= 2 && (buf[0] == '\r' || buf[0] == '\n')) {
		long code = 0;

		curl_easy_getinfo(x->job.easy, CURLINFO_RESPONSE_CODE, &code);
		x->status = code;
		if (code >= 200 && code != 407) {
			x->headers_done = true;
			x->hdr_at = mono_us();
		}
		return len;
	}

	if (len > 14 && !strncasecmp(buf, "X-SoFW-Error:", 13)) {
		v = buf + 13;
		while (*v == ' ')
			v++;
		snprintf(x->sofw_error, sizeof(x->sofw_error), "%.*s",
		         (int)strcspn(v, "\r\n"), v);
	} else if (len > 7 && !strncasecmp(buf, "Server:", 7)) {
		v = buf + 7;
		while (*v == ' ')
			v++;
		snprintf(x->server, sizeof(x->server), "%.*s",
		         (int)strcspn(v, "\r\n"), v);
	} else if (len > 17 && !strncasecmp(buf, "WWW-Authenticate:", 17)) {
		const char *p = strstr(buf, "nonce=\"");

		if (p) {
			p += 7;
			snprintf(x->nonce, sizeof(x->nonce), "%.*s",
			         (int)strcspn(p, "\""), p);
		}
		x->stale = strstr(buf, "stale=true") != NULL;
	}

	return len;
}

/* Small bodies (open parameters, error text) are kept, bounded */
size_t xfer_body_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	size_t take = min(len, (size_t)XFER_BODY_MAX - x->body_len);

	memcpy(x->body + x->body_len, buf, take);
	x->body_len += take;
	x->body[x->body_len] = '\0';
	x->last_rx = mono_us();
	return len;
}

/*
 * TLS to HRAS: let OpenSSL read whatever the socket holds at once.  By
 * default it reads a record's 5-byte header and then its body, two
 * read()s per record, and a down stream carries about one record per
 * packet at low load.  Only the socket's reads change; the records and
 * their checks are the same.
 */
static CURLcode tls_setup(CURL *e, void *ssl_ctx, void *arg)
{
	(void)e;
	(void)arg;
	SSL_CTX_set_read_ahead((SSL_CTX *)ssl_ctx, 1);
	return CURLE_OK;
}

static int add_header(struct xfer *x, const char *fmt, ...)
{
	struct curl_slist *l;
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	l = curl_slist_append(x->hdrs, line);
	if (!l)
		return ENOMEM;
	x->hdrs = l;
	return 0;
}

/* X-SoFW-Auth: a request number never used in this session, and the
 * MAC of the method, the endpoint, the token and it under the session's
 * key: a request seen on the path is no use to anyone else */
static int add_request_proof(struct xfer *x, const char *endpoint)
{
	struct tunnel *t = x->t;
	char ep[32], mac[SECRET_REQ_MAC_HEX + 1];
	const char *method =
	    x->kind == X_DOWN || x->kind == X_POLL ? "GET" : "POST";
	uint64_t n = ++t->req_n;

	snprintf(ep, sizeof(ep), "%.*s", (int)strcspn(endpoint, "?"), endpoint);
	if (secret_request_mac(mac, t->key, method, ep, t->p.token, n))
		return ENOMEM;
	return add_header(x, "X-SoFW-Auth: %llu %s", (unsigned long long)n,
	                  mac);
}

struct xfer *xfer_new(struct tunnel *t, enum xfer_kind kind,
                      const char *endpoint, curl_done_h *doneh)
{
	const struct tunnel_conf *c = &t->conf;
	char url[1024];
	struct xfer *x;
	CURL *e;
	int err = 0;

	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->t = t;
	x->kind = kind;
	x->job.doneh = doneh;
	x->job.arg = x;
	x->started = x->last_rx = mono_us();
	x->job.easy = e = curl_easy_init();
	if (!e) {
		free(x);
		return NULL;
	}

	snprintf(url, sizeof(url), "%s%s%s%s", c->server, endpoint,
	         strchr(endpoint, '?') ? "&" : "?",
	         kind == X_POLL    ? "mode=poll"
	         : kind == X_BATCH ? "mode=batch"
	                           : "");
	if (kind != X_POLL && kind != X_BATCH)
		url[strlen(url) - 1] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "hrac (SoFW)");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, xfer_body_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);

	/* the proxy is resolved by the caller (environment included):
	 * "" stops curl from reading the environment a second time */
	curl_easy_setopt(e, CURLOPT_PROXY, c->proxy ? c->proxy : "");
	if (c->proxy && *c->proxy && c->proxy_user) {
		curl_easy_setopt(e, CURLOPT_PROXYUSERPWD, c->proxy_user);
		curl_easy_setopt(e, CURLOPT_PROXYAUTH,
		                 t->proxy_auth ? t->proxy_auth
		                               : (long)CURLAUTH_ANY);
	}
	if (c->proxy_tunnel)
		curl_easy_setopt(e, CURLOPT_HTTPPROXYTUNNEL, 1L);

	if (c->cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->cacert);
	if (c->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
	                 c->http2 ? (long)CURL_HTTP_VERSION_2TLS
	                          : (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, tls_setup);
	if (c->certinfo && kind == X_OPEN)
		curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);

	/* no proxy may cache, transform or hold back tunnel traffic */
	err |= add_header(x, "Expect:");
	err |= add_header(x, "Cache-Control: no-cache, no-store");
	err |= add_header(x, "Pragma: no-cache");
	/* every request names the identity, so that a balancer in front
	 * of several HRAS nodes sends a whole session to one node (hash on
	 * it); not a credential: the open's proof and the request MACs are */
	if (c->id)
		err |= add_header(x, "X-SoFW-Id: %s", c->id);
	if (kind != X_OPEN) {
		err |= add_header(x, "X-SoFW-Session: %s", t->p.token);
		err |= add_request_proof(x, endpoint);
	}
	if (kind == X_UP || kind == X_BATCH)
		err |= add_header(x, "Content-Type: application/octet-stream");
	if (kind == X_UP)
		err |= add_header(x, "Transfer-Encoding: chunked");
	if (err) {
		xfer_free(x);
		return NULL;
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);

	return x;
}

int xfer_run(struct xfer *x)
{
	return curl_loop_add(x->t->cl, &x->job);
}

void xfer_free(struct xfer *x)
{
	if (!x)
		return;
	curl_loop_remove(x->t->cl, &x->job);
	curl_easy_cleanup(x->job.easy);
	curl_slist_free_all(x->hdrs);
	frame_reader_close(&x->fr);
	free(x->out);
	free(x);
}

/* The current request *cur becomes the previous one, *prev, which is let
 * go: renewals keep two requests of a kind at most */
void xfer_retire(struct xfer **cur, struct xfer **prev)
{
	xfer_free(*prev);
	*prev = *cur;
	*cur = NULL;
}

void xfer_abort(struct xfer *x)
{
	xfer_free(x);
}

/* One more request header, before xfer_run() */
int xfer_add_header(struct xfer *x, const char *line)
{
	int e = add_header(x, "%s", line);

	if (!e)
		curl_easy_setopt(x->job.easy, CURLOPT_HTTPHEADER, x->hdrs);
	return e;
}

bool xfer_is_session_gone(const struct xfer *x)
{
	return x->status == 404 && !strcmp(x->sofw_error, "unknown-session");
}

/**
 * Did the request fail because the path is down for the moment (a proxy,
 * nginx or hras-fcgi not there), rather than for something that will not
 * mend by itself (credentials, a certificate, a path that mangles)?
 */
bool xfer_transient(const struct xfer *x, CURLcode res)
{
	long connect_code = 0;

	curl_easy_getinfo(x->job.easy, CURLINFO_HTTP_CONNECTCODE,
	                  &connect_code);
	if (res != CURLE_OK) {
		if (x->rx_err)
			return false;
		if (connect_code)
			return connect_code >= 500;
		switch (res) {
		case CURLE_COULDNT_CONNECT:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_PARTIAL_FILE:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_SSL_CONNECT_ERROR: /* cut during the handshake */
			return true;
		default:
			return false;
		}
	}
	switch (x->status) {
	case 429: /* HRAS has not yet seen the last request go */
		return true;
	case 502:
	case 503:
	case 504:
		/* nginx or the proxy cannot reach the next hop; HRAS's own
		 * busy answers (X-SoFW-Error) ask for a pause */
		return !x->sofw_error[0];
	default:
		return false;
	}
}

static void first_line(const char *body, char *out, size_t size)
{
	const char *p = body;

	if (!strncmp(p, "sofw: ", 6))
		p += 6;
	snprintf(out, size, "%.*s", (int)strcspn(p, "\r\n"), p);
}

static void host_port(const char *url, char *out, size_t size)
{
	const char *p = strstr(url, "://");

	p = p ? p + 3 : url;
	if (strchr(p, '@') && strchr(p, '@') < p + strcspn(p, "/"))
		p = strchr(p, '@') + 1;
	snprintf(out, size, "%.*s", (int)strcspn(p, "/"), p);
}

/* What went wrong, in words: for the log and for hrac --diagnose */
void xfer_describe(const struct xfer *x, CURLcode res, char *buf, size_t size)
{
	const struct tunnel_conf *c = &x->t->conf;
	bool proxied = c->proxy && *c->proxy;
	char proxy[128] = "", server[128], text[200];
	long connect_code = 0;

	host_port(c->server, server, sizeof(server));
	if (proxied)
		host_port(c->proxy, proxy, sizeof(proxy));
	curl_easy_getinfo(x->job.easy, CURLINFO_HTTP_CONNECTCODE,
	                  &connect_code);
	first_line(x->body, text, sizeof(text));

	if (res != CURLE_OK) {
		const char *port = strrchr(server, ':');

		switch (res) {

		case CURLE_COULDNT_RESOLVE_PROXY:
			snprintf(buf, size, "cannot resolve the proxy host %s",
			         proxy);
			return;
		case CURLE_COULDNT_RESOLVE_HOST:
			snprintf(buf, size, "cannot resolve the HRAS host %s%s",
			         server,
			         proxied ? ""
			                 : " (direct: does this network "
			                   "need --proxy?)");
			return;
		case CURLE_COULDNT_CONNECT:
			if (proxied)
				snprintf(buf, size,
				         "cannot connect to the proxy %s: %s",
				         proxy, x->errbuf);
			else
				snprintf(buf, size,
				         "cannot connect to HRAS %s: %s "
				         "(a firewall? this network may "
				         "need --proxy)",
				         server, x->errbuf);
			return;
		case CURLE_OPERATION_TIMEDOUT:
			snprintf(buf, size, "timed out: %s", x->errbuf);
			return;
		case CURLE_PEER_FAILED_VERIFICATION:
			snprintf(buf, size,
			         "TLS: the certificate of %s is not trusted: "
			         "%s (give its CA with --cacert FILE)",
			         server, x->errbuf);
			return;
		case CURLE_SSL_CONNECT_ERROR:
			snprintf(buf, size,
			         "TLS handshake with %s failed: %s (not a TLS "
			         "port, or a proxy inspecting TLS?)",
			         server, x->errbuf);
			return;
		default:
			break;
		}
		if (connect_code == 407) {
			snprintf(buf, size,
			         "proxy answered 407 to CONNECT: proxy "
			         "authentication required%s",
			         c->proxy_user
			             ? "; the credentials given with "
			               "--proxy-user were refused"
			             : " (give --proxy-user USER:PASS)");
			return;
		}
		if (connect_code >= 500) {
			snprintf(buf, size,
			         "the proxy cannot reach HRAS at %s (CONNECT "
			         "answered %ld)",
			         server, connect_code);
			return;
		}
		if (connect_code >= 300) {
			const char *dflt =
			    strncmp(c->server, "https:", 6) ? "80" : "443";

			snprintf(buf, size,
			         "CONNECT to port %s refused by the proxy "
			         "(%ld)%s",
			         port ? port + 1 : dflt, connect_code,
			         connect_code == 403
			             ? ": most proxies allow CONNECT only to "
			               "port 443; run HRAS on 443"
			             : "");
			return;
		}
		if (res == CURLE_PARTIAL_FILE || res == CURLE_SEND_ERROR ||
		    res == CURLE_RECV_ERROR || res == CURLE_GOT_NOTHING) {
			snprintf(buf, size, "%s cut by the %s: %s",
			         xfer_kind_name(x->kind),
			         proxied ? "proxy or server" : "server",
			         x->errbuf[0] ? x->errbuf
			                      : curl_easy_strerror(res));
			return;
		}
		snprintf(buf, size, "%s failed: %s", xfer_kind_name(x->kind),
		         x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
		return;
	}

	switch (x->status) {

	case 401:
		snprintf(buf, size,
		         "HRAS did not accept the proof for '%s'%s%s (a "
		         "replayed or expired nonce: retrying)",
		         c->id, text[0] ? ": " : "", text);
		return;
	case 407:
		snprintf(buf, size,
		         "proxy answered 407: proxy authentication required%s",
		         c->proxy_user ? "; the credentials given with "
		                         "--proxy-user were refused"
		                       : " (give --proxy-user USER:PASS)");
		return;
	case 403:
		if (x->sofw_error[0])
			snprintf(buf, size,
			         "HRAS refused identity '%s': %s (check --id "
			         "and --secret-file against the HRAS "
			         "--hracs file)",
			         c->id, text);
		else
			snprintf(buf, size,
			         "the %s refused the request (403)%s%s",
			         proxied ? "proxy or web server" : "web server",
			         text[0] ? ": " : "", text);
		return;
	case 404:
		if (x->sofw_error[0])
			snprintf(buf, size, "HRAS: %s", text);
		else
			snprintf(buf, size,
			         "no SoFW endpoint at %s (404): check --server "
			         "and the nginx location",
			         c->server);
		return;
	case 502:
	case 503:
	case 504:
		if (x->sofw_error[0])
			snprintf(buf, size, "HRAS busy (%ld): %s", x->status,
			         text);
		else if (proxied && x->server[0] &&
		         strncasecmp(x->server, "nginx", 5))
			snprintf(buf, size,
			         "the proxy (%s) answered %ld: it cannot reach "
			         "the web server at %s",
			         x->server, x->status, server);
		else
			snprintf(buf, size,
			         "%s answered %ld: hras-fcgi is not running or "
			         "not reachable on its FastCGI socket",
			         proxied ? "the path (proxy or nginx)"
			                 : "nginx",
			         x->status);
		return;
	default:
		snprintf(buf, size, "%s answered HTTP %ld%s%s",
		         xfer_kind_name(x->kind), x->status,
		         text[0] ? ": " : "", text);
	}
}
