/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file hrac_conf.c  hrac options: the one table, defaults, checks
 *
 * Option names are a contract with deployers' scripts: add, never rename.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <curl/curl.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "secret.h"
#include "tunnel.h"
#include "httpproxy.h"
#include "hrac.h"
#include "coalesce.h"
#include "log.h"

#define OPT(...) CONF_OPT(hrac_conf, __VA_ARGS__)

const struct conf_opt hrac_opts[] = {
	OPT("foreground", 'f', CONF_BOOL, foreground, 0, 0, NULL, NULL,
	    "stay in the foreground and log to stderr"),
	OPT("config", 'c', CONF_STR, config, 0, 0, "FILE", NULL,
	    "read options from FILE (see hrac.conf(5))"),
	OPT("server", 0, CONF_STR, server, 0, 0, "URL", NULL,
	    "HRAS tunnel URL, e.g. https://hras.example.com/sofw/"),
	OPT("proxy", 0, CONF_STR, proxy, 0, 0, "URL", NULL,
	    "HTTP proxy (default: https_proxy/http_proxy, no_proxy)"),
	OPT("proxy-user", 0, CONF_STR, proxy_user, 0, 0, "USER:PASS", NULL,
	    "proxy credentials (Basic, Digest or NTLM)"),
	OPT("proxy-user-file", 0, CONF_STR, proxy_user_file, 0, 0, "FILE", NULL,
	    "file holding the proxy credentials USER:PASS (mode 0600)"),
	OPT("proxy-auth", 0, CONF_STR, proxy_auth, 0, 0, "SCHEME", "any",
	    "any (learn it), basic, digest or ntlm"),
	OPT("proxy-tunnel", 0, CONF_BOOL, proxy_tunnel, 0, 0, NULL, NULL,
	    "use CONNECT through the proxy for http:// URLs too"),
	OPT("cacert", 0, CONF_STR, cacert, 0, 0, "FILE", NULL,
	    "CA certificate(s) to verify HRAS with"),
	OPT("insecure", 0, CONF_BOOL, insecure, 0, 0, NULL, NULL,
	    "do not verify HRAS's TLS certificate (tests only)"),
	OPT("http-version", 0, CONF_STR, http_version, 0, 0, "VERSION", "1.1",
	    "HTTP over TLS: 1.1, or 2 where HRAS offers it (ALPN)"),
	OPT("id", 0, CONF_STR, id, 0, 0, "NAME", NULL,
	    "this HRAC's identity at HRAS"),
	OPT("secret-file", 0, CONF_STR, secret_file, 0, 0, "FILE", NULL,
	    "file holding this HRAC's secret (mode 0600)"),
	OPT("takeover", 0, CONF_BOOL, takeover, 0, 0, NULL, NULL,
	    "replace the session another hrac holds for this identity"),
	OPT("diagnose", 0, CONF_BOOL, diagnose, 0, 0, NULL, NULL,
	    "test the path to HRAS once, report, exit"),
	OPT("pings", 0, CONF_U32, pings, 1, 10000, "N", "20",
	    "round trips measured by --diagnose"),
	OPT("verbose", 'v', CONF_COUNT, verbose, 0, 9, NULL, NULL,
	    "more logging (repeat for more)"),
	OPT("log-facility", 0, CONF_STR, log_facility, 0, 0, "NAME", "daemon",
	    "syslog facility, e.g. local3"),
	OPT("pidfile", 0, CONF_STR, pidfile, 0, 0, "FILE", NULL,
	    "write the process id to FILE"),
	OPT("sip", 0, CONF_STR, sip, 0, 0, "ADDR:PORT", "0.0.0.0:5060",
	    "where phones send SIP"),
	OPT("sip-advertise", 0, CONF_STR, sip_advertise, 0, 0, "ADDR:PORT",
	    NULL, "this site's SIP address as phones see it (default: --sip)"),
	OPT("allow", 0, CONF_LIST, allow, 0, 0, "CIDR", NULL,
	    "also send to phones in this network (repeatable)"),
	OPT("allow-local", 0, CONF_BOOL, allow_local, 0, 0, NULL, "yes",
	    "also phones on this host's own networks"),
	OPT("seen-ttl", 0, CONF_U32, seen_ttl, 10, 86400, "SECONDS", "3600",
	    "how long a phone that sent SIP may be sent to"),
	OPT("sip-tcp-max", 0, CONF_U32, sip_tcp_max, 1, 65536, "N", "1024",
	    "phones' SIP over TCP connections at most"),
	OPT("rtp-ip", 0, CONF_STR, rtp_ip, 0, 0, "ADDR", NULL,
	    "where phones send media (default: the --sip address)"),
	OPT("rtp-ports", 0, CONF_STR, rtp_ports, 0, 0, "LO-HI", "20000-29999",
	    "media ports, in RTP/RTCP pairs"),
	OPT("status-file", 0, CONF_STR, status_file, 0, 0, "FILE", NULL,
	    "write the state here every 5 s and on SIGUSR1"),
	OPT("status", 0, CONF_BOOL, status, 0, 0, NULL, NULL,
	    "print the state of the running hrac (from --status-file); exit "
	    "1 if its tunnel is down or it is not running"),
	OPT("json", 0, CONF_BOOL, json, 0, 0, NULL, NULL,
	    "with --status: print one JSON object"),
	OPT("metrics-file", 0, CONF_STR, metrics_file, 0, 0, "FILE", NULL,
	    "write Prometheus metrics here every 5 s and when the tunnel "
	    "opens or fails (node_exporter's textfile collector)"),
	OPT("down-mode", 0, CONF_STR, down_mode, 0, 0, "MODE", "auto",
	    "auto, stream or poll"),
	OPT("up-mode", 0, CONF_STR, up_mode, 0, 0, "MODE", "auto",
	    "auto, stream or batch"),
	OPT("media-max-age", 0, CONF_U32, media_max_age, 1, 10000, "MS", "60",
	    "drop media queued longer than this"),
	OPT("sip-queue", 0, CONF_U32, sip_queue, 65536, 1 << 28, "BYTES",
	    "4194304", "signalling awaiting ack at most"),
	OPT("media-queue", 0, CONF_U32, media_queue, 65536, 1 << 28, "BYTES",
	    "1048576", "media waiting to be sent at most"),
	OPT("coalesce-us", 0, CONF_U32, coalesce_us, 0, COALESCE_MAX_US, "US",
	    "0",
	    "while the link is busy, frames also wait up to US microseconds "
	    "after the last write up the tunnel to share the next (0: only "
	    "those read in one loop iteration share one)"),
	OPT("probe-ms", 0, CONF_U32, probe_ms, 100, 60000, "MS", "2000",
	    "wait this long for a stream's probe"),
	OPT("reprobe", 0, CONF_U32, reprobe, 0, 86400, "S", "300",
	    "after a fallback, try streaming again every S s when idle (0: "
	    "never)"),
	OPT("user", 0, CONF_STR, user, 0, 0, "USER", NULL,
	    "run as USER once the phones' ports are bound"),
	OPT("group", 0, CONF_STR, group, 0, 0, "GROUP", NULL,
	    "run as GROUP (default: the user's own group)"),
	OPT("test-config", 't', CONF_BOOL, test_config, 0, 0, NULL, NULL,
	    "check the configuration and its files, then exit"),
	OPT("help", 'h', CONF_BOOL, help, 0, 0, NULL, NULL, "this text"),
	OPT("version", 'V', CONF_BOOL, version, 0, 0, NULL, NULL,
	    "print the version"),
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL },
};
_Static_assert(ARRAY_SIZE(hrac_opts) <= CONF_OPTS_MAX,
               "conf_load_file checks options set twice up to CONF_OPTS_MAX");

