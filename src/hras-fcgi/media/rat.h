/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file rat.h  The Relay Agent Table and the media relay of HRAS
 *
 * One entry (struct rat_entry) per call: its dialog (Call-ID, the
 * caller's From tag, the callee's To tag once known) and the two sides
 * it joins (outside, or the inside of one HRAC's site).  Each m= line of
 * the call is a stream with two legs, one per side; a leg is the party's
 * media address and port as its SDP says (IIP/IPort inside, OIP/OPort
 * outside) and the relay port facing that party: an HRAS port pair on
 * --public-ip for an outside party, an HRAC port pair on the HRAC's
 * --rtp-ip for an inside one.
 *
 * Every SDP the proxy passes between two sides goes through rat_sdp(),
 * which creates or updates the streams and rewrites the SDP so that each
 * party sees its own side's relay.  Calls within one site, or between
 * two outside phones, are not relayed: their media needs no tunnel.
 *
 * Packets: outside party -> HRAS relay port -> (tunnel or outside);
 * tunnel frame (RTP/RTCP, relay port = the HRAC port) -> the other leg.
 * The HRAC opens and closes its ports when told by control frames
 * ("media-open PORT", "media-close PORT", "media-reset"), which travel
 * in order with SIP, so a port is open before the SDP naming it arrives.
 *
 * An entry goes on BYE, on the final failure of its INVITE (CANCEL
 * included), after --media-timeout without a packet either way, and
 * when its session timer (RFC 4028 Session-Expires) runs out.
 *
 * Loop thread only, like the whole of media/: objects are mem_zalloc'd
 * and mem_deref'd; what crosses to the tunnel goes by session_send().
 * rat.c holds the entries and their SDP, relay.c the ports and packets,
 * rat_status.c the JSON report.
 */

struct rat;
struct sessions;
struct session;
struct frame;
struct iface;

/* The relay's options (hras-fcgi.8, "Media relay") */
struct rat_conf {
	char *public_ip;          /* put in SDP toward outside phones */
	char *rtp_ports;          /* LO-HI of the relay ports */
	uint32_t media_timeout;   /* s without RTP before a call's relay goes */
	uint32_t relay_window_us; /* a busy relay's packets wait this long to
	                             be read together; 0: read each at once */
	uint32_t max_pairs; /* relay pairs open at once (not an option: what
	                       the open-files limit allows); 0: all */
};

typedef void(rat_change_h)(void *arg);

int rat_alloc(struct rat **rp, const struct rat_conf *cfg,
              struct sessions *sessions, const struct sa *sip_addr,
              uint64_t unanswered);
int rat_sdp(struct rat *r, const struct sip_msg *msg, const struct pl *body,
            const struct iface *from, const struct iface *to,
            const struct sa *party, struct mbuf *out);
void rat_answered(struct rat *r, const struct sip_msg *resp,
                  const struct iface *callee);
void rat_failed(struct rat *r, const struct sip_msg *req);
void rat_bye(struct rat *r, const struct sip_msg *req);
void rat_from_tunnel(struct rat *r, struct session *ss, const struct frame *f);
void rat_hrac_media(struct rat *r, struct session *ss, const char *arg);
void rat_party_key(char out[QUOTA_KEY_MAX], const struct iface *side,
                   const struct sa *addr);
int rat_status(struct odict *o, struct rat *r, bool details);
int rat_metrics(struct mbuf *mb, const struct rat *r);
void rat_on_change(struct rat *r, rat_change_h *h, void *arg);
int rat_state_write(FILE *f, struct rat *r);
int rat_state_read(struct rat *r, char *const *fld, size_t n, uint64_t age_ms,
                   const struct sa *writer);
uint32_t rat_count(const struct rat *r);
const struct sa *rat_public_ip(const struct rat *r);
