/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file down_coalesce.c  When a down writer sends what is queued
 */
#include <stddef.h>
#include <stdint.h>
#include "coalesce_rule.h"
#include "down_coalesce.h"

/**
 * When to write frames that are queued now
 *
 * @param queued  bytes queued
 * @param full    bytes that make a write worth doing at once
 * @return @now, or the end of the window since the last write
 */
uint64_t down_coalesce_due(const struct down_coalesce *c, uint64_t now,
                           size_t queued, size_t full)
{
	if (queued >= full)
		return now;
	return now + coalesce_rule_wait(c->last_write, now, c->window);
}

/* A write began at @now */
void down_coalesce_wrote(struct down_coalesce *c, uint64_t now)
{
	c->last_write = now ? now : 1;
}
