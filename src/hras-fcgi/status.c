/**
 * @file status.c  What hras-fcgi reports at GET {base}/status, as JSON
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "mono.h"
#include "hracs.h"
#include "session.h"
#include "hras.h"
#include "location.h"
#include "sipsrv.h"
#include "rat.h"
#include "status.h"

enum {
	STATUS_MAX = 4 << 20, /* a report larger than this is cut short */
};

struct status {
	pthread_mutex_t lock;
	char *json; /* latest snapshot, NUL-terminated */
	size_t len;
};

int status_alloc(struct status **sp)
{
	struct status *st = calloc(1, sizeof(*st));

	if (!st)
		return ENOMEM;
	pthread_mutex_init(&st->lock, NULL);
	*sp = st;
	return 0;
}

void status_free(struct status *st)
{
	if (!st)
		return;
	pthread_mutex_destroy(&st->lock);
	free(st->json);
	free(st);
}

static int print_report(struct re_printf *pf, struct hras *h)
{
	struct sipsrv *s = h->sipsrv;
	int err;

	err = re_hprintf(pf, "{\"uptime_s\":%llu,\"sessions\":%H",
	                 (unsigned long long)(mono_us() / 1000000),
	                 sessions_status, h->sessions);
	if (s) {
		err |= re_hprintf(pf, ",\"registrations\":%u,",
		                  location_count(s->loc));
		err |= rat_status(s->rat, pf);
	}
	return err | re_hprintf(pf, "}\n");
}

/* Loop thread: render the report into the snapshot */
void status_refresh(struct status *st, struct hras *h)
{
	struct mbuf *mb = mbuf_alloc(4096);
	char *json;

	if (!mb)
		return;
	if (mbuf_printf(mb, "%H", print_report, h) || mb->end > STATUS_MAX ||
	    mbuf_write_u8(mb, 0)) {
		mem_deref(mb);
		return;
	}
	json = malloc(mb->end);
	if (json) {
		memcpy(json, mb->buf, mb->end);
		pthread_mutex_lock(&st->lock);
		free(st->json);
		st->json = json;
		st->len = mb->end - 1;
		pthread_mutex_unlock(&st->lock);
	}
	mem_deref(mb);
}

/* Worker: a copy of the latest snapshot (free() it) */
int status_copy(struct status *st, char **json, size_t *len)
{
	int err = 0;

	pthread_mutex_lock(&st->lock);
	if (!st->json) {
		err = EAGAIN;
	} else {
		*json = malloc(st->len + 1);
		if (*json) {
			memcpy(*json, st->json, st->len + 1);
			*len = st->len;
		} else {
			err = ENOMEM;
		}
	}
	pthread_mutex_unlock(&st->lock);
	return err;
}
