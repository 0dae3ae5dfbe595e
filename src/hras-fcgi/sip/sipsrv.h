/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
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
 *   sipfwd.c     headers of forwarded messages; ratelimit.c per source
 *
 * Loop thread only, like the whole of sip/: objects are mem_zalloc'd and
 * mem_deref'd.  Below it: the media relay (rat.h), which the proxy tells
 * about every SDP and every call's end, and the tunnel's sessions, which
 * the gateway sends phones' SIP down by session_send().
 */

struct sessions;
struct lan_gw;
struct location;
struct digest;
struct proxy;
struct ratelimit;
struct dialogs;
struct session;
struct frame;
struct rat;
struct store;
struct loc_store;

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

/* The methods counted by name (sip_metrics.c); the rest as "other" */
enum sipsrv_method {
	SIPSRV_INVITE,
	SIPSRV_ACK,
	SIPSRV_BYE,
	SIPSRV_CANCEL,
	SIPSRV_REGISTER,
	SIPSRV_OPTIONS,
	SIPSRV_INFO,
	SIPSRV_UPDATE,
	SIPSRV_PRACK,
	SIPSRV_SUBSCRIBE,
	SIPSRV_NOTIFY,
	SIPSRV_REFER,
	SIPSRV_MESSAGE,
	SIPSRV_PUBLISH,
	SIPSRV_OTHER,
	SIPSRV_METHODS
};

struct sipsrv_stats {
	uint64_t requests, responses, registers, calls;
	uint64_t refused_rate, refused_bad, refused_auth, refused_relay;
	/* messages on the wire, [0] received, [1] sent: requests by
	 * method, responses by class (1xx..6xx) */
	uint64_t by_method[2][SIPSRV_METHODS];
	uint64_t by_class[2][6];
};

/* The SIP service's options (hras-fcgi.8, "SIP") */
struct sipsrv_conf {
	struct conf_list listen; /* --sip: public ADDR:PORT, UDP and TCP */
	struct conf_list domain; /* domains served */
	char *users;             /* user:realm:HA1 lines */
	char *realm;
	char *state;             /* bindings survive restarts here */
	char *outbound;          /* trunk for foreign domains */
	bool auth_inside;        /* inside phones authenticate too */
	bool open_registrar;     /* no --users, on purpose */
	char *digest_algorithms; /* challenged with, preferred first */
	uint32_t expires_default, expires_min, expires_max;
	uint32_t max_contacts; /* per address of record */
	uint32_t max_bindings;
	uint32_t rate_limit, rate_burst; /* requests/s per source */
	uint32_t max_phones;             /* inside phones in the gateway */
	uint32_t timer_c;                /* s */
	uint32_t nonce_ttl;              /* s */
	uint32_t max_transactions;
	uint32_t max_dialogs;
	uint32_t dialog_max; /* s a dialog lives after its last request */
};

struct sipsrv {
	const struct sipsrv_conf *cfg;
	struct sessions *sessions; /* the HRACs' tunnels */
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
	struct dialogs *dialogs;
	struct ratelimit *rl;
	struct rat *rat;        /* the media relay, referenced */
	struct store *store;    /* the shared store; NULL: none */
	struct loc_store *ls;   /* the location shared through it */
	struct hash *lan_addrs; /* HRAC id -> its advertised LAN SIP address */
	uint8_t rr_key[32];
	struct sipsrv_stats st;
};

int sipsrv_alloc(struct sipsrv **sp, const struct sipsrv_conf *cfg,
                 struct sessions *sessions);
void sipsrv_use_relay(struct sipsrv *s, struct rat *rat);
int sipsrv_use_store(struct sipsrv *s, struct store *st);
int sipsrv_node_proof(const struct sipsrv *s, struct mbuf *mb,
                      const struct sip_msg *req);
const struct sa *sipsrv_laddr(const struct sipsrv *s);
const struct sa *sipsrv_laddr_at(const struct sipsrv *s, size_t i);
int sipsrv_listen_add(struct sipsrv *s, const struct sa *addr);
void sipsrv_tunnel_sip(struct sipsrv *s, struct session *ss,
                       const struct frame *f);
void sipsrv_lan_sip(struct sipsrv *s, const char *hrac, const char *addr);
int sipsrv_reload(struct sipsrv *s, char *err, size_t errsz);
int sipsrv_users_check(const char *path, char *err, size_t errsz);
void sipsrv_set_rate(struct sipsrv *s, uint32_t rate, uint32_t burst);
int sipsrv_status(struct odict *o, const struct sipsrv *s);
void sipsrv_metrics_attach(struct sipsrv *s);
void sipsrv_metrics_detach(struct sipsrv *s);
int sipsrv_metrics(struct mbuf *mb, const struct sipsrv *s);

bool sipsrv_domain_ours(const struct sipsrv *s, const struct pl *host);
bool sipsrv_addr_ours(const struct sipsrv *s, const struct uri *uri);
const char *sipsrv_lan_addr(const struct sipsrv *s, const char *hrac);
bool sipsrv_authorize(struct sipsrv *s, const struct sip_msg *msg,
                      const struct origin *o, bool proxy, bool *authed);
int sipsrv_reply(struct sipsrv *s, const struct sip_msg *msg, uint16_t code,
                 const char *reason, const char *extra);
