/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file conf.c  Options: one table serves the command line and the file
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"

static const struct conf_opt *find_long(const struct conf_opt *opts,
                                        const char *name, size_t len)
{
	for (; opts->name; opts++) {
		if (strlen(opts->name) == len &&
		    strncmp(opts->name, name, len) == 0)
			return opts;
	}
	return NULL;
}

static const struct conf_opt *find_short(const struct conf_opt *opts, char c)
{
	for (; opts->name; opts++) {
		if (opts->shortopt && opts->shortopt == c)
			return opts;
	}
	return NULL;
}

int conf_set_str(char **dst, const char *val)
{
	char *s = strdup(val);

	if (!s)
		return ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int parse_bool(const char *val, bool *b)
{
	if (!val || !*val || !strcmp(val, "yes") || !strcmp(val, "true") ||
	    !strcmp(val, "on") || !strcmp(val, "1"))
		*b = true;
	else if (!strcmp(val, "no") || !strcmp(val, "false") ||
	         !strcmp(val, "off") || !strcmp(val, "0"))
		*b = false;
	else
		return EINVAL;
	return 0;
}

static void list_clear(struct conf_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int list_add(struct conf_list *l, const char *val)
{
	char **v;

	if (l->n >= CONF_LIST_MAX)
		return E2BIG;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return ENOMEM;
	l->v = v;
	l->v[l->n] = strdup(val);
	if (!l->v[l->n])
		return ENOMEM;
	l->n++;
	return 0;
}

/* Apply one value; @err gets a sentence without the location */
static int apply(const struct conf_opt *o, void *cfg, const char *val,
                 char *err, size_t errsz)
{
	char *p = (char *)cfg + o->off;
	unsigned long long u;
	char *end;
	int e;

	switch (o->type) {

	case CONF_STR:
		if (!val || !*val) {
			snprintf(err, errsz, "'%s' needs a value", o->name);
			return EINVAL;
		}
		return conf_set_str((char **)(void *)p, val);

	case CONF_LIST:
		if (!val || !*val) {
			snprintf(err, errsz, "'%s' needs a value", o->name);
			return EINVAL;
		}
		e = list_add((struct conf_list *)(void *)p, val);
		if (e == E2BIG)
			snprintf(err, errsz, "'%s' given more than %d times",
			         o->name, CONF_LIST_MAX);
		return e;

	case CONF_U32:
	case CONF_OCTAL:
		if (!val || !*val || !isdigit((unsigned char)*val))
			goto badnum;
		errno = 0;
		u = strtoull(val, &end, o->type == CONF_OCTAL ? 8 : 10);
		if (errno || *end || u < o->min || u > o->max)
			goto badnum;
		*(uint32_t *)(void *)p = (uint32_t)u;
		return 0;

	case CONF_BOOL:
		if (parse_bool(val, (bool *)(void *)p)) {
			snprintf(err, errsz, "'%s' takes yes or no, not '%s'",
			         o->name, val);
			return EINVAL;
		}
		return 0;

	case CONF_COUNT:
		if (!val) {
			(*(int *)(void *)p)++;
			return 0;
		}
		errno = 0;
		u = strtoull(val, &end, 10);
		if (errno || *end || u > 9)
			goto badnum;
		*(int *)(void *)p = (int)u;
		return 0;
	}

	return EINVAL;

badnum:
	if (o->type == CONF_OCTAL)
		snprintf(err, errsz,
		         "'%s' takes an octal number up to %o, "
		         "not '%s'",
		         o->name, o->max, val ? val : "");
	else
		snprintf(err, errsz,
		         "'%s' takes a number from %u to %u, not '%s'", o->name,
		         o->min, o->max, val ? val : "");
	return EINVAL;
}

/* The value of -c/--config, if given, so the file loads before the rest */
const char *conf_file_arg(int argc, char *const argv[])
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) &&
		    i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
		if (!strncmp(argv[i], "-c", 2) && argv[i][2] != '-')
			return argv[i] + 2; /* -cFILE, as getopt reads it */
	}
	return NULL;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/**
 * Load "key value" lines from a config file
 *
 * @return 0 or an errno; @err then names the file, the line and the fault
 */
