/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file media_lan.h  The phones' media at hrac: RTP/RTCP port pairs
 *
 * HRAS chooses, from the range hrac announced ("lan-rtp IP LO-HI"), the
 * port pair on --rtp-ip that a call's inside phone sends its media to,
 * and tells hrac with a control frame before the SDP naming it goes
 * out: "media-open PORT", "media-close PORT", "media-reset" (after a
 * reconnect, followed by the ports of the calls still up), and, once
 * HRAS has the inside phone's SDP, "media-peer PORT SIG-IP MEDIA-IP".
 *
 * Phone -> port: an RTP (even port) or RTCP (odd) frame with the phone's
 * address and the port; frame from HRAS -> the phone it names, from the
 * same port.  A port exchanges packets with its call's phone only (the
 * addresses of media-peer); before HRAS knows it, with phones of this
 * LAN only (sip_lan.h), and HRAS takes nothing from a port whose leg has
 * no phone yet.
 */

struct media_lan;
struct sip_lan;
struct tunnel;
struct frame;
struct hrac_conf;

int media_lan_alloc(struct media_lan **mp, const struct hrac_conf *cfg,
                    struct sip_lan *lan, struct tunnel *t, char *err,
                    size_t errsz);
void media_lan_announce(struct media_lan *m);
void media_lan_control(struct media_lan *m, const char *text);
void media_lan_deliver(struct media_lan *m, const struct frame *f);
void media_lan_flush(struct media_lan *m);
void media_lan_drain_held(struct media_lan *m);
void media_lan_hold(struct media_lan *m);
void media_lan_release(struct media_lan *m);
int media_lan_status(struct re_printf *pf, struct media_lan *m);

/* What media_lan_status() reports */
struct media_lan_stats {
	uint32_t ports; /* pairs open */
	uint64_t up_pkts, down_pkts;
	uint64_t drops_stranger, drops_closed;
	/* passes over the ports' sockets: a phone's packet woke the loop,
	 * or the up window's end read what came while it held them */
	uint64_t reads_woken, reads_window;
};

const struct media_lan_stats *media_lan_stats(const struct media_lan *m,
                                              const struct sa **ip,
                                              uint16_t *lo, uint16_t *hi);
