/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file report.c  The status report, handed from the loop thread to workers
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"

struct report {
	pthread_mutex_t lock;
	char *text[REPORT_KINDS]; /* latest snapshots, NUL-ended */
	size_t len[REPORT_KINDS];
};

int report_alloc(struct report **rp)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r)
		return ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	*rp = r;
	return 0;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	for (int k = 0; k < REPORT_KINDS; k++)
		free(r->text[k]);
	free(r);
}

/* Loop thread: the new snapshot replaces the old */
int report_publish(struct report *r, enum report_kind k, const char *text,
                   size_t len)
{
	char *copy;

	if (len > REPORT_MAX)
		return EMSGSIZE;
	copy = malloc(len + 1);
	if (!copy)
		return ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&r->lock);
	free(r->text[k]);
	r->text[k] = copy;
	r->len[k] = len;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* Worker: a copy of the latest snapshot (free() it); EAGAIN: none yet */
int report_copy(struct report *r, enum report_kind k, char **text, size_t *len)
{
	int err = 0;

	pthread_mutex_lock(&r->lock);
	if (!r->text[k]) {
		err = EAGAIN;
	} else {
		*text = malloc(r->len[k] + 1);
		if (*text) {
			memcpy(*text, r->text[k], r->len[k] + 1);
			*len = r->len[k];
		} else {
			err = ENOMEM;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}