int conf_load_file(const struct conf_opt *opts, void *cfg, const char *path,
                   char *err, size_t errsz)
{
	char line[CONF_LINE_MAX + 2], msg[256];
	/* the line each option was set on: an option set twice is a
	 * mistake (which one did the operator mean?), not last-wins */
	unsigned set_on[CONF_OPTS_MAX] = { 0 };
	unsigned lineno = 0;
	FILE *f;
	int e = 0;

	f = fopen(path, "re");
	if (!f) {
		e = errno;
		snprintf(err, errsz, "config file %s: %s", path, strerror(e));
		return e;
	}

	while (fgets(line, sizeof(line), f)) {
		const struct conf_opt *o;
		char *key, *val;
		size_t klen;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errsz,
			         "config file %s line %u: longer than %d "
			         "characters",
			         path, lineno, CONF_LINE_MAX);
			e = EMSGSIZE;
			break;
		}
		key = trim(line);
		if (!*key || *key == '#')
			continue;

		klen = strcspn(key, " \t");
		val = trim(key + klen);
		o = find_long(opts, key, klen);
		if (!o) {
			snprintf(err, errsz,
			         "config file %s line %u: unknown option "
			         "'%.*s'",
			         path, lineno, (int)klen, key);
			e = EINVAL;
			break;
		}
		if (o->type != CONF_LIST && o - opts < CONF_OPTS_MAX) {
			unsigned *first = &set_on[o - opts];

			if (*first) {
				snprintf(err, errsz,
				         "config file %s line %u: '%s' was "
				         "already set on line %u",
				         path, lineno, o->name, *first);
				e = EINVAL;
				break;
			}
			*first = lineno;
		}
		msg[0] = '\0';
		e = apply(o, cfg, *val ? val : NULL, msg, sizeof(msg));
		if (e) {
			snprintf(err, errsz, "config file %s line %u: %s", path,
			         lineno, msg[0] ? msg : strerror(e));
			break;
		}
	}

	fclose(f);
	return e;
}

/* A word where an option was due: "--flag no" wants "--flag=no" */
static void unexpected(const struct conf_opt *opts, const char *prev,
                       const char *a, char *err, size_t errsz)
{
	const struct conf_opt *o = NULL;

	if (!strncmp(prev, "--", 2) && !strchr(prev, '='))
		o = find_long(opts, prev + 2, strlen(prev + 2));
	if (o && o->type == CONF_BOOL)
		snprintf(err, errsz,
		         "unexpected argument '%s': a yes/no option takes its "
		         "value after '=' (%s=%s)",
		         a, prev, a);
	else
		snprintf(err, errsz, "unexpected argument '%s'", a);
}

/**
 * Parse the command line: --name VALUE, --name=VALUE, -x VALUE, -xyz for
 * flags.  A repeatable option given here replaces the file's values.
 */
int conf_parse_args(const struct conf_opt *opts, void *cfg, int argc,
                    char *const argv[], char *err, size_t errsz)
{
	bool seen[256] = { false };
	char msg[256];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const struct conf_opt *o;
		int e;

		if (a[0] != '-' || !a[1]) {
			unexpected(opts, i > 1 ? argv[i - 1] : "", a, err,
			           errsz);
			return EINVAL;
		}

		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

			o = find_long(opts, a + 2, len);
			if (!o) {
				snprintf(err, errsz,
				         "unknown option '%s' (see --help)", a);
				return EINVAL;
			}
			if (eq)
				val = eq + 1;
		} else {
			o = find_short(opts, a[1]);
			if (!o) {
				snprintf(err, errsz,
				         "unknown option '-%c' (see --help)",
				         a[1]);
				return EINVAL;
			}
			/* -vv: repeated flags */
			if (a[2] &&
			    (o->type == CONF_BOOL || o->type == CONF_COUNT)) {
				for (const char *c = a + 1; *c; c++) {
					const struct conf_opt *f =
					    find_short(opts, *c);

					if (!f || (f->type != CONF_BOOL &&
					           f->type != CONF_COUNT)) {
						snprintf(err, errsz,
						         "unknown option "
						         "'-%c'",
						         *c);
						return EINVAL;
					}
					apply(f, cfg, NULL, msg, sizeof(msg));
				}
				continue;
			}
			if (a[2])
				val = a + 2;
		}

		if (!val && o->type != CONF_BOOL && o->type != CONF_COUNT) {
			if (i + 1 >= argc) {
				snprintf(err, errsz, "option '%s' needs %s", a,
				         o->arg ? o->arg : "a value");
				return EINVAL;
			}
			val = argv[++i];
		}

		if (o->type == CONF_LIST) {
			size_t idx = (size_t)(o - opts) % 256;

			if (!seen[idx])
				list_clear(
				    (struct conf_list *)(void *)((char *)cfg +
				                                 o->off));
			seen[idx] = true;
		}

		msg[0] = '\0';
		e = apply(o, cfg, val, msg, sizeof(msg));
		if (e) {
			snprintf(err, errsz, "%s", msg[0] ? msg : strerror(e));
			return e;
		}
	}

	return 0;
}

