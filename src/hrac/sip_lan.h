/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sip_lan.h  The phones' side of hrac: SIP over UDP and TCP on the LAN
 *
 * Every datagram (or, on TCP, every message) a phone sends goes into the tunnel
 * as a SIP frame with the phone's address; a SIP frame from the tunnel goes to
 * the address it names, from the same socket.  hrac sends only to phones
 * inside: an address that sent SIP within --seen-ttl, or one in an --allow
 * network or (--allow-local) a network of this host's own interfaces. It parses
 * no SIP.
 */

struct sip_lan;
struct tunnel;
struct frame;

struct hrac_conf;

int sip_lan_alloc(struct sip_lan **lp, const struct hrac_conf *cfg,
                  struct tunnel *t, char *err, size_t errsz);
int sip_lan_set_allow(struct sip_lan *l, const struct hrac_conf *cfg, char *err,
                      size_t errsz);
void sip_lan_announce(struct sip_lan *l);
void sip_lan_free(struct sip_lan *l);
void sip_lan_deliver(struct sip_lan *l, const struct frame *f);
/* What the metrics count of the phones' side */
struct sip_lan_counts {
	uint32_t phones;            /* seen within --seen-ttl */
	uint64_t dropped_strangers; /* SIP from outside --allow */
	uint64_t dropped_full;      /* SIP from a phone over the table */
	uint64_t refused;           /* requests answered 503 by hrac */
};

void sip_lan_counts(const struct sip_lan *l, struct sip_lan_counts *c);
bool sip_lan_is_phone(struct sip_lan *l, const struct sa *dst);
void sip_lan_refuse(struct sip_lan *l, const struct frame *req,
                    const char *reason);
