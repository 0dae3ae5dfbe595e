/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_frame_reader.c  Frames out of a byte stream cut anywhere
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <re.h>
#include "frame.h"
#include "frame_reader.h"
#include "unit.h"

enum { NFRAMES = 40 };

struct got {
	size_t n;
	size_t lens[NFRAMES + 2];
	bool same[NFRAMES + 2]; /* the frame as it was sent, byte for byte */
	int stop_at; /* handler returns an error at this frame (1-based) */
};

static uint8_t stream[NFRAMES * 1200];
static size_t stream_len, lens[NFRAMES], offs[NFRAMES];

/* Is the delivered frame @f the i-th of the stream: the same header
 * fields, the same payload bytes, and frame_wire() the same bytes? */
static bool same_as_sent(const struct frame *f, size_t i)
{
	struct frame want;
	const uint8_t *w;
	size_t len, wlen;

	if (i >= NFRAMES ||
	    frame_decode(&want, stream + offs[i], lens[i], FRAME_MAX_PAYLOAD,
	                 &len) ||
	    len != lens[i])
		return false;
	w = frame_wire(f, &wlen);
	return f->type == want.type && f->flags == want.flags &&
	       sa_cmp(&f->addr, &want.addr, SA_ALL) &&
	       f->relay_port == want.relay_port && f->rel == want.rel &&
	       f->seq == want.seq && f->ack == want.ack && f->len == want.len &&
	       !memcmp(f->payload, want.payload, want.len) && wlen == lens[i] &&
	       !memcmp(w, stream + offs[i], wlen);
}

static int on_frame(const struct frame *f, void *arg)
{
	struct got *g = arg;
	size_t len;

	frame_wire(f, &len);
	g->same[g->n] = same_as_sent(f, g->n);
	g->lens[g->n++] = len;
	return g->stop_at && (int)g->n == g->stop_at ? ECANCELED : 0;
}

/* A stream of mixed frames: SIP up to 1 KiB, RTP, keepalives, IPv6 */
static int build(void)
{
	static uint8_t pl[NFRAMES][1100];
	struct frame f;
	size_t n;

	/* each frame's payload is its own: bytes that depend on the
	 * frame's number and the position */
	for (int i = 0; i < NFRAMES; i++)
		for (size_t k = 0; k < sizeof(pl[i]); k++)
			pl[i][k] = (uint8_t)(k * 13 + (size_t)i * 71 + 5);
	stream_len = 0;
	for (int i = 0; i < NFRAMES; i++) {
		memset(&f, 0, sizeof(f));
		switch (i % 4) {
		case 0:
			f.type = FRAME_SIP;
			f.rel = true;
			f.seq = (uint32_t)i + 1;
			sa_set_str(&f.addr, "10.77.1.10", 5060);
			f.len = 100 + (size_t)i * 20;
			break;
		case 1:
			f.type = FRAME_RTP;
			f.relay_port = 40000;
			sa_set_str(&f.addr, "fd77::10", 4000);
			f.len = 172;
			break;
		case 2:
			f.type = FRAME_KEEPALIVE;
			f.rel = true;
			f.ack = (uint32_t)i;
			break;
		case 3:
			f.type = FRAME_KEEPALIVE;
			f.flags = FRAME_F_PING;
			f.len = 16;
			break;
		}
		f.payload = pl[i];
		TEST_EQ(frame_encode(stream + stream_len,
		                     sizeof(stream) - stream_len, &f, &n),
		        0);
		offs[i] = stream_len;
		lens[i] = n;
		stream_len += n;
	}
	return 0;
}

static int check_all(const struct got *g)
{
	TEST_EQ(g->n, NFRAMES);
	for (int i = 0; i < NFRAMES; i++) {
		TEST_EQ(g->lens[i], lens[i]);
		if (!g->same[i]) {
			fprintf(stderr, "frame %d differs from the one sent\n",
			        i);
			return 1;
		}
	}
	return 0;
}

