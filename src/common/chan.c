/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file chan.c  One end of the tunnel's frame channel
 *
 * Reliable frames are stored unencoded so that every (re)transmission
 * carries the current cumulative ack.  Media frames are encoded once,
 * straight into a ring buffer that the writer drains, so the media path
 * allocates and moves nothing per packet, full queue or not.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "frame.h"
#include "chan.h"

enum {
	MEDIA_HDR = 12, /* u64 queued time, u32 encoded length */
	RTO_MAX_FACTOR = 16,
};

struct rel_frame {
	struct le le;
	struct frame f;
	uint64_t sent_at; /* 0: not sent since the last renumber */
	bool sent_once;
	uint8_t data[];
};

/* RFC 1982 serial number comparison: sequence numbers wrap at 2^32 */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* 0 means "no frame" on the wire, so numbering skips it when it wraps */
static inline uint32_t seq_next(uint32_t seq)
{
	return seq + 1 ? seq + 1 : 1;
}

static void media_reset(struct chan *ch)
{
	ch->media_rd = ch->media_wr = ch->media_wrap = 0;
	ch->media_bytes = 0;
	ch->media_wrapped = false;
}

/* The oldest queued media frame's record: its time and encoded length */
static const uint8_t *media_oldest(const struct chan *ch, uint64_t *queued,
                                   uint32_t *len)
{
	const uint8_t *e = ch->media + ch->media_rd;

	memcpy(queued, e, sizeof(*queued));
	memcpy(len, e + 8, sizeof(*len));
	return e + MEDIA_HDR;
}

/* Past the oldest record (@len: its frame's length) */
static void media_consume(struct chan *ch, uint32_t len)
{
	ch->media_rd += MEDIA_HDR + len;
	ch->media_bytes -= MEDIA_HDR + len;
	if (!ch->media_bytes)
		media_reset(ch);
	else if (ch->media_wrapped && ch->media_rd == ch->media_wrap) {
		ch->media_rd = 0;
		ch->media_wrapped = false;
	}
}

/*
 * Where a record of @need bytes can go without overwriting queued ones
 * (NULL: nowhere yet).  The ring is never compacted: a record that does
 * not fit before the end starts again at the front, and the end's unused
 * bytes wait for the reader to pass them (a full queue would otherwise
 * move up to media_max_bytes per packet).
 */
static uint8_t *media_room(struct chan *ch, size_t need)
{
	size_t cap = ch->lim.media_max_bytes;

	if (!ch->media_bytes)
		media_reset(ch);
	if (ch->media_wrapped)
		return ch->media_wr + need <= ch->media_rd
		           ? ch->media + ch->media_wr
		           : NULL;
	if (ch->media_wr + need <= cap)
		return ch->media + ch->media_wr;
	if (need > ch->media_rd)
		return NULL;
	ch->media_wrap = ch->media_wr;
	ch->media_wr = 0;
	ch->media_wrapped = true;
	return ch->media;
}

/* Bytes of media queued (encoded, with their records' headers) */
size_t chan_media_queued(const struct chan *ch)
{
	return ch->media_bytes;
}

int chan_init(struct chan *ch, const struct chan_limits *lim)
{
	if (!ch || !lim || lim->max_payload > FRAME_MAX_PAYLOAD ||
	    lim->media_max_bytes < MEDIA_HDR + FRAME_MAX_HDR_LEN)
		return EINVAL;

	memset(ch, 0, sizeof(*ch));
	ch->lim = *lim;
	list_init(&ch->rel);
	ch->next_seq = 1;
	ch->rx_next = 1;
	ch->rto_cur = lim->rto;
	ch->media = malloc(lim->media_max_bytes);

	return ch->media ? 0 : ENOMEM;
}

void chan_close(struct chan *ch)
{
	struct le *le;

	if (!ch)
		return;

	le = list_head(&ch->rel);
	while (le) {
		struct rel_frame *rf = le->data;

		le = le->next;
		free(rf);
	}
	list_init(&ch->rel);
	ch->rel_frames = 0;
	ch->rel_bytes = 0;
	free(ch->media);
	ch->media = NULL;
}

uint32_t chan_unacked(const struct chan *ch)
{
	return ch->rel_frames;
}

/* Each reliable frame the peer has not acknowledged, oldest first (what
 * a sender going away has not handed over) */
void chan_apply_unacked(const struct chan *ch, chan_frame_h *h, void *arg)
{
	struct le *le;

	LIST_FOREACH(&ch->rel, le)
	{
		const struct rel_frame *rf = le->data;

		h(&rf->f, arg);
	}
}

/**
 * Start numbering afresh, for a new tunnel session
 *
 * Frames not yet acknowledged are kept and numbered from 1, so signalling
 * queued before a session was replaced still reaches the peer.
 */
