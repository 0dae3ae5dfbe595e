/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file tunnel_priv.h  Internals shared by the tunnel's files
 *
 * tunnel.c       lifecycle: open, reconnect and backoff, send, receive
 * tunnel_open.c  the open handshake (challenge, proof, parameters)
 * tunnel_down.c  the down GET: streaming or long polls, probe, rotation
 * tunnel_up.c    the up POST: streaming or batches, probe, keepalives
 * tunnel_stall.c a path gone silent: ping, then fresh requests beside
 * tunnel_xfer.c  one HTTP request: curl options, proxy, TLS, errors
 */

enum xfer_kind {
	X_OPEN,
	X_DOWN,
	X_POLL,
	X_UP,
	X_BATCH,
	X_CLOSE,
};

enum {
	XFER_BODY_MAX = 4096, /* bodies kept: open params, error text */
	TUNNEL_BUF_MIN = 65536,
};

/* One kind of request failing in a row: when to try it again */
struct retry {
	unsigned fails;
	uint64_t since; /* us, the first failure of the run */
};

/* One HTTP request of the tunnel */
struct xfer {
	struct curl_job job;
	struct tunnel *t;
	enum xfer_kind kind;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	long status; /* once the headers are in */
	bool headers_done;
	char sofw_error[32]; /* X-SoFW-Error */
	char server[32];     /* Server: who wrote an error page */
	char nonce[80];      /* WWW-Authenticate: SoFW nonce */
	bool stale;
	bool proved; /* open: carried an Authorization proof */
	char body[XFER_BODY_MAX + 1];
	size_t body_len;
	uint64_t started; /* us */
	uint64_t last_rx; /* us, last body bytes */
	uint64_t hdr_at;  /* us, when the final headers arrived */
	bool got_frame;
	bool retiring; /* superseded, let it end */
	int rx_err;    /* frame decode error on the down stream */
	struct frame_reader fr;
	/* up streaming */
	bool paused;
	bool draining; /* end the body at the next read */
	uint8_t *out;
	size_t out_len, out_off;
};

struct tunnel {
	struct tunnel_conf conf;
	struct curl_loop *cl;
	tunnel_frame_h *frameh;
	tunnel_event_h *eventh;
	tunnel_batch_end_h *batch_endh; /* after the frames of one read */
	struct tunnel_source src;       /* the up stream's media */
	bool src_held;                  /* src is not read till a window
	                                   ends */
	void *arg;
	struct coalesce *co; /* the up stream's wait for a shared write */

	struct chan chan;
	struct tunnel_params p;
	struct tunnel_stats st;
	bool open; /* a session token is held */
	bool stopped;
	long proxy_auth; /* learnt from the first 407, or configured */
	char path[160];
	char server_shown[1024]; /* conf.server, its password hidden */
	char tls_peer[256];
	const char *http; /* the HTTP of the last open: "HTTP/1.1", ... */

	struct xfer *open_x, *down_x, *down_old, *up_x, *up_old, *batch_x;
	struct xfer *close_x;
	uint8_t *batch_buf;
	size_t buf_size;

	/* modes, and why they were chosen */
	bool down_poll, up_batch;
	char down_why[200], up_why[200]; /* why a fallback is in use */
	bool down_verified, up_verified;
	uint32_t probe_seq;   /* of the last probe PING */
	uint32_t probe_first; /* the current probe's first PING */
	bool probe_pinged;    /* its first PING is queued */

	struct retry r_open, r_down, r_up; /* failures in a row */
	struct tmr tmr_open, tmr_down, tmr_down_retry, tmr_rotate_down;
	struct tmr tmr_up_retry, tmr_rotate_up, tmr_up_probe, tmr_ka;
	struct tmr tmr_rto, tmr_kick, tmr_reprobe, tmr_stall;
	uint64_t data_frames; /* frames other than keepalives, either way */
	uint64_t data_seen;   /* data_frames when reprobe last looked */
	uint64_t last_up_tx;  /* us, last bytes handed to curl upward */
	uint64_t last_rx;     /* us, last bytes of any down response */
	uint64_t stall_ping;  /* us, the liveness PING out (0: none) */
	uint64_t stall_since; /* us, the silence judged a stall (0: not) */
	uint64_t stall_next;  /* us, the next fresh try while stalled */
	unsigned stall_tries; /* fresh tries in this stall */
	uint64_t probe_sent;  /* us, the up probe began */
	uint64_t probe_clock; /* us, its verdict's clock (from down_verified) */
	unsigned lost;        /* sessions lost in a row */
	uint64_t open_started; /* us, the open's first request */
	uint64_t open_took;    /* us, challenge to session: the path's pace */
	bool ka_due;
	char last_error[256];

