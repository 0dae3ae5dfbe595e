/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file tunnel_open.c  Opening a session: challenge, proof, parameters
 *
 * The first request also teaches hrac which authentication the proxy
 * wants: it is small and can be resent, so curl may negotiate any scheme;
 * the streamed POST later must use that one scheme from its first byte.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <re.h>
#include "frame.h"
#include "frame_reader.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "secret.h"
#include "curl_loop.h"
#include "tunnel.h"
#include "tunnel_priv.h"

static const char *auth_name(long a)
{
	if (a & CURLAUTH_NTLM)
		return "NTLM";
	if (a & CURLAUTH_DIGEST)
		return "Digest";
	if (a & CURLAUTH_BASIC)
		return "Basic";
	return "none";
}

/* The single scheme a streamed request will use from its first byte */
static void learn_proxy_auth(struct tunnel *t, struct xfer *x)
{
	long avail = 0;

	if (t->proxy_auth || !t->conf.proxy_user)
		return;
	curl_easy_getinfo(x->job.easy, CURLINFO_PROXYAUTH_AVAIL, &avail);
	if (!avail)
		return;

	/* Basic goes first when offered: it is the one scheme curl sends
	 * up front, so a streamed body never needs rewinding */
	if (avail & CURLAUTH_BASIC)
		t->proxy_auth = CURLAUTH_BASIC;
	else if (avail & CURLAUTH_NTLM)
		t->proxy_auth = CURLAUTH_NTLM;
	else if (avail & CURLAUTH_DIGEST)
		t->proxy_auth = CURLAUTH_DIGEST;
	else
		return;
	log_info("proxy asks for %s authentication: using it",
	         auth_name(t->proxy_auth));
}

static void tls_peer(struct tunnel *t, struct xfer *x)
{
	struct curl_certinfo *ci = NULL;

	if (!t->conf.certinfo ||
	    curl_easy_getinfo(x->job.easy, CURLINFO_CERTINFO, &ci) || !ci ||
	    ci->num_of_certs < 1)
		return;

	for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next) {
		if (!strncmp(s->data, "Subject:", 8)) {
			snprintf(t->tls_peer, sizeof(t->tls_peer), "%s",
			         s->data + 8);
			break;
		}
	}
}

/* What the server took (ALPN): every request of the session goes the
 * same way */
static void http_taken(struct tunnel *t, struct xfer *x)
{
	long v = 0;

	if (curl_easy_getinfo(x->job.easy, CURLINFO_HTTP_VERSION, &v))
		return;
	if (v == CURL_HTTP_VERSION_2_0)
		t->http = "HTTP/2";
	else if (v == CURL_HTTP_VERSION_1_1)
		t->http = "HTTP/1.1";
	else if (v == CURL_HTTP_VERSION_1_0)
		t->http = "HTTP/1.0";
}

#define REFUSED_GRACE_US (5 * 1000000ull) /* at start: still trying */

static bool parse_u32(const char *body, const char *key, uint32_t *v)
{
	char k[40];
	const char *p;

	snprintf(k, sizeof(k), "\n%s: ", key);
	p = strstr(body, k);
	if (!p)
		return false;
	*v = (uint32_t)strtoul(p + strlen(k), NULL, 10);
	return *v > 0;
}

static int parse_params(struct tunnel *t, const char *body)
{
	struct tunnel_params p;
	char buf[XFER_BODY_MAX + 2];
	const char *s;
	int n;

	memset(&p, 0, sizeof(p));
	snprintf(buf, sizeof(buf), "\n%s", body);

	s = strstr(buf, "\nsession: ");
	if (!s || sscanf(s, "\nsession: %32[0-9a-f]%n", p.token, &n) != 1 ||
	    strlen(p.token) != 32)
		return EBADMSG;
	if (!parse_u32(buf, "keepalive", &p.keepalive) ||
	    !parse_u32(buf, "down-max", &p.down_max) ||
	    !parse_u32(buf, "poll-hold", &p.poll_hold) ||
	    !parse_u32(buf, "max-payload", &p.max_payload))
		return EBADMSG;
	parse_u32(buf, "session-idle", &p.session_idle);
	parse_u32(buf, "resume", &p.resume);
	parse_u32(buf, "media-max-age", &p.media_max_age);
	if (p.max_payload > FRAME_MAX_PAYLOAD)
		p.max_payload = FRAME_MAX_PAYLOAD;

	t->p = p;
	return 0;
}

static void open_fire(void *arg)
{
	tunnel_open_start(arg, NULL);
}

void tunnel_open_later(struct tunnel *t, uint32_t ms)
{
	log_debug("opening again in %u ms", ms);
	tmr_start(&t->tmr_open, ms, open_fire, t);
}

/* The open failed: try again when tunnel_retry_in() says */
static void open_failed(struct tunnel *t, const char *why, uint64_t started,
                        bool transient)
{
	if (tunnel_failed(t, "open", why))
		tunnel_open_later(
		    t, tunnel_retry_in(t, &t->r_open, started, transient));
}

