/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file location.c  The location service: address of record -> bindings
 *
 * State file: text, one record per line, fields separated by tabs:
 *
 *   # sofw-state 1
 *   key <64 hex digits>
 *   b <aor> <contact> <expires> <q> <call-id> <cseq> <in|out> <hrac|->
 *     <addr> <udp|tcp|tls> <user-agent> [<node>]  (one line, tab-separated)
 *
 * A binding's line without the "b" is also its value in the shared store
 * (location_line, location_parse).
 *
 * Written whole (wholefile.h): a crash leaves either the old state or the
 * new, never half of one; by a thread of its own (statewriter.h), so the
 * loop never waits for the disk.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <re.h>
#include "log.h"
#include "secret.h"
#include "wholefile.h"
#include "statewriter.h"
#include "hracs.h"
#include "location.h"

enum {
	SWEEP_MS = 5000,
	SAVE_DELAY_MS = 1000,
	LINE_MAX_LEN = 2048,
};

struct aor_entry {
	struct le he;
	struct list bindings;
	char aor[LOC_AOR_MAX];
};

struct location {
	struct hash *aors;
	uint32_t n, max_total, max_per_aor;
	char *path;
	struct statewriter *sw; /* NULL: no state file */
	uint8_t key[32];
	bool dirty;
	struct tmr sweep, save;
	location_change_h *changeh; /* NULL: one node */
	void *change_arg;
};

/* "user@host" as a key: the host part lower-cased (RFC 3261 §19.1.4:
 * the user part is case-sensitive) */
