/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file callstate.c  The calls that are up, kept across a restart
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <re.h>
#include "conf.h"
#include "log.h"
#include "quota.h"
#include "hracs.h"
#include "iface.h"
#include "rat.h"
#include "sipsrv.h"
#include "dialog.h"
#include "statefield.h"
#include "wholefile.h"
#include "statewriter.h"
#include "callstate.h"

enum {
	FIELDS_MAX = 256, /* more than any record has */
};

static const char magic[] = "# sofw-calls 1";

struct callstate {
	struct statewriter *sw;
	struct rat *r;
	struct dialogs *ds;
	struct tmr tmr;
	bool dirty;
	callstate_share_h *shareh; /* the calls shared with other nodes */
	void *share_arg;
};

static uint64_t wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

static int write_calls(FILE *f, void *arg)
{
	struct callstate *cs = arg;
	int e;

	fprintf(f, "%s\nsaved\t%llu\n", magic, (unsigned long long)wall_ms());
	e = rat_state_write(f, cs->r);
	return e ? e : dialogs_state_write(f, cs->ds);
}

/* The snapshot in memory, for the other nodes */
static void share(struct callstate *cs)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int e = f ? write_calls(f, cs) : errno;

	if (f && fclose(f) && !e)
		e = errno;
	if (e)
		log_error("calls not shared: %s", strerror(e));
	else
		cs->shareh(text, len,
		           !rat_count(cs->r) && !dialogs_count(cs->ds),
		           cs->share_arg);
	free(text);
}

static void save(struct callstate *cs)
{
	int e = statewriter_put(cs->sw, write_calls, cs);

	if (e)
		log_error("calls not saved: %s", strerror(e));
	if (cs->shareh)
		share(cs);
	cs->dirty = false;
}

static void save_later(void *arg)
{
	struct callstate *cs = arg;

	/* the last snapshot is not even being written yet: this one would
	 * only replace it */
	if (statewriter_waiting(cs->sw)) {
		tmr_start(&cs->tmr, CALLSTATE_DELAY_MS, save_later, cs);
		return;
	}
	save(cs);
}

static void changed(void *arg)
{
	struct callstate *cs = arg;

	cs->dirty = true;
	if (!tmr_isrunning(&cs->tmr))
		tmr_start(&cs->tmr, CALLSTATE_DELAY_MS, save_later, cs);
}

static void callstate_destructor(void *arg)
{
	struct callstate *cs = arg;

	tmr_cancel(&cs->tmr);
	rat_on_change(cs->r, NULL, NULL);
	dialogs_on_change(cs->ds, NULL, NULL);
	/* the calls go on without us: a restart takes them up */
	if (cs->dirty && cs->sw)
		save(cs);
	statewriter_free(cs->sw);
}

/* One record; @age_ms since the file was saved */
static int load_record(struct callstate *cs, char *line, uint64_t age_ms,
                       const struct sa *writer, unsigned *calls,
                       unsigned *dialogs)
{
	char *fld[FIELDS_MAX];
	size_t n = statefield_split(line, fld, FIELDS_MAX);
	int e;

	if (n > FIELDS_MAX)
		return EINVAL;
	if (!strcmp(fld[0], "c")) {
		e = rat_state_read(cs->r, fld, n, age_ms, writer);
		*calls += !e;
	} else if (!strcmp(fld[0], "d")) {
		e = dialogs_state_read(cs->ds, fld, n);
		*dialogs += !e;
	} else {
		e = EINVAL;
	}
	return e;
}

struct loaded {
	unsigned calls, dialogs, bad;
	uint64_t age; /* ms since it was saved */
};

/* The records of @f (named @path in the log), written by the node whose
 * relay address is @writer (NULL: ours) */
