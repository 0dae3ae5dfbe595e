/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file statewriter.c  A state file kept up to date off the loop thread
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "log.h"
#include "wholefile.h"
#include "statewriter.h"

struct snapshot {
	char *buf;
	size_t len;
};

struct statewriter {
	char *path;
	mode_t mode;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* a snapshot waits, or one was written */
	struct snapshot waiting;
	bool has_waiting, writing, stop;
	uint64_t put, written; /* snapshots handed over, and written */
	int last_err;          /* of the last write */
};

static int write_snapshot(FILE *f, void *arg)
{
	const struct snapshot *s = arg;

	if (s->len && fwrite(s->buf, 1, s->len, f) != s->len)
		return EIO;
	return 0;
}

static void *writer(void *arg)
{
	struct statewriter *sw = arg;

	pthread_mutex_lock(&sw->lock);
	for (;;) {
		struct snapshot s;
		uint64_t n;
		int e;

		while (!sw->has_waiting && !sw->stop)
			pthread_cond_wait(&sw->cond, &sw->lock);
		if (!sw->has_waiting)
			break; /* stopping, and all written */
		s = sw->waiting;
		n = sw->put;
		sw->has_waiting = false;
		sw->writing = true;
		pthread_mutex_unlock(&sw->lock);

		e = wholefile_replace(sw->path, sw->mode, true, write_snapshot,
		                      &s);
		free(s.buf);

		pthread_mutex_lock(&sw->lock);
		if (e && e != sw->last_err)
			log_error("state file %s not saved: %s", sw->path,
			          strerror(e));
		else if (!e && sw->last_err)
			log_info("state file %s saved again", sw->path);
		sw->last_err = e;
		sw->writing = false;
		sw->written = n;
		pthread_cond_broadcast(&sw->cond);
	}
	pthread_mutex_unlock(&sw->lock);
	return NULL;
}

int statewriter_alloc(struct statewriter **swp, const char *path, mode_t mode)
{
	struct statewriter *sw = calloc(1, sizeof(*sw));
	int e;

	if (!sw)
		return ENOMEM;
	sw->path = strdup(path);
	if (!sw->path) {
		free(sw);
		return ENOMEM;
	}
	sw->mode = mode;
	pthread_mutex_init(&sw->lock, NULL);
	pthread_cond_init(&sw->cond, NULL);
	e = pthread_create(&sw->thread, NULL, writer, sw);
	if (e) {
		pthread_cond_destroy(&sw->cond);
		pthread_mutex_destroy(&sw->lock);
		free(sw->path);
		free(sw);
		return e;
	}
	*swp = sw;
	return 0;
}

/* Write what waits, stop the thread, free */
void statewriter_free(struct statewriter *sw)
{
	if (!sw)
		return;
	pthread_mutex_lock(&sw->lock);
	sw->stop = true;
	pthread_cond_broadcast(&sw->cond);
	pthread_mutex_unlock(&sw->lock);
	pthread_join(sw->thread, NULL);
	pthread_cond_destroy(&sw->cond);
	pthread_mutex_destroy(&sw->lock);
	free(sw->path);
	free(sw);
}

/**
 * Hand over a snapshot: what @writeh writes (0 or an errno), taken now
 * into memory, written to the file soon
 */
int statewriter_put(struct statewriter *sw, wholefile_write_h *writeh,
                    void *arg)
{
	struct snapshot s = { NULL, 0 };
	FILE *f = open_memstream(&s.buf, &s.len);
	int e;

	if (!f)
		return errno;
	e = writeh(f, arg);
	if (fclose(f) && !e)
		e = errno;
	if (e) {
		free(s.buf);
		return e;
	}

	pthread_mutex_lock(&sw->lock);
	if (sw->has_waiting)
		free(sw->waiting.buf); /* this one is newer */
	sw->waiting = s;
	sw->has_waiting = true;
	sw->put++;
	pthread_cond_broadcast(&sw->cond);
	pthread_mutex_unlock(&sw->lock);
	return 0;
}

/* Is a snapshot handed over and not yet being written? */
bool statewriter_waiting(struct statewriter *sw)
{
	bool w;

	pthread_mutex_lock(&sw->lock);
	w = sw->has_waiting;
	pthread_mutex_unlock(&sw->lock);
	return w;
}

/**
 * Wait until every snapshot handed over is written
 *
 * @return the last write's error, or 0
 */
int statewriter_sync(struct statewriter *sw)
{
	int e;

	pthread_mutex_lock(&sw->lock);
	while (sw->written != sw->put)
		pthread_cond_wait(&sw->cond, &sw->lock);
	e = sw->last_err;
	pthread_mutex_unlock(&sw->lock);
	return e;
}

const char *statewriter_path(const struct statewriter *sw)
{
	return sw->path;
}