static int mode_pref(const char *s, const char *fallback, enum tunnel_pref *p)
{
	if (!s || !strcmp(s, "auto"))
		*p = TUNNEL_AUTO;
	else if (!strcmp(s, "stream"))
		*p = TUNNEL_STREAM;
	else if (!strcmp(s, fallback))
		*p = TUNNEL_FALLBACK;
	else
		return 1;
	return 0;
}

/* HTTP/2 is offered only when asked for: through a proxy, both
 * directions on one connection cost more than HTTP/1.1's two at every
 * hop (sofw(7), CAPACITY) */
static int http_version(const char *s, bool *http2)
{
	if (!s || !strcmp(s, "1.1"))
		*http2 = false;
	else if (!strcmp(s, "2"))
		*http2 = true;
	else
		return 1;
	return 0;
}

static int auth_scheme(const char *s, long *a)
{
	if (!s || !strcasecmp(s, "any"))
		*a = 0;
	else if (!strcasecmp(s, "basic"))
		*a = CURLAUTH_BASIC;
	else if (!strcasecmp(s, "digest"))
		*a = CURLAUTH_DIGEST;
	else if (!strcasecmp(s, "ntlm"))
		*a = CURLAUTH_NTLM;
	else
		return 1;
	return 0;
}

/* A line of the config file that holds a password: proxy-user, or a
 * proxy or server URL with one (http://user:password@host) */
