/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file inbox.c  Frames on their way from worker threads to the loop thread
 *
 * Record layout: session pointer, u32 length, u32 padding, frame bytes,
 * padded to 8.  Each record holds a session reference, dropped after the
 * frame handler ran.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "frame.h"
#include "chan.h"
#include "hracs.h"
#include "session.h"
#include "inbox.h"

enum {
	REC_HDR = 16,
	SHARE = 4, /* one HRAC fills a quarter of the inbox at most */
};

struct inbox {
	pthread_mutex_t lock;
	uint8_t *buf[2];
	size_t cap;
	size_t len;   /* bytes in buf[fill] */
	int fill;     /* the buffer workers append to */
	bool ring;    /* a frame was put since the doorbell last rang */
	bool rung;    /* the loop thread has not drained since */
	uint32_t gen; /* bumped at each swap: sessions' shares start anew */
	uint64_t refused;
	struct mqueue *mq;
	inbox_frame_h *frameh;
	void *arg;
};

static size_t rec_size(size_t len)
{
	return (REC_HDR + len + 7) & ~(size_t)7;
}

static void drain(int id, void *data, void *arg)
{
	struct inbox *ib = arg;
	size_t len, off = 0;
	uint8_t *buf;

	(void)id;
	(void)data;

	pthread_mutex_lock(&ib->lock);
	buf = ib->buf[ib->fill];
	len = ib->len;
	ib->fill ^= 1;
	ib->len = 0;
	ib->gen++;
	ib->rung = false;
	pthread_mutex_unlock(&ib->lock);

	while (off < len) {
		struct session *s;
		uint32_t flen;

		memcpy(&s, buf + off, sizeof(s));
		memcpy(&flen, buf + off + 8, sizeof(flen));
		ib->frameh(s, buf + off + REC_HDR, flen, ib->arg);
		session_deref(s);
		off += rec_size(flen);
	}
}

/* Called in the loop thread: the mqueue binds to the caller's loop */
int inbox_alloc(struct inbox **ip, size_t cap, inbox_frame_h *frameh, void *arg)
{
	struct inbox *ib;
	int e;

	ib = calloc(1, sizeof(*ib));
	if (!ib)
		return ENOMEM;
	ib->buf[0] = malloc(cap);
	ib->buf[1] = malloc(cap);
	if (!ib->buf[0] || !ib->buf[1]) {
		e = ENOMEM;
		goto fail;
	}
	e = mqueue_alloc(&ib->mq, drain, ib);
	if (e)
		goto fail;
	pthread_mutex_init(&ib->lock, NULL);
	ib->cap = cap;
	ib->frameh = frameh;
	ib->arg = arg;
	*ip = ib;
	return 0;

fail:
	free(ib->buf[0]);
	free(ib->buf[1]);
	free(ib);
	return e;
}

/* After every worker has stopped */
void inbox_free(struct inbox *ib)
{
	if (!ib)
		return;
	drain(0, NULL, ib);
	drain(0, NULL, ib);
	mem_deref(ib->mq);
	pthread_mutex_destroy(&ib->lock);
	free(ib->buf[0]);
	free(ib->buf[1]);
	free(ib);
}

void inbox_lock(struct inbox *ib)
{
	pthread_mutex_lock(&ib->lock);
}

/* Unlock, ringing the loop thread's doorbell if frames were put */
void inbox_unlock(struct inbox *ib)
{
	bool ring = ib->ring && !ib->rung;

	if (ring)
		ib->rung = true;
	ib->ring = false;
	pthread_mutex_unlock(&ib->lock);

	if (ring && mqueue_push(ib->mq, 0, NULL)) {
		/* the pipe is full: the loop thread is far behind and will
		 * drain everything on the doorbells already queued */
		pthread_mutex_lock(&ib->lock);
		ib->rung = false;
		pthread_mutex_unlock(&ib->lock);
	}
}

/* The bytes @s has in the buffer being filled (both locks held) */
static size_t *share_of(const struct inbox *ib, struct session *s)
{
	if (s->inbox_gen != ib->gen) {
		s->inbox_gen = ib->gen;
		s->inbox_bytes = 0;
	}
	return &s->inbox_bytes;
}

/*
 * With the inbox and the session locked: would a frame of @len bytes
 * from @s fit?  One HRAC gets a quarter of the inbox at most, so that a
 * burst from one site leaves room for the others.
 */
bool inbox_room(const struct inbox *ib, struct session *s, size_t len)
{
	size_t rec = rec_size(len);

	return ib->len + rec <= ib->cap &&
	       *share_of(ib, s) + rec <= ib->cap / SHARE;
}

/* With both locks held, after inbox_room(): append, referencing @s */
void inbox_put(struct inbox *ib, struct session *s, const uint8_t *frame,
               size_t len)
{
	uint8_t *rec = ib->buf[ib->fill] + ib->len;
	uint32_t flen = (uint32_t)len;

	session_ref(s);
	memcpy(rec, &s, sizeof(s));
	memcpy(rec + 8, &flen, sizeof(flen));
	memcpy(rec + REC_HDR, frame, len);
	ib->len += rec_size(len);
	*share_of(ib, s) += rec_size(len);
	ib->ring = true;
}

void inbox_count_refused(struct inbox *ib)
{
	ib->refused++;
}

uint64_t inbox_refused(struct inbox *ib)
{
	uint64_t n;

	pthread_mutex_lock(&ib->lock);
	n = ib->refused;
	pthread_mutex_unlock(&ib->lock);
	return n;
}

/* Bytes waiting for the loop thread (the buffer workers fill) */
size_t inbox_queued(struct inbox *ib)
{
	size_t n;

	pthread_mutex_lock(&ib->lock);
	n = ib->len;
	pthread_mutex_unlock(&ib->lock);
	return n;
}
