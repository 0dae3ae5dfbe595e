/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file lan_gw.h  The tunnel gateway: inside phones as SIP peers of libre
 *
 * libre's SIP stack speaks to sockets, and inside phones sit behind a
 * tunnel.  The gateway gives each inside phone (HRAC identity, address
 * as the HRAC sees it, UDP or TCP) a loopback UDP socket of its own: what
 * the phone sends through the tunnel is sent from that socket to the SIP
 * transport, and what the SIP stack sends to that socket goes down the
 * tunnel to the phone.  The transaction layer, rport and Via routing then
 * work unchanged, and two HRACs whose phones share private addresses
 * never meet: their sockets differ.
 *
 * Loop thread only.  The table is bounded; the least recently used peer
 * makes room.
 */

struct frame;
struct session;
struct sessions;

struct lan_peer {
	struct le he_key;  /* by (HRAC, address, transport) */
	struct le he_port; /* by local port */
	struct lan_gw *gw;
	char hrac[HRACS_ID_MAX + 1];
	struct sa addr; /* the phone, as its HRAC sees it */
	bool tcp;       /* the phone uses TCP to its HRAC */
	struct udp_sock *us;
	struct sa laddr; /* the loopback address standing in for it */
	uint64_t last;   /* ms: last traffic either way */
};

struct lan_gw;

int lan_gw_alloc(struct lan_gw **gwp, struct sessions *ss,
                 const struct sa *sip_laddr, uint32_t max);
void lan_gw_from_tunnel(struct lan_gw *gw, struct session *s,
                        const struct frame *f);
int lan_gw_peer(struct lan_gw *gw, const char *hrac, const struct sa *addr,
                bool tcp, struct lan_peer **pp);
struct lan_peer *lan_gw_lookup(struct lan_gw *gw, const struct sa *src);
