/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file dialog.c  The dialogs HRAS proxies: who is in them, and where
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "conf.h"
#include "log.h"
#include "mono.h"
#include "hracs.h"
#include "iface.h"
#include "sipsrv.h"
#include "statefield.h"
#include "dialog.h"

enum {
	SWEEP_MS = 5000,
	BYE_GRACE_MS = 32000, /* a challenged BYE is sent again */
};

struct dialogs {
	struct hash *by_callid;
	struct list all;
	uint32_t n, max;
	uint64_t ttl; /* ms after the last request */
	uint64_t refused;
	struct tmr sweep;
	dialogs_change_h *changeh; /* what a restart must keep changed */
	void *change_arg;
};

static void changed(struct dialogs *ds)
{
	if (ds->changeh)
		ds->changeh(ds->change_arg);
}

/* Who writes the dialogs down (callstate.h) */
void dialogs_on_change(struct dialogs *ds, dialogs_change_h *h, void *arg)
{
	ds->changeh = h;
	ds->change_arg = arg;
}

static void dialog_destructor(void *arg)
{
	struct dialog *d = arg;

	hash_unlink(&d->he);
	list_unlink(&d->le);
}

static void sweep(void *arg)
{
	struct dialogs *ds = arg;
	uint64_t now = mono_ms();
	struct le *le = list_head(&ds->all);

	bool kept = false;

	tmr_start(&ds->sweep, SWEEP_MS, sweep, ds);
	while (le) {
		struct dialog *d = le->data;

		le = le->next;
		if (now >= d->expires) {
			kept |= d->confirmed && !d->ended;
			ds->n--;
			mem_deref(d);
		}
	}
	if (kept)
		changed(ds);
}

static void dialogs_destructor(void *arg)
{
	struct dialogs *ds = arg;

	tmr_cancel(&ds->sweep);
	hash_clear(ds->by_callid);
	mem_deref(ds->by_callid);
	list_flush(&ds->all);
}

int dialogs_alloc(struct dialogs **dsp, uint32_t max, uint32_t ttl_s)
{
	struct dialogs *ds = mem_zalloc(sizeof(*ds), dialogs_destructor);

	if (!ds)
		return ENOMEM;
	if (hash_alloc(&ds->by_callid, 4096)) {
		mem_deref(ds);
		return ENOMEM;
	}
	ds->max = max;
	ds->ttl = (uint64_t)ttl_s * 1000;
	tmr_init(&ds->sweep);
	tmr_start(&ds->sweep, SWEEP_MS, sweep, ds);
	*dsp = ds;
	return 0;
}

static bool tag_is(const struct pl *tag, const char *s)
{
	return pl_isset(tag) && !pl_strcmp(tag, s);
}

struct find {
	const struct sip_msg *msg;
	const struct pl *caller_tag, *callee_tag; /* both: an exact match */
	struct dialog *d;
	int k;
};

static bool find_cmp(struct le *le, void *arg)
{
	struct dialog *d = le->data;
	struct find *f = arg;
	const struct sip_msg *m = f->msg;

	if (pl_strcmp(&m->callid, d->callid))
		return false;
	if (f->caller_tag) {
		if (!tag_is(f->caller_tag, d->tag[0]) ||
		    !tag_is(f->callee_tag, d->tag[1]))
			return false;
		f->d = d;
		return true;
	}
	/* a request comes from the party its From tag names */
	if (tag_is(&m->from.tag, d->tag[0]) && tag_is(&m->to.tag, d->tag[1]))
		f->k = 0;
	else if (tag_is(&m->from.tag, d->tag[1]) &&
	         tag_is(&m->to.tag, d->tag[0]))
		f->k = 1;
	else
		return false;
	f->d = d;
	return true;
}

/**
 * The dialog of a request, by its Call-ID and both tags
 *
 * @param k  set to the party that sent it: 0 the caller, 1 the callee
 */