static int load_stream(struct callstate *cs, FILE *f, const char *path,
                       const struct sa *writer, struct loaded *ld)
{
	unsigned lineno = 0, calls = 0, dialogs = 0, bad = 0;
	uint64_t saved = 0, now = wall_ms(), age = 0;
	char *line = malloc(STATEFIELD_LINE_MAX);

	if (!line)
		return ENOMEM;
	while (fgets(line, STATEFIELD_LINE_MAX, f)) {
		int e;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			int c;

			/* longer than any record we write: skip it */
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			e = E2BIG;
		} else if (lineno == 1) {
			e = strncmp(line, magic, strlen(magic)) ? EPROTO : 0;
			if (e) {
				log_error(
				    "%s: not a calls file of this version "
				    "(no '%s'): calls not taken up",
				    path, magic);
				break;
			}
			continue;
		} else if (!strncmp(line, "saved\t", 6)) {
			saved = strtoull(line + 6, NULL, 10);
			age = now > saved ? now - saved : 0;
			continue;
		} else if (line[0] == '#' || line[0] == '\n') {
			continue;
		} else {
			e = load_record(cs, line, age, writer, &calls,
			                &dialogs);
		}
		if (e && bad++ < 5)
			log_warn("%s:%u: record not taken up: %s", path, lineno,
			         strerror(e));
	}
	free(line);
	ld->calls = calls;
	ld->dialogs = dialogs;
	ld->bad = bad;
	ld->age = age;
	return 0;
}

static int load(struct callstate *cs, const char *path)
{
	struct loaded ld;
	FILE *f = fopen(path, "re");
	int e;

	if (!f)
		return errno == ENOENT ? 0 : errno;
	e = load_stream(cs, f, path, NULL, &ld);
	fclose(f);
	if (!e && (ld.calls || ld.dialogs || ld.bad))
		log_info("%s: %u calls and %u dialogs taken up after a restart "
		         "(state %llu ms old), %u records not",
		         path, ld.calls, ld.dialogs, (unsigned long long)ld.age,
		         ld.bad);
	return e;
}

/**
 * Take up the calls another node wrote (@text, callshare.h): they
 * relay on @relay, that node's address.  Written down at once, here and
 * in the share, before the caller lets that node's copy go.
 *
 * @param from  that node, for the log
 * @return 0 (@calls, @dialogs: how many were taken up), or ENOMEM
 */
int callstate_adopt(struct callstate *cs, const char *text, size_t len,
                    const struct sa *relay, const char *from, unsigned *calls,
                    unsigned *dialogs)
{
	struct loaded ld;
	FILE *f = fmemopen((void *)(uintptr_t)text, len, "r");
	int e;

	if (!f)
		return errno;
	e = load_stream(cs, f, from, relay, &ld);
	fclose(f);
	if (e)
		return e;
	if (ld.bad)
		log_warn("node %s: %u records not taken over", from, ld.bad);
	*calls = ld.calls;
	*dialogs = ld.dialogs;
	save(cs);
	return 0;
}

/* Each snapshot also to @h (NULL: no more), the first one at once */
void callstate_share(struct callstate *cs, callstate_share_h *h, void *arg)
{
	cs->shareh = h;
	cs->share_arg = arg;
	if (h)
		share(cs);
}

/**
 * Take up the calls @state_path.calls holds (@take_up; not with a shared
 * store: callshare.h takes them up from Redis), then keep it up to date
 *
 * @return 0, or the error of a file that cannot be read or written
 */
int callstate_alloc(struct callstate **csp, const char *state_path,
                    struct rat *r, struct dialogs *ds, bool take_up)
{
	struct callstate *cs;
	char *path = NULL;
	int e;

	cs = mem_zalloc(sizeof(*cs), callstate_destructor);
	if (!cs)
		return ENOMEM;
	cs->r = r;
	cs->ds = ds;
	tmr_init(&cs->tmr);
	e = re_sdprintf(&path, "%s.calls", state_path);
	e = e || !take_up ? e : load(cs, path);
	if (e) {
		log_error("calls file %s: %s", path ? path : state_path,
		          strerror(e));
		goto out;
	}
	e = statewriter_alloc(&cs->sw, path, 0600);
	if (e)
		goto out;
	/* what was read back is written at once: a second crash before
	 * any change keeps it too, and the file is known to be writable */
	save(cs);
	e = statewriter_sync(cs->sw);
	if (e) {
		log_error("calls file %s cannot be written: %s", path,
		          strerror(e));
		goto out;
	}
	rat_on_change(r, changed, cs);
	dialogs_on_change(ds, changed, cs);
	*csp = cs;
out:
	mem_deref(path);
	if (e)
		mem_deref(cs);
	return e;
}
