/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file coalesce.h  A timed window's end, below a millisecond
 *
 * Every write through the tunnel costs a TLS record, an HTTP chunk, a
 * send and a wake-up at the far end, whatever it carries.  The frames of
 * all calls that come while a link is busy share a write, by the rule
 * both ends use (coalesce_rule.h); a lone packet is never delayed.
 * hrac's up window and hras-fcgi's relay window wait below libre's
 * millisecond timers: a timerfd on the loop, whose handler runs as a
 * descriptor's, so what it queues is flushed in the same loop turn.
 */

enum {
	COALESCE_MAX_US = 500, /* the longest wait allowed (--coalesce-us,
	                          --relay-window-us); COALESCE_RULE_MAX_US,
	                          asserted in coalesce.c */
};

struct coalesce;
typedef void(coalesce_h)(void *arg);

uint64_t coalesce_wait(uint64_t last_write, uint64_t now, uint32_t window);
int coalesce_alloc(struct coalesce **cp, coalesce_h *h, void *arg);
void coalesce_free(struct coalesce *c);
int coalesce_arm(struct coalesce *c, uint64_t delay_us);
void coalesce_cancel(struct coalesce *c);
bool coalesce_armed(const struct coalesce *c);
