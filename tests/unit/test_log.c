/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_log.c  Log lines: what a peer wrote reaches the log tamed
 *
 * Header values, URIs and tags from the network are logged; a control
 * character among them (an escape sequence for the operator's terminal,
 * a line end for a log reader) must not reach the log as it is.
 */
#include <stdbool.h>
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

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(control_characters),
		UNIT_TEST(in_the_line),
	};

	log_init("test_log", true, 0);
	return unit_main("log", tests, ARRAY_SIZE(tests));
}
