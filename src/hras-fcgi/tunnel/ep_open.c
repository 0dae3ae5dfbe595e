/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file ep_open.c  POST open: an HRAC proves its identity, gets a session
 *
 * Challenge and response (sofw-tunnel(7)): without a valid proof the
 * answer is 401 with a fresh nonce; a wrong proof or an unknown identity
 * is 403.  The secret never crosses the wire; both ends derive the
 * session's request key from it and the nonce, so a plain-HTTP proxy
 * that logs headers learns nothing it can reuse (answered nonces and
 * request numbers are refused).  X-SoFW-Instance names the HRAC process,
 * X-SoFW-Probe: 1 asks for a diagnose probe session, X-SoFW-Takeover: 1
 * replaces a live session of another process, X-SoFW-Resume carries on
 * from an earlier session (no frame delivered twice).
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <fcgiapp.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "secret.h"
#include "hracs.h"
#include "nonces.h"
#include "session.h"
#include "inbox.h"
#include "tunsrv.h"
#include "hreq.h"
#include "endpoints.h"

enum {
	OPEN_BODY_MAX = 4096,
};

#define CONFLICT_LOG_US (300 * 1000000ull)

struct proof {
	char id[HRACS_ID_MAX + 1];
	char nonce[NONCE_LEN + 1];
	char proof[SECRET_PROOF_HEX + 1];
};

/* Copy the value of key="value" from an auth-param list */
static bool auth_param(const char *params, const char *key, char *out,
                       size_t outsz)
{
	size_t klen = strlen(key);
	const char *p = params;

	while (*p) {
		const char *v, *end;

		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (!strncasecmp(p, key, klen) && p[klen] == '=' &&
		    p[klen + 1] == '"') {
			v = p + klen + 2;
			end = strchr(v, '"');
			if (!end || (size_t)(end - v) >= outsz)
				return false;
			memcpy(out, v, (size_t)(end - v));
			out[end - v] = '\0';
			return true;
		}
		p += strcspn(p, ",");
	}
	return false;
}

/*
 * Authorization: SoFW id="...", nonce="...", proof="..."
 * @return 0, ENOENT (no SoFW credentials at all) or EBADMSG (malformed)
 */
static int parse_authorization(const char *hdr, struct proof *pr)
{
	if (!hdr || strncasecmp(hdr, "SoFW", 4) ||
	    !isspace((unsigned char)hdr[4]))
		return ENOENT;
	hdr += 5;

	if (!auth_param(hdr, "id", pr->id, sizeof(pr->id)) ||
	    !auth_param(hdr, "nonce", pr->nonce, sizeof(pr->nonce)) ||
	    !auth_param(hdr, "proof", pr->proof, sizeof(pr->proof)))
		return EBADMSG;
	if (!hracs_id_valid(pr->id, strlen(pr->id)))
		return EBADMSG;
	return 0;
}

static void challenge(struct hreq *q, bool stale, const char *why)
{
	char nonce[NONCE_LEN + 1], hdr[160];

	if (nonces_make(q->t->nonces, nonce)) {
		hreq_error(q, 500, "internal", NULL, "cannot make a nonce");
		return;
	}
	snprintf(hdr, sizeof(hdr), "WWW-Authenticate: SoFW nonce=\"%s\"%s\r\n",
	         nonce, stale ? ", stale=true" : "");
	hreq_error(q, 401, "auth-required", hdr, "%s", why);
}

/* The open body carries nothing yet; read it so nginx is not left
 * sending, but never more than a small bound, never for long */
static int drain_body(struct hreq *q)
{
	uint64_t deadline =
	    mono_us() + (uint64_t)q->t->cfg->frame_timeout * 1000000;
	uint8_t buf[512];
	size_t total = 0;
	int n;

	ep_read_timeout(q, q->t->cfg->frame_timeout);
	while ((n = hreq_read_some(q, buf, sizeof(buf))) > 0) {
		total += (size_t)n;
		if (total > OPEN_BODY_MAX)
			return EMSGSIZE;
		if (mono_us() > deadline)
			return ETIMEDOUT;
	}
	return n < 0 ? ETIMEDOUT : 0;
}

