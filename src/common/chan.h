/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file chan.h  One end of the tunnel's frame channel
 *
 * What makes an HTTP reconnect invisible to SIP: reliable frames (SIP,
 * control) are numbered, kept until the peer's cumulative ack covers them
 * and sent again after a reconnect or a retransmission timeout; the
 * receiver drops what it has already seen (go-back-N).  Media frames are
 * never resent and are dropped once older than a bound, because stale
 * audio is worse than lost audio.
 *
 * Not thread-safe: hrac uses it from its one loop, hras-fcgi under the
 * session lock.  Times are CLOCK_MONOTONIC microseconds passed in.
 */

struct frame;

struct chan_limits {
	size_t rel_max_bytes;    /* payload bytes awaiting ack */
	uint32_t rel_max_frames; /* frames awaiting ack */
	size_t media_max_bytes;  /* encoded media waiting to be sent */
	uint64_t media_max_age;  /* us: older media is dropped, not sent */
	uint64_t rto;            /* us: first retransmission timeout */
	size_t max_payload;      /* largest payload accepted for sending */
};

struct chan_stats {
	uint64_t tx_rel;        /* reliable frames sent, first time */
	uint64_t tx_retrans;    /* reliable frames sent again */
	uint64_t tx_media;      /* media and ping/pong frames sent */
	uint64_t tx_keepalive;  /* keepalive and ack-only frames sent */
	uint64_t rx_rel;        /* reliable frames delivered */
	uint64_t rx_dup;        /* dropped: already delivered */
	uint64_t rx_gap;        /* dropped: out of order, will be resent */
	uint64_t rx_media;      /* media and ping/pong frames delivered */
	uint64_t drop_stale;    /* media dropped for age */
	uint64_t drop_overflow; /* media dropped for queue space */
	uint64_t rel_refused;   /* reliable frames refused: queue full */
	uint64_t bad_ack;       /* acks for frames never sent */
	uint64_t acked;         /* reliable frames the peer acknowledged */
};

struct chan {
	struct chan_limits lim;
	struct chan_stats st;

	/* reliable frames awaiting ack, in sequence order */
	struct list rel;
	struct le *cursor; /* next to send; NULL: all sent */
	uint32_t next_seq; /* for the next new reliable frame */
	size_t rel_bytes;
	uint32_t rel_frames;
	uint64_t rto_cur; /* current timeout, doubled per expiry */

	/* encoded media frames, [queued u64][len u32][frame] each, in a ring
	 * of media_max_bytes: [rd, wr), or [rd, wrap) then [0, wr) once a
	 * frame that did not fit at the end went to the front (media_wrapped)
	 */
	uint8_t *media;
	size_t media_rd, media_wr, media_wrap;
	size_t media_bytes; /* queued, headers included */
	bool media_wrapped;

	/* receive side */
	uint32_t rx_next; /* next sequence number expected */
	bool ack_due;     /* the peer has not yet been told rx_next-1 */
};

/* Where one numbering of a channel ended (chan_mark) */
struct chan_mark {
	uint32_t rx_next; /* the next frame it expected */
	uint32_t first;   /* its oldest frame awaiting ack (or next_seq) */
};

enum chan_rx {
	CHAN_DELIVER,   /* new frame: hand it to the application */
	CHAN_DUPLICATE, /* seen before: drop */
	CHAN_GAP,       /* ahead of sequence: drop, the peer resends */
	CHAN_CONSUMED,  /* keepalive or ack only: nothing to deliver */
};

int chan_init(struct chan *ch, const struct chan_limits *lim);
void chan_close(struct chan *ch);
void chan_renumber(struct chan *ch);
int chan_push_reliable(struct chan *ch, const struct frame *f);
int chan_push_media(struct chan *ch, const struct frame *f, uint64_t now);
size_t chan_fill(struct chan *ch, uint8_t *buf, size_t size, uint64_t now,
                 bool keepalive);
enum chan_rx chan_rx(struct chan *ch, const struct frame *f);
void chan_rewind(struct chan *ch);
struct chan_mark chan_mark(const struct chan *ch);
void chan_peer_delivered(struct chan *ch, uint32_t next,
                         const struct chan_mark *was);
bool chan_timeout(struct chan *ch, uint64_t now);
uint64_t chan_next_deadline(const struct chan *ch);
bool chan_pending(const struct chan *ch);
uint32_t chan_unacked(const struct chan *ch);
typedef void(chan_frame_h)(const struct frame *f, void *arg);
void chan_apply_unacked(const struct chan *ch, chan_frame_h *h, void *arg);
size_t chan_fill_min(const struct chan *ch);
size_t chan_media_queued(const struct chan *ch);