static int every_split_size(void)
{
	struct frame_reader fr;

	if (build())
		return 1;
	TEST_EQ(frame_reader_init(&fr, FRAME_MAX_PAYLOAD), 0);
	for (size_t piece = 1; piece <= stream_len;
	     piece += piece < 64 ? 1 : 97) {
		struct got g = { 0 };

		frame_reader_reset(&fr);
		for (size_t off = 0; off < stream_len; off += piece) {
			size_t n = min(piece, stream_len - off);

			TEST_EQ(frame_reader_feed(&fr, stream + off, n,
			                          on_frame, &g),
			        0);
		}
		if (check_all(&g))
			return 1;
		TEST_ASSERT(!frame_reader_pending(&fr));
		TEST_EQ(fr.offset, stream_len);
		TEST_EQ(fr.frames, NFRAMES);
	}
	frame_reader_close(&fr);
	return 0;
}

static int random_splits(void)
{
	struct frame_reader fr;
	unsigned seed = 12345;

	if (build())
		return 1;
	TEST_EQ(frame_reader_init(&fr, FRAME_MAX_PAYLOAD), 0);
	for (int round = 0; round < 500; round++) {
		struct got g = { 0 };
		size_t off = 0;

		frame_reader_reset(&fr);
		while (off < stream_len) {
			size_t n = 1 + (size_t)(rand_r(&seed) % 700);

			n = min(n, stream_len - off);
			TEST_EQ(frame_reader_feed(&fr, stream + off, n,
			                          on_frame, &g),
			        0);
			off += n;
		}
		if (check_all(&g))
			return 1;
	}
	frame_reader_close(&fr);
	return 0;
}

/* A bad byte stops the stream: nothing after it is delivered */
static int corrupt_byte_stops(void)
{
	struct frame_reader fr;
	struct got g = { 0 };
	size_t at;

	if (build())
		return 1;
	at = lens[0] + lens[1] + lens[2];
	stream[at] = 9; /* version of the fourth frame */
	TEST_EQ(frame_reader_init(&fr, FRAME_MAX_PAYLOAD), 0);
	TEST_EQ(frame_reader_feed(&fr, stream, 10, on_frame, &g), 0);
	TEST_EQ(
	    frame_reader_feed(&fr, stream + 10, stream_len - 10, on_frame, &g),
	    EPROTONOSUPPORT);
	TEST_EQ(g.n, 3);
	for (int i = 0; i < 3; i++)
		TEST_ASSERT(g.same[i]);
	TEST_EQ(fr.offset, at);
	frame_reader_close(&fr);
	return 0;
}

/* An oversized length is refused from its header, before any payload */
static int oversized_refused_early(void)
{
	static const uint8_t hdr[] = { 1, 2, 0, 0, 0, 0, 0x10, 0 };
	struct frame_reader fr;
	struct got g = { 0 };

	TEST_EQ(frame_reader_init(&fr, 1500), 0);
	TEST_EQ(frame_reader_feed(&fr, hdr, 7, on_frame, &g), 0);
	TEST_EQ(frame_reader_feed(&fr, hdr + 7, 1, on_frame, &g), EMSGSIZE);
	TEST_EQ(fr.cap, FRAME_MAX_HDR_LEN + 1500);
	frame_reader_close(&fr);
	TEST_EQ(frame_reader_init(&fr, FRAME_MAX_PAYLOAD + 1), EINVAL);
	return 0;
}

static int handler_stops_feed(void)
{
	struct frame_reader fr;
	struct got g = { .stop_at = 2 };

	if (build())
		return 1;
	TEST_EQ(frame_reader_init(&fr, FRAME_MAX_PAYLOAD), 0);
	TEST_EQ(frame_reader_feed(&fr, stream, stream_len, on_frame, &g),
	        ECANCELED);
	TEST_EQ(g.n, 2);
	TEST_ASSERT(g.same[0] && g.same[1]);
	frame_reader_close(&fr);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(every_split_size),
		UNIT_TEST(random_splits),
		UNIT_TEST(corrupt_byte_stops),
		UNIT_TEST(oversized_refused_early),
		UNIT_TEST(handler_stops_feed),
	};

	return unit_main("frame_reader", tests, ARRAY_SIZE(tests));
}
