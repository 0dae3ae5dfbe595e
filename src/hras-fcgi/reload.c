/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file reload.c  hras-fcgi's SIGHUP: the configuration file (and the
 * command line kept from the start) read again, the files it names too
 *
 * The new configuration is checked whole first: the cross-option checks,
 * the HRAC identities and the users file.  A fault refuses all of it and
 * the running configuration stays.  Then each option that differs from
 * the one in force is applied if it is on the live list below, or named
 * in the log as needing a restart and left as it is.  An option that is
 * not on the list (a new one included) needs a restart: the list is the
 * set that has been checked to be safe to change under running calls.
 *
 * On the loop thread (dispatch.c's tick), like everything it changes but
 * status-allow, which the workers read under the tunnel's cfg_lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "quota.h"
#include "sdnotify.h"
#include "hracs.h"
#include "session.h"
#include "inbox.h"
#include "tunsrv.h"
#include "iface.h"
#include "rat.h"
#include "sipsrv.h"
#include "store.h"
#include "hras.h"
#include "reload.h"

/*
 * What a reload changes live.  Why these are safe: the log settings are
 * the sink's own; identities and users are tables swapped whole; the
 * status list is read under a lock; the rate limits, registration
 * times, auth-inside, outbound and dialog-max are read by the loop
 * thread when a request comes; frame-timeout and session-idle are the
 * server's own clocks; the queue limits and media-max-age are taken by
 * the sessions opened after the reload (each HRAC is told its session's
 * media-max-age when it opens it); coalesce-us is a single word each
 * down writer reads before every batch.  keepalive, down-max and poll-hold
 * are told to each HRAC too, but the running streams pace by them: they
 * wait for a restart.
 */
static const char *const live[] = {
	"verbose",      "log-facility",  "hracs",        "users",
	"status-allow", "rate-limit",    "rate-burst",   "expires-default",
	"expires-min",  "expires-max",   "auth-inside",  "outbound",
	"dialog-max",   "frame-timeout", "session-idle", "media-queue",
	"sip-queue",    "media-max-age", "coalesce-us",  NULL,
};

/* the command line's options, not the configuration's */
static const char *const skip[] = { "config", "help", "version", NULL };

static struct {
	int argc;
	char **argv;           /* a copy: main's may be rewritten */
	struct hras_conf base; /* as loaded, before start-up adjusted it */
	bool ready;
} rl;

/**
 * Keep the command line and the configuration as loaded: a reload loads
 * both again and compares (start-up may adjust the running one, e.g.
 * fit_descriptors, which is no change of the configuration)
 */
int hras_reload_init(int argc, char *const argv[])
{
	char err[512];

	if (conf_args_dup(argc, argv, &rl.argv))
		return ENOMEM;
	rl.argc = argc;
	if (conf_load(hras_opts, &rl.base, argc, argv, err, sizeof(err)))
		return EINVAL;
	rl.ready = true;
	return 0;
}

void hras_reload_close(void)
{
	conf_args_free(rl.argc, rl.argv);
	conf_free(hras_opts, &rl.base);
	memset(&rl, 0, sizeof(rl));
}

static void revoked(const char *id, void *arg)
{
	struct hras *h = arg;

	log_warn("HRAC '%s' revoked (gone from the identities, or a new "
	         "secret): its session ends",
	         id);
	sessions_drop_id(h->tun.sessions, id, "its identity was revoked");
}

/* Does option @o need a restart to change from @a to @b? */
static bool needs_restart(const struct conf_opt *o, const struct hras_conf *a,
                          const struct hras_conf *b)
{
	if (!conf_name_in(o->name, live))
		return true;
	/* users on or off: the authentication itself is made at start */
	if (!strcmp(o->name, "users"))
		return !a->sip.users || !b->sip.users;
	return false;
}

/* Everything about @n that can refuse it, before anything is applied */
static int check(const struct hras_conf *n, struct hracs **hracs, char *err,
                 size_t errsz)
{
	char msg[400];

	if (hras_conf_check(n, msg, sizeof(msg))) {
		snprintf(err, errsz, "%s", msg);
		return EINVAL;
	}
	if (hracs_alloc(hracs, n->tunnel.hracs, msg, sizeof(msg))) {
		snprintf(err, errsz, "HRAC identities: %s", msg);
		return EINVAL;
	}
	if (n->sip.users &&
	    sipsrv_users_check(n->sip.users, msg, sizeof(msg))) {
		snprintf(err, errsz, "users: %s", msg);
		return EINVAL;
	}
	return 0;
}

static void append(char *buf, size_t size, const char *name)
{
	size_t n = strlen(buf);

	snprintf(buf + n, size - n, "%s%s", n ? ", " : "", name);
}

/* Option @o of @n into the running configuration and the baseline */
static int apply(struct hras *h, const struct conf_opt *o,
                 const struct hras_conf *n)
{
	bool allow = !strcmp(o->name, "status-allow");
	int e;

	if (allow)
		pthread_rwlock_wrlock(&h->tun.cfg_lock);
	e = conf_opt_copy(o, &h->cfg, n);
	if (allow)
		pthread_rwlock_unlock(&h->tun.cfg_lock);
	return e ? e : conf_opt_copy(o, &rl.base, n);
}

/* SIGHUP, on the loop thread */
void hras_reload(struct hras *h)
{
	struct hras_conf n;
	struct hracs *hracs = NULL;
	char err[512], changed[1024] = "";
	struct chan_limits lim;
	size_t restart = 0;
	bool users;
	int e;

	sdnotify("RELOADING=1");
	memset(&n, 0, sizeof(n));
	e = rl.ready
	        ? conf_load(hras_opts, &n, rl.argc, rl.argv, err, sizeof(err))
	        : EINVAL;
	if (!rl.ready)
		snprintf(err, sizeof(err),
		         "the start-up configuration was not "
		         "kept");
	if (!e)
		e = check(&n, &hracs, err, sizeof(err));
	if (e) {
		log_error("reload refused, the running configuration stays: %s",
		          err);
		goto out;
	}

	for (const struct conf_opt *o = hras_opts; o->name; o++) {
		if (conf_name_in(o->name, skip) ||
		    conf_opt_equal(o, &rl.base, &n))
			continue;
		if (needs_restart(o, &rl.base, &n)) {
			log_warn("reload: %s changed: it needs a restart, NOT "
			         "applied (the running value stays)",
			         o->name);
			restart++;
			continue;
		}
		if (apply(h, o, &n)) {
			log_error("reload: %s: out of memory; not applied",
			          o->name);
			continue;
		}
		append(changed, sizeof(changed), o->name);
	}

	/* the effects of what changed; the files are read again anyway */
	log_set_verbosity(h->cfg.verbose);
	log_set_facility(h->cfg.log_facility);
	hracs_replace(h->tun.hracs, hracs, revoked, h);
	hracs = NULL;
	tunsrv_chan_limits(&h->cfg.tunnel, &lim);
	sessions_set_limits(h->tun.sessions, &lim);
	users = h->sip && h->cfg.sip.users;
	if (h->sip) {
		sipsrv_set_rate(h->sip, h->cfg.sip.rate_limit,
		                h->cfg.sip.rate_burst);
		/* checked above: fails only if the file changed since */
		if (sipsrv_reload(h->sip, err, sizeof(err))) {
			log_error("reload of the users failed, the old ones "
			          "stay: %s",
			          err);
			users = false;
		}
	}
	log_info("reloaded: %s%s; %zu HRAC identities%s%s%s",
	         changed[0] ? "changed: " : "no option changed", changed,
	         hracs_count(h->tun.hracs), users ? "; users read from " : "",
	         users ? h->cfg.sip.users : "",
	         restart ? "; some changes need a restart (above)" : "");
out:
	hracs_free(hracs);
	conf_free(hras_opts, &n);
	sdnotify("READY=1");
}