/*
 * The table's defaults: every option but the lists (which get theirs
 * only if neither the file nor the command line gives a value, since a
 * file's lines add to a list)
 */
static int apply_defaults(const struct conf_opt *opts, void *cfg, bool lists,
                          char *err, size_t errsz)
{
	char msg[256], item[CONF_LINE_MAX];

	for (; opts->name; opts++) {
		const struct conf_list *l =
		    (const void *)((const char *)cfg + opts->off);
		const char *p = opts->dflt;
		int e = 0;

		if (!p || lists != (opts->type == CONF_LIST))
			continue;
		if (lists && l->n)
			continue;
		msg[0] = '\0';
		if (!lists) {
			e = apply(opts, cfg, p, msg, sizeof(msg));
		} else {
			while (!e && *p) {
				size_t n = strcspn(p, " ");

				snprintf(item, sizeof(item), "%.*s", (int)n, p);
				e = apply(opts, cfg, item, msg, sizeof(msg));
				p += n + strspn(p + n, " ");
			}
		}
		if (e) {
			snprintf(err, errsz, "default of '%s': %s", opts->name,
			         msg[0] ? msg : strerror(e));
			return e;
		}
	}
	return 0;
}

/* Every default of the table, lists included (no file, no arguments) */
int conf_defaults(const struct conf_opt *opts, void *cfg, char *err,
                  size_t errsz)
{
	int e = apply_defaults(opts, cfg, false, err, errsz);

	return e ? e : apply_defaults(opts, cfg, true, err, errsz);
}

enum {
	USAGE_COL = 31,   /* where the help text of every option starts */
	USAGE_WIDTH = 79, /* a terminal's 80 columns, less one */
};

/* @text from column @col on, wrapped by words at USAGE_WIDTH, the
 * continuation lines indented to @indent */
static void usage_words(FILE *f, size_t col, size_t indent, const char *text)
{
	bool first = true;

	while (*text) {
		size_t n = strcspn(text, " ");

		if (!first && col + 1 + n > USAGE_WIDTH) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)n, text);
		col += n;
		first = false;
		text += n;
		text += strspn(text, " ");
	}
	fputc('\n', f);
}

void conf_usage(FILE *f, const char *prog, const char *summary,
                const struct conf_opt *opts)
{
	fprintf(f, "usage: %s [options]\n", prog);
	usage_words(f, 0, 0, summary);
	fprintf(f, "\noptions (each also a config-file key):\n");

	for (; opts->name; opts++) {
		char left[64], text[512];

		if (opts->shortopt)
			snprintf(left, sizeof(left), "-%c, --%s%s%s",
			         opts->shortopt, opts->name,
			         opts->arg ? " " : "",
			         opts->arg ? opts->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", opts->name,
			         opts->arg ? " " : "",
			         opts->arg ? opts->arg : "");
		snprintf(text, sizeof(text), "%s%s%s%s", opts->help,
		         opts->dflt ? " (default " : "",
		         opts->dflt ? opts->dflt : "", opts->dflt ? ")" : "");
		/* a long left column puts the help on a line of its own */
		if (strlen(left) > USAGE_COL - 3)
			fprintf(f, "  %s\n%*s", left, USAGE_COL, "");
		else
			fprintf(f, "  %-*s ", USAGE_COL - 3, left);
		usage_words(f, USAGE_COL, USAGE_COL, text);
	}
}

void conf_free(const struct conf_opt *opts, void *cfg)
{
	for (; opts->name; opts++) {
		char *p = (char *)cfg + opts->off;

		if (opts->type == CONF_STR) {
			free(*(char **)(void *)p);
			*(char **)(void *)p = NULL;
		} else if (opts->type == CONF_LIST) {
			list_clear((struct conf_list *)(void *)p);
		}
	}
}

