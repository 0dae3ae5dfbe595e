/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file coalesce_rule.h  The timed coalescing rule both ends share
 *
 * While a link is busy (its last write went less than the window ago),
 * frames that come wait until the window since that write has passed and
 * then leave together; on an idle link a frame leaves at once, so a lone
 * packet is never delayed.  hrac's up stream (coalesce.h) and
 * hras-fcgi's down writers with a --coalesce-us (down_coalesce.h) apply
 * it; one rule, so the two ends cannot drift apart.
 */

enum {
	COALESCE_RULE_MAX_US = 500, /* the longest window (--coalesce-us) */
};

uint64_t coalesce_rule_wait(uint64_t last_write, uint64_t now, uint64_t window);