void location_aor_norm(char *aor)
{
	for (char *p = strchr(aor, '@'); p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

uint64_t location_now(void)
{
	return (uint64_t)time(NULL);
}

static bool aor_cmp(struct le *le, void *arg)
{
	const struct aor_entry *a = le->data;

	return !strcmp(a->aor, arg);
}

static struct aor_entry *aor_find(struct location *l, const char *aor)
{
	struct le *le =
	    hash_lookup(l->aors, hash_joaat_str(aor), aor_cmp, (void *)aor);

	return le ? le->data : NULL;
}

static struct binding *find_binding(struct location *l, const char *aor,
                                    const char *contact)
{
	struct aor_entry *a = aor_find(l, aor);
	struct le *le;

	LIST_FOREACH(a ? &a->bindings : NULL, le)
	{
		struct binding *b = le->data;

		if (!strcmp(b->contact, contact))
			return b;
	}
	return NULL;
}

static void aor_destructor(void *arg)
{
	struct aor_entry *a = arg;

	hash_unlink(&a->he);
	list_flush(&a->bindings);
}

static void binding_destructor(void *arg)
{
	struct binding *b = arg;

	list_unlink(&b->le);
}

static void mark_dirty(struct location *l);

static void tell(struct location *l, const struct binding *b, bool removed)
{
	if (l->changeh)
		l->changeh(b, removed, l->change_arg);
}

static void drop_binding(struct location *l, struct binding *b)
{
	struct aor_entry *a = aor_find(l, b->aor);

	mem_deref(b);
	l->n--;
	if (a && list_isempty(&a->bindings))
		mem_deref(a);
	mark_dirty(l);
}

static bool sweep_aor(struct le *le, void *arg)
{
	struct aor_entry *a = le->data;
	struct location *l = arg;
	uint64_t now = location_now();
	struct le *bl = list_head(&a->bindings);

	while (bl) {
		struct binding *b = bl->data;

		bl = bl->next;
		if (b->expires <= now) {
			log_debug("binding of %s expired: %s", b->aor,
			          b->contact);
			mem_deref(b);
			l->n--;
			mark_dirty(l);
		}
	}
	if (list_isempty(&a->bindings))
		mem_deref(a);
	return false;
}

static void sweep(void *arg)
{
	struct location *l = arg;

	tmr_start(&l->sweep, SWEEP_MS, sweep, l);
	hash_apply(l->aors, sweep_aor, l);
}

static void save_timer(void *arg)
{
	struct location *l = arg;

	/* the last snapshot is not even being written yet: the disk is
	 * slow, and this one would replace it; later */
	if (l->sw && statewriter_waiting(l->sw)) {
		tmr_start(&l->save, SAVE_DELAY_MS, save_timer, l);
		return;
	}
	if (l->dirty)
		location_save(l);
}

static void mark_dirty(struct location *l)
{
	l->dirty = true;
	if (l->path && !tmr_isrunning(&l->save))
		tmr_start(&l->save, SAVE_DELAY_MS, save_timer, l);
}

static const char *tp_name(enum sip_transp tp)
{
	return tp == SIP_TRANSP_TCP   ? "tcp"
	       : tp == SIP_TRANSP_TLS ? "tls"
	                              : "udp";
}

/* @b as the state file's fields, tab-separated, without the "b" */
int location_line(char *buf, size_t size, const struct binding *b)
{
	char addr[64];
	int n;

	re_snprintf(addr, sizeof(addr), "%J", &b->addr);
	n = snprintf(
	    buf, size, "%s\t%s\t%llu\t%u\t%s\t%u\t%s\t%s\t%s\t%s\t%s%s%s",
	    b->aor, b->contact, (unsigned long long)b->expires, b->q,
	    b->callid[0] ? b->callid : "-", b->cseq, b->inside ? "in" : "out",
	    b->inside && b->hrac[0] ? b->hrac : "-", addr,
	    b->inside ? (b->tcp ? "tcp" : "udp") : tp_name(b->tp),
	    b->ua[0] ? b->ua : "-", b->node[0] ? "\t" : "", b->node);
	return n < 0 || (size_t)n >= size ? ENOSPC : 0;
}

static bool save_aor(struct le *le, void *arg)
{
	struct aor_entry *a = le->data;
	FILE *f = arg;
	struct le *bl;

	LIST_FOREACH(&a->bindings, bl)
	{
		char line[LOC_LINE_MAX];

		if (!location_line(line, sizeof(line), bl->data))
			fprintf(f, "b\t%s\n", line);
	}
	return false;
}

/* Write the state file atomically: temporary file, fsync, rename */
static int write_state(FILE *f, void *arg)
{
	struct location *l = arg;
	char hex[65];

	secret_hex(hex, l->key, sizeof(l->key));
	fprintf(f, "# sofw-state 1\nkey\t%s\n", hex);
	hash_apply(l->aors, save_aor, f);
	explicit_bzero(hex, sizeof(hex));
	return ferror(f) ? EIO : 0;
}

/* Hand the state to the writer thread; written in this thread before it
 * runs (at start: the file must be writable) */
int location_save(struct location *l)
{
	int e;

	if (!l->path)
		return 0;
	if (l->sw) {
		e = statewriter_put(l->sw, write_state, l);
		if (!e)
			l->dirty = false;
		return e;
	}
	e = wholefile_replace(l->path, 0600, true, write_state, l);
	if (e) {
		log_error("state file %s not saved: %s", l->path, strerror(e));
		return e;
	}
	l->dirty = false;
	return 0;
}

/* Wait until what location_save() handed over is on disk */
int location_sync(struct location *l)
{
	return l->sw ? statewriter_sync(l->sw) : 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	                              : -1;
}

static void copy_field(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", strcmp(src, "-") ? src : "");
}

static int put(struct location *l, const struct binding *nb, bool newest);

/* A line of location_line() back into @b: 0, or EBADMSG */
int location_parse(struct binding *b, char *line)
{
	char *f[12], *save = NULL;
	int n = 0;

	for (char *p = strtok_r(line, "\t\n", &save); p && n < 12;
	     p = strtok_r(NULL, "\t\n", &save))
		f[n++] = p;
	if (n < 11)
		return EBADMSG;
	memset(b, 0, sizeof(*b));
	copy_field(b->aor, sizeof(b->aor), f[0]);
	copy_field(b->contact, sizeof(b->contact), f[1]);
	b->expires = strtoull(f[2], NULL, 10);
	b->q = (uint32_t)strtoul(f[3], NULL, 10);
	copy_field(b->callid, sizeof(b->callid), f[4]);
	b->cseq = (uint32_t)strtoul(f[5], NULL, 10);
	b->inside = !strcmp(f[6], "in");
	copy_field(b->hrac, sizeof(b->hrac), f[7]);
	if (sa_decode(&b->addr, f[8], strlen(f[8])))
		return EBADMSG;
	b->tcp = !strcmp(f[9], "tcp");
	b->tp = !strcmp(f[9], "tcp")   ? SIP_TRANSP_TCP
	        : !strcmp(f[9], "tls") ? SIP_TRANSP_TLS
	                               : SIP_TRANSP_UDP;
	copy_field(b->ua, sizeof(b->ua), f[10]);
	if (n == 12)
		copy_field(b->node, sizeof(b->node), f[11]);
	return b->aor[0] && b->contact[0] ? 0 : EBADMSG;
}

static int load_line(struct location *l, char *line, uint64_t now)
{
	struct binding b;
	size_t n;

	if (!strncmp(line, "key\t", 4)) {
		n = strcspn(line + 4, "\n");
		if (n != 64)
			return EBADMSG;
		for (int i = 0; i < 32; i++) {
			int hi = hexval(line[4 + 2 * i]),
			    lo = hexval(line[4 + 2 * i + 1]);

			if (hi < 0 || lo < 0)
				return EBADMSG;
			l->key[i] = (uint8_t)(hi << 4 | lo);
		}
		return 0;
	}
	if (strncmp(line, "b\t", 2) || location_parse(&b, line + 2))
		return EBADMSG;
	if (b.expires <= now)
		return 0; /* expired while we were away */
	return put(l, &b, false);
}

static int load(struct location *l)
{
	char line[LINE_MAX_LEN];
	uint64_t now = location_now();
	unsigned lineno = 0, bad = 0;
	FILE *f = fopen(l->path, "re");

	if (!f)
		return errno == ENOENT ? 0 : errno;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (load_line(l, line, now))
			bad++;
	}
	fclose(f);
	if (bad)
		log_warn("state file %s: %u unusable lines ignored", l->path,
		         bad);
	log_info("state file %s: %u bindings restored", l->path, l->n);
	l->dirty = false;
	return 0;
}

static void location_destructor(void *arg)
{
	struct location *l = arg;

	tmr_cancel(&l->sweep);
	tmr_cancel(&l->save);
	if (l->dirty)
		location_save(l);
	statewriter_free(l->sw); /* what waits is written first */
	hash_flush(l->aors);
	mem_deref(l->aors);
	mem_deref(l->path);
	explicit_bzero(l->key, sizeof(l->key));
}

/**
 * @param state_path  file to keep the bindings in, or NULL
 */
int location_alloc(struct location **lp, uint32_t max_total,
                   uint32_t max_per_aor, const char *state_path)
{
	struct location *l;
	int e;

	l = mem_zalloc(sizeof(*l), location_destructor);
	if (!l)
		return ENOMEM;
	l->max_total = max_total;
	l->max_per_aor = max_per_aor;
	tmr_init(&l->sweep);
	tmr_init(&l->save);
	if (getrandom(l->key, sizeof(l->key), 0) != sizeof(l->key)) {
		mem_deref(l);
		return EIO;
	}
	e = hash_alloc(&l->aors, 1024);
	if (!e && state_path)
		e = str_dup(&l->path, state_path);
	if (!e && l->path) {
		e = load(l);
		if (e)
			log_error("state file %s: %s", l->path, strerror(e));
		else
			e = location_save(l); /* writable, and the key kept */
		if (!e)
			e = statewriter_alloc(&l->sw, l->path, 0600);
	}
	if (e) {
		mem_deref(l);
		return e;
	}
	tmr_start(&l->sweep, SWEEP_MS, sweep, l);
	*lp = l;
	return 0;
}

/* @newest: before the bindings of equal q (a REGISTER), or after them (a
 * line of the state file, which holds them in order) */
static int put(struct location *l, const struct binding *nb, bool newest)
{
	struct aor_entry *a = aor_find(l, nb->aor);
	struct binding *b = find_binding(l, nb->aor, nb->contact);
	struct le *le;

	if (!b) {
		if (l->n >= l->max_total)
			return ENOSPC;
		if (a && list_count(&a->bindings) >= l->max_per_aor)
			return E2BIG;
		if (!a) {
			a = mem_zalloc(sizeof(*a), aor_destructor);
			if (!a)
				return ENOMEM;
			snprintf(a->aor, sizeof(a->aor), "%s", nb->aor);
			hash_append(l->aors, hash_joaat_str(a->aor), &a->he, a);
		}
		b = mem_zalloc(sizeof(*b), binding_destructor);
		if (!b)
			return ENOMEM;
		l->n++;
	} else {
		list_unlink(&b->le);
	}

	{
		struct le saved = b->le;

		*b = *nb;
		b->le = saved;
	}

	/* highest q first, then the most recent: when a request forks to
	 * no more than the proxy's branch bound, the fresh bindings go */
	LIST_FOREACH(&a->bindings, le)
	{
		const struct binding *x = le->data;

		if (x->q < b->q || (newest && x->q == b->q))
			break;
	}
	if (le)
		list_insert_before(&a->bindings, le, &b->le, b);
	else
		list_append(&a->bindings, &b->le, b);

	mark_dirty(l);
	return 0;
}

/**
 * Add or refresh a binding
 *
 * @return 0, ENOSPC (the table is full) or E2BIG (too many for its AOR)
 */
int location_set(struct location *l, const struct binding *nb)
{
	int e = put(l, nb, true);

	if (!e)
		tell(l, nb, false);
	return e;
}

void location_remove(struct location *l, const char *aor, const char *contact)
{
	struct binding *b = find_binding(l, aor, contact);

	if (b) {
		tell(l, b, true);
		drop_binding(l, b);
	}
}

void location_remove_all(struct location *l, const char *aor)
{
	struct aor_entry *a = aor_find(l, aor);
	struct le *le;

	if (!a)
		return;
	LIST_FOREACH(&a->bindings, le)
	tell(l, le->data, true);
	l->n -= list_count(&a->bindings);
	mem_deref(a);
	mark_dirty(l);
}

/* The bindings of an AOR, highest q first; some may have expired */
const struct list *location_lookup(struct location *l, const char *aor)
{
	struct aor_entry *a = aor_find(l, aor);

	return a ? &a->bindings : NULL;
}

bool location_aor_known(struct location *l, const char *aor)
{
	return aor_find(l, aor) != NULL;
}

uint32_t location_count(const struct location *l)
{
	return l->n;
}

/* The key of Record-Route tokens: kept with the bindings, so dialogs
 * outlive a restart as registrations do */
int location_rr_key(struct location *l, uint8_t key[32])
{
	memcpy(key, l->key, 32);
	return 0;
}

/* Be told of each binding set or removed here (not of expiries: the
 * store's TTLs expire them there too) */
void location_watch(struct location *l, location_change_h *h, void *arg)
{
	l->changeh = h;
	l->change_arg = arg;
}

/**
 * Set a binding another node set, untold; with @newer only if it expires
 * later than the one here (what a load reads may be older than what the
 * channel already told)
 */
int location_apply(struct location *l, const struct binding *b, bool newer)
{
	const struct binding *x = find_binding(l, b->aor, b->contact);

	if (b->expires <= location_now())
		return 0;
	if (newer && x && x->expires >= b->expires)
		return 0;
	return put(l, b, true);
}

/* Remove a binding another node removed, untold */
void location_apply_del(struct location *l, const char *aor,
                        const char *contact)
{
	struct binding *b = find_binding(l, aor, contact);

	if (b)
		drop_binding(l, b);
}

struct each {
	location_each_h *h;
	void *arg;
};

static bool each_aor(struct le *le, void *arg)
{
	struct aor_entry *a = le->data;
	struct each *e = arg;
	struct le *bl;

	LIST_FOREACH(&a->bindings, bl)
	e->h(bl->data, e->arg);
	return false;
}

void location_foreach(struct location *l, location_each_h *h, void *arg)
{
	struct each e = { h, arg };

	hash_apply(l->aors, each_aor, &e);
}
