/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file loc_store.c  The location service written through to the store,
 * the other nodes' changes applied, everything loaded when it comes
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include <hiredis/hiredis.h>
#include "log.h"
#include "secret.h"
#include "hracs.h"
#include "store.h"
#include "location.h"
#include "loc_store.h"

#define LOC_CHANNEL "sofw:loc"
#define RR_KEY      "sofw:rr-key"

enum {
	KEY_MAX = LOC_AOR_MAX + LOC_CONTACT_MAX + 16,
	MSG_MAX = LOC_LINE_MAX + LOC_NODE_MAX + 16,
};

struct loc_store {
	struct store *st;
	struct location *loc;
	uint8_t *rr_key; /* the SIP service's, 32 bytes */
	uint32_t max;    /* bindings loaded at most */
};

static void key_of(char *key, size_t size, const char *aor, const char *contact)
{
	snprintf(key, size, "sofw:b:%s %s", aor, contact);
}

/* A change made here: to Redis, then to the others */
static void on_change(const struct binding *b, bool removed, void *arg)
{
	struct loc_store *ls = arg;
	char key[KEY_MAX], line[LOC_LINE_MAX];
	uint64_t now = location_now();
	const char *node = store_node(ls->st);

	key_of(key, sizeof(key), b->aor, b->contact);
	if (removed) {
		(void)store_cmd(ls->st, NULL, NULL, "DEL %s", key);
		(void)store_cmd(ls->st, NULL, NULL,
		                "PUBLISH " LOC_CHANNEL " %s\tdel\t%s\t%s", node,
		                b->aor, b->contact);
		return;
	}
	if (b->expires <= now || location_line(line, sizeof(line), b))
		return;
	(void)store_cmd(ls->st, NULL, NULL, "SET %s %s EX %llu", key, line,
	                (unsigned long long)(b->expires - now));
	(void)store_cmd(ls->st, NULL, NULL,
	                "PUBLISH " LOC_CHANNEL " %s\tset\t%s", node, line);
}

/* A binding as Redis holds it, applied here (@newer: a load's) */
static void apply_line(struct loc_store *ls, const char *v, size_t len,
                       bool newer)
{
	char line[LOC_LINE_MAX];
	struct binding b;
	int e;

	if (len >= sizeof(line))
		return;
	memcpy(line, v, len);
	line[len] = '\0';
	if (location_parse(&b, line)) {
		log_debug("store: an unusable binding ignored");
		return;
	}
	e = location_apply(ls->loc, &b, newer);
	if (e)
		log_warn("registration of %s from the store not kept: %s",
		         b.aor, strerror(e));
}

/* "<node>\tset\t<line>" or "<node>\tdel\t<aor>\t<contact>" */
static void on_message(const char *channel, const char *msg, size_t len,
                       void *arg)
{
	struct loc_store *ls = arg;
	const char *node = store_node(ls->st);
	size_t nlen = strlen(node);
	char buf[MSG_MAX], *aor, *contact;

	if (len > nlen && !memcmp(msg, node, nlen) && msg[nlen] == '\t')
		return; /* ours */
	if (len >= sizeof(buf))
		return;
	memcpy(buf, msg, len);
	buf[len] = '\0';
	aor = strchr(buf, '\t');
	if (!aor)
		return;
	if (!strncmp(aor, "\tset\t", 5)) {
		apply_line(ls, aor + 5, strlen(aor + 5), false);
		return;
	}
	if (strncmp(aor, "\tdel\t", 5))
		return;
	aor += 5;
	contact = strchr(aor, '\t');
	if (!contact)
		return;
	*contact++ = '\0';
	location_apply_del(ls->loc, aor, contact);
}

static void loaded_one(const char *v, size_t len, void *arg)
{
	apply_line(arg, v, len, true);
}

static void loaded(int err, uint32_t n, void *arg)
{
	struct loc_store *ls = arg;

	if (err)
		log_warn("store: loading the registrations failed: %s",
		         strerror(err));
	else
		log_info("store: %u registrations known, %u read from the "
		         "store",
		         location_count(ls->loc), n);
}

/* Ours, and Redis may have lost it: written back unless it has one */
static void write_back(const struct binding *b, void *arg)
{
	struct loc_store *ls = arg;
	char key[KEY_MAX], line[LOC_LINE_MAX];
	uint64_t now = location_now();

	if (strcmp(b->node, store_node(ls->st)) || b->expires <= now ||
	    location_line(line, sizeof(line), b))
		return;
	key_of(key, sizeof(key), b->aor, b->contact);
	(void)store_cmd(ls->st, NULL, NULL, "SET %s %s EX %llu NX", key, line,
	                (unsigned long long)(b->expires - now));
}

static int hex_key(uint8_t key[32], const char *hex, size_t len)
{
	if (len != 64)
		return EBADMSG;
	for (size_t i = 0; i < 32; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return EBADMSG;
		key[i] = (uint8_t)v;
	}
	return 0;
}

static void on_rr_key(int err, const redisReply *r, void *arg)
{
	struct loc_store *ls = arg;
	uint8_t key[32];

	if (err || r->type != REDIS_REPLY_STRING ||
	    hex_key(key, r->str, r->len)) {
		log_warn("store: no shared Record-Route key; this node's "
		         "Record-Routes are its own");
		return;
	}
	if (memcmp(key, ls->rr_key, 32))
		log_info("store: the Record-Route key is the cluster's");
	memcpy(ls->rr_key, key, 32);
	explicit_bzero(key, sizeof(key));
}

static void on_conn(bool up, void *arg)
{
	struct loc_store *ls = arg;
	char hex[65];

	if (!up)
		return;
	/* the first node's key is everyone's */
	secret_hex(hex, ls->rr_key, 32);
	(void)store_cmd(ls->st, NULL, NULL, "SET " RR_KEY " %s NX", hex);
	explicit_bzero(hex, sizeof(hex));
	(void)store_cmd(ls->st, on_rr_key, ls, "GET " RR_KEY);
	location_foreach(ls->loc, write_back, ls);
	(void)store_load(ls->st, "sofw:b:*", ls->max, loaded_one, loaded, ls);
}

static void destructor(void *arg)
{
	struct loc_store *ls = arg;

	store_cancel(ls->st, ls);
	location_watch(ls->loc, NULL, NULL);
}

/**
 * Share @loc through @st (a shared store); @rr_key becomes the cluster's
 * once the store is up
 */
int loc_store_alloc(struct loc_store **lsp, struct store *st,
                    struct location *loc, uint8_t rr_key[32],
                    uint32_t max_bindings)
{
	struct loc_store *ls;
	int e;

	ls = mem_zalloc(sizeof(*ls), destructor);
	if (!ls)
		return ENOMEM;
	ls->st = st;
	ls->loc = loc;
	ls->rr_key = rr_key;
	ls->max = max_bindings;
	e = store_subscribe(st, LOC_CHANNEL, on_message, ls);
	e = e ? e : store_watch(st, on_conn, ls);
	if (e) {
		mem_deref(ls);
		return e;
	}
	location_watch(loc, on_change, ls);
	if (store_up(st))
		on_conn(true, ls);
	*lsp = ls;
	return 0;
}
