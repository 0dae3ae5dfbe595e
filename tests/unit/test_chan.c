/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_chan.c  The reliable channel: two ends wired by hand
 *
 * A "link" moves the bytes one end's chan_fill() produces through a
 * frame reader into the other end's chan_rx(); a test can drop what a
 * fill produced to play a broken HTTP stream.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <re.h>
#include "frame.h"
#include "frame_reader.h"
#include "chan.h"
#include "unit.h"

struct end {
	struct chan ch;
	struct frame_reader fr;
	uint32_t got[4096]; /* numbers of delivered SIP frames */
	size_t ngot;
	size_t media, consumed;
	uint32_t mid[4096]; /* first 4 payload bytes of delivered media */
	bool mintact[4096]; /* the rest of that payload as it was sent */
};

static uint8_t wire[1 << 20];

static void limits(struct chan_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->rel_max_bytes = 1 << 20;
	lim->rel_max_frames = 1000;
	lim->media_max_bytes = 1 << 16;
	lim->media_max_age = 60000;
	lim->rto = 1000000;
	lim->max_payload = FRAME_MAX_PAYLOAD;
}

static int end_init(struct end *e)
{
	struct chan_limits lim;

	memset(e, 0, sizeof(*e));
	limits(&lim);
	TEST_EQ(chan_init(&e->ch, &lim), 0);
	TEST_EQ(frame_reader_init(&e->fr, FRAME_MAX_PAYLOAD), 0);
	return 0;
}

static void end_close(struct end *e)
{
	chan_close(&e->ch);
	frame_reader_close(&e->fr);
}

static int deliver(const struct frame *f, void *arg)
{
	struct end *e = arg;
	unsigned n = 0;

	switch (chan_rx(&e->ch, f)) {

	case CHAN_DELIVER:
		if (f->type == FRAME_SIP) {
			sscanf((const char *)f->payload, "sip %u", &n);
			if (e->ngot < 4096)
				e->got[e->ngot++] = n;
		} else {
			if (e->media < 4096 && f->len >= 4) {
				uint32_t id;

				memcpy(&id, f->payload, sizeof(id));
				e->mid[e->media] = id;
				e->mintact[e->media] = true;
				for (size_t i = 4; i < f->len; i++)
					if (f->payload[i] != (uint8_t)(id + i))
						e->mintact[e->media] = false;
			}
			e->media++;
		}
		break;
	case CHAN_CONSUMED:
		e->consumed++;
		break;
	default:
		break;
	}
	return 0;
}

/* Move what @from has to send into @to; @lose drops it on the way */
static size_t link(struct end *from, struct end *to, uint64_t now, bool lose)
{
	size_t n = chan_fill(&from->ch, wire, sizeof(wire), now, false);

	if (!lose && n)
		frame_reader_feed(&to->fr, wire, n, deliver, to);
	return n;
}

static int push_sip(struct end *e, unsigned n)
{
	char payload[64];
	struct frame f;

	memset(&f, 0, sizeof(f));
	f.type = FRAME_SIP;
	sa_set_str(&f.addr, "10.77.1.10", 5060);
	f.len = (size_t)snprintf(payload, sizeof(payload), "sip %u", n);
	f.payload = (const uint8_t *)payload;
	return chan_push_reliable(&e->ch, &f);
}

static int push_rtp(struct end *e, uint64_t now)
{
	static const uint8_t rtp[172];
	struct frame f;

	memset(&f, 0, sizeof(f));
	f.type = FRAME_RTP;
	f.relay_port = 40000;
	sa_set_str(&f.addr, "10.77.1.10", 4000);
	f.payload = rtp;
	f.len = sizeof(rtp);
	return chan_push_media(&e->ch, &f, now);
}

static int in_order(const struct end *e, unsigned count)
{
	TEST_EQ(e->ngot, count);
	for (unsigned i = 0; i < count; i++)
		TEST_EQ(e->got[i], i + 1);
	return 0;
}

