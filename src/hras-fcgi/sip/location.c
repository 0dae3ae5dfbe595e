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
 *     <addr> <udp|tcp|tls> <user-agent>       (one line, tab-separated)
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

static bool save_aor(struct le *le, void *arg)
{
	struct aor_entry *a = le->data;
	FILE *f = arg;
	struct le *bl;

	LIST_FOREACH(&a->bindings, bl)
	{
		const struct binding *b = bl->data;
		char addr[64];

		re_snprintf(addr, sizeof(addr), "%J", &b->addr);
		fprintf(f, "b\t%s\t%s\t%llu\t%u\t%s\t%u\t%s\t%s\t%s\t%s\t%s\n",
		        b->aor, b->contact, (unsigned long long)b->expires,
		        b->q, b->callid[0] ? b->callid : "-", b->cseq,
		        b->inside ? "in" : "out",
		        b->inside && b->hrac[0] ? b->hrac : "-", addr,
		        b->inside ? (b->tcp ? "tcp" : "udp") : tp_name(b->tp),
		        b->ua[0] ? b->ua : "-");
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

static int load_line(struct location *l, char *line, uint64_t now)
{
	char *f[12];
	struct binding b;
	int n = 0;

	for (char *p = strtok(line, "\t\n"); p && n < 12;
	     p = strtok(NULL, "\t\n"))
		f[n++] = p;

	if (n == 2 && !strcmp(f[0], "key") && strlen(f[1]) == 64) {
		for (int i = 0; i < 32; i++) {
			int hi = hexval(f[1][2 * i]),
			    lo = hexval(f[1][2 * i + 1]);

			if (hi < 0 || lo < 0)
				return EBADMSG;
			l->key[i] = (uint8_t)(hi << 4 | lo);
		}
		return 0;
	}
	if (n != 12 || strcmp(f[0], "b"))
		return EBADMSG;

	memset(&b, 0, sizeof(b));
	copy_field(b.aor, sizeof(b.aor), f[1]);
	copy_field(b.contact, sizeof(b.contact), f[2]);
	b.expires = strtoull(f[3], NULL, 10);
	b.q = (uint32_t)strtoul(f[4], NULL, 10);
	copy_field(b.callid, sizeof(b.callid), f[5]);
	b.cseq = (uint32_t)strtoul(f[6], NULL, 10);
	b.inside = !strcmp(f[7], "in");
	copy_field(b.hrac, sizeof(b.hrac), f[8]);
	if (sa_decode(&b.addr, f[9], strlen(f[9])))
		return EBADMSG;
	b.tcp = !strcmp(f[10], "tcp");
	b.tp = !strcmp(f[10], "tcp")   ? SIP_TRANSP_TCP
	       : !strcmp(f[10], "tls") ? SIP_TRANSP_TLS
	                               : SIP_TRANSP_UDP;
	copy_field(b.ua, sizeof(b.ua), f[11]);
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
	struct binding *b = NULL;
	struct le *le;

	if (a) {
		LIST_FOREACH(&a->bindings, le)
		{
			struct binding *x = le->data;

			if (!strcmp(x->contact, nb->contact)) {
				b = x;
				break;
			}
		}
	}

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
	return put(l, nb, true);
}

void location_remove(struct location *l, const char *aor, const char *contact)
{
	struct aor_entry *a = aor_find(l, aor);
	struct le *le;

	if (!a)
		return;
	LIST_FOREACH(&a->bindings, le)
	{
		struct binding *b = le->data;

		if (!strcmp(b->contact, contact)) {
			drop_binding(l, b);
			return;
		}
	}
}

void location_remove_all(struct location *l, const char *aor)
{
	struct aor_entry *a = aor_find(l, aor);

	if (!a)
		return;
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
