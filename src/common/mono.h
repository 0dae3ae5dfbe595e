/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file mono.h  Monotonic time
 *
 * libre's tmr_jiffies() follows the wall clock; frame ages, timeouts and
 * latency figures must not jump when NTP steps the clock.
 */
#include <time.h>

static inline uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline uint64_t mono_ms(void)
{
	return mono_us() / 1000u;
}
