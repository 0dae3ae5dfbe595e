/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file coalesce.c  A timed window's end, below a millisecond
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/timerfd.h>
#include <re.h>
#include "coalesce_rule.h"
#include "coalesce.h"

struct coalesce {
	int fd; /* timerfd, CLOCK_MONOTONIC */
	bool armed;
	coalesce_h *h;
	void *arg;
};

_Static_assert((int)COALESCE_MAX_US == (int)COALESCE_RULE_MAX_US,
               "the windows' bound is the shared rule's");

/* How long frames wait before the next write: the rule both ends share
 * (coalesce_rule.h) */
uint64_t coalesce_wait(uint64_t last_write, uint64_t now, uint32_t window)
{
	return coalesce_rule_wait(last_write, now, window);
}

static void fire(int flags, void *arg)
{
	struct coalesce *c = arg;
	uint64_t n;

	(void)flags;
	if (read(c->fd, &n, sizeof(n)) != sizeof(n))
		return; /* disarmed since it became readable */
	c->armed = false;
	c->h(c->arg);
}

int coalesce_alloc(struct coalesce **cp, coalesce_h *h, void *arg)
{
	struct coalesce *c;
	int e;

	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->h = h;
	c->arg = arg;
	c->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->fd < 0) {
		e = errno;
		free(c);
		return e;
	}
	e = fd_listen(c->fd, FD_READ, fire, c);
	if (e) {
		close(c->fd);
		free(c);
		return e;
	}
	*cp = c;
	return 0;
}

void coalesce_free(struct coalesce *c)
{
	if (!c)
		return;
	fd_close(c->fd);
	close(c->fd);
	free(c);
}

/* Call the handler in @delay_us (at least 1 us: a zero timer is off) */
int coalesce_arm(struct coalesce *c, uint64_t delay_us)
{
	struct itimerspec its = { 0 };

	if (!delay_us)
		delay_us = 1;
	its.it_value.tv_sec = (time_t)(delay_us / 1000000);
	its.it_value.tv_nsec = (long)(delay_us % 1000000) * 1000;
	if (timerfd_settime(c->fd, 0, &its, NULL))
		return errno;
	c->armed = true;
	return 0;
}

void coalesce_cancel(struct coalesce *c)
{
	struct itimerspec its = { 0 };

	if (!c || !c->armed)
		return;
	timerfd_settime(c->fd, 0, &its, NULL);
	c->armed = false;
}

bool coalesce_armed(const struct coalesce *c)
{
	return c && c->armed;
}
