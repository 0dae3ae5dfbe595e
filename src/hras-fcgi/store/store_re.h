/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file store_re.h  A hiredis async context driven by libre's loop
 *
 * hiredis asks for read and write interest through its ev hooks; they
 * become fd_listen() on the context's socket.  The glue is freed by
 * hiredis's cleanup hook, whenever hiredis frees the context (a
 * disconnect, an error, redisAsyncFree()).
 */

struct redisAsyncContext;

int store_re_attach(struct redisAsyncContext *ac);
