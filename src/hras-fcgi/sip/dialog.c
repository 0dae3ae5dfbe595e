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
};

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

	tmr_start(&ds->sweep, SWEEP_MS, sweep, ds);
	while (le) {
		struct dialog *d = le->data;

		le = le->next;
		if (now >= d->expires) {
			ds->n--;
			mem_deref(d);
		}
	}
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
	return 0;
}

/* A request of the dialog went through: it lives on */
void dialogs_touch(struct dialogs *ds, struct dialog *d)
{
	if (!d->ended)
		d->expires = mono_ms() + ds->ttl;
}

/* BYE: the dialog ends, after the grace a challenged BYE needs */
void dialogs_bye(struct dialogs *ds, struct dialog *d)
{
	(void)ds;
	d->ended = true;
	d->expires = min(d->expires, mono_ms() + BYE_GRACE_MS);
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