const struct conf_opt *conf_find(const struct conf_opt *opts, const char *name)
{
	return find_long(opts, name, strlen(name));
}

static bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Does option @o have the same value in configurations @a and @b? */
bool conf_opt_equal(const struct conf_opt *o, const void *a, const void *b)
{
	const char *pa = (const char *)a + o->off;
	const char *pb = (const char *)b + o->off;

	switch (o->type) {

	case CONF_STR:
		return str_equal(*(char *const *)(const void *)pa,
		                 *(char *const *)(const void *)pb);
	case CONF_LIST: {
		const struct conf_list *la = (const void *)pa;
		const struct conf_list *lb = (const void *)pb;

		if (la->n != lb->n)
			return false;
		for (size_t i = 0; i < la->n; i++)
			if (!str_equal(la->v[i], lb->v[i]))
				return false;
		return true;
	}
	case CONF_U32:
	case CONF_OCTAL:
		return *(const uint32_t *)(const void *)pa ==
		       *(const uint32_t *)(const void *)pb;
	case CONF_BOOL:
		return *(const bool *)(const void *)pa ==
		       *(const bool *)(const void *)pb;
	case CONF_COUNT:
		return *(const int *)(const void *)pa ==
		       *(const int *)(const void *)pb;
	}
	return false;
}

/* Option @o's value from @src into @dst (strings and lists copied) */
int conf_opt_copy(const struct conf_opt *o, void *dst, const void *src)
{
	const char *ps = (const char *)src + o->off;
	char *pd = (char *)dst + o->off;
	int e = 0;

	switch (o->type) {

	case CONF_STR: {
		const char *v = *(char *const *)(const void *)ps;

		if (v)
			return conf_set_str((char **)(void *)pd, v);
		free(*(char **)(void *)pd);
		*(char **)(void *)pd = NULL;
		return 0;
	}
	case CONF_LIST: {
		const struct conf_list *ls = (const void *)ps;
		struct conf_list l = { NULL, 0 };

		for (size_t i = 0; !e && i < ls->n; i++)
			e = list_add(&l, ls->v[i]);
		if (e) {
			list_clear(&l);
			return e;
		}
		list_clear((struct conf_list *)(void *)pd);
		*(struct conf_list *)(void *)pd = l;
		return 0;
	}
	case CONF_U32:
	case CONF_OCTAL:
		*(uint32_t *)(void *)pd = *(const uint32_t *)(const void *)ps;
		return 0;
	case CONF_BOOL:
		*(bool *)(void *)pd = *(const bool *)(const void *)ps;
		return 0;
	case CONF_COUNT:
		*(int *)(void *)pd = *(const int *)(const void *)ps;
		return 0;
	}
	return EINVAL;
}

/* Is @name one of the NULL-terminated @names? */
bool conf_name_in(const char *name, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(name, *names))
			return true;
	return false;
}

/* A copy of the command line of its own, for a reload to parse again */
int conf_args_dup(int argc, char *const argv[], char ***copy)
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));

	for (int i = 0; v && i < argc; i++) {
		v[i] = strdup(argv[i]);
		if (!v[i]) {
			conf_args_free(i, v);
			v = NULL;
		}
	}
	*copy = v;
	return v ? 0 : ENOMEM;
}

/* ...freed, its bytes cleared first: it may hold a password */
void conf_args_free(int argc, char **copy)
{
	for (int i = 0; copy && i < argc; i++) {
		explicit_bzero(copy[i], strlen(copy[i]));
		free(copy[i]);
	}
	free(copy);
}

/**
 * The whole configuration: the table's defaults, the -c/--config file if
 * given, then the command line over it
 */
int conf_load(const struct conf_opt *opts, void *cfg, int argc,
              char *const argv[], char *err, size_t errsz)
{
	const char *file = conf_file_arg(argc, argv);
	int e;

	e = apply_defaults(opts, cfg, false, err, errsz);
	if (!e && file)
		e = conf_load_file(opts, cfg, file, err, errsz);
	if (!e)
		e = conf_parse_args(opts, cfg, argc, argv, err, errsz);
	return e ? e : apply_defaults(opts, cfg, true, err, errsz);
}
