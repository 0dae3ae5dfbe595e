/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_report.c  The status report: the loop thread hands a built
 * odict over, the report's own thread encodes it, a worker copies the
 * newest text; none is lost at shutdown.  A version is worth rendering
 * once asked for, and a request that finds only an old one waits for the
 * next, a bounded time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "log.h"
#include "mono.h"
#include "report.h"
#include "unit.h"

static struct odict *status_of(int64_t calls)
{
	struct odict *o = NULL;

	if (odict_alloc(&o, 8))
		return NULL;
	if (odict_entry_add(o, "calls", ODICT_INT, calls) ||
	    odict_entry_add(o, "name", ODICT_STRING, "a \"quoted\" site")) {
		mem_deref(o);
		return NULL;
	}
	return o;
}

/* The text of @k once it says @want, within about two seconds */
static bool wait_text(struct report *r, enum report_kind k, const char *want)
{
	for (int i = 0; i < 2000; i++) {
		const struct timespec ms = { 0, 1000000 };
		char *text = NULL;
		size_t len;
		bool found = false;

		if (!report_copy(r, k, &text, &len)) {
			found = strstr(text, want) != NULL;
			free(text);
		}
		if (found)
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}

static int encoded_off_the_caller(void)
{
	struct report *r = NULL;
	char *text = NULL;
	size_t len;

	TEST_EQ(report_alloc(&r), 0);
	TEST_EQ(report_copy(r, REPORT_STATUS, &text, &len), EAGAIN);

	/* handed over: the caller does not wait for the encoding */
	report_publish_odict(r, REPORT_STATUS, status_of(1));
	TEST_ASSERT(wait_text(r, REPORT_STATUS, "\"calls\":1"));
	TEST_EQ(report_copy(r, REPORT_STATUS, &text, &len), 0);
	TEST_ASSERT(strstr(text, "\"name\":\"a \\\"quoted\\\" site\"") != NULL);
	TEST_EQ(text[len - 1], '\n');
	free(text);

	/* a burst: the newest is what stays */
	for (int64_t i = 2; i <= 50; i++)
		report_publish_odict(r, REPORT_CALLS, status_of(i));
	TEST_ASSERT(wait_text(r, REPORT_CALLS, "\"calls\":50"));
	/* the other version was not touched */
	TEST_ASSERT(wait_text(r, REPORT_STATUS, "\"calls\":1"));

	/* at once, on the caller's thread (start-up) */
	{
		struct odict *o = status_of(7);

		TEST_ASSERT(o != NULL);
		TEST_EQ(report_encode(r, REPORT_STATUS, o), 0);
		mem_deref(o);
	}
	TEST_EQ(report_copy(r, REPORT_STATUS, &text, &len), 0);
	TEST_ASSERT(strstr(text, "\"calls\":7") != NULL);
	free(text);

	/* freed with work pending: nothing leaks (ASan), nothing hangs */
	for (int64_t i = 0; i < 20; i++)
		report_publish_odict(r, REPORT_STATUS, status_of(i));
	report_free(r);
	return 0;
}

static void sleep_ms(long ms)
{
	const struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* The loop's next rendering, a little later */
static void *render_later(void *arg)
{
	sleep_ms(300);
	report_publish_odict(arg, REPORT_STATUS, status_of(42));
	return NULL;
}

static int rendered_while_asked(void)
{
	struct report *r = NULL;
	struct odict *o;
	pthread_t th;
	uint64_t t0, waited;
	char *text = NULL;
	size_t len;

	TEST_EQ(report_alloc(&r), 0);
	/* start-up's: no one asked yet, so no more are rendered */
	o = status_of(1);
	TEST_ASSERT(o != NULL);
	TEST_EQ(report_encode(r, REPORT_STATUS, o), 0);
	mem_deref(o);
	TEST_ASSERT(!report_wanted(r, REPORT_STATUS));

	/* a recent one is handed out at once, and asking makes it wanted */
	t0 = mono_ms();
	TEST_EQ(report_copy(r, REPORT_STATUS, &text, &len), 0);
	TEST_ASSERT(mono_ms() - t0 < 500);
	TEST_ASSERT(strstr(text, "\"calls\":1") != NULL);
	free(text);
	TEST_ASSERT(report_wanted(r, REPORT_STATUS));
	TEST_ASSERT(!report_wanted(r, REPORT_CALLS));

	/* an old one (not rendered for over 2 s): the request waits for the
	 * next rendering, and gets it */
	sleep_ms(2300);
	TEST_EQ(pthread_create(&th, NULL, render_later, r), 0);
	t0 = mono_ms();
	TEST_EQ(report_copy(r, REPORT_STATUS, &text, &len), 0);
	waited = mono_ms() - t0;
	pthread_join(th, NULL);
	TEST_ASSERT(strstr(text, "\"calls\":42") != NULL);
	free(text);
	TEST_ASSERT(waited >= 250 && waited < 1900);

	/* none comes (a stuck loop): the old one, after 2 s at most */
	sleep_ms(2300);
	t0 = mono_ms();
	TEST_EQ(report_copy(r, REPORT_STATUS, &text, &len), 0);
	waited = mono_ms() - t0;
	TEST_ASSERT(strstr(text, "\"calls\":42") != NULL);
	free(text);
	TEST_ASSERT(waited >= 1900 && waited < 3000);
	report_free(r);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(encoded_off_the_caller),
		UNIT_TEST(rendered_while_asked),
	};
	int r;

	if (libre_init())
		return 1;
	log_init("test_report", true, -3);
	r = unit_main("report", tests, ARRAY_SIZE(tests));
	libre_close();
	return r;
}