	/* the session's request proofs (sofw-tunnel(7)) */
	char instance[17];    /* this process, to HRAS */
	char open_nonce[129]; /* the nonce the session's open answered */
	char key[SECRET_PROOF_HEX + 1];
	uint64_t req_n;   /* the last request number used */
	bool ever_opened; /* a session was had since the start */
	uint64_t started; /* us, tunnel_start() */
};

/* tunnel.c */
void tunnel_event(struct tunnel *t, enum tunnel_event ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tunnel_lost_session(struct tunnel *t, const char *why);
void tunnel_rx(struct tunnel *t, const struct frame *f);
void tunnel_session_opened(struct tunnel *t);
bool tunnel_failed(struct tunnel *t, const char *what, const char *why);
uint32_t tunnel_backoff(const struct tunnel *t, unsigned fails);
uint32_t tunnel_retry_in(const struct tunnel *t, struct retry *r,
                         uint64_t started, bool transient);
void tunnel_proven(struct tunnel *t, struct retry *r);
void tunnel_rto_arm(struct tunnel *t);
void tunnel_reprobe_arm(struct tunnel *t);

/* tunnel_open.c */
void tunnel_open_start(struct tunnel *t, const char *nonce);
void tunnel_open_later(struct tunnel *t, uint32_t ms);

/* tunnel_stall.c */
enum stall_act {
	STALL_NONE,  /* the path moves, or there is nothing to watch */
	STALL_PING,  /* silent: send a PING, its PONG proves the path */
	STALL_FRESH, /* no PONG: fresh requests beside the stalled ones */
};
enum stall_act tunnel_stall_check(struct tunnel *t, uint64_t now);
void tunnel_stall_start(struct tunnel *t);
bool tunnel_stall_pong(const struct frame *f);

/* tunnel_down.c */
void tunnel_down_start(struct tunnel *t);
void tunnel_down_renew(struct tunnel *t);
void tunnel_down_stop(struct tunnel *t);
void tunnel_down_use_poll(struct tunnel *t, const char *why);
void tunnel_down_use_stream(struct tunnel *t);

/* tunnel_up.c */
void tunnel_up_start(struct tunnel *t);
void tunnel_up_renew(struct tunnel *t);
void tunnel_up_stop(struct tunnel *t);
void tunnel_up_kick(struct tunnel *t);
void tunnel_up_wake(void *arg);
void tunnel_up_window_end(void *arg);
void tunnel_source_release(struct tunnel *t);
void tunnel_up_proven(struct tunnel *t);
void tunnel_up_probe_answered(struct tunnel *t, const struct frame *pong);
void tunnel_up_keepalive_start(struct tunnel *t);
void tunnel_up_use_stream(struct tunnel *t);

/* xfer.c */
struct xfer *xfer_new(struct tunnel *t, enum xfer_kind kind,
                      const char *endpoint, curl_done_h *doneh);
void xfer_free(struct xfer *x);
void xfer_abort(struct xfer *x);
void xfer_retire(struct xfer **cur, struct xfer **prev);
int xfer_add_header(struct xfer *x, const char *line);
int xfer_run(struct xfer *x);
void xfer_describe(const struct xfer *x, CURLcode res, char *buf, size_t size);
bool xfer_transient(const struct xfer *x, CURLcode res);
bool xfer_is_session_gone(const struct xfer *x);
const char *xfer_kind_name(enum xfer_kind kind);
size_t xfer_body_cb(char *buf, size_t size, size_t n, void *arg);
