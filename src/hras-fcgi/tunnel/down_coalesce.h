/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file down_coalesce.h  When a down writer sends what is queued
 *
 * Every write down the tunnel costs a FastCGI record, a write to nginx,
 * nginx's wake-up, an HTTP chunk and a TLS record.  By default
 * (--coalesce-us 0) the batches are the loop's: the frames one loop
 * iteration queues wake the writer once (down_batch.h), and it writes
 * all that is queued when it runs, never waiting for more.  A window
 * set by the operator adds timed gathering on top: while the link is
 * busy (the last write was less than the window ago) the writer sleeps
 * until the window since that write has passed, not woken by the frames
 * queued meanwhile (coalesce_rule.h); a frame on an idle stream still
 * leaves at once, and so does a queue that would fill the write buffer.
 */

struct down_coalesce {
	uint64_t window;     /* us; 0: the loop's batches only */
	uint64_t last_write; /* us; 0: none yet */
};

uint64_t down_coalesce_due(const struct down_coalesce *c, uint64_t now,
                           size_t queued, size_t full);
void down_coalesce_wrote(struct down_coalesce *c, uint64_t now);
