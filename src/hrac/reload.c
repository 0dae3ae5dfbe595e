/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file reload.c  hrac's SIGHUP, and the command line's passwords
 *
 * A reload reads the configuration file again (with the command line
 * kept from the start) and the files it names: the secret file, the
 * proxy-user-file.  The new configuration is checked whole first; a
 * fault refuses all of it and the running one stays.  Each option that
 * differs is then applied if it is on the live list below, or named in
 * the log as needing a restart and left as it is.  An option not on the
 * list, a new one included, needs a restart.
 *
 * A change of the path (proxy, its credentials, the server URL, TLS
 * settings) or of the identity reopens the tunnel at once
 * (tunnel_reconf): with the same server and identity the session is
 * resumed, as after a proxy's restart, so calls' media goes on after a
 * gap of one open; a new server or identity opens a new session.
 */
#include <errno.h>
#include <signal.h>
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
#include "secret.h"
#include "sdnotify.h"
#include "tunnel.h"
#include "httpproxy.h"
#include "sip_lan.h"
#include "hrac.h"
#include "reload.h"

enum {
	WATCH_MS = 200, /* how soon a SIGHUP is acted on */
};

/* What a reload changes live (why: the module's comment above) */
static const char *const live_opts[] = {
	"verbose",    "log-facility",    "server",      "proxy",
	"proxy-user", "proxy-user-file", "proxy-auth",  "proxy-tunnel",
	"cacert",     "insecure",        "id",          "secret-file",
	"takeover",   "allow",           "allow-local", "http-version",
	NULL,
};

/* ... and of those, what the tunnel is made of */
static const char *const tunnel_opts[] = {
	"server",     "proxy",        "proxy-user", "proxy-user-file",
	"proxy-auth", "proxy-tunnel", "cacert",     "insecure",
	"id",         "secret-file",  "takeover",   "http-version",
	NULL,
};

/* the command line's own, not the configuration's */
static const char *const skip[] = { "config", "help",     "version",
	                            "status", "diagnose", NULL };

/* the proxy variables libcurl users set: their passwords too */
static const char *const proxy_env[] = { "https_proxy", "HTTPS_PROXY",
	                                 "http_proxy",  "all_proxy",
	                                 "ALL_PROXY",   NULL };

static struct {
	int argc;
	char **argv;           /* a copy, before the passwords were hidden */
	struct hrac_conf base; /* as loaded, before start-up adjusted it */
	struct hrac_live live;
	struct tmr watch;
	bool ready, watching;
} rl;

static volatile sig_atomic_t hup;

static void on_hup(int sig)
{
	(void)sig;
	hup = 1;
}

/* @arg is the value of option @name: hide its password in place */
static void hide_value(const char *name, char *arg)
{
	if (!strcmp(name, "proxy-user"))
		httpproxy_hide_arg(arg, true);
	else if (!strcmp(name, "proxy") || !strcmp(name, "server"))
		httpproxy_hide_arg(arg, false);
}

/*
 * ps and /proc/PID/cmdline show the memory of argv and of the first
 * environment: a password there is overwritten once the options are
 * read (the copy kept for reloads has it).  --proxy-user-file is the
 * way that never puts it there at all.
 */
static void hide_passwords(int argc, char *argv[])
{
	for (int i = 1; i < argc; i++) {
		static const char *const names[] = { "proxy-user", "proxy",
			                             "server" };
		const char *a = argv[i];

		if (a[0] != '-' || a[1] != '-')
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
			size_t n = strlen(names[k]);

			if (strncmp(a + 2, names[k], n))
				continue;
			if (a[2 + n] == '=')
				hide_value(names[k], argv[i] + 3 + n);
			else if (!a[2 + n] && i + 1 < argc)
				hide_value(names[k], argv[i + 1]);
		}
	}

	for (size_t k = 0; proxy_env[k]; k++) {
		char *v = getenv(proxy_env[k]);

		/* the process keeps a copy of its own to use; the
		 * original, which ps e shows, loses the password */
		if (!v || !httpproxy_has_password(v) ||
		    setenv(proxy_env[k], v, 1))
			continue;
		httpproxy_hide_arg(v, false);
	}
}

/**
 * Keep the command line and the configuration as loaded, then hide the
 * passwords of argv (after main has loaded its options from it)
 */
int hrac_reload_init(int argc, char *argv[])
{
	char err[512];

	if (conf_args_dup(argc, argv, &rl.argv))
		return ENOMEM;
	rl.argc = argc;
	hide_passwords(argc, argv);
	if (conf_load(hrac_opts, &rl.base, rl.argc, rl.argv, err, sizeof(err)))
		return EINVAL;
	rl.ready = true;
	return 0;
}

static void watch(void *arg)
{
	(void)arg;
	tmr_start(&rl.watch, WATCH_MS, watch, NULL);
	if (!hup)
		return;
	hup = 0;
	hrac_reload();
}