static int delivered_once_in_order(void)
{
	struct end a, b;

	if (end_init(&a) || end_init(&b))
		return 1;
	for (unsigned i = 1; i <= 50; i++)
		TEST_EQ(push_sip(&a, i), 0);
	link(&a, &b, 1, false);
	TEST_ASSERT(!in_order(&b, 50));
	TEST_EQ(chan_unacked(&a.ch), 50);

	/* b owes an ack; it travels in an ack-only keepalive */
	TEST_ASSERT(b.ch.ack_due);
	link(&b, &a, 2, false);
	TEST_EQ(chan_unacked(&a.ch), 0);
	TEST_EQ(a.consumed, 1);
	TEST_EQ(b.ch.st.tx_keepalive, 1);
	end_close(&a);
	end_close(&b);
	return 0;
}

/* A stream dies with frames in it: after the reconnect, rewind sends
 * everything unacknowledged again; the receiver drops what it had */
static int lost_stream_then_rewind(void)
{
	struct end a, b;

	if (end_init(&a) || end_init(&b))
		return 1;
	for (unsigned i = 1; i <= 10; i++)
		push_sip(&a, i);
	link(&a, &b, 1, false); /* 1..10 arrive */
	for (unsigned i = 11; i <= 20; i++)
		push_sip(&a, i);
	link(&a, &b, 2, true); /* 11..20 are lost with the stream */
	/* all 20 went out, none is acknowledged yet, nothing is left to
	 * send (a received nothing: it owes no ack) */
	TEST_EQ(chan_unacked(&a.ch), 20);
	TEST_ASSERT(!a.ch.ack_due);
	TEST_ASSERT(!chan_pending(&a.ch));

	chan_rewind(&a.ch); /* the new stream */
	link(&a, &b, 3, false);
	TEST_ASSERT(!in_order(&b, 20));
	TEST_EQ(b.ch.st.rx_dup, 10);
	TEST_EQ(a.ch.st.tx_retrans, 20);
	link(&b, &a, 4, false);
	TEST_EQ(chan_unacked(&a.ch), 0);
	end_close(&a);
	end_close(&b);
	return 0;
}

/* A frame lost in the middle: later ones are refused (gap) until the
 * retransmission timeout sends them all again, once, in order */
static int gap_then_timeout(void)
{
	struct end a, b;
	size_t n;

	if (end_init(&a) || end_init(&b))
		return 1;
	push_sip(&a, 1);
	link(&a, &b, 100, true); /* 1 lost */
	push_sip(&a, 2);
	push_sip(&a, 3);
	link(&a, &b, 200, false);
	TEST_EQ(b.ngot, 0);
	TEST_EQ(b.ch.st.rx_gap, 2);

	TEST_EQ(chan_next_deadline(&a.ch), 100 + 1000000);
	TEST_ASSERT(!chan_timeout(&a.ch, 100 + 999999));
	TEST_ASSERT(chan_timeout(&a.ch, 100 + 1000000));
	n = link(&a, &b, 1000200, false);
	TEST_ASSERT(n > 0);
	TEST_ASSERT(!in_order(&b, 3));

	/* no ack came back: the timeout doubles each time, up to 16x */
	TEST_EQ(chan_next_deadline(&a.ch), 1000200 + 2000000);
	TEST_ASSERT(chan_timeout(&a.ch, 1000200 + 2000000));
	link(&a, &b, 3000200, true);
	TEST_EQ(chan_next_deadline(&a.ch), 3000200 + 4000000);
	for (uint64_t t = 3000200 + 4000000, i = 0; i < 6; i++) {
		TEST_ASSERT(chan_timeout(&a.ch, t));
		link(&a, &b, t, true);
		t = chan_next_deadline(&a.ch);
	}
	TEST_EQ(a.ch.rto_cur, 16000000);

	/* an ack resets it */
	link(&b, &a, 99000000, false);
	TEST_EQ(chan_unacked(&a.ch), 0);
	TEST_EQ(a.ch.rto_cur, 1000000);
	TEST_EQ(chan_next_deadline(&a.ch), UINT64_MAX);
	end_close(&a);
	end_close(&b);
	return 0;
}