static bool line_holds_password(const char *line)
{
	static const char *const keys[] = { "proxy-user", "proxy", "server" };
	const char *p = line + strspn(line, " \t");

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		size_t n = strlen(keys[i]);

		if (strncmp(p, keys[i], n) ||
		    (p[n] != ' ' && p[n] != '\t' && p[n] != '='))
			continue;
		if (i == 0)
			return true;
		p += n + strspn(p + n, " \t=");
		return httpproxy_has_password(p);
	}
	return false;
}

/*
 * A proxy password in a configuration file others can read is refused,
 * as the secret file would be: the file is where an administrator looks
 * last when the proxy account is abused
 */
static int proxy_password_kept(const struct hrac_conf *cfg, char *err,
                               size_t errsz)
{
	struct stat st;
	FILE *f;
	char line[1100];
	bool holds = false;

	if (!cfg->config || stat(cfg->config, &st) || !(st.st_mode & 077))
		return 0;
	/* given in the file, not only on the command line */
	f = fopen(cfg->config, "re");
	while (f && !holds && fgets(line, sizeof(line), f))
		holds = line_holds_password(line);
	if (f)
		fclose(f);
	if (!holds)
		return 0;
	snprintf(err, errsz,
	         "%s holds a proxy password (proxy-user, or a URL with "
	         "user:password@) and others can read it (mode %03o): chmod "
	         "600 %s, or put USER:PASS in a file of mode 0600 named by "
	         "proxy-user-file",
	         cfg->config, (unsigned)(st.st_mode & 0777), cfg->config);
	return 1;
}

int hrac_conf_check(struct hrac_conf *cfg, char *err, size_t errsz)
{
	enum tunnel_pref p;
	long a;
	bool h2;

	if (log_facility_check(cfg->log_facility, err, errsz))
		return 1;
	if (!cfg->server) {
		snprintf(err, errsz, "no HRAS: give --server URL");
		return 1;
	}
	if (strncasecmp(cfg->server, "http://", 7) &&
	    strncasecmp(cfg->server, "https://", 8)) {
		char shown[512];

		httpproxy_redact(cfg->server, shown, sizeof(shown));
		snprintf(err, errsz,
		         "--server takes an http:// or https:// "
		         "URL, not '%s'",
		         shown);
		return 1;
	}
	if (!cfg->id || !cfg->secret_file) {
		snprintf(err, errsz,
		         "no identity: give --id NAME and "
		         "--secret-file FILE");
		return 1;
	}
	if (mode_pref(cfg->down_mode, "poll", &p)) {
		snprintf(err, errsz, "--down-mode is auto, stream or poll");
		return 1;
	}
	if (mode_pref(cfg->up_mode, "batch", &p)) {
		snprintf(err, errsz, "--up-mode is auto, stream or batch");
		return 1;
	}
	if (http_version(cfg->http_version, &h2)) {
		snprintf(err, errsz, "--http-version is 1.1 or 2");
		return 1;
	}
	if (auth_scheme(cfg->proxy_auth, &a)) {
		snprintf(err, errsz,
		         "--proxy-auth is any, basic, digest or ntlm");
		return 1;
	}
	if (cfg->proxy_user && !strchr(cfg->proxy_user, ':')) {
		snprintf(err, errsz, "--proxy-user takes USER:PASS");
		return 1;
	}
	if (cfg->proxy_user && cfg->proxy_user_file) {
		snprintf(err, errsz,
		         "give --proxy-user or --proxy-user-file, not both");
		return 1;
	}
	return proxy_password_kept(cfg, err, errsz);
}

