/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file down_direct.h  The loop thread writes a parked down stream's batch
 *
 * A down writer that waits for frames (streaming, no --coalesce-us
 * window, everything it wrote flushed) lends its connection to nginx and
 * its buffer to the loop thread: at the end of a loop iteration
 * (down_batch.h), the loop thread fills what is queued into one FastCGI
 * STDOUT record and sends it without blocking, instead of waking the
 * writer to do the same.  That is one thread wake-up (a futex wake, a
 * context switch, a futex wait) less per batch, which at low load is
 * per packet.
 *
 * The writer stays the stream's owner: it lends only while it waits
 * (under the session lock, which the loop thread holds throughout), takes
 * the loan back on every wake-up, and is woken at once when the loop
 * thread cannot finish: a record the socket took only in part (the
 * writer sends the rest, blocking, before anything else, so records never
 * interleave), a failed send (the client went away), frames left queued,
 * or a retransmission due before the writer's own wake-up.  One record
 * carries 65535 bytes at most: a frame larger than what is left of that
 * stays for the writer, which libfcgi splits into records.
 */

enum {
	FCGI_RECORD_HDR = 8, /* sizeof(FCGI_Header), <fastcgi.h> */
	FCGI_CONTENT_MAX = 65535,
};

/* A parked writer's loan (the writer's memory; the fields below "set
 * by the loop" change only under the session lock while lent) */
struct down_direct {
	int fd;                 /* the FastCGI connection to nginx */
	uint16_t request_id;    /* of the down request on it */
	const uint32_t *window; /* --coalesce-us, live: lent only while 0 */
	uint8_t *buf;           /* the writer's buffer */
	size_t size;
	uint64_t deadline; /* us: the writer wakes by itself then */

	/* set by the loop thread */
	size_t rest_off, rest_len; /* a record the socket took in part */
	bool failed;               /* a send failed: the client is gone */
	uint64_t wrote;            /* us: the last record sent */
};

struct session;

size_t down_direct_room(size_t bufsz);
void down_direct_lend(struct session *s, struct down_direct *dd,
                      uint64_t deadline);
void down_direct_reclaim(struct session *s, struct down_direct *dd);
bool down_direct_write(struct session *s, uint64_t now);
bool down_direct_owed(const struct down_direct *dd);
int down_direct_finish(struct down_direct *dd);
