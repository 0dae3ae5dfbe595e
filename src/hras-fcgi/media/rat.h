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
 * Loop thread only.
 */

struct rat;
struct sipsrv;
struct session;
struct frame;
struct iface;

int rat_alloc(struct rat **rp, struct sipsrv *s);
int rat_sdp(struct rat *r, const struct sip_msg *msg, const struct pl *body,
            const struct iface *from, const struct iface *to, struct mbuf *out);
void rat_answered(struct rat *r, const struct sip_msg *resp,
                  const struct iface *callee);
void rat_failed(struct rat *r, const struct sip_msg *req);
void rat_bye(struct rat *r, const struct sip_msg *req);
void rat_from_tunnel(struct rat *r, struct session *ss, const struct frame *f);
void rat_hrac_media(struct rat *r, struct session *ss, const char *arg);
int rat_status(struct rat *r, struct re_printf *pf);
