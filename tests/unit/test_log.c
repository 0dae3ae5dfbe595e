/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_log.c  Log lines: what a peer wrote reaches the log tamed
 *
 * Header values, URIs and tags from the network are logged; a control
 * character among them (an escape sequence for the operator's terminal,
 * a line end for a log reader) must not reach the log as it is.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <syslog.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "log.h"
#include "unit.h"

static int control_characters(void)
{
	char s[] = "a\x1b[2Jb\r\nc\td\x7f\x01"
	           "e";

	log_clean(s, strlen(s));
	TEST_STREQ(s, "a?[2Jb??c\td??e");
	return 0;
}

/* What log_re writes to stderr for a message with an escape in it */
static int in_the_line(void)
{
	char buf[512] = { 0 };
	int fds[2], saved;
	ssize_t n;

	TEST_EQ(pipe(fds), 0);
	saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	log_re(LL_WARN, "from %s: %r", "peer",
	       &(struct pl){ "x\x1b]0;owned\x07y", 13 });
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	TEST_ASSERT(n > 0);
	TEST_ASSERT(strstr(buf, "from peer: x?]0;owned?y\n") != NULL);
	TEST_ASSERT(strchr(buf, '\x1b') == NULL);
	return 0;
}

/* stderr is the journal ($JOURNAL_STREAM names it): <N> first, no time */
static int journal(void)
{
	char buf[512] = { 0 }, js[64];
	char tmpl[] = "/tmp/test_log.XXXXXX";
	struct stat st;
	int fd, saved;
	ssize_t n;

	fd = mkstemp(tmpl);
	TEST_ASSERT(fd >= 0);
	unlink(tmpl);
	TEST_EQ(fstat(fd, &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	log_init("test_log", true, 0);
	TEST_ASSERT(log_to_journal());
	log_warn("one");
	log_error("two");
	log_debug("not at this level");
	dup2(saved, STDERR_FILENO);
	close(saved);
	unsetenv("JOURNAL_STREAM");
	log_init("test_log", true, 0);
	TEST_ASSERT(!log_to_journal());
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	TEST_ASSERT(n > 0);
	TEST_STREQ(buf, "<4>warning: one\n<3>error: two\n");
	return 0;
}

/* --log-facility's names */
static int facility(void)
{
	int f;

	TEST_EQ(log_facility_parse("local3", &f), 0);
	TEST_EQ(f, LOG_LOCAL3);
	TEST_EQ(log_facility_parse("daemon", &f), 0);
	TEST_EQ(f, LOG_DAEMON);
	TEST_EQ(log_facility_parse("kern", &f), EINVAL);
	TEST_EQ(log_facility_parse(NULL, &f), EINVAL);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(control_characters),
		UNIT_TEST(in_the_line),
		UNIT_TEST(journal),
		UNIT_TEST(facility),
	};

	log_init("test_log", true, 0);
	return unit_main("log", tests, ARRAY_SIZE(tests));
}
