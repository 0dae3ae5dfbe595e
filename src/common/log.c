/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file log.c  Log lines for operators
 *
 * The sink is process-wide, like syslog itself: it is set once at start-up
 * before any thread exists and only read afterwards.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/stat.h>
#include <re.h>
/* libre's debug output (dbg_init, dbg_handler_set): this file defines
 * no debug lines of its own */
#define DEBUG_MODULE "log"
#define DEBUG_LEVEL  0
#include <re_dbg.h>
#include "log.h"

/*
 * The level and the facility may change on a reload (SIGHUP) while worker
 * threads log: both are atomic; syslog(3) has its own lock
 */
static struct {
	char ident[32];
	bool to_stderr;
	bool journal; /* stderr is the journal: <N> prefixes, no time */
	atomic_int level;
	atomic_int facility;
} sink = { "sofw", true, false, LL_INFO, LOG_DAEMON };

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* --log-facility NAME: daemon, user, local0 .. local7 */
int log_facility_parse(const char *name, int *facility)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(facilities); i++) {
		if (!strcmp(name, facilities[i].name)) {
			if (facility)
				*facility = facilities[i].facility;
			return 0;
		}
	}
	return EINVAL;
}

/* The same for a configuration check: @err says what is wrong */
int log_facility_check(const char *name, char *err, size_t errsz)
{
	if (!log_facility_parse(name, NULL))
		return 0;
	snprintf(err, errsz,
	         "log-facility is daemon, user or local0 .. local7, not '%s'",
	         name ? name : "");
	return EINVAL;
}

/*
 * systemd connects stderr to the journal and says so in $JOURNAL_STREAM
 * ("DEV:INODE" of that stream); stderr redirected elsewhere by the unit
 * or a shell no longer matches
 */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st))
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/*
 * libre's debug lines (DEBUG_WARNING and the like in its modules: a
 * failed bind, a TLS error) through our log, as one line of ours each:
 * libre alone writes them to stderr in ANSI colours
 */
static void libre_line(int level, const char *p, size_t len, void *arg)
{
	enum log_level l = level <= DBG_ERR       ? LL_ERROR
	                   : level <= DBG_WARNING ? LL_WARN
	                   : level <= DBG_INFO    ? LL_INFO
	                                          : LL_DEBUG;
	(void)arg;

	while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	if (len)
		log_msg(l, "libre: %.*s", (int)len, p);
}

static void libre_route(void)
{
	dbg_init(atomic_load(&sink.level) >= LL_DEBUG ? DBG_INFO : DBG_WARNING,
	         DBG_NONE);
	dbg_handler_set(libre_line, NULL);
}

void log_set_verbosity(int verbosity)
{
	int level = LL_INFO + verbosity;

	atomic_store(&sink.level, level > LL_DEBUG ? LL_DEBUG : level);
	libre_route();
}

/* Before log_init(), or on a reload: syslog is opened anew */
int log_set_facility(const char *name)
{
	int f = LOG_DAEMON;

	if (name && log_facility_parse(name, &f))
		return EINVAL;
	if (atomic_exchange(&sink.facility, f) != f && !sink.to_stderr)
		openlog(sink.ident, LOG_PID | LOG_NDELAY, f);
	return 0;
}

void log_init(const char *ident, bool to_stderr, int verbosity)
{
	snprintf(sink.ident, sizeof(sink.ident), "%s", ident);
	sink.to_stderr = to_stderr;
	sink.journal = to_stderr && stderr_is_journal();
	log_set_verbosity(verbosity);
	if (!to_stderr)
		openlog(sink.ident, LOG_PID | LOG_NDELAY,
		        atomic_load(&sink.facility));
}

void log_close(void)
{
	dbg_handler_set(NULL, NULL);
	if (!sink.to_stderr)
		closelog();
}

bool log_to_journal(void)
{
	return sink.journal;
}

bool log_enabled(enum log_level level)
{
	return (int)level <= atomic_load(&sink.level);
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

	if (sink.journal) {
		/* journald reads the priority and stamps the time */
		r = snprintf(line, sizeof(line), "<%d>%s: ", prio[level],
		             level_name(level));
		if (r > 0)
			n = (size_t)r;
	} else if (sink.to_stderr) {
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
		syslog(prio[level] | atomic_load(&sink.facility), "%s", line);
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
