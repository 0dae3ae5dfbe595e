/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file frame_fuzz.c  libFuzzer target: the frame decoder and reader
 *
 * Properties checked on any input:
 *  - the decoder never reads past the buffer (ASan) and never crashes;
 *  - a frame that decodes re-encodes to exactly the same bytes (the
 *    wire format is canonical), and frame_wire() points at them;
 *  - the stream reader, fed the input in pieces, yields the same frames
 *    (the same header fields, payload bytes and wire bytes) and the
 *    same verdict as decoding the frames one after another.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "frame.h"
#include "frame_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAXF = 4096 };

/* what the one-shot decode found: frame i is at data + offs[i] */
struct oneshot {
	const uint8_t *data;
	size_t n;
	size_t offs[MAXF], lens[MAXF];
	struct frame f[MAXF];
};

struct seen {
	const struct oneshot *want;
	size_t n;
};

static bool same_frame(const struct frame *a, const struct frame *b)
{
	return a->type == b->type && a->flags == b->flags &&
	       sa_cmp(&a->addr, &b->addr, SA_ALL) &&
	       a->relay_port == b->relay_port && a->rel == b->rel &&
	       a->seq == b->seq && a->ack == b->ack && a->len == b->len &&
	       !memcmp(a->payload, b->payload, a->len);
}

/* each frame the reader delivers is, field for field and byte for
 * byte, the frame the one-shot decode found at the same place */
static int on_frame(const struct frame *f, void *arg)
{
	struct seen *s = arg;
	const struct oneshot *w = s->want;
	const uint8_t *wire;
	size_t len;

	wire = frame_wire(f, &len);
	if (s->n < MAXF) {
		if (s->n >= w->n || len != w->lens[s->n] ||
		    memcmp(wire, w->data + w->offs[s->n], len) ||
		    !same_frame(f, &w->f[s->n]))
			abort();
	}
	s->n++;
	return 0;
}

static void check_canonical(const struct frame *f, const uint8_t *wire,
                            size_t len)
{
	static uint8_t out[FRAME_MAX_HDR_LEN + FRAME_MAX_PAYLOAD];
	const uint8_t *w;
	size_t n, wl;

	if (frame_encode(out, sizeof(out), f, &n) || n != len ||
	    memcmp(out, wire, len))
		abort();
	w = frame_wire(f, &wl);
	if (w != wire || wl != len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max = size ? 1 + (size_t)data[0] * 257 : FRAME_MAX_PAYLOAD;
	size_t off = 0, nframes = 0;
	static struct oneshot want;
	struct frame_reader fr;
	struct seen seen = { &want, 0 };
	int oneshot = 0, stream = 0;
	struct frame f;

	if (max > FRAME_MAX_PAYLOAD)
		max = FRAME_MAX_PAYLOAD;

	/* one frame after another, as a whole body */
	while (off < size) {
		size_t len;

		oneshot = frame_decode(&f, data + off, size - off, max, &len);
		if (oneshot)
			break;
		check_canonical(&f, data + off, len);
		if (nframes < MAXF) {
			want.offs[nframes] = off;
			want.lens[nframes] = len;
			want.f[nframes] = f;
		}
		nframes++;
		off += len;
	}

	want.data = data;
	want.n = nframes < MAXF ? nframes : MAXF;

	/* the same bytes in pieces whose sizes come from the data */
	if (frame_reader_init(&fr, max))
		return 0;
	off = 0;
	while (off < size) {
		size_t piece = 1 + data[off] % 61;

		if (piece > size - off)
			piece = size - off;
		stream =
		    frame_reader_feed(&fr, data + off, piece, on_frame, &seen);
		if (stream)
			break;
		off += piece;
	}

	if (seen.n != nframes)
		abort();
	/* a hard error one way is the same error the other way; a
	 * one-shot ENODATA (truncated tail) leaves the reader waiting */
	if (oneshot && oneshot != ENODATA && stream != oneshot)
		abort();
	if (oneshot == ENODATA && (stream || !frame_reader_pending(&fr)))
		abort();
	if (!oneshot && (stream || frame_reader_pending(&fr)))
		abort();

	frame_reader_close(&fr);
	return 0;
}
