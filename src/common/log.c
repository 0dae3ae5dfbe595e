/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file log.c  Log lines for operators
 *
 * The sink is process-wide, like syslog itself: it is set once at start-up
 * before any thread exists and only read afterwards.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>
#include <re.h>
#include "log.h"

static struct {
	char ident[32];
	bool to_stderr;
	int level;
} sink = { "sofw", true, LL_INFO };

void log_init(const char *ident, bool to_stderr, int verbosity)
{
	snprintf(sink.ident, sizeof(sink.ident), "%s", ident);
	sink.to_stderr = to_stderr;
	sink.level = LL_INFO + verbosity;
	if (sink.level > LL_DEBUG)
		sink.level = LL_DEBUG;
	if (!to_stderr)
		openlog(sink.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_close(void)
{
	if (!sink.to_stderr)
		closelog();
}

bool log_enabled(enum log_level level)
{
	return (int)level <= sink.level;
}

static const char *level_name(enum log_level level)
{
	static const char *names[] = { "error", "warning", "info", "debug" };

	return names[level];
}

/**
 * Make @n bytes of a log message safe for a terminal or a log file: a
 * control character (what a peer wrote in a header, say: an escape
 * sequence) becomes '?'; a tab stays
 */
void log_clean(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			p[i] = '?';
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[2048];
	size_t n = 0;
	va_list ap;
	int r;

	if (!log_enabled(level))
		return;

	if (sink.to_stderr) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
		r = snprintf(line + n, sizeof(line) - n,
		             ".%03ld %s[%d]: %s: ", ts.tv_nsec / 1000000,
		             sink.ident, (int)getpid(), level_name(level));
		if (r > 0)
			n += (size_t)r;
	}

	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	if (n + (size_t)r > sizeof(line) - 2)
		r = (int)(sizeof(line) - 2 - n);
	log_clean(line + n, (size_t)r);
	n += (size_t)r;

	/* one write per line: lines from threads never interleave */
	if (sink.to_stderr) {
		line[n++] = '\n';
		if (write(STDERR_FILENO, line, n) < 0)
			return;
	} else {
		line[n] = '\0';
		syslog(prio[level], "%s", line);
	}
}

void log_re(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	re_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(level, "%s", line);
}
