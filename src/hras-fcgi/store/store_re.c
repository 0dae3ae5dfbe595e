/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file store_re.c  hiredis's ev hooks on libre's fd_listen()
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include "store_re.h"

struct glue {
	redisAsyncContext *ac; /* NULL once hiredis freed it */
	int fd;
	int flags; /* FD_READ | FD_WRITE wanted */
};

static void on_fd(int flags, void *arg)
{
	struct glue *g = arg;

	/* a read may free the context (its cleanup clears g->ac): hold
	 * the glue across both calls */
	mem_ref(g);
	if ((flags & FD_READ) && g->ac)
		redisAsyncHandleRead(g->ac);
	if ((flags & (FD_WRITE | FD_EXCEPT)) && g->ac)
		redisAsyncHandleWrite(g->ac);
	mem_deref(g);
}

static void want(struct glue *g, int flags)
{
	if (g->flags == flags || g->fd < 0)
		return;
	g->flags = flags;
	if (flags)
		(void)fd_listen(g->fd, flags, on_fd, g);
	else
		fd_close(g->fd);
}

static void add_read(void *arg)
{
	struct glue *g = arg;

	want(g, g->flags | FD_READ);
}

static void del_read(void *arg)
{
	struct glue *g = arg;

	want(g, g->flags & ~FD_READ);
}

static void add_write(void *arg)
{
	struct glue *g = arg;

	want(g, g->flags | FD_WRITE);
}

static void del_write(void *arg)
{
	struct glue *g = arg;

	want(g, g->flags & ~FD_WRITE);
}

static void cleanup(void *arg)
{
	struct glue *g = arg;

	want(g, 0);
	g->ac = NULL;
	g->fd = -1;
	mem_deref(g);
}

/**
 * Let libre's loop drive @ac (just made by redisAsyncConnect*())
 *
 * @return 0, or ENOMEM
 */
int store_re_attach(redisAsyncContext *ac)
{
	struct glue *g;

	if (ac->ev.data)
		return EALREADY;
	g = mem_zalloc(sizeof(*g), NULL);
	if (!g)
		return ENOMEM;
	g->ac = ac;
	g->fd = ac->c.fd;
	ac->ev.data = g;
	ac->ev.addRead = add_read;
	ac->ev.delRead = del_read;
	ac->ev.addWrite = add_write;
	ac->ev.delWrite = del_write;
	ac->ev.cleanup = cleanup;
	return 0;
}
