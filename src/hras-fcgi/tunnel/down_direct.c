/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file down_direct.c  The loop thread writes a parked down stream's batch
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <fastcgi.h>
#include <re.h>
#include "frame.h"
#include "chan.h"
#include "hracs.h"
#include "session.h"
#include "down_direct.h"

_Static_assert(sizeof(FCGI_Header) == FCGI_RECORD_HDR,
               "a FastCGI record header is 8 bytes");

/* The content one record of a writer's buffer of @bufsz bytes carries */
size_t down_direct_room(size_t bufsz)
{
	if (bufsz <= FCGI_RECORD_HDR)
		return 0;
	return min(bufsz - FCGI_RECORD_HDR, (size_t)FCGI_CONTENT_MAX);
}

/* The writer, locked, about to wait until @deadline: lend */
void down_direct_lend(struct session *s, struct down_direct *dd,
                      uint64_t deadline)
{
	dd->deadline = deadline;
	s->down_direct = dd;
}

/* The writer, locked, awake: the loan ends (a newer writer may have
 * ended it already) */
void down_direct_reclaim(struct session *s, struct down_direct *dd)
{
	if (s->down_direct == dd)
		s->down_direct = NULL;
}

/* The loop thread left the writer something to finish first */
bool down_direct_owed(const struct down_direct *dd)
{
	return dd->rest_len || dd->failed;
}

static void record_header(uint8_t *buf, uint16_t id, size_t len)
{
	FCGI_Header h = {
		.version = FCGI_VERSION_1,
		.type = FCGI_STDOUT,
		.requestIdB1 = (unsigned char)(id >> 8),
		.requestIdB0 = (unsigned char)id,
		.contentLengthB1 = (unsigned char)(len >> 8),
		.contentLengthB0 = (unsigned char)len,
		/* no padding */
	};

	memcpy(buf, &h, sizeof(h));
}

/**
 * On the loop thread, @s locked, its writer waiting: send what is queued
 * as one record over the writer's connection
 *
 * @return true if nothing is left for the writer (it may sleep on);
 *         false if it must be woken (no loan, a part left, a failed
 *         send, frames still queued, a retransmission due earlier)
 */
bool down_direct_write(struct session *s, uint64_t now)
{
	struct down_direct *dd = s->down_direct;
	size_t n, len;
	ssize_t w;

	/* a closed session's writer is ending: nothing more goes on its
	 * stream behind its back */
	if (!dd || s->closed || !s->down_waiting || *dd->window ||
	    down_direct_owed(dd))
		return false;

	n = chan_fill(&s->chan, dd->buf + FCGI_RECORD_HDR,
	              down_direct_room(dd->size), now, false);
	if (!n)
		return !chan_pending(&s->chan);

	len = FCGI_RECORD_HDR + n;
	record_header(dd->buf, dd->request_id, n);
	w = send(dd->fd, dd->buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	s->bytes_down += n;
	s->down_writes++;
	s->down_direct_writes++;
	dd->wrote = now;

	if (w == (ssize_t)len)
		return !chan_pending(&s->chan) &&
		       chan_next_deadline(&s->chan) >= dd->deadline;
	if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		dd->failed = true;
		return false;
	}
	dd->rest_off = w < 0 ? 0 : (size_t)w;
	dd->rest_len = len - dd->rest_off;
	return false;
}

/**
 * The writer, unlocked and no longer lending: send the part of a record
 * the loop thread left, blocking, before anything else goes on the stream
 *
 * @return 0, or an errno value (the client is gone)
 */
int down_direct_finish(struct down_direct *dd)
{
	if (dd->failed)
		return EPIPE;

	while (dd->rest_len) {
		ssize_t w = send(dd->fd, dd->buf + dd->rest_off, dd->rest_len,
		                 MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			dd->failed = true;
			return w < 0 ? errno : EPIPE;
		}
		dd->rest_off += (size_t)w;
		dd->rest_len -= (size_t)w;
	}
	return 0;
}