void chan_renumber(struct chan *ch)
{
	uint32_t seq = 1;
	struct le *le;

	LIST_FOREACH(&ch->rel, le)
	{
		struct rel_frame *rf = le->data;

		rf->f.seq = seq;
		rf->sent_at = 0;
		seq = seq_next(seq);
	}
	ch->next_seq = seq;
	ch->cursor = list_head(&ch->rel);
	ch->rx_next = 1;
	ch->ack_due = false;
	media_reset(ch);
	ch->rto_cur = ch->lim.rto;
}

/**
 * Queue a SIP or control frame; it is kept until the peer acknowledges it
 *
 * @return 0, EINVAL (not a reliable frame), EMSGSIZE, or ENOBUFS when the
 *         bound on unacknowledged frames is reached (caller logs and drops)
 */
int chan_push_reliable(struct chan *ch, const struct frame *f)
{
	struct rel_frame *rf;
	struct frame chk;

	if (!ch || !f || !frame_is_reliable_type(f->type))
		return EINVAL;
	chk = *f;
	chk.rel = true;
	chk.seq = ch->next_seq;
	if (frame_validate(&chk))
		return EINVAL;
	if (f->len > ch->lim.max_payload)
		return EMSGSIZE;
	if (ch->rel_frames >= ch->lim.rel_max_frames ||
	    ch->rel_bytes + f->len > ch->lim.rel_max_bytes) {
		ch->st.rel_refused++;
		return ENOBUFS;
	}

	rf = malloc(sizeof(*rf) + f->len);
	if (!rf)
		return ENOMEM;

	memset(rf, 0, sizeof(*rf));
	rf->f = *f;
	rf->f.rel = true;
	rf->f.seq = ch->next_seq;
	ch->next_seq = seq_next(ch->next_seq);
	rf->f.ack = 0;
	if (f->len)
		memcpy(rf->data, f->payload, f->len);
	rf->f.payload = rf->data;

	list_append(&ch->rel, &rf->le, rf);
	ch->rel_bytes += f->len;
	ch->rel_frames++;
	if (!ch->cursor)
		ch->cursor = &rf->le;

	return 0;
}

static void media_drop_oldest(struct chan *ch)
{
	uint64_t queued;
	uint32_t len;

	(void)media_oldest(ch, &queued, &len);
	media_consume(ch, len);
	ch->st.drop_overflow++;
}

/**
 * Queue a media (RTP, RTCP) or ping/pong frame for sending
 *
 * When the queue is full the oldest frames make room: they would be the
 * first to go stale anyway.
 */
int chan_push_media(struct chan *ch, const struct frame *f, uint64_t now)
{
	size_t cap, need, flen;
	uint32_t len32;
	uint8_t *e;
	int err;

	if (!ch || !f || f->rel || frame_is_reliable_type(f->type))
		return EINVAL;
	if (f->len > ch->lim.max_payload)
		return EMSGSIZE;

	cap = ch->lim.media_max_bytes;
	need = MEDIA_HDR + frame_hdr_len(f) + f->len;
	if (need > cap)
		return EMSGSIZE;

	/* the oldest make room: they would be the first to go stale */
	while (!(e = media_room(ch, need)))
		media_drop_oldest(ch);

	err = frame_encode(e + MEDIA_HDR, need - MEDIA_HDR, f, &flen);
	if (err)
		return err;

	len32 = (uint32_t)flen;
	memcpy(e, &now, sizeof(now));
	memcpy(e + 8, &len32, sizeof(len32));
	ch->media_wr += MEDIA_HDR + flen;
	ch->media_bytes += MEDIA_HDR + flen;

	return 0;
}

static size_t fill_keepalive(struct chan *ch, uint8_t *buf, size_t size)
{
	struct frame k;
	size_t n;

	memset(&k, 0, sizeof(k));
	k.type = FRAME_KEEPALIVE;
	k.rel = true;
	k.ack = ch->rx_next - 1;

	if (frame_encode(buf, size, &k, &n))
		return 0;

	ch->st.tx_keepalive++;
	return n;
}

/**
 * Write what is ready to send into @buf: reliable frames from the cursor,
 * then media younger than the age bound, then an ack-only keepalive when
 * the peer is owed an ack (or @keepalive asks for one on an idle channel)
 *
 * @return Bytes written (whole frames only)
 */
size_t chan_fill(struct chan *ch, uint8_t *buf, size_t size, uint64_t now,
                 bool keepalive)
{
	bool acked = false;
	size_t off = 0;

	while (ch->cursor) {
		struct rel_frame *rf = ch->cursor->data;
		size_t n;

		rf->f.ack = ch->rx_next - 1;
		if (frame_encode(buf + off, size - off, &rf->f, &n))
			break;

		if (rf->sent_once)
			ch->st.tx_retrans++;
		else
			ch->st.tx_rel++;
		rf->sent_once = true;
		rf->sent_at = now ? now : 1;
		off += n;
		acked = true;
		ch->cursor = ch->cursor->next;
	}

	while (ch->media_bytes) {
		uint64_t queued;
		uint32_t len;
		const uint8_t *e = media_oldest(ch, &queued, &len);

		if (now > queued && now - queued > ch->lim.media_max_age) {
			ch->st.drop_stale++;
		} else if (len > size - off) {
			break;
		} else {
			memcpy(buf + off, e, len);
			off += len;
			ch->st.tx_media++;
		}
		media_consume(ch, len);
	}

	if ((ch->ack_due && !acked) || (keepalive && off == 0)) {
		size_t n = fill_keepalive(ch, buf + off, size - off);

		acked = acked || n > 0;
		off += n;
	}
	if (acked)
		ch->ack_due = false;

	return off;
}

