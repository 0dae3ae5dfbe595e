/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file route.h  Where a SIP message comes from and where it goes
 *
 * Record-Route (RFC 3261 §16.6, RFC 5658): HRAS records the route of
 * every dialog it proxies, with one entry per interface the request
 * crossed: the outside address, or the HRAC's LAN address of a site.
 * Each entry carries a token, sofw=..., binding the interface to the
 * dialog's Call-ID under a key of the server's; a Route that names us
 * without a valid token is not ours, so no one can use HRAS to relay
 * in-dialog requests it never recorded.  A site's entry is seen in clear
 * by that site's phones only; other parties see it hidden (route.c).
 */

struct sipsrv;
struct sip_msg;

/* The Route values at the top of a request that are ours */
struct route_pre {
	uint32_t popped; /* how many to drop */
	bool have_last;
	struct iface last; /* the interface the last of them faces */
};

void route_origin(struct sipsrv *s, const struct sip_msg *msg,
                  struct origin *o);
void route_party(struct sipsrv *s, const struct sip_msg *msg, struct sa *party);
const char *route_origin_str(const struct origin *o, char *buf, size_t size);
void route_iface_of_origin(const struct origin *o, struct iface *i);
int route_preprocess(struct sipsrv *s, const struct sip_msg *msg,
                     struct route_pre *rp);
int route_rr_print(struct sipsrv *s, struct mbuf *mb, const struct iface *out,
                   const struct iface *in, const struct pl *callid,
                   const struct pl *tag);
int route_rr_rewrite(struct sipsrv *s, struct mbuf *mb,
                     const struct sip_msg *resp, const struct pl *val,
                     const struct iface *to);
