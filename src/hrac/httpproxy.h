/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file httpproxy.h  Which proxy a URL goes through, as curl users expect
 *
 * --proxy wins; otherwise https_proxy / HTTPS_PROXY for https URLs,
 * http_proxy for http URLs (lower case only, as curl does), all_proxy /
 * ALL_PROXY for both, and no_proxy / NO_PROXY exempts hosts.  hrac
 * resolves this itself so that it can report the path it takes.
 *
 * A URL may carry credentials (http://user:password@proxy:3128): every
 * printer of a URL (log lines, the status, --diagnose) shows it through
 * httpproxy_redact(), and the command line is rewritten in place
 * (httpproxy_hide_arg) so that ps does not show the password either.
 */

int httpproxy_for_url(const char *url, const char *configured, char *out,
                      size_t size);
bool httpproxy_no_proxy_match(const char *no_proxy, const char *host);
void httpproxy_redact(const char *url, char *out, size_t size);
void httpproxy_hide_arg(char *arg, bool user_pass);
bool httpproxy_has_password(const char *url);
