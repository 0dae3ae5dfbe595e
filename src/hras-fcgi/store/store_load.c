/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file store_load.c  Every value under a key pattern, read in steps
 *
 * SCAN MATCH (STORE_SCAN_COUNT keys a step, so Redis never blocks on a
 * large table) and an MGET of each step's keys.  A load lives until its
 * last step, until the store goes (its users load again when it comes
 * back), or until its user cancels (store_cancel with its arg).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include <hiredis/hiredis.h>
#include "log.h"
#include "store.h"
#include "store_priv.h"

struct store_load {
	struct le le; /* in the store's loads */
	struct store *s;
	char pattern[STORE_PATTERN_MAX];
	char cursor[32];
	uint32_t n, max;
	store_value_h *valueh;
	store_done_h *doneh;
	void *arg;
};

static void load_destructor(void *arg)
{
	struct store_load *ld = arg;

	list_unlink(&ld->le);
	store_cancel(ld->s, ld);
}

static void finish(struct store_load *ld, int err)
{
	store_done_h *h = ld->doneh;
	uint32_t n = ld->n;
	void *arg = ld->arg;

	mem_deref(ld);
	if (h)
		h(err, n, arg);
}

static void step(struct store_load *ld);

static void on_mget(int err, const redisReply *r, void *arg)
{
	struct store_load *ld = arg;

	if (err || r->type != REDIS_REPLY_ARRAY) {
		finish(ld, err ? err : EPROTO);
		return;
	}
	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *v = r->element[i];

		if (v->type == REDIS_REPLY_STRING)
			ld->valueh(v->str, v->len, ld->arg);
	}
	step(ld);
}

static void on_scan(int err, const redisReply *r, void *arg)
{
	struct store_load *ld = arg;
	const redisReply *keys;
	const char **argv;
	size_t *argvlen, n = 0;

	if (err || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_ARRAY) {
		finish(ld, err ? err : EPROTO);
		return;
	}
	snprintf(ld->cursor, sizeof(ld->cursor), "%s", r->element[0]->str);
	keys = r->element[1];
	if (!keys->elements) {
		step(ld);
		return;
	}
	/* COUNT is a hint: a step brings about that many keys */
	argv = mem_zalloc((keys->elements + 1) * sizeof(*argv), NULL);
	argvlen = mem_zalloc((keys->elements + 1) * sizeof(*argvlen), NULL);
	if (!argv || !argvlen) {
		mem_deref(argv);
		mem_deref(argvlen);
		finish(ld, ENOMEM);
		return;
	}
	argv[n] = "MGET";
	argvlen[n++] = 4;
	for (size_t i = 0; i < keys->elements; i++) {
		if (keys->element[i]->type != REDIS_REPLY_STRING)
			continue;
		argv[n] = keys->element[i]->str;
		argvlen[n++] = keys->element[i]->len;
	}
	ld->n += (uint32_t)(n - 1);
	err = n > 1 ? store_cmd_argv(ld->s, on_mget, ld, (int)n, argv, argvlen)
	            : 0;
	mem_deref(argv);
	mem_deref(argvlen);
	if (err)
		finish(ld, err);
	else if (n == 1)
		step(ld);
}

/* The next step, or the end: cursor 0, or the bound reached */
static void step(struct store_load *ld)
{
	if (!strcmp(ld->cursor, "0") || ld->n >= ld->max) {
		finish(ld, 0);
		return;
	}
	if (store_cmd(ld->s, on_scan, ld, "SCAN %s MATCH %s COUNT %u",
	              ld->cursor[0] ? ld->cursor : "0", ld->pattern,
	              (unsigned)STORE_SCAN_COUNT))
		finish(ld, ENOTCONN);
}

/**
 * Read every value whose key matches @pattern (at most about @max):
 * @valueh gets each, @doneh (may be NULL) the end with the count
 */
int store_load(struct store *s, const char *pattern, uint32_t max,
               store_value_h *valueh, store_done_h *doneh, void *arg)
{
	struct store_load *ld;

	if (!store_shared(s))
		return ENOTSUP;
	if (strlen(pattern) >= STORE_PATTERN_MAX)
		return EINVAL;
	ld = mem_zalloc(sizeof(*ld), load_destructor);
	if (!ld)
		return ENOMEM;
	ld->s = s;
	snprintf(ld->pattern, sizeof(ld->pattern), "%s", pattern);
	ld->max = max;
	ld->valueh = valueh;
	ld->doneh = doneh;
	ld->arg = arg;
	list_append(&s->loads, &ld->le, ld);
	step(ld);
	return 0;
}

/* The store went, or @arg's user did (NULL: every load) */
void store_load_abort(struct store *s, const void *arg)
{
	struct le *le = s->loads.head;

	while (le) {
		struct store_load *ld = le->data;

		le = le->next;
		if (!arg || ld->arg == arg)
			mem_deref(ld);
	}
}
