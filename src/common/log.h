/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file log.h  Log lines for operators
 *
 * One line per event, written whole (threads never interleave): stderr in
 * the foreground, syslog (--log-facility, daemon by default) otherwise.
 * When stderr is the systemd journal ($JOURNAL_STREAM names it), each
 * line starts with its syslog priority, <N> (sd-daemon(3)), and carries
 * no time stamp of its own: journald keeps both.  libre's own debug lines
 * come through here too, without their colours.  A log line says what
 * failed, for whom, and what to do when that is known.
 */

enum log_level {
	LL_ERROR = 0,
	LL_WARN = 1,
	LL_INFO = 2,
	LL_DEBUG = 3,
};

void log_init(const char *ident, bool to_stderr, int verbosity);
void log_close(void);
int log_facility_parse(const char *name, int *facility);
int log_facility_check(const char *name, char *err, size_t errsz);
int log_set_facility(const char *name);
void log_set_verbosity(int verbosity);
bool log_to_journal(void);
bool log_enabled(enum log_level level);
void log_clean(char *p, size_t n);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LL_INFO, __VA_ARGS__)
#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_enabled(LL_DEBUG))                                     \
			log_msg(LL_DEBUG, __VA_ARGS__);                        \
	} while (0)

/* The same with libre's format verbs (%r a pl, %J an address:port, %j an
 * address, %m an errno): not checked by the compiler, so keep them few */
void log_re(enum log_level level, const char *fmt, ...);
#define log_re_warn(...) log_re(LL_WARN, __VA_ARGS__)
#define log_re_info(...) log_re(LL_INFO, __VA_ARGS__)
#define log_re_debug(...)                                                      \
	do {                                                                   \
		if (log_enabled(LL_DEBUG))                                     \
			log_re(LL_DEBUG, __VA_ARGS__);                         \
	} while (0)
