/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file httpproxy.h  Which proxy a URL goes through, as curl users expect
 *
 * --proxy wins; otherwise https_proxy / HTTPS_PROXY for https URLs,
 * http_proxy for http URLs (lower case only, as curl does), all_proxy /
 * ALL_PROXY for both, and no_proxy / NO_PROXY exempts hosts.  hrac
 * resolves this itself so that it can report the path it takes.
 */

int httpproxy_for_url(const char *url, const char *configured, char *out,
                      size_t size);
bool httpproxy_no_proxy_match(const char *no_proxy, const char *host);
