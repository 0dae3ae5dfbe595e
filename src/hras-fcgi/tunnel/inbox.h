/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file inbox.h  Frames on their way from worker threads to the loop thread
 *
 * The one place where work crosses from the FastCGI threads to libre's
 * thread.  Workers append whole frames under the inbox lock; the first
 * frame after a drain rings libre's mqueue once, so a burst costs one
 * pipe write, not one per frame.  The loop thread swaps the two buffers
 * and processes the full one without the lock.  Bounded: when the inbox
 * is full, or one HRAC holds a quarter of it, callers refuse the frame
 * (a reliable one is then resent by the HRAC, a media one is lost).
 */

struct session;

typedef void(inbox_frame_h)(struct session *s, const uint8_t *frame, size_t len,
                            void *arg);

struct inbox;

int inbox_alloc(struct inbox **ip, size_t cap, inbox_frame_h *frameh,
                void *arg);
void inbox_free(struct inbox *ib);
void inbox_lock(struct inbox *ib);
void inbox_unlock(struct inbox *ib);
bool inbox_room(const struct inbox *ib, struct session *s, size_t len);
void inbox_put(struct inbox *ib, struct session *s, const uint8_t *frame,
               size_t len);
uint64_t inbox_refused(struct inbox *ib);
void inbox_count_refused(struct inbox *ib);
size_t inbox_queued(struct inbox *ib);