static int keepalive_when_idle(void)
{
	struct end a, b;
	size_t n;

	if (end_init(&a) || end_init(&b))
		return 1;
	TEST_EQ(chan_fill(&a.ch, wire, sizeof(wire), 1, false), 0);
	n = chan_fill(&a.ch, wire, sizeof(wire), 1, true);
	TEST_EQ(n, 12 + 4 + 8);
	frame_reader_feed(&b.fr, wire, n, deliver, &b);
	TEST_EQ(b.consumed, 1);
	end_close(&a);
	end_close(&b);
	return 0;
}

static int reliable_bounds(void)
{
	struct chan_limits lim;
	struct chan ch;
	uint8_t big[600] = { 'x' };
	struct frame f;

	limits(&lim);
	lim.rel_max_frames = 3;
	lim.rel_max_bytes = 1000;
	TEST_EQ(chan_init(&ch, &lim), 0);

	memset(&f, 0, sizeof(f));
	f.type = FRAME_CONTROL;
	f.payload = big;
	f.len = 10;
	TEST_EQ(chan_push_reliable(&ch, &f), 0);
	TEST_EQ(chan_push_reliable(&ch, &f), 0);
	TEST_EQ(chan_push_reliable(&ch, &f), 0);
	TEST_EQ(chan_push_reliable(&ch, &f), ENOBUFS);
	TEST_EQ(ch.st.rel_refused, 1);
	chan_close(&ch);

	TEST_EQ(chan_init(&ch, &lim), 0);
	f.len = 600;
	TEST_EQ(chan_push_reliable(&ch, &f), 0);
	TEST_EQ(chan_push_reliable(&ch, &f), ENOBUFS);

	/* not reliable, or inconsistent: refused */
	f.type = FRAME_RTP;
	TEST_EQ(chan_push_reliable(&ch, &f), EINVAL);
	f.type = FRAME_SIP; /* a SIP frame needs an address */
	TEST_EQ(chan_push_reliable(&ch, &f), EINVAL);
	chan_close(&ch);
	return 0;
}

/* Media older than the bound is dropped, never sent */
static int media_ageing(void)
{
	struct end a, b;

	if (end_init(&a) || end_init(&b))
		return 1;
	TEST_EQ(push_rtp(&a, 1000), 0);
	TEST_EQ(push_rtp(&a, 1000), 0);
	TEST_EQ(push_rtp(&a, 50000), 0);
	/* at 70 ms the first two are 69 ms old (bound 60), the third 20 */
	link(&a, &b, 70000, false);
	TEST_EQ(b.media, 1);
	TEST_EQ(a.ch.st.drop_stale, 2);
	TEST_EQ(a.ch.st.tx_media, 1);
	/* media is never sent again */
	chan_rewind(&a.ch);
	TEST_EQ(link(&a, &b, 70001, false), 0);
	end_close(&a);
	end_close(&b);
	return 0;
}

/* A full media queue makes room by dropping the oldest: of 40 frames
 * numbered 0..39, only the last ones that fit (30..39) are sent, in
 * order and intact */