/* A private file's first line; a failure names the option, then the
 * file and why */
static int read_named(const char *opt, const char *path, char *buf, size_t size,
                      char *err, size_t errsz)
{
	char why[512];

	if (!secret_file_read(path, buf, size, why, sizeof(why)))
		return 0;
	snprintf(err, errsz, "%s %s", opt, why);
	return 1;
}

/**
 * The tunnel's configuration: reads the secret, resolves the proxy (from
 * the environment too) and the server URL into @r, which @tc points into
 */
int hrac_tunnel_conf(const struct hrac_conf *cfg, struct hrac_resolved *r,
                     struct tunnel_conf *tc, char *err, size_t errsz)
{
	size_t n;

	if (read_named("--secret-file", cfg->secret_file, r->secret,
	               sizeof(r->secret), err, errsz))
		return 1;
	/* HMAC keys: a short one can be guessed offline from one captured
	 * open (sofw-security(7)) */
	if (strlen(r->secret) < SECRET_MIN_ADVISED)
		log_warn("%s: the secret is %zu bytes: give it at least %d "
		         "random ones (e.g. head -c 18 /dev/urandom | base64)",
		         cfg->secret_file, strlen(r->secret),
		         SECRET_MIN_ADVISED);

	n = strlen(cfg->server);
	snprintf(r->server, sizeof(r->server), "%s%s", cfg->server,
	         n && cfg->server[n - 1] == '/' ? "" : "/");
	if (httpproxy_for_url(r->server, cfg->proxy, r->proxy,
	                      sizeof(r->proxy))) {
		char shown[sizeof(r->server)];

		httpproxy_redact(r->server, shown, sizeof(shown));
		snprintf(err, errsz, "cannot use server URL %s", shown);
		return 1;
	}

	memset(tc, 0, sizeof(*tc));
	tc->server = r->server;
	tc->proxy = r->proxy;
	tc->proxy_user = cfg->proxy_user;
	if (cfg->proxy_user_file) {
		if (read_named("--proxy-user-file", cfg->proxy_user_file,
		               r->proxy_user, sizeof(r->proxy_user), err,
		               errsz))
			return 1;
		if (!strchr(r->proxy_user, ':')) {
			snprintf(err, errsz, "%s: not USER:PASS",
			         cfg->proxy_user_file);
			return 1;
		}
		tc->proxy_user = r->proxy_user;
	}
	auth_scheme(cfg->proxy_auth, &tc->proxy_auth);
	tc->proxy_tunnel = cfg->proxy_tunnel;
	tc->takeover = cfg->takeover;
	tc->cacert = cfg->cacert;
	tc->insecure = cfg->insecure;
	http_version(cfg->http_version, &tc->http2);
	tc->id = cfg->id;
	tc->secret = r->secret;
	mode_pref(cfg->down_mode, "poll", &tc->down_pref);
	mode_pref(cfg->up_mode, "batch", &tc->up_pref);
	tc->probe_ms = cfg->probe_ms;
	tc->coalesce_us = cfg->coalesce_us;
	tc->reprobe_s = cfg->reprobe;
	tc->backoff_max_ms = 30000;

	tc->lim.rel_max_bytes = cfg->sip_queue;
	tc->lim.rel_max_frames = 16384;
	tc->lim.media_max_bytes = cfg->media_queue;
	tc->lim.media_max_age = (uint64_t)cfg->media_max_age * 1000;
	tc->lim.rto = 1000000;
	tc->lim.max_payload = FRAME_MAX_PAYLOAD;
	return 0;
}
