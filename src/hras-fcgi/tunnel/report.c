/**
 * @file report.c  The status report, handed from the loop thread to workers
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"

struct report {
	pthread_mutex_t lock;
	char *json; /* latest snapshot, NUL-terminated */
	size_t len;
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
	free(r->json);
	free(r);
}

/* Loop thread: the new snapshot replaces the old */
int report_publish(struct report *r, const char *json, size_t len)
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
	free(r->json);
	r->json = copy;
	r->len = len;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* Worker: a copy of the latest snapshot (free() it); EAGAIN: none yet */
int report_copy(struct report *r, char **json, size_t *len)
{
	int err = 0;

	pthread_mutex_lock(&r->lock);
	if (!r->json) {
		err = EAGAIN;
	} else {
		*json = malloc(r->len + 1);
		if (*json) {
			memcpy(*json, r->json, r->len + 1);
			*len = r->len;
		} else {
			err = ENOMEM;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}
