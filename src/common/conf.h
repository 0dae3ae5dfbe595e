/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file conf.h  Options: one table serves the command line and the file
 *
 * Each program describes its options once, as a table of names, types and
 * offsets into its configuration struct.  Every long option is also a
 * config-file key, so the two can never drift apart.  File lines are
 * "key value" (the value is the rest of the line); lines starting with #
 * are comments.  The command line overrides the file.
 *
 * A default is written once, in the table (dflt), as it would be written
 * in the file: conf_load() applies it, conf_usage() prints it, and a test
 * holds the manual pages and example configs to it (tests/it/t_man.sh).
 * A default that is computed (from another option, or the host) has no
 * dflt; its help line says what it is.
 */

enum conf_type {
	CONF_STR,   /* char *, replaced */
	CONF_LIST,  /* struct conf_list, repeatable */
	CONF_U32,   /* uint32_t within [min, max] */
	CONF_OCTAL, /* uint32_t written in octal, e.g. a file mode */
	CONF_BOOL,  /* bool; no argument on the command line */
	CONF_COUNT, /* int; each -v adds one; a number in the file */
};

struct conf_opt {
	const char *name; /* long option and config-file key */
	char shortopt;    /* 0: none */
	enum conf_type type;
	size_t off; /* offsetof() in the configuration struct */
	uint32_t min, max;
	const char *arg;  /* argument name in usage, e.g. "FILE" */
	const char *help; /* one line */
	const char *dflt; /* the default, as in a file; a list's items are
	                     separated by spaces; NULL: none, or computed */
};

/* A row of a program's table: @field is a member of struct @type */
#define CONF_OPT(type, name, shortopt, kind, field, min, max, arg, dflt, help) \
	{                                                                      \
		name, shortopt, kind, offsetof(struct type, field), min, max,  \
		    arg, help, dflt                                            \
	}

struct conf_list {
	char **v;
	size_t n;
};

enum {
	CONF_LIST_MAX = 64, /* repeatable option occurrences */
	CONF_LINE_MAX = 1024,
	CONF_OPTS_MAX = 256, /* options in one table */
};

const char *conf_file_arg(int argc, char *const argv[]);
int conf_load_file(const struct conf_opt *opts, void *cfg, const char *path,
                   char *err, size_t errsz);
int conf_parse_args(const struct conf_opt *opts, void *cfg, int argc,
                    char *const argv[], char *err, size_t errsz);
int conf_load(const struct conf_opt *opts, void *cfg, int argc,
              char *const argv[], char *err, size_t errsz);
int conf_defaults(const struct conf_opt *opts, void *cfg, char *err,
                  size_t errsz);
int conf_set_str(char **dst, const char *val);
void conf_usage(FILE *f, const char *prog, const char *summary,
                const struct conf_opt *opts);
void conf_free(const struct conf_opt *opts, void *cfg);

/*
 * Reloads (SIGHUP): a running configuration compared with one loaded
 * anew, option by option.  Which options may change live is each
 * program's own list (src/hrac/reload.c, src/hras-fcgi/reload.c): an
 * option not on it, a new one included, needs a restart.
 */
const struct conf_opt *conf_find(const struct conf_opt *opts, const char *name);
bool conf_opt_equal(const struct conf_opt *o, const void *a, const void *b);
int conf_opt_copy(const struct conf_opt *o, void *dst, const void *src);
bool conf_name_in(const char *name, const char *const *names);
int conf_args_dup(int argc, char *const argv[], char ***copy);
void conf_args_free(int argc, char **copy);