static void process_ack(struct chan *ch, uint32_t ack)
{
	bool progress = false;
	struct le *le;

	if (!seq_lt(ack, ch->next_seq)) {
		ch->st.bad_ack++;
		return;
	}

	while ((le = list_head(&ch->rel)) != NULL) {
		struct rel_frame *rf = le->data;

		if (!seq_le(rf->f.seq, ack))
			break;
		if (!rf->sent_once) {
			/* acknowledges what was never sent: ignore the rest */
			ch->st.bad_ack++;
			break;
		}
		if (ch->cursor == le)
			ch->cursor = le->next;
		list_unlink(le);
		ch->rel_bytes -= rf->f.len;
		ch->rel_frames--;
		ch->st.acked++;
		free(rf);
		progress = true;
	}

	if (progress)
		ch->rto_cur = ch->lim.rto;
}

/**
 * Account for a received frame
 *
 * @return What to do with it; acks it carries are processed either way
 */
enum chan_rx chan_rx(struct chan *ch, const struct frame *f)
{
	if (f->rel)
		process_ack(ch, f->ack);

	switch (f->type) {

	case FRAME_SIP:
	case FRAME_CONTROL:
		ch->ack_due = true;
		if (f->seq == ch->rx_next) {
			ch->rx_next = seq_next(ch->rx_next);
			ch->st.rx_rel++;
			return CHAN_DELIVER;
		}
		if (seq_lt(f->seq, ch->rx_next)) {
			ch->st.rx_dup++;
			return CHAN_DUPLICATE;
		}
		ch->st.rx_gap++;
		return CHAN_GAP;

	case FRAME_KEEPALIVE:
		if (!(f->flags & (FRAME_F_PING | FRAME_F_PONG)))
			return CHAN_CONSUMED;
		/* fall through */
	default:
		ch->st.rx_media++;
		return CHAN_DELIVER;
	}
}

/**
 * Where a session that is being replaced stood, for the next one to
 * resume from (sofw-tunnel(7), Resuming): the next sequence number this
 * end expects, and the number of its oldest frame awaiting ack
 */
struct chan_mark chan_mark(const struct chan *ch)
{
	const struct le *le = list_head(&ch->rel);
	struct chan_mark m = { .rx_next = ch->rx_next, .first = ch->next_seq };

	if (le)
		m.first = ((const struct rel_frame *)le->data)->f.seq;
	return m;
}

/**
 * The peer says it delivered every frame numbered below @next (in the
 * numbering of @was, the mark taken when that numbering ended, or of the
 * current one if @was is NULL): they are not sent again
 */
void chan_peer_delivered(struct chan *ch, uint32_t next,
                         const struct chan_mark *was)
{
	if (was) {
		/* renumbered since: frame @was->first is now number 1 */
		if (!seq_lt(was->first, next))
			return;
		next = next - was->first + 1;
	}
	if (next != 1 && seq_lt(next - 1, ch->next_seq))
		process_ack(ch, next - 1);
}

/* Send every unacknowledged frame again (after a reconnect) */
void chan_rewind(struct chan *ch)
{
	ch->cursor = list_head(&ch->rel);
}

static const struct rel_frame *in_flight(const struct chan *ch)
{
	const struct le *le = list_head(&ch->rel);
	const struct rel_frame *rf;

	if (!le || ch->cursor == le)
		return NULL;
	rf = le->data;

	return rf->sent_at ? rf : NULL;
}

/**
 * Go back to the oldest unacknowledged frame when no ack came in time
 *
 * @return true if the channel was rewound (the caller should send)
 */
bool chan_timeout(struct chan *ch, uint64_t now)
{
	const struct rel_frame *rf = in_flight(ch);

	if (!rf || now < rf->sent_at + ch->rto_cur)
		return false;

	chan_rewind(ch);
	if (ch->rto_cur < ch->lim.rto * RTO_MAX_FACTOR)
		ch->rto_cur *= 2;

	return true;
}

/* When chan_timeout() may next fire (UINT64_MAX: nothing in flight) */
uint64_t chan_next_deadline(const struct chan *ch)
{
	const struct rel_frame *rf = in_flight(ch);

	return rf ? rf->sent_at + ch->rto_cur : UINT64_MAX;
}

/* Anything to send: new or rewound frames, media, or an ack */
bool chan_pending(const struct chan *ch)
{
	return ch->cursor || ch->media_bytes || ch->ack_due;
}

/* The smallest fill buffer that always makes progress */
size_t chan_fill_min(const struct chan *ch)
{
	return FRAME_MAX_HDR_LEN + ch->lim.max_payload;
}