/* A header value of at most @max characters from [0-9a-zA-Z_.-], or "" */
static const char *token_param(const struct hreq *q, const char *name,
                               size_t max)
{
	const char *v = hreq_param(q, name);

	if (!v || strlen(v) > max ||
	    strspn(v, "0123456789abcdefghijklmnop"
	              "qrstuvwxyzABCDEFGHIJKLMNOP"
	              "QRSTUVWXYZ_.-") != strlen(v))
		return "";
	return v;
}

/* 409: another HRAC process holds this identity's live session; logged
 * once in CONFLICT_LOG_US per identity, however often the other tries */
static void refuse_conflict(struct hreq *q, const struct proof *pr,
                            struct session *other)
{
	char peer[96];
	bool say;

	pthread_mutex_lock(&other->lock);
	snprintf(peer, sizeof(peer), "%s", other->peer);
	say = !other->conflict_logged ||
	      mono_us() - other->conflict_logged > CONFLICT_LOG_US;
	if (say)
		other->conflict_logged = mono_us();
	pthread_mutex_unlock(&other->lock);
	if (say)
		log_warn("open from %s for HRAC '%s' refused: that identity is "
		         "connected from %s by another hrac (two processes "
		         "with one identity; --takeover replaces)",
		         q->peer, pr->id, peer);
	hreq_error(q, 409, "in-use", NULL,
	           "identity '%s' is connected from %s by another hrac: "
	           "stop that one, or start this one with --takeover",
	           pr->id, peer);
}

/* X-SoFW-Resume: TOKEN NEXT, the epoch the HRAC comes back from */
static void resume_param(const struct hreq *q, struct session_open *o,
                         char *token)
{
	const char *v = hreq_param(q, "HTTP_X_SOFW_RESUME");
	unsigned long next;
	int len = 0;

	if (!v || sscanf(v, "%32[0-9a-f] %10lu%n", token, &next, &len) != 2 ||
	    v[len] || strlen(token) != SESSION_TOKEN_LEN || !next ||
	    next > UINT32_MAX)
		return;
	o->resume_token = token;
	o->resume_next = (uint32_t)next;
}

static void open_session(struct hreq *q, const struct proof *pr)
{
	const struct tunsrv_conf *cfg = q->t->cfg;
	struct session_open o;
	struct session *s = NULL;
	char body[512], key[SECRET_PROOF_HEX + 1];
	char resume[SESSION_TOKEN_LEN + 1];
	bool replaced = false;
	uint32_t resumed = 0;
	int e, n;

	if (hracs_session_key(q->t->hracs, pr->id, pr->nonce, key)) {
		hreq_error(q, 403, "forbidden", NULL,
		           "identity or secret not accepted");
		return;
	}
	memset(&o, 0, sizeof(o));
	o.id = pr->id;
	o.peer = q->peer;
	o.key = key;
	o.instance =
	    token_param(q, "HTTP_X_SOFW_INSTANCE", SESSION_INSTANCE_MAX);
	o.probe = !strcmp(token_param(q, "HTTP_X_SOFW_PROBE", 1), "1");
	o.takeover = !strcmp(token_param(q, "HTTP_X_SOFW_TAKEOVER", 1), "1");
	resume_param(q, &o, resume);
	e = sessions_open(q->t->sessions, &o, &s, &replaced, &resumed);
	explicit_bzero(key, sizeof(key));
	if (e == EBUSY && s) {
		refuse_conflict(q, pr, s);
		session_deref(s);
		return;
	}
	if (e == EBUSY) {
		hreq_error(q, 503, "busy", "Retry-After: 10\r\n",
		           "this identity has %d diagnose probes running; try "
		           "later",
		           SESSION_PROBES_MAX);
		return;
	}
	if (e == ENOSPC) {
		log_error("open from %s for HRAC '%s': all %u sessions in use "
		          "(raise max-sessions)",
		          q->peer, pr->id, cfg->max_sessions);
		hreq_error(q, 503, "busy", NULL,
		           "server has no room for "
		           "another session; try later");
		return;
	}
	if (e) {
		hreq_error(q, 500, "internal", NULL, "cannot open a session");
		return;
	}

	pthread_mutex_lock(&s->lock);
	n = snprintf(body, sizeof(body),
	             "sofw-version: %d\n"
	             "session: %s\n"
	             "keepalive: %u\n"
	             "down-max: %u\n"
	             "session-idle: %u\n"
	             "poll-hold: %u\n"
	             "max-payload: %u\n"
	             "media-max-age: %u\n",
	             FRAME_VERSION, s->token, cfg->keepalive, cfg->down_max,
	             cfg->session_idle, cfg->poll_hold, cfg->max_payload,
	             cfg->media_max_age);
	pthread_mutex_unlock(&s->lock);
	if (resumed && n > 0 && (size_t)n < sizeof(body))
		n += snprintf(body + n, sizeof(body) - (size_t)n,
		              "resume: %u\n", resumed);

	log_info("%s of HRAC '%s' %s from %s%s",
	         o.probe ? "probe session" : "session", pr->id,
	         replaced
	             ? (o.takeover ? "taken over"
	                           : "re-opened (replaces the earlier one)")
	             : "opened",
	         q->peer, resumed ? " (resumes where the last one ended)" : "");

	if (hreq_start(q, 200, "text/plain", n, NULL) == 0)
		hreq_write(q, body, (size_t)n, true);
	explicit_bzero(body, sizeof(body));
	session_deref(s);
}

