/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file coalesce_rule.c  The timed coalescing rule both ends share
 */
#include <stdint.h>
#include "coalesce_rule.h"

/**
 * How long frames queued now wait before the next write
 *
 * @param last_write When the previous write went (us; 0: never)
 * @param now        The time now (us, same clock)
 * @param window     The coalescing window (us; 0: no coalescing)
 *
 * @return 0: write now (an idle link, or the window has passed; a clock
 *         gone back counts as idle), else the microseconds until
 *         last_write + window
 */
uint64_t coalesce_rule_wait(uint64_t last_write, uint64_t now, uint64_t window)
{
	if (!window || !last_write || now < last_write ||
	    now - last_write >= window)
		return 0;
	return last_write + window - now;
}
