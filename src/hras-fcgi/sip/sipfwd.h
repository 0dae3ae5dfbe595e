/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sipfwd.h  Building the messages a proxy passes on (RFC 3261 §16.6,
 * §16.7): every header kept as received except those the proxy owns
 * (Via, Route, Max-Forwards, Content-Length), the body byte for byte.
 */

struct sip_msg;

enum {
	SIPFWD_MAXFWD_DEFAULT = 70,
	SIPFWD_BODY_MAX = 65536,
};

struct pl;

int sipfwd_body(const struct sip_msg *msg, struct pl *body);
int sipfwd_vias(struct mbuf *mb, const struct sip_msg *msg,
                const struct sa *src);
/* Another node vouches for a request it forwards (sofw(7), "Several
 * nodes"): "<node> <HMAC>" */
#define SIPFWD_NODE_HDR "X-SoFW-Node"

int sipfwd_headers(struct mbuf *mb, const struct sip_msg *msg,
                   uint32_t routes_popped, int maxfwd, const char *own_realm,
                   const struct pl *body);
typedef int(sipfwd_rr_h)(struct mbuf *mb, const struct sip_msg *msg,
                         const struct pl *val, void *arg);
int sipfwd_response(struct mbuf *mb, const struct sip_msg *msg,
                    const char *extra_headers, bool own_challenges,
                    const struct pl *new_body, sipfwd_rr_h *rrh, void *rr_arg);
int sipfwd_maxfwd(const struct sip_msg *msg);
