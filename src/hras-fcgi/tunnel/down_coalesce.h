/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file down_coalesce.h  When a down writer sends what is queued
 *
 * Every write down the tunnel costs a FastCGI record, a write to nginx,
 * nginx's wake-up, an HTTP chunk and a TLS record.  While the link is
 * busy (the last write was less than the window ago) the writer sleeps
 * until the window since that write has passed, not woken by the frames
 * queued meanwhile, so that the frames of all calls that came leave in
 * one write and a batch costs one wake-up; while it is idle a frame
 * leaves at once: a lone packet is never delayed.  A queue that would
 * fill the write buffer leaves at once too.
 */

struct down_coalesce {
	uint64_t window;     /* us; 0: every frame at once */
	uint64_t last_write; /* us; 0: none yet */
};

uint64_t down_coalesce_due(const struct down_coalesce *c, uint64_t now,
                           size_t queued, size_t full);
void down_coalesce_wrote(struct down_coalesce *c, uint64_t now);