struct dialog *dialogs_find(struct dialogs *ds, const struct sip_msg *req,
                            int *k)
{
	struct find f = { .msg = req };

	if (!pl_isset(&req->from.tag) || !pl_isset(&req->to.tag))
		return NULL;
	hash_lookup(ds->by_callid, hash_joaat_pl(&req->callid), find_cmp, &f);
	if (f.d && mono_ms() >= f.d->expires)
		return NULL;
	*k = f.k;
	return f.d;
}

/**
 * Record (or confirm) the dialog a response to a dialog-creating request
 * sets up; the parties are the proxy's view of where it went
 *
 * @return 0, EINVAL (no To tag, or too long to keep), ENOSPC (full)
 */
int dialogs_save(struct dialogs *ds, const struct sip_msg *resp,
                 const struct dialog_party *caller,
                 const struct dialog_party *callee)
{
	struct find f = { .msg = resp,
		          .caller_tag = &resp->from.tag,
		          .callee_tag = &resp->to.tag };
	struct dialog *d;

	if (!pl_isset(&resp->to.tag) || !pl_isset(&resp->from.tag) ||
	    resp->callid.l >= sizeof(d->callid) ||
	    resp->from.tag.l >= sizeof(d->tag[0]) ||
	    resp->to.tag.l >= sizeof(d->tag[1]))
		return EINVAL;

	hash_lookup(ds->by_callid, hash_joaat_pl(&resp->callid), find_cmp, &f);
	d = f.d;
	if (!d) {
		if (ds->n >= ds->max) {
			if (ds->refused++ % 1000 == 0)
				log_re_warn(
				    "dialog %r not recorded: %u dialogs "
				    "(raise --max-dialogs)",
				    &resp->callid, ds->max);
			return ENOSPC;
		}
		d = mem_zalloc(sizeof(*d), dialog_destructor);
		if (!d)
			return ENOMEM;
		pl_strcpy(&resp->callid, d->callid, sizeof(d->callid));
		pl_strcpy(&resp->from.tag, d->tag[0], sizeof(d->tag[0]));
		pl_strcpy(&resp->to.tag, d->tag[1], sizeof(d->tag[1]));
		hash_append(ds->by_callid, hash_joaat_pl(&resp->callid), &d->he,
		            d);
		list_append(&ds->all, &d->le, d);
		ds->n++;
	}
	d->party[0] = *caller;
	d->party[1] = *callee;
	d->confirmed |= resp->scode >= 200;
	d->expires = mono_ms() + ds->ttl;
	if (d->confirmed)
		changed(ds); /* new, or its parties' targets may be */
	return 0;
}

/* A request of the dialog went through: it lives on */
void dialogs_touch(struct dialogs *ds, struct dialog *d)
{
	if (!d->ended)
		d->expires = mono_ms() + ds->ttl;
}

/* A target refresh (RFC 3261 §12.2.2): party @k's new remote target */
void dialogs_target(struct dialogs *ds, struct dialog *d, int k,
                    const struct pl *uri)
{
	re_snprintf(d->party[k].target, sizeof(d->party[k].target), "%r", uri);
	changed(ds);
}

/* BYE: the dialog ends, after the grace a challenged BYE needs */
void dialogs_bye(struct dialogs *ds, struct dialog *d)
{
	d->ended = true;
	d->expires = min(d->expires, mono_ms() + BYE_GRACE_MS);
	changed(ds);
}

/* An INVITE failed: its early dialogs end */
void dialogs_failed(struct dialogs *ds, const struct sip_msg *req)
{
	struct le *le;

	le = list_head(hash_list(ds->by_callid, hash_joaat_pl(&req->callid)));
	while (le) {
		struct dialog *d = le->data;

		le = le->next;
		if (!d->confirmed && !pl_strcmp(&req->callid, d->callid) &&
		    tag_is(&req->from.tag, d->tag[0])) {
			ds->n--;
			mem_deref(d);
		}
	}
}

uint32_t dialogs_count(const struct dialogs *ds)
{
	return ds->n;
}

/* The calls up now: answered, no BYE yet (an ended dialog lingers) */
uint32_t dialogs_active(const struct dialogs *ds)
{
	uint32_t n = 0;
	struct le *le;

	LIST_FOREACH(&ds->all, le)
	{
		const struct dialog *d = le->data;

		n += d->confirmed && !d->ended;
	}
	return n;
}

