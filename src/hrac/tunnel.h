/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file tunnel.h  The HRAC end of the HTTP tunnel
 *
 * Keeps a session with HRAS open over HTTP(S), directly or through a
 * proxy: one long GET carries frames down, one long chunked POST carries
 * them up.  When a proxy buffers, it falls back to long polls or to one
 * POST per batch, by measurement.  Reconnects with jittered exponential
 * backoff; signalling is never lost or duplicated across reconnects
 * (chan.h), media is never resent.
 */

struct curl_loop;
struct frame;
struct tunnel;

enum tunnel_pref {
	TUNNEL_AUTO = 0, /* stream, fall back when measured necessary */
	TUNNEL_STREAM,   /* streaming only */
	TUNNEL_FALLBACK, /* long poll (down) or batch POSTs (up) only */
};

enum tunnel_event {
	TUNNEL_OPENED,    /* session open (message: the server's params) */
	TUNNEL_DOWN_MODE, /* message: which down mode and why */
	TUNNEL_UP_MODE,   /* message: which up mode and why */
	TUNNEL_PATH_OK,   /* both directions proved to carry frames */
	TUNNEL_ERROR,     /* message: what failed, for a person to act on */
	TUNNEL_CLOSED,    /* tunnel_close() finished */
	TUNNEL_REFUSED,   /* the identity is another hrac's: nothing will
	                     change by trying again (message: why) */
};

struct tunnel_conf {
	const char *server;     /* base URL of the endpoints */
	const char *proxy;      /* proxy URL; NULL or "": direct */
	const char *proxy_user; /* USER:PASS */
	long proxy_auth;        /* CURLAUTH_* to use; 0: learn it */
	bool proxy_tunnel;      /* CONNECT even for http:// */
	const char *cacert;
	bool insecure;
	bool http2; /* offer HTTP/2 by ALPN (TLS only); else HTTP/1.1 */
	const char *id;
	const char *secret;
	enum tunnel_pref down_pref, up_pref;
	uint32_t probe_ms;  /* wait for the first frame of a stream */
	uint32_t reprobe_s; /* after a fallback, stream again (0: never) */
	uint32_t backoff_max_ms;
	bool once;            /* no reconnects: report the first failure */
	bool certinfo;        /* keep the TLS peer's certificate details */
	bool probe;           /* a diagnose probe session: never the site's */
	bool takeover;        /* replace a live session of another hrac */
	uint32_t coalesce_us; /* up: frames of a busy link wait this long
	                         for others to share a write (coalesce.h) */
	struct chan_limits lim;
};

struct tunnel_params {
	char token[33];
	uint32_t keepalive, down_max, session_idle, poll_hold, max_payload,
	    media_max_age;
	uint32_t resume; /* HRAS delivered our frames below this in the
	                    session we came back from; 0: none */
};

struct tunnel_stats {
	uint64_t opens, down_streams, up_streams, polls, batches;
	uint64_t bytes_down, bytes_up;
	uint64_t send_refused;
	uint64_t stall_tries; /* fresh requests beside stalled ones */
	uint64_t up_writes;   /* pieces of body handed to curl upward: one
	                         HTTP chunk, one TLS record each */
	uint64_t down_reads;  /* pieces of body curl handed down */
};

typedef void(tunnel_frame_h)(const struct frame *f, void *arg);
typedef void(tunnel_event_h)(enum tunnel_event ev, const char *msg, void *arg);
typedef void(tunnel_batch_end_h)(void *arg);

int tunnel_alloc(struct tunnel **tp, const struct tunnel_conf *conf,
                 struct curl_loop *cl, tunnel_frame_h *frameh,
                 tunnel_event_h *eventh, void *arg);
void tunnel_free(struct tunnel *t);
void tunnel_set_batch_end(struct tunnel *t, tunnel_batch_end_h *h);

/* Where the up stream's media comes from (the phones' ports), so that a
 * busy link's window (--coalesce-us) need not be woken per packet: while
 * the window holds the stream, hold() stops reading the source; at its
 * end drain() reads what came meanwhile, and then, when nothing waits to
 * be sent, release() reads packets as they come again */
struct tunnel_source {
	void (*hold)(void *arg);
	void (*drain)(void *arg);
	void (*release)(void *arg);
	void *arg;
};

void tunnel_set_source(struct tunnel *t, const struct tunnel_source *src);
int tunnel_start(struct tunnel *t);
void tunnel_reconf(struct tunnel *t, const struct tunnel_conf *conf);
void tunnel_close(struct tunnel *t);
int tunnel_send(struct tunnel *t, const struct frame *f);
uint32_t tunnel_unacked(const struct tunnel *t);
void tunnel_apply_unacked(const struct tunnel *t, tunnel_frame_h *h, void *arg);
bool tunnel_is_open(const struct tunnel *t);
bool tunnel_is_up(const struct tunnel *t);
const char *tunnel_down_mode(const struct tunnel *t);
const char *tunnel_up_mode(const struct tunnel *t);
const char *tunnel_path(const struct tunnel *t);
const char *tunnel_server(const struct tunnel *t);
const char *tunnel_tls_peer(const struct tunnel *t);
const char *tunnel_http(const struct tunnel *t);
const struct tunnel_params *tunnel_params(const struct tunnel *t);
const struct chan_stats *tunnel_chan_stats(const struct tunnel *t);
const struct tunnel_stats *tunnel_stats(const struct tunnel *t);
void tunnel_queued(const struct tunnel *t, uint64_t *sig_bytes,
                   uint64_t *media_bytes);
