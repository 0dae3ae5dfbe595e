/**
 * @file hras.h  hras-fcgi: configuration and the process context
 *
 * Threads (see main.c for the hand-off rules):
 *  - the main thread runs libre's loop: timers, the inbox of frames that
 *    came up the tunnel, and (later) SIP and the media relay;
 *  - FastCGI worker threads each serve one HTTP request of the tunnel
 *    (workers.c).  They touch only sessions (own lock), the inbox (own
 *    lock) and read-only configuration.
 */

struct hras_conf {
	bool foreground;
	char *config;
	char *socket; /* unix:PATH or HOST:PORT; NULL: inherited fd 0 */
	uint32_t socket_mode;
	char *hracs; /* identities file */
	int verbose;
	char *pidfile;
	char *base_path;        /* URL path prefix of the endpoints */
	uint32_t keepalive;     /* s between keepalives on an idle stream */
	uint32_t down_max;      /* s a down stream lasts at most */
	uint32_t session_idle;  /* s without a down stream before drop */
	uint32_t poll_hold;     /* s a long poll is held */
	uint32_t max_payload;   /* bytes per frame payload */
	uint32_t frame_timeout; /* s a started frame has to complete */
	uint32_t threads;       /* FastCGI worker threads at most */
	uint32_t max_sessions;
	uint32_t media_max_age; /* ms */
	uint32_t media_queue;   /* bytes of media queued per session */
	uint32_t sip_queue;     /* bytes of signalling awaiting ack */
	uint32_t inbox_bytes;   /* frames waiting for the loop thread */
	bool echo;              /* diagnostic: send frames back */

	/* SIP */
	struct conf_list sip;    /* public ADDR:PORT, UDP and TCP */
	struct conf_list domain; /* domains served */
	char *users;             /* user:realm:HA1 lines */
	char *realm;
	char *state;             /* bindings survive restarts here */
	char *outbound;          /* trunk for foreign domains */
	bool auth_inside;        /* inside phones authenticate too */
	char *digest_algorithms; /* challenged with, preferred first */
	uint32_t expires_default, expires_min, expires_max;
	uint32_t max_contacts; /* per address of record */
	uint32_t max_bindings;
	uint32_t rate_limit, rate_burst; /* requests/s per source */
	uint32_t max_phones;             /* inside phones in the gateway */
	uint32_t timer_c;                /* s */
	uint32_t nonce_ttl;              /* s */
	uint32_t max_transactions;

	/* media relay */
	char *public_ip;        /* put in SDP toward outside phones */
	char *rtp_ports;        /* LO-HI of the relay ports */
	uint32_t media_timeout; /* s without RTP before a call's relay goes */
	struct conf_list status_allow; /* who may read the status endpoint */
	bool help;
	bool version;
};

struct hras {
	struct hras_conf cfg;
	struct hracs *hracs;
	struct nonces *nonces;
	struct sessions *sessions;
	struct inbox *inbox;
	struct workers *workers;
	struct dispatch *dispatch;
	struct sipsrv *sipsrv;
	struct status *status;
	int listen_fd;
};

extern const struct conf_opt hras_opts[];
void hras_conf_defaults(struct hras_conf *cfg);
int hras_conf_check(struct hras_conf *cfg, char *err, size_t errsz);
void hras_chan_limits(const struct hras_conf *cfg, struct chan_limits *lim);