/* -- across restarts ------------------------------------------------------ */

static bool dialog_write(struct le *le, void *arg)
{
	const struct dialog *d = le->data;
	FILE *f = arg;

	if (!d->confirmed || d->ended || !statefield_ok(d->callid) ||
	    !statefield_ok(d->tag[0]) || !statefield_ok(d->tag[1]) ||
	    !statefield_ok(d->party[0].target) ||
	    !statefield_ok(d->party[1].target))
		return false;
	fputs("d", f);
	statefield_str(f, d->callid);
	statefield_str(f, d->tag[0]);
	statefield_str(f, d->tag[1]);
	for (int k = 0; k < 2; k++) {
		const struct dialog_party *p = &d->party[k];

		iface_state_write(f, &p->side);
		statefield_sa(f, &p->addr);
		fprintf(f, "\t%s", sip_transp_name(p->tp));
		statefield_str(f, p->target);
	}
	fputc('\n', f);
	return false;
}

/**
 * The confirmed dialogs, one line each:
 *
 *   d CALL-ID CALLER-TAG CALLEE-TAG
 *     then per party: SIDE ADDR TRANSPORT TARGET
 */
int dialogs_state_write(FILE *f, struct dialogs *ds)
{
	list_apply(&ds->all, true, dialog_write, f);
	return ferror(f) ? EIO : 0;
}

static int party_read(struct dialog_party *p, char *const *fld)
{
	int e = iface_state_read(&p->side, fld[0]);

	e = e ? e : statefield_sa_read(&p->addr, fld[1]);
	if (e || !sa_isset(&p->addr, SA_ALL))
		return EINVAL;
	p->tp = SIP_TRANSP_NONE;
	for (enum sip_transp tp = SIP_TRANSP_UDP; tp <= SIP_TRANSP_TLS; tp++) {
		if (!strcmp(fld[2], sip_transp_name(tp)))
			p->tp = tp;
	}
	if (p->tp == SIP_TRANSP_NONE)
		return EINVAL;
	return statefield_str_read(p->target, sizeof(p->target), fld[3]);
}

/**
 * One dialog written by dialogs_state_write(), kept again for a whole
 * --dialog-max from now
 *
 * @return 0, EINVAL (not such a line), EEXIST, ENOSPC (full)
 */
int dialogs_state_read(struct dialogs *ds, char *const *fld, size_t n)
{
	struct dialog *d;
	int e;

	if (n != 12 || strcmp(fld[0], "d"))
		return EINVAL;
	if (ds->n >= ds->max)
		return ENOSPC;
	d = mem_zalloc(sizeof(*d), dialog_destructor);
	if (!d)
		return ENOMEM;
	e = statefield_str_read(d->callid, sizeof(d->callid), fld[1]);
	e = e ? e : statefield_str_read(d->tag[0], sizeof(d->tag[0]), fld[2]);
	e = e ? e : statefield_str_read(d->tag[1], sizeof(d->tag[1]), fld[3]);
	e = e ? e : party_read(&d->party[0], fld + 4);
	e = e ? e : party_read(&d->party[1], fld + 8);
	if (!e && (!d->callid[0] || !d->tag[0][0] || !d->tag[1][0]))
		e = EINVAL;
	if (e) {
		mem_deref(d);
		return e;
	}
	for (struct le *le =
	         list_head(hash_list(ds->by_callid, hash_joaat_str(d->callid)));
	     le; le = le->next) {
		const struct dialog *o = le->data;

		if (!strcmp(o->callid, d->callid) &&
		    !strcmp(o->tag[0], d->tag[0]) &&
		    !strcmp(o->tag[1], d->tag[1])) {
			mem_deref(d);
			return EEXIST;
		}
	}
	d->confirmed = true;
	d->expires = mono_ms() + ds->ttl;
	hash_append(ds->by_callid, hash_joaat_str(d->callid), &d->he, d);
	list_append(&ds->all, &d->le, d);
	ds->n++;
	return 0;
}
