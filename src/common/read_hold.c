/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file read_hold.c  Many UDP sockets, read together at a window's end
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <re.h>
#include "read_hold.h"

struct read_hold {
	int ep;    /* the sockets */
	int gate;  /* ep alone: what the loop watches */
	bool held; /* ep's entry in gate asks for nothing */
	read_hold_woken_h *wokenh;
	void *arg;
};

static void destructor(void *arg)
{
	struct read_hold *rh = arg;

	if (rh->gate >= 0) {
		fd_close(rh->gate);
		close(rh->gate);
	}
	if (rh->ep >= 0)
		close(rh->ep);
}

static void gate_readable(int flags, void *arg)
{
	struct read_hold *rh = arg;

	(void)flags;
	rh->wokenh(rh->arg);
}

/* ep's entry in gate: readable, or (held) nothing */
static int gate_set(struct read_hold *rh, int op, uint32_t events)
{
	struct epoll_event ev = { .events = events };

	return epoll_ctl(rh->gate, op, rh->ep, &ev) ? errno : 0;
}

int read_hold_alloc(struct read_hold **rhp, read_hold_woken_h *wokenh,
                    void *arg)
{
	struct read_hold *rh = mem_zalloc(sizeof(*rh), destructor);
	int e;

	if (!rh)
		return ENOMEM;
	rh->gate = -1;
	rh->wokenh = wokenh;
	rh->arg = arg;
	rh->ep = epoll_create1(EPOLL_CLOEXEC);
	if (rh->ep < 0) {
		e = errno;
		goto out;
	}
	rh->gate = epoll_create1(EPOLL_CLOEXEC);
	if (rh->gate < 0) {
		e = errno;
		goto out;
	}
	e = gate_set(rh, EPOLL_CTL_ADD, EPOLLIN);
	if (!e) {
		e = fd_listen(rh->gate, FD_READ, gate_readable, rh);
		if (e) {
			close(rh->gate); /* never listened: no fd_close */
			rh->gate = -1;
		}
	}
out:
	if (e)
		mem_deref(rh);
	else
		*rhp = rh;
	return e;
}

/* Read @fd with the others, named @key in drains */
int read_hold_add(struct read_hold *rh, int fd, uint64_t key)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = key };

	return epoll_ctl(rh->ep, EPOLL_CTL_ADD, fd, &ev) ? errno : 0;
}

/* Before @fd closes (a close alone does it too, unless the descriptor
 * was duplicated) */
void read_hold_del(struct read_hold *rh, int fd)
{
	(void)epoll_ctl(rh->ep, EPOLL_CTL_DEL, fd, NULL);
}

/* Every socket readable now, once, by its key */
void read_hold_drain(struct read_hold *rh, read_hold_ready_h *h, void *arg)
{
	struct epoll_event ev[READ_HOLD_EVENTS];

	for (int r = 0; r < READ_HOLD_ROUNDS; r++) {
		int n = epoll_wait(rh->ep, ev, READ_HOLD_EVENTS, 0);

		for (int k = 0; k < n; k++)
			h(ev[k].data.u64, arg);
		if (n < READ_HOLD_EVENTS)
			break;
	}
}

/* A window holds the link: packets wait for its end (read_hold_drain) */
int read_hold_hold(struct read_hold *rh)
{
	int e;

	if (rh->held)
		return 0;
	e = gate_set(rh, EPOLL_CTL_MOD, 0);
	if (!e)
		rh->held = true;
	return e;
}

/* The link is idle again: a packet wakes the loop at once */
int read_hold_release(struct read_hold *rh)
{
	int e;

	if (!rh->held)
		return 0;
	e = gate_set(rh, EPOLL_CTL_MOD, EPOLLIN);
	if (!e)
		rh->held = false;
	return e;
}