static int media_overflow_drops_oldest(void)
{
	struct chan_limits lim;
	struct chan ch;
	struct end b;
	size_t n, each = 12 + 4 + 172 + 12, fit;
	unsigned total = 40;

	limits(&lim);
	lim.media_max_bytes = 10 * each;
	TEST_EQ(chan_init(&ch, &lim), 0);
	if (end_init(&b))
		return 1;
	fit = lim.media_max_bytes / each;
	TEST_EQ(fit, 10);
	for (unsigned i = 0; i < total; i++) {
		uint8_t rtp[172];
		uint32_t id = 0x5f000000 + i;
		struct frame f;

		memcpy(rtp, &id, sizeof(id));
		for (size_t k = 4; k < sizeof(rtp); k++)
			rtp[k] = (uint8_t)(id + k);
		memset(&f, 0, sizeof(f));
		f.type = FRAME_RTP;
		f.relay_port = 40000;
		sa_set_str(&f.addr, "10.77.1.10", 4000);
		f.payload = rtp;
		f.len = sizeof(rtp);
		TEST_EQ(chan_push_media(&ch, &f, 1), 0);
	}
	TEST_EQ(ch.st.drop_overflow, total - fit);
	n = chan_fill(&ch, wire, sizeof(wire), 2, false);
	frame_reader_feed(&b.fr, wire, n, deliver, &b);
	TEST_EQ(b.media, fit);
	for (size_t k = 0; k < fit; k++) {
		TEST_EQ(b.mid[k], 0x5f000000 + total - fit + k);
		TEST_ASSERT(b.mintact[k]);
	}
	chan_close(&ch);
	end_close(&b);
	return 0;
}

/* A new session: unacknowledged frames are kept, numbered from 1 */
/* Frames of many sizes through a small queue, drained a little at a time
 * so that records wrap around its end thousands of times: every frame
 * comes out whole and in order, or is counted as dropped; the queue never
 * holds more than its bound, and drops only when a frame would not fit */
static int media_ring_mixed_sizes(void)
{
	enum { FRAMES = 20000, LEN_MAX = 4 + 299 };
	const size_t rec_max = 12 + FRAME_MAX_HDR_LEN + LEN_MAX;
	struct chan_limits lim;
	struct end a, b;
	uint64_t delivered = 0;
	uint32_t next = 0; /* ids below this were delivered or dropped */
	bool wrapped = false;

	if (end_init(&a) || end_init(&b))
		return 1;
	chan_close(&a.ch);
	limits(&lim);
	lim.media_max_bytes = 4096;
	TEST_EQ(chan_init(&a.ch, &lim), 0);

	for (uint32_t i = 0; i < FRAMES; i++) {
		uint8_t rtp[LEN_MAX];
		size_t q0 = chan_media_queued(&a.ch), need;
		uint64_t drops0 = a.ch.st.drop_overflow;
		struct frame f;

		memset(&f, 0, sizeof(f));
		f.type = i % 5 ? FRAME_RTP : FRAME_RTCP;
		f.relay_port = 40000;
		sa_set_str(&f.addr, "10.77.1.10", 4000);
		f.len = 4 + (i * 37u) % 300;
		memcpy(rtp, &i, sizeof(i));
		for (size_t k = 4; k < f.len; k++)
			rtp[k] = (uint8_t)(i + k);
		f.payload = rtp;
		need = 12 + frame_hdr_len(&f) + f.len;
		TEST_EQ(chan_push_media(&a.ch, &f, 1), 0);
		TEST_ASSERT(chan_media_queued(&a.ch) <= lim.media_max_bytes);
		if (a.ch.st.drop_overflow > drops0)
			TEST_ASSERT(q0 + need > lim.media_max_bytes - rec_max);
		wrapped = wrapped || a.ch.media_wrapped;

		/* now and then, a partial drain of up to 1 KB */
		if (i % 7 == 3 || i == FRAMES - 1) {
			size_t n = chan_fill(
			    &a.ch, wire, i == FRAMES - 1 ? sizeof(wire) : 1024,
			    1, false);

			b.media = 0;
			frame_reader_feed(&b.fr, wire, n, deliver, &b);
			for (size_t k = 0; k < b.media; k++) {
				TEST_ASSERT(b.mid[k] >= next);
				TEST_ASSERT(b.mintact[k]);
				next = b.mid[k] + 1;
			}
			delivered += b.media;
		}
	}
	TEST_ASSERT(wrapped);
	TEST_EQ(chan_media_queued(&a.ch), 0);
	TEST_ASSERT(!chan_pending(&a.ch));
	TEST_EQ(next, FRAMES);
	TEST_EQ(delivered + a.ch.st.drop_overflow + a.ch.st.drop_stale, FRAMES);
	TEST_ASSERT(a.ch.st.drop_overflow > 0);
	TEST_EQ(a.ch.st.drop_stale, 0);
	end_close(&a);
	end_close(&b);
	return 0;
}

