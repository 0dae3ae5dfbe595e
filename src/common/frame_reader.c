/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file frame_reader.c  Reassembles frames from a byte stream
 *
 * Complete frames are decoded in place from the caller's buffer; only the
 * tail of a frame split across reads is copied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "frame.h"
#include "frame_reader.h"

int frame_reader_init(struct frame_reader *fr, size_t max_payload)
{
	if (!fr || max_payload > FRAME_MAX_PAYLOAD)
		return EINVAL;

	memset(fr, 0, sizeof(*fr));
	fr->max_payload = max_payload;
	fr->cap = FRAME_MAX_HDR_LEN + max_payload;
	fr->buf = malloc(fr->cap);

	return fr->buf ? 0 : ENOMEM;
}

void frame_reader_reset(struct frame_reader *fr)
{
	fr->len = 0;
	fr->offset = 0;
	fr->frames = 0;
}

void frame_reader_close(struct frame_reader *fr)
{
	if (!fr)
		return;
	free(fr->buf);
	memset(fr, 0, sizeof(*fr));
}

/* Decode what the held bytes need; on ENODATA, *want is the frame size */
static int decode_held(struct frame_reader *fr, struct frame *f, size_t *want)
{
	return frame_decode(f, fr->buf, fr->len, fr->max_payload, want);
}

/**
 * Feed received bytes
 *
 * @return 0 when every byte was consumed (a partial frame may be held),
 *         a frame_decode() error (the stream is corrupt and must be
 *         abandoned), or what the frame handler returned
 */
int frame_reader_feed(struct frame_reader *fr, const uint8_t *data, size_t n,
                      frame_h *frameh, void *arg)
{
	struct frame f;
	size_t flen;
	int err;

	if (!fr || !fr->buf || (!data && n))
		return EINVAL;

	/* first complete the frame held from an earlier read */
	while (fr->len && n) {
		size_t want, take;

		err = decode_held(fr, &f, &want);
		if (err != ENODATA)
			return err ? err : EINVAL;
		if (want > fr->cap)
			return EMSGSIZE;

		take = min(want - fr->len, n);
		memcpy(fr->buf + fr->len, data, take);
		fr->len += take;
		data += take;
		n -= take;

		err = decode_held(fr, &f, &flen);
		if (err == ENODATA)
			continue;
		if (err)
			return err;

		fr->offset += flen;
		fr->frames++;
		fr->len = 0;
		err = frameh ? frameh(&f, arg) : 0;
		if (err)
			return err;
	}

	/* then whole frames straight from the caller's buffer */
	while (n) {
		err = frame_decode(&f, data, n, fr->max_payload, &flen);
		if (err == ENODATA) {
			/* n < flen <= cap: the whole tail fits */
			memcpy(fr->buf, data, n);
			fr->len = n;
			return 0;
		}
		if (err)
			return err;

		data += flen;
		n -= flen;
		fr->offset += flen;
		fr->frames++;
		err = frameh ? frameh(&f, arg) : 0;
		if (err)
			return err;
	}

	return 0;
}
