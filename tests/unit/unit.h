/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file unit.h  A minimal unit test harness
 *
 * Each test is a function returning 0 on success; the TEST_* macros
 * print where and why a check failed and return 1.  unit_main() runs a
 * table of tests and prints one line per test.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

pid_t getpid(void); /* not <unistd.h>: its link() would clash with tests */

struct unit_test {
	const char *name;
	int (*fn)(void);
};

#define TEST_ASSERT(cond)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			return 1;                                              \
		}                                                              \
	} while (0)

#define TEST_EQ(a, b)                                                          \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_) {                                                \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, a_, #b, b_);           \
			return 1;                                              \
		}                                                              \
	} while (0)

#define TEST_STREQ(a, b)                                                       \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (strcmp(a_, b_)) {                                          \
			fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", \
				__FILE__, __LINE__, #a, a_, b_);               \
			return 1;                                              \
		}                                                              \
	} while (0)

#define TEST_MEMEQ(a, b, n) TEST_ASSERT(memcmp((a), (b), (n)) == 0)

#define UNIT_TEST(fn) { #fn, fn }

/* A file of the test's own, /tmp/sofw-TAG-PID, holding @text, with
 * @mode; its name goes to @path */
static inline int unit_file(char *path, size_t size, const char *tag,
			    const char *text, mode_t mode)
{
	FILE *f;

	snprintf(path, size, "/tmp/sofw-%s-%d", tag, (int)getpid());
	remove(path);
	f = fopen(path, "w");
	TEST_ASSERT(f != NULL);
	fputs(text, f);
	fclose(f);
	TEST_EQ(chmod(path, mode), 0);
	return 0;
}

static inline int unit_main(const char *suite, const struct unit_test *tests,
			    size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		int r = tests[i].fn();

		printf("%s %s.%s\n", r ? "FAIL" : "ok", suite, tests[i].name);
		failed += r != 0;
	}
	printf("%s: %zu tests, %d failed\n", suite, n, failed);
	return failed ? 1 : 0;
}