static int renumber_keeps_unacked(void)
{
	struct end a, b, c;

	if (end_init(&a) || end_init(&b) || end_init(&c))
		return 1;
	for (unsigned i = 1; i <= 5; i++)
		push_sip(&a, i);
	link(&a, &b, 1, false);
	link(&b, &a, 2, false); /* 1..5 acked */
	for (unsigned i = 6; i <= 8; i++)
		push_sip(&a, i);
	link(&a, &b, 3, true); /* 6..8 lost, then the session is gone */

	chan_renumber(&a.ch);
	TEST_EQ(chan_unacked(&a.ch), 3);
	link(&a, &c, 4, false); /* c: the peer of the new session */
	TEST_EQ(c.ngot, 3);
	TEST_EQ(c.got[0], 6);
	TEST_EQ(c.got[2], 8);
	TEST_EQ(c.ch.rx_next, 4);
	end_close(&a);
	end_close(&b);
	end_close(&c);
	return 0;
}

/* A session replaced after the peer delivered frames it never acked:
 * told where the peer stood (its chan_mark), the new session sends only
 * what the peer never had (review L8) */
static int resume_delivers_once(void)
{
	struct end a, b, c;
	struct chan_mark mb;

	if (end_init(&a) || end_init(&b) || end_init(&c))
		return 1;
	for (unsigned i = 1; i <= 8; i++)
		push_sip(&a, i);
	link(&a, &b, 1, false);
	for (unsigned i = 9; i <= 10; i++)
		push_sip(&a, i);
	link(&a, &b, 2, true); /* 9, 10 lost; no ack ever came back */
	TEST_EQ(chan_unacked(&a.ch), 10);

	mb = chan_mark(&b.ch);
	TEST_EQ(mb.rx_next, 9);
	chan_peer_delivered(&a.ch, mb.rx_next, NULL);
	TEST_EQ(chan_unacked(&a.ch), 2);
	chan_peer_delivered(&a.ch, mb.rx_next, NULL); /* told twice: same */
	TEST_EQ(chan_unacked(&a.ch), 2);
	chan_peer_delivered(&a.ch, 1, NULL);   /* nothing delivered */
	chan_peer_delivered(&a.ch, 500, NULL); /* beyond: ignored */
	TEST_EQ(chan_unacked(&a.ch), 2);

	chan_renumber(&a.ch);
	link(&a, &c, 3, false);
	TEST_EQ(c.ngot, 2);
	TEST_EQ(c.got[0], 9);
	TEST_EQ(c.got[1], 10);
	end_close(&a);
	end_close(&b);
	end_close(&c);
	return 0;
}

/* The same when this end renumbered in between (the answer to a re-open
 * was lost, so the peer still counts in the old numbering) */
