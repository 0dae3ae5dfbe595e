/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file httpproxy.c  Which proxy a URL goes through
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "httpproxy.h"

static const char *env(const char *a, const char *b)
{
	const char *v = getenv(a);

	if ((!v || !*v) && b)
		v = getenv(b);
	return v && *v ? v : NULL;
}

/* The host part of a URL, without port, brackets or user info */
static void url_host(const char *url, char *host, size_t size)
{
	const char *p = strstr(url, "://"), *end, *at;
	size_t len;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));
	if (at)
		p = at + 1;
	if (*p == '[') {
		p++;
		len = strcspn(p, "]");
	} else {
		len = strcspn(p, ":/?#");
	}
	snprintf(host, size, "%.*s", (int)len, p);
}

/*
 * no_proxy: comma-separated names; "*" matches all; a name matches itself
 * and its subdomains (".example.com" and "example.com" alike)
 */
bool httpproxy_no_proxy_match(const char *no_proxy, const char *host)
{
	size_t hlen = strlen(host);
	const char *p = no_proxy;

	while (p && *p) {
		size_t len;
		const char *e;

		while (*p == ' ' || *p == ',')
			p++;
		len = strcspn(p, ", ");
		e = p;
		if (len == 1 && *e == '*')
			return true;
		if (len && *e == '.') {
			e++;
			len--;
		}
		if (len && len <= hlen &&
		    !strncasecmp(host + hlen - len, e, len) &&
		    (len == hlen || host[hlen - len - 1] == '.'))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

/**
 * The proxy URL for @url into @out ("" when direct)
 *
 * @return 0, or EINVAL for a URL that is neither http nor https
 */
int httpproxy_for_url(const char *url, const char *configured, char *out,
                      size_t size)
{
	const char *p = NULL, *np;
	char host[256];

	out[0] = '\0';
	if (configured) {
		snprintf(out, size, "%s", configured);
		return 0;
	}

	if (!strncasecmp(url, "https://", 8))
		p = env("https_proxy", "HTTPS_PROXY");
	else if (!strncasecmp(url, "http://", 7))
		p = env("http_proxy", NULL);
	else
		return EINVAL;
	if (!p)
		p = env("all_proxy", "ALL_PROXY");
	if (!p)
		return 0;

	url_host(url, host, sizeof(host));
	np = env("no_proxy", "NO_PROXY");
	if (np && httpproxy_no_proxy_match(np, host))
		return 0;

	snprintf(out, size, "%s", p);
	return 0;
}

/*
 * Where the password of @url's userinfo is: [*pw, *end) within @url;
 * false when it has none (no '@' before the path, or no ':' before it)
 */
static bool password_span(const char *url, const char **pw, const char **end)
{
	const char *p = strstr(url, "://"), *host_end, *at, *colon;

	p = p ? p + 3 : url;
	host_end = p + strcspn(p, "/?#");
	/* the last '@' before the path: a password may hold '@' */
	at = NULL;
	for (const char *q = p; q < host_end; q++)
		if (*q == '@')
			at = q;
	if (!at)
		return false;
	colon = memchr(p, ':', (size_t)(at - p));
	if (!colon)
		return false;
	*pw = colon + 1;
	*end = at;
	return true;
}

bool httpproxy_has_password(const char *url)
{
	const char *pw, *end;

	return url && password_span(url, &pw, &end);
}

/**
 * @url as it may be shown: http://user:***@host:port/ (the password, if
 * any, replaced); the one way every printer shows a proxy or server URL
 */
void httpproxy_redact(const char *url, char *out, size_t size)
{
	const char *pw, *end;

	if (!url) {
		snprintf(out, size, "%s", "");
		return;
	}
	if (!password_span(url, &pw, &end)) {
		snprintf(out, size, "%s", url);
		return;
	}
	snprintf(out, size, "%.*s***%s", (int)(pw - url), url, end);
}

/**
 * Hide a password in a command-line argument in place, as ps and
 * /proc/PID/cmdline show it: a URL's (@user_pass false) or the PASS of
 * USER:PASS (@user_pass true) becomes "***", the rest of the argument
 * moved up and its old tail zeroed, so that its length shows nothing
 */
void httpproxy_hide_arg(char *arg, bool user_pass)
{
	const char *cpw, *cend;
	size_t len = strlen(arg), tail;
	char *pw, *end;

	if (user_pass) {
		pw = strchr(arg, ':');
		if (!pw)
			return;
		cpw = pw + 1;
		cend = arg + len;
	} else if (!password_span(arg, &cpw, &cend)) {
		return;
	}
	pw = arg + (cpw - arg);
	end = arg + (cend - arg);
	tail = strlen(end);
	if ((size_t)(end - pw) < 3) {
		/* too short to hold "***": zero it */
		memmove(pw, end, tail + 1);
		memset(pw + tail, 0, (size_t)(end - pw));
		return;
	}
	memcpy(pw, "***", 3);
	memmove(pw + 3, end, tail + 1);
	memset(pw + 3 + tail, 0, (size_t)(end - pw) - 3);
}
