/**
 * @file sipsrv.h  The SIP service of HRAS: one server, two interfaces
 *
 * HRAC and HRAS act as one SIP server: the outside interface is HRAS's
 * public address, the inside interface of each site is its HRAC's LAN
 * address.  Inside phones reach libre's SIP stack through the tunnel
 * gateway (lan_gw.h); everything else is plain libre.
 *
 *   sipsrv.c     stack, transports, dispatch of every request
 *   route.c      where a message comes from and goes; Record-Route
 *   registrar.c  REGISTER (RFC 3261 §10.3)
 *   proxy.c      stateful forwarding, forking, best response (§16)
 *   location.c   bindings; digest.c authentication; lan_gw.c gateway
 *
 * Loop thread only.
 */

struct hras;
struct lan_gw;
struct location;
struct digest;
struct proxy;
struct ratelimit;
struct session;
struct frame;
struct rat;

enum {
	SIPSRV_LADDR_MAX = 8,
	SIPSRV_DOMAIN_MAX = 64,
	SIPSRV_URI_MAX = 512,
};

/* Where a message entered: an HRAC (through the gateway) or outside */
struct origin {
	bool inside;
	char hrac[HRACS_ID_MAX + 1]; /* inside */
	struct sa addr;              /* inside: the phone as its HRAC sees
	                                it; outside: the source */
	bool tcp;                    /* inside: the phone uses TCP */
	enum sip_transp tp;          /* outside: the transport */
};

/* A side of the server: outside, or the inside of one HRAC's site */
struct iface {
	bool inside;
	char hrac[HRACS_ID_MAX + 1];
	bool tcp; /* the party on this side uses TCP */
	int af;   /* outside: the party's address family (0: not known) */
};

struct sipsrv_stats {
	uint64_t requests, responses, registers, calls;
	uint64_t refused_rate, refused_bad, refused_auth, refused_relay;
};

struct sipsrv {
	struct hras *h;
	struct sip *sip;
	struct dnsc *dnsc;
	struct sip_lsnr *lsnr_req, *lsnr_resp;
	struct sa laddr[SIPSRV_LADDR_MAX]; /* public SIP addresses */
	size_t nladdr;
	char domains[SIPSRV_DOMAIN_MAX][256];
	size_t ndomains;
	struct lan_gw *gw;
	struct location *loc;
	struct digest *digest; /* NULL: no --users, no authentication */
	struct proxy *px;
	struct ratelimit *rl;
	struct rat *rat;        /* the media relay */
	struct hash *lan_addrs; /* HRAC id -> its advertised LAN SIP address */
	uint8_t rr_key[32];
	struct sipsrv_stats st;
};

int sipsrv_alloc(struct sipsrv **sp, struct hras *h);
void sipsrv_tunnel_sip(struct sipsrv *s, struct session *ss,
                       const struct frame *f);
void sipsrv_control(struct sipsrv *s, struct session *ss,
                    const struct frame *f);
void sipsrv_tunnel_media(struct sipsrv *s, struct session *ss,
                         const struct frame *f);
int sipsrv_reload(struct sipsrv *s, char *err, size_t errsz);

bool sipsrv_domain_ours(const struct sipsrv *s, const struct pl *host);
bool sipsrv_addr_ours(const struct sipsrv *s, const struct uri *uri);
const char *sipsrv_lan_addr(const struct sipsrv *s, const char *hrac);
int sipsrv_reply(struct sipsrv *s, const struct sip_msg *msg, uint16_t code,
                 const char *reason, const char *extra);
