/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file frame_reader.h  Reassembles frames from a byte stream
 *
 * HTTP gives no frame boundaries: one read may hold many frames, or a part
 * of one (proxies coalesce and split).  The reader holds at most one
 * incomplete frame, so its memory is bounded by the largest frame.
 */

struct frame;

/* Called for every complete frame; a non-zero return stops the feed */
typedef int(frame_h)(const struct frame *f, void *arg);

struct frame_reader {
	uint8_t *buf; /* the incomplete frame so far */
	size_t cap;   /* FRAME_MAX_HDR_LEN + max_payload */
	size_t len;   /* bytes held in buf */
	size_t max_payload;
	uint64_t offset; /* stream bytes consumed, for error messages */
	uint64_t frames; /* frames decoded */
};

int frame_reader_init(struct frame_reader *fr, size_t max_payload);
void frame_reader_reset(struct frame_reader *fr);
void frame_reader_close(struct frame_reader *fr);
int frame_reader_feed(struct frame_reader *fr, const uint8_t *data, size_t n,
                      frame_h *frameh, void *arg);

/* Bytes of an incomplete frame are waiting for the rest */
static inline bool frame_reader_pending(const struct frame_reader *fr)
{
	return fr->len > 0;
}