static int resume_across_renumber(void)
{
	struct end a, b, c;
	struct chan_mark ma;

	if (end_init(&a) || end_init(&b) || end_init(&c))
		return 1;
	for (unsigned i = 1; i <= 8; i++)
		push_sip(&a, i);
	link(&a, &b, 1, false);
	link(&b, &a, 2, false); /* 1..8 acked */
	for (unsigned i = 9; i <= 13; i++)
		push_sip(&a, i);
	link(&a, &b, 3, false); /* b delivers 9..13 (numbers 9..13) */
	TEST_EQ(b.ch.rx_next, 14);

	ma = chan_mark(&a.ch);
	TEST_EQ(ma.first, 9);
	chan_renumber(&a.ch);                /* 9..13 are now numbers 1..5 */
	chan_peer_delivered(&a.ch, 12, &ma); /* b had up to old 11 */
	TEST_EQ(chan_unacked(&a.ch), 2);
	chan_peer_delivered(&a.ch, 9, &ma); /* nothing of them */
	chan_peer_delivered(&a.ch, 5, &ma);
	TEST_EQ(chan_unacked(&a.ch), 2);

	chan_renumber(&a.ch);
	link(&a, &c, 4, false);
	TEST_EQ(c.ngot, 2);
	TEST_EQ(c.got[0], 12);
	TEST_EQ(c.got[1], 13);
	end_close(&a);
	end_close(&b);
	end_close(&c);
	return 0;
}

/* Sequence numbers wrap at 2^32 and skip 0, the same on both ends */
static int wrap_skips_zero(void)
{
	struct end a, b;

	if (end_init(&a) || end_init(&b))
		return 1;
	a.ch.next_seq = 0xfffffffe;
	b.ch.rx_next = 0xfffffffe;
	for (unsigned i = 1; i <= 4; i++)
		push_sip(&a, i);
	link(&a, &b, 1, false);
	TEST_ASSERT(!in_order(&b, 4));
	TEST_EQ(b.ch.rx_next, 3); /* fffffffe, ffffffff, 1, 2 */
	link(&b, &a, 2, false);
	TEST_EQ(chan_unacked(&a.ch), 0);
	TEST_EQ(a.ch.st.bad_ack, 0);
	end_close(&a);
	end_close(&b);
	return 0;
}

static int bad_ack_ignored(void)
{
	struct end a;
	struct frame k;

	if (end_init(&a))
		return 1;
	push_sip(&a, 1);
	memset(&k, 0, sizeof(k));
	k.type = FRAME_KEEPALIVE;
	k.rel = true;
	k.ack = 1; /* acknowledges a frame never sent */
	TEST_EQ(chan_rx(&a.ch, &k), CHAN_CONSUMED);
	TEST_EQ(chan_unacked(&a.ch), 1);
	TEST_EQ(a.ch.st.bad_ack, 1);
	k.ack = 7; /* beyond anything numbered */
	chan_rx(&a.ch, &k);
	TEST_EQ(a.ch.st.bad_ack, 2);
	end_close(&a);
	return 0;
}

/* A fill buffer too small for the next frame makes no partial frames */
static int fill_whole_frames_only(void)
{
	struct end a;
	size_t n;

	if (end_init(&a))
		return 1;
	push_sip(&a, 1);
	push_sip(&a, 2);
	n = chan_fill(&a.ch, wire, 12 + 4 + 8 + 5 + 3, 1, false);
	TEST_EQ(n, 12 + 4 + 8 + 5);
	n = chan_fill(&a.ch, wire, sizeof(wire), 1, false);
	TEST_EQ(n, 12 + 4 + 8 + 5);
	end_close(&a);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(delivered_once_in_order),
		UNIT_TEST(lost_stream_then_rewind),
		UNIT_TEST(gap_then_timeout),
		UNIT_TEST(keepalive_when_idle),
		UNIT_TEST(reliable_bounds),
		UNIT_TEST(media_ageing),
		UNIT_TEST(media_overflow_drops_oldest),
		UNIT_TEST(media_ring_mixed_sizes),
		UNIT_TEST(renumber_keeps_unacked),
		UNIT_TEST(resume_delivers_once),
		UNIT_TEST(resume_across_renumber),
		UNIT_TEST(wrap_skips_zero),
		UNIT_TEST(bad_ack_ignored),
		UNIT_TEST(fill_whole_frames_only),
	};

	return unit_main("chan", tests, ARRAY_SIZE(tests));
}