/*
 * 409 in-use: another hrac holds the identity.  At start, a few tries
 * (an hrac that was just killed leaves its session for a moment), then
 * hrac stops and says why: nothing will change it.  Once it has had the
 * session, someone took it over on purpose: this one waits at the
 * longest backoff, quietly, never pushing back.
 */
static void refused(struct tunnel *t, const char *why)
{
	if (!t->ever_opened &&
	    (t->conf.once || mono_us() - t->started > REFUSED_GRACE_US)) {
		log_error("HRAS refused this hrac: %s", why);
		tunnel_event(t, TUNNEL_REFUSED, "%s", why);
		return;
	}
	if (t->ever_opened)
		t->r_open.fails = 100; /* the longest backoff */
	open_failed(t, why, 0, false);
}

static void open_done(struct curl_job *job, CURLcode res)
{
	struct xfer *x = job->arg;
	struct tunnel *t = x->t;
	bool transient;
	char why[512];

	t->open_x = NULL;
	learn_proxy_auth(t, x);
	tls_peer(t, x); /* the handshake may have been the challenge's */
	http_taken(t, x);

	if (res == CURLE_OK && x->status == 401 && x->nonce[0] && !x->proved) {
		/* the challenge: answer it at once */
		char nonce[sizeof(x->nonce)];

		snprintf(nonce, sizeof(nonce), "%s", x->nonce);
		xfer_free(x);
		tunnel_open_start(t, nonce);
		return;
	}

	if (res == CURLE_OK && x->status == 409 &&
	    !strcmp(x->sofw_error, "in-use")) {
		/* another hrac has this identity: trying again changes
		 * nothing, and must not push it out */
		snprintf(why, sizeof(why), "%.400s", x->body);
		why[strcspn(why, "\r\n")] = '\0';
		xfer_free(x);
		refused(t, why);
		return;
	}

	if (res == CURLE_OK && x->status == 200) {
		uint32_t unacked = chan_unacked(&t->chan);

		if (parse_params(t, x->body) ||
		    secret_session_key(t->key, t->conf.secret, t->open_nonce,
		                       t->conf.id)) {
			open_failed(t,
			            "HRAS answered open with no usable "
			            "session parameters",
			            0, false);
			xfer_free(x);
			return;
		}
		xfer_free(x);
		if (t->p.resume) {
			/* what HRAS had of the last session is not sent
			 * again */
			chan_peer_delivered(&t->chan, t->p.resume, NULL);
			log_info("session resumed: of %u frames awaiting "
			         "ack, HRAS had %u",
			         unacked, unacked - chan_unacked(&t->chan));
		}
		t->req_n = 0;
		t->open_took = mono_us() - t->open_started;
		tunnel_session_opened(t);
		return;
	}

	xfer_describe(x, res, why, sizeof(why));
	transient = xfer_transient(x, res);
	xfer_free(x);
	open_failed(t, why, t->open_started, transient);
}

/* Ask for a challenge (@nonce NULL) or answer one */
void tunnel_open_start(struct tunnel *t, const char *nonce)
{
	char proof[SECRET_PROOF_HEX + 1], hdr[256];
	struct xfer *x;

	x = xfer_new(t, X_OPEN, "open", open_done);
	if (!x) {
		open_failed(t, "out of memory", 0, false);
		return;
	}

	curl_easy_setopt(x->job.easy, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(x->job.easy, CURLOPT_POSTFIELDSIZE, 0L);
	if (!nonce)
		t->open_started = mono_us();

	snprintf(hdr, sizeof(hdr), "X-SoFW-Instance: %s", t->instance);
	if (xfer_add_header(x, hdr) ||
	    (t->conf.probe && xfer_add_header(x, "X-SoFW-Probe: 1")) ||
	    (t->conf.takeover && xfer_add_header(x, "X-SoFW-Takeover: 1"))) {
		xfer_free(x);
		open_failed(t, "out of memory", 0, false);
		return;
	}
	if (nonce) {
		snprintf(t->open_nonce, sizeof(t->open_nonce), "%s", nonce);
		if (secret_proof(proof, t->conf.secret, nonce, t->conf.id)) {
			xfer_free(x);
			open_failed(t, "cannot compute the proof", 0, false);
			return;
		}
		snprintf(hdr, sizeof(hdr),
		         "Authorization: SoFW id=\"%s\", nonce=\"%s\", "
		         "proof=\"%s\"",
		         t->conf.id, nonce, proof);
		explicit_bzero(proof, sizeof(proof));
		if (xfer_add_header(x, hdr)) {
			xfer_free(x);
			open_failed(t, "out of memory", 0, false);
			return;
		}
		x->proved = true;
		/* coming back from a session: where it ended, so that
		 * nothing is delivered twice (sofw-tunnel(7), Resuming) */
		snprintf(hdr, sizeof(hdr), "X-SoFW-Resume: %s %u", t->p.token,
		         t->chan.rx_next);
		if (t->p.token[0] && !t->conf.probe &&
		    xfer_add_header(x, hdr)) {
			xfer_free(x);
			open_failed(t, "out of memory", 0, false);
			return;
		}
	}

	t->open_x = x;
	if (xfer_run(x)) {
		t->open_x = NULL;
		xfer_free(x);
		open_failed(t, "cannot start the request", 0, false);
	}
}
