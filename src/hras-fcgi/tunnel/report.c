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
	char *json[2]; /* latest snapshots (1: with details), NUL-ended */
	size_t len[2];
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
	free(r->json[0]);
	free(r->json[1]);
	free(r);
}

/* Loop thread: the new snapshot replaces the old */
int report_publish(struct report *r, bool details, const char *json, size_t len)
{
	char *copy;

	if (len > REPORT_MAX)
		return EMSGSIZE;
	copy = malloc(len + 1);
	if (!copy)
		return ENOMEM;
	memcpy(copy, json, len);
	copy[len] = '\0';
	pthread_mutex_lock(&r->lock);
	free(r->json[details]);
	r->json[details] = copy;
	r->len[details] = len;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* Worker: a copy of the latest snapshot (free() it); EAGAIN: none yet */
int report_copy(struct report *r, bool details, char **json, size_t *len)
{
	int err = 0;

	pthread_mutex_lock(&r->lock);
	if (!r->json[details]) {
		err = EAGAIN;
	} else {
		*json = malloc(r->len[details] + 1);
		if (*json) {
			memcpy(*json, r->json[details], r->len[details] + 1);
			*len = r->len[details];
		} else {
			err = ENOMEM;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}