/* From the loop's start: SIGHUP reloads instead of ending hrac */
void hrac_reload_start(const struct hrac_live *live)
{
	struct sigaction sa;

	rl.live = *live;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	tmr_init(&rl.watch);
	tmr_start(&rl.watch, WATCH_MS, watch, NULL);
	rl.watching = true;
}

/* Shutting down: a late SIGHUP changes nothing any more */
void hrac_reload_stop(void)
{
	if (rl.watching)
		tmr_cancel(&rl.watch);
	rl.watching = false;
	signal(SIGHUP, SIG_IGN);
}

void hrac_reload_close(void)
{
	conf_args_free(rl.argc, rl.argv);
	conf_free(hrac_opts, &rl.base);
	memset(&rl, 0, sizeof(rl));
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Is the tunnel @a would make the one @b makes? */
static bool tunnel_same(const struct tunnel_conf *a,
                        const struct tunnel_conf *b)
{
	return str_same(a->server, b->server) && str_same(a->proxy, b->proxy) &&
	       str_same(a->proxy_user, b->proxy_user) &&
	       a->proxy_auth == b->proxy_auth &&
	       a->proxy_tunnel == b->proxy_tunnel &&
	       str_same(a->cacert, b->cacert) && a->insecure == b->insecure &&
	       a->http2 == b->http2 && str_same(a->id, b->id) &&
	       str_same(a->secret, b->secret) && a->takeover == b->takeover;
}

static void append(char *buf, size_t size, const char *name)
{
	size_t n = strlen(buf);

	snprintf(buf + n, size - n, "%s%s", n ? ", " : "", name);
}

/* The new configuration @n is whole: apply what may change live */
static void apply(struct hrac_conf *n, const struct tunnel_conf *ntc)
{
	const struct hrac_live *lv = &rl.live;
	char changed[1024] = "", err[512];
	bool allow = false, restart = false, path = false;

	for (const struct conf_opt *o = hrac_opts; o->name; o++) {
		if (conf_name_in(o->name, skip) ||
		    conf_opt_equal(o, &rl.base, n))
			continue;
		if (!conf_name_in(o->name, live_opts)) {
			log_warn("reload: %s changed: it needs a restart, NOT "
			         "applied (the running value stays)",
			         o->name);
			restart = true;
			continue;
		}
		if (conf_opt_copy(o, lv->cfg, n) ||
		    conf_opt_copy(o, &rl.base, n)) {
			log_error("reload: %s: out of memory; not applied",
			          o->name);
			continue;
		}
		append(changed, sizeof(changed), o->name);
		allow |= !strcmp(o->name, "allow") ||
		         !strcmp(o->name, "allow-local");
		path |= conf_name_in(o->name, tunnel_opts);
	}

	log_set_verbosity(lv->cfg->verbose);
	log_set_facility(lv->cfg->log_facility);
	if (allow && lv->lan &&
	    sip_lan_set_allow(lv->lan, lv->cfg, err, sizeof(err)))
		log_error("reload: %s; the phones' networks stay", err);

	/*
	 * The tunnel anew when an option of it changed (the running one
	 * points into strings just replaced), or when the files it reads
	 * (secret, proxy credentials) say something new
	 */
	if (path || !tunnel_same(lv->tc, ntc)) {
		if (!path)
			append(changed, sizeof(changed),
			       "the secret or proxy credentials file");
		if (hrac_tunnel_conf(lv->cfg, lv->res, lv->tc, err,
		                     sizeof(err)))
			log_error("reload: tunnel: %s", err); /* just read */
		else if (lv->t)
			tunnel_reconf(lv->t, lv->tc);
	}
	log_info("reloaded: %s%s%s", changed[0] ? "changed: " : "",
	         changed[0] ? changed : "no option changed",
	         restart ? "; some changes need a restart (above)" : "");
}

/* SIGHUP, on the loop */
void hrac_reload(void)
{
	struct hrac_conf n;
	struct hrac_resolved *nres;
	struct tunnel_conf ntc;
	char err[512];
	int e = 0;

	sdnotify("RELOADING=1");
	memset(&n, 0, sizeof(n));
	nres = calloc(1, sizeof(*nres));
	if (!nres || !rl.ready) {
		snprintf(err, sizeof(err), "%s",
		         nres ? "the start-up configuration was not kept"
		              : "out of memory");
		e = ENOMEM;
	}
	if (!e)
		e = conf_load(hrac_opts, &n, rl.argc, rl.argv, err,
		              sizeof(err));
	if (!e && hrac_conf_check(&n, err, sizeof(err)))
		e = EINVAL;
	/* the secret and credential files, the proxy: read now */
	if (!e && hrac_tunnel_conf(&n, nres, &ntc, err, sizeof(err)))
		e = EINVAL;
	if (e)
		log_error("reload refused, the running configuration stays: %s",
		          err);
	else
		apply(&n, &ntc);

	if (nres) {
		explicit_bzero(nres, sizeof(*nres));
		free(nres);
	}
	conf_free(hrac_opts, &n);
	sdnotify("READY=1");
}