static void serve_open(struct hreq *q)
{
	enum hracs_verdict verdict;
	struct proof pr;
	int e;

	e = drain_body(q);
	if (e) {
		log_warn("open from %s: %s", q->peer,
		         e == EMSGSIZE ? "body too large"
		                       : "body not sent in time");
		hreq_error(q, e == EMSGSIZE ? 413 : 408,
		           e == EMSGSIZE ? "too-large" : "timeout", NULL,
		           "open takes a small body, sent at once");
		return;
	}

	memset(&pr, 0, sizeof(pr));
	e = parse_authorization(hreq_param(q, "HTTP_AUTHORIZATION"), &pr);
	if (e == ENOENT) {
		log_debug("open from %s: challenge sent", q->peer);
		challenge(q, false, "authentication required");
		return;
	}
	if (e) {
		log_warn("open from %s: malformed Authorization header",
		         q->peer);
		hreq_error(q, 400, "bad-authorization", NULL,
		           "malformed Authorization: expected SoFW id=\"..\", "
		           "nonce=\"..\", proof=\"..\"");
		return;
	}

	/* the proof first: a wrong one must use up nothing that others
	 * need (the cache of used nonces is bounded) */
	if (nonces_check(q->t->nonces, pr.nonce) != NONCE_OK) {
		log_info("open from %s for HRAC '%s': stale nonce, challenged "
		         "again",
		         q->peer, pr.id);
		challenge(q, true, "nonce expired or unknown");
		goto out;
	}
	verdict = hracs_verify(q->t->hracs, pr.id, pr.nonce, pr.proof);
	if (verdict != HRACS_OK) {
		/* the client is not told which: the log is */
		log_warn("open refused from %s: %s '%s'", q->peer,
		         verdict == HRACS_UNKNOWN_ID ? "unknown HRAC identity"
		                                     : "wrong secret for HRAC",
		         pr.id);
		hreq_error(q, 403, "forbidden", NULL,
		           "identity or secret not accepted");
		goto out;
	}

	switch (nonces_use(q->t->nonces, pr.nonce)) {

	case NONCE_OK:
		open_session(q, &pr);
		break;
	case NONCE_STALE:
		challenge(q, true, "nonce expired or unknown");
		break;
	case NONCE_REPLAYED:
		log_warn("open from %s for HRAC '%s': replayed proof refused",
		         q->peer, pr.id);
		challenge(q, false, "nonce already used");
		break;
	case NONCE_BUSY:
		log_warn("open from %s: too many opens at once, refused",
		         q->peer);
		hreq_error(q, 503, "busy", "Retry-After: 5\r\n",
		           "too many sessions opening at once; try later");
		break;
	}
out:
	explicit_bzero(&pr, sizeof(pr));
}

void ep_open(struct hreq *q)
{
	struct tunsrv *t = q->t;

	if (atomic_fetch_add(&t->opening, 1) >= t->open_max) {
		atomic_fetch_sub(&t->opening, 1);
		log_warn("open from %s: %u opens at once already, refused "
		         "(the other threads are for sessions)",
		         q->peer, t->open_max);
		hreq_error(q, 503, "busy", "Retry-After: 2\r\n",
		           "too many sessions opening at once; try later");
		return;
	}
	serve_open(q);
	atomic_fetch_sub(&t->opening, 1);
}
