/**
 * @file frame_fuzz.c  libFuzzer target: the frame decoder and reader
 *
 * Properties checked on any input:
 *  - the decoder never reads past the buffer (ASan) and never crashes;
 *  - a frame that decodes re-encodes to exactly the same bytes (the
 *    wire format is canonical), and frame_wire() points at them;
 *  - the stream reader, fed the input in pieces, yields the same frames
 *    and the same verdict as decoding the frames one after another.
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

struct seen {
	size_t n;
	size_t lens[4096];
};

static int on_frame(const struct frame *f, void *arg)
{
	struct seen *s = arg;
	size_t len;

	frame_wire(f, &len);
	if (s->n < 4096)
		s->lens[s->n] = len;
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
	size_t off = 0, nframes = 0, lens[4096];
	struct frame_reader fr;
	struct seen seen = { 0 };
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
		if (nframes < 4096)
			lens[nframes] = len;
		nframes++;
		off += len;
	}

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
	for (size_t i = 0; i < nframes && i < 4096; i++)
		if (seen.lens[i] != lens[i])
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
