/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file down_batch.h  One wake-up of a down writer per loop iteration
 *
 * On the loop thread, session_send() queues a frame and marks its
 * session as touched instead of waking the session's down writer; at the
 * end of the loop iteration one flush wakes the writer of each touched
 * session once, and the writer takes all that was queued.  So the
 * packets of every call that one epoll wake-up brings (the relay reads
 * 32 per socket, the inbox hands over whole bursts) cost one condition
 * signal and one write per HRAC, with no timer: a lone packet leaves as
 * soon as the loop has handled what was ready with it.
 *
 * The flush is a libre timer of 0 ms: libre 1.1.0's re_main() runs the
 * handlers of all descriptors ready in one epoll_wait(), then
 * tmr_poll(), which runs every timer due by then (src/main/main.c,
 * src/tmr/tmr.c).  A frame queued from a timer handler instead waits
 * for the next turn, at most a millisecond (the loop's epoll timeout
 * then): only control frames and the like are sent from timers.
 *
 * Bounded: at most DOWN_BATCH_MAX sessions wait for a flush; a session
 * beyond that, and any sender that is not the loop thread, wakes the
 * writer at once (session_wake_writer), as before.
 *
 * The tunnel service owns one (tunsrv_init, on the loop thread) and
 * gives it to its sessions table; a table without one (unit tests)
 * wakes writers at once.
 */

enum {
	DOWN_BATCH_MAX = 1024, /* sessions touched in one loop iteration */
};

struct session;
struct down_batch;

int down_batch_alloc(struct down_batch **bp);
bool down_batch_add(struct down_batch *b, struct session *s);
void down_batch_flush(struct down_batch *b);
size_t down_batch_pending(const struct down_batch *b);
