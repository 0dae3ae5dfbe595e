/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file conf_files.c  hrac: everything in the configuration that can be
 * checked without binding, before daemonizing (and for -t)
 *
 * What is found here is a configuration error (exit 2) on the terminal;
 * start-up is left only with what binding can tell (a port in use).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "cidr.h"
#include "secret.h"
#include "tunnel.h"
#include "daemon.h"
#include "privdrop.h"
#include "hrac.h"

static int check_lan(const struct hrac_conf *cfg, char *err, size_t errsz)
{
	unsigned lo, hi;
	struct sa sa;
	char c;

	if (sa_decode(&sa, cfg->sip, strlen(cfg->sip))) {
		snprintf(err, errsz,
		         "--sip takes ADDR:PORT, e.g. 0.0.0.0:5060 or "
		         "192.168.1.2:5060, not '%s'",
		         cfg->sip);
		return EINVAL;
	}
	if (cfg->sip_advertise &&
	    sa_decode(&sa, cfg->sip_advertise, strlen(cfg->sip_advertise))) {
		snprintf(err, errsz,
		         "--sip-advertise takes ADDR:PORT, not '%s'",
		         cfg->sip_advertise);
		return EINVAL;
	}
	for (size_t i = 0; i < cfg->allow.n; i++) {
		struct cidr n;

		if (cidr_parse(&n, cfg->allow.v[i])) {
			snprintf(err, errsz,
			         "--allow takes a network like 10.0.0.0/8, "
			         "not '%s'",
			         cfg->allow.v[i]);
			return EINVAL;
		}
	}
	if (sscanf(cfg->rtp_ports, "%u-%u%c", &lo, &hi, &c) != 2 || lo < 1024 ||
	    hi > 65535 || lo + 1 > hi) {
		snprintf(err, errsz,
		         "--rtp-ports takes LO-HI within 1024-65535 holding "
		         "at least one even/odd pair, e.g. 20000-29999, not "
		         "'%s'",
		         cfg->rtp_ports);
		return EINVAL;
	}
	if (cfg->rtp_ip && sa_set_str(&sa, cfg->rtp_ip, 0)) {
		snprintf(err, errsz,
		         "--rtp-ip takes an IPv4 or IPv6 address, not '%s'",
		         cfg->rtp_ip);
		return EINVAL;
	}
	return 0;
}

/* [SCHEME://][USER:PASS@]HOST[:PORT][/], as libcurl takes a proxy */
static bool proxy_url_ok(const char *url)
{
	static const char *const schemes[] = { "http",    "https",  "socks4",
		                               "socks4a", "socks5", "socks5h" };
	const char *p = strstr(url, "://"), *host, *end, *at;
	bool known = !p;
	char *pe;
	unsigned long port;

	for (size_t i = 0; p && i < sizeof(schemes) / sizeof(*schemes); i++)
		known |= (size_t)(p - url) == strlen(schemes[i]) &&
		         !strncasecmp(url, schemes[i], (size_t)(p - url));
	if (!known)
		return false;
	host = p ? p + 3 : url;
	end = host + strcspn(host, "/");
	if (*end && strcmp(end, "/"))
		return false;
	at = memchr(host, '@', (size_t)(end - host));
	if (at)
		host = at + 1;
	if (*host == '[') {
		const char *rb = memchr(host, ']', (size_t)(end - host));

		if (!rb || rb == host + 1)
			return false;
		p = rb + 1;
	} else {
		const char *q = host;

		/* labels of letters, digits, '-', '_', none empty */
		while (q < end && *q != ':') {
			size_t n = strspn(q, "abcdefghijklmnopqrstuvwxyz"
			                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			                     "0123456789-_");

			if (!n)
				return false;
			q += n;
			if (*q == '.' && q + 1 < end && q[1] != ':')
				q++;
			else if (q < end && *q != ':')
				return false;
		}
		p = q;
	}
	if (p == end)
		return true;
	if (*p != ':')
		return false;
	port = strtoul(p + 1, &pe, 10);
	return pe == end && pe > p + 1 && port >= 1 && port <= 65535;
}

/* The proxy named by --proxy or the environment, without its password */
static int check_proxy(const struct hrac_conf *cfg,
                       const struct hrac_resolved *r, char *err, size_t errsz)
{
	const char *url = r->proxy, *at, *sl;

	if (!url[0] || proxy_url_ok(url))
		return 0;
	at = strchr(url, '@');
	sl = strstr(url, "://");
	snprintf(err, errsz,
	         "%s: '%.*s%s%s' is not a proxy URL; write "
	         "http://HOST:PORT (or https://, socks5://)",
	         cfg->proxy ? "--proxy"
	                    : "the proxy from https_proxy/http_proxy/"
	                      "all_proxy",
	         at ? (int)(sl && sl < at ? sl + 3 - url : 0)
	            : (int)strlen(url),
	         url, at ? "***" : "", at ? at : "");
	return EINVAL;
}

/**
 * Check the values and files only start-up used to look at: --sip,
 * --allow, --rtp-ports, --rtp-ip, the proxy URL, the status and pid
 * files' directories, --user/--group (the secret files are read by
 * hrac_tunnel_conf() before this)
 *
 * @return 0, or an errno with one line in @err
 */
int hrac_conf_files(const struct hrac_conf *cfg, const struct hrac_resolved *r,
                    char *err, size_t errsz)
{
	struct privdrop pd;
	int e;

	e = check_lan(cfg, err, errsz);
	e = e ? e : check_proxy(cfg, r, err, errsz);
	e = e ? e
	      : daemon_dir_check("--status-file", cfg->status_file,
	                         "RuntimeDirectory", err, errsz);
	e = e ? e
	      : daemon_dir_check("--pidfile", cfg->pidfile, "RuntimeDirectory",
	                         err, errsz);
	e = e ? e : privdrop_lookup(&pd, cfg->user, cfg->group, err, errsz);
	return e;
}
