/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file portpool.h  A range of media ports handed out in RTP/RTCP pairs
 *
 * Pairs are even/odd (RFC 3550 §11).  Handing out rotates through the
 * range, so a port just freed is the last to be reused: late packets of
 * an ended call do not reach the next one.
 */

struct portpool;

int portpool_parse(const char *s, uint16_t *lo, uint16_t *hi);
int portpool_alloc(struct portpool **pp, uint16_t lo, uint16_t hi);
int portpool_take(struct portpool *pp, uint16_t *port);
int portpool_mark(struct portpool *pp, uint16_t port);
void portpool_limit(struct portpool *pp, uint32_t limit);
uint32_t portpool_pairs(const struct portpool *pp);
void portpool_give(struct portpool *pp, uint16_t port);
bool portpool_holds(const struct portpool *pp, uint16_t port);
