/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_conf.c  Options from files and command lines, and the real
 * option tables of both programs
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "secret.h"
#include "tunnel.h"
#include "hrac.h"
#include "quota.h"
#include "hracs.h"
#include "inbox.h"
#include "tunsrv.h"
#include "iface.h"
#include "rat.h"
#include "sipsrv.h"
#include "store.h"
#include "hras.h"
#include "unit.h"

struct cfg {
	char *name;
	struct conf_list list;
	uint32_t num;
	uint32_t mode;
	bool flag;
	int verbose;
	char *config;
};

#define O(n, s, t, f, lo, hi)                                                  \
	{                                                                      \
		n, s, t, offsetof(struct cfg, f), lo, hi, "X", "help", NULL    \
	}
static const struct conf_opt opts[] = {
	O("name", 'n', CONF_STR, name, 0, 0),
	O("item", 0, CONF_LIST, list, 0, 0),
	O("num", 0, CONF_U32, num, 5, 100),
	O("mode", 0, CONF_OCTAL, mode, 0, 0777),
	O("flag", 'f', CONF_BOOL, flag, 0, 0),
	O("verbose", 'v', CONF_COUNT, verbose, 0, 9),
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL },
};

static char path[64];

static int write_file(const char *text)
{
	return unit_file(path, sizeof(path), "conf", text, 0600);
}

static int file_values(void)
{
	struct cfg c = { 0 };
	char err[256];

	if (write_file("# a comment\n\n   name   two words kept  \nitem a\n"
	               "item b\nnum 42\nmode 0640\nflag no\nverbose 3\n"))
		return 1;
	TEST_EQ(conf_load_file(opts, &c, path, err, sizeof(err)), 0);
	TEST_STREQ(c.name, "two words kept");
	TEST_EQ(c.list.n, 2);
	TEST_STREQ(c.list.v[1], "b");
	TEST_EQ(c.num, 42);
	TEST_EQ(c.mode, 0640);
	TEST_EQ(c.flag, false);
	TEST_EQ(c.verbose, 3);
	conf_free(opts, &c);
	TEST_ASSERT(c.name == NULL && c.list.n == 0);
	unlink(path);
	return 0;
}

static int file_errors(void)
{
	struct cfg c = { 0 };
	char err[256], want[128];

	if (write_file("num 7\nbogus 1\n"))
		return 1;
	TEST_EQ(conf_load_file(opts, &c, path, err, sizeof(err)), EINVAL);
	snprintf(want, sizeof(want),
	         "config file %s line 2: unknown option 'bogus'", path);
	TEST_STREQ(err, want);

	/* a value set twice: which one was meant?  (a list may repeat) */
	if (write_file("num 7\nitem a\nitem b\n\nnum 8\n"))
		return 1;
	TEST_EQ(conf_load_file(opts, &c, path, err, sizeof(err)), EINVAL);
	snprintf(want, sizeof(want),
	         "config file %s line 5: 'num' was already set on line 1",
	         path);
	TEST_STREQ(err, want);
	conf_free(opts, &c);

	if (write_file("num 101\n"))
		return 1;
	TEST_EQ(conf_load_file(opts, &c, path, err, sizeof(err)), EINVAL);
	TEST_ASSERT(strstr(err, "line 1: 'num' takes a number from 5 to 100, "
	                        "not '101'"));
	if (write_file("mode 0999\n"))
		return 1;
	TEST_EQ(conf_load_file(opts, &c, path, err, sizeof(err)), EINVAL);
	if (write_file("flag maybe\n"))
		return 1;
	TEST_EQ(conf_load_file(opts, &c, path, err, sizeof(err)), EINVAL);
	TEST_ASSERT(strstr(err, "'flag' takes yes or no, not 'maybe'"));
	if (write_file("name\n"))
		return 1;
	TEST_EQ(conf_load_file(opts, &c, path, err, sizeof(err)), EINVAL);
	TEST_EQ(conf_load_file(opts, &c, "/nonexistent/x", err, sizeof(err)),
	        ENOENT);
	conf_free(opts, &c);
	unlink(path);
	return 0;
}

static int command_line(void)
{
	char *argv[] = {
		"prog", "--name", "a",      "--name=b", "-n",      "c",
		"-vv",  "-f",     "--item", "x",        "--num=9", NULL
	};
	struct cfg c = { 0 };
	char err[256];

	c.list.n = 0;
	TEST_EQ(conf_parse_args(opts, &c, 11, argv, err, sizeof(err)), 0);
	TEST_STREQ(c.name, "c");
	TEST_EQ(c.verbose, 2);
	TEST_EQ(c.flag, true);
	TEST_EQ(c.num, 9);
	TEST_EQ(c.list.n, 1);
	conf_free(opts, &c);
	return 0;
}

/* A list given on the command line replaces the file's values */
static int list_override(void)
{
	char *argv[] = { "prog", "--item", "y", "--item", "z", NULL };
	struct cfg c = { 0 };
	char err[256];

	if (write_file("item a\nitem b\n"))
		return 1;
	TEST_EQ(conf_load_file(opts, &c, path, err, sizeof(err)), 0);
	TEST_EQ(conf_parse_args(opts, &c, 5, argv, err, sizeof(err)), 0);
	TEST_EQ(c.list.n, 2);
	TEST_STREQ(c.list.v[0], "y");
	TEST_STREQ(c.list.v[1], "z");
	conf_free(opts, &c);
	unlink(path);
	return 0;
}

/* A reload compares option by option and copies what may change */
static int compare_copy(void)
{
	char *a1[] = { "prog", "--item", "y", "--num", "9", "-n", "x", NULL };
	char *a2[] = {
		"prog", "--item", "y", "--item", "z", "--num", "9", NULL
	};
	struct cfg a = { 0 }, b = { 0 };
	char err[256];

	TEST_EQ(conf_parse_args(opts, &a, 7, a1, err, sizeof(err)), 0);
	TEST_EQ(conf_parse_args(opts, &b, 7, a2, err, sizeof(err)), 0);
	TEST_ASSERT(!conf_opt_equal(conf_find(opts, "name"), &a, &b));
	TEST_ASSERT(!conf_opt_equal(conf_find(opts, "item"), &a, &b));
	TEST_ASSERT(conf_opt_equal(conf_find(opts, "num"), &a, &b));
	TEST_ASSERT(conf_opt_equal(conf_find(opts, "flag"), &a, &b));
	TEST_EQ(conf_opt_copy(conf_find(opts, "item"), &a, &b), 0);
	TEST_EQ(conf_opt_copy(conf_find(opts, "name"), &a, &b), 0);
	TEST_ASSERT(a.name == NULL);
	TEST_EQ(a.list.n, 2);
	TEST_STREQ(a.list.v[1], "z");
	TEST_ASSERT(a.list.v[1] != b.list.v[1]); /* a copy of its own */
	for (const struct conf_opt *o = opts; o->name; o++)
		TEST_ASSERT(conf_opt_equal(o, &a, &b));
	TEST_ASSERT(conf_find(opts, "nope") == NULL);
	conf_free(opts, &a);
	conf_free(opts, &b);
	return 0;
}

/* Defaults come from the table: scalars before the file, a list's only
 * when neither the file nor the command line names one */
static const struct conf_opt dflt_opts[] = {
	CONF_OPT(cfg, "name", 'n', CONF_STR, name, 0, 0, "X", "n0", "help"),
	CONF_OPT(cfg, "item", 0, CONF_LIST, list, 0, 0, "X", "a b", "help"),
	CONF_OPT(cfg, "num", 0, CONF_U32, num, 5, 100, "X", "7", "help"),
	CONF_OPT(cfg, "flag", 'f', CONF_BOOL, flag, 0, 0, NULL, "yes", "help"),
	CONF_OPT(cfg, "config", 'c', CONF_STR, config, 0, 0, "F", NULL, "h"),
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL },
};

static int defaults(void)
{
	char *none[] = { "prog", NULL };
	char *args[] = { "prog", "-c", path, "--item", "z", NULL };
	char *bad_args[] = { "prog", "--num", "200", NULL };
	static const struct conf_opt bad[] = {
		CONF_OPT(cfg, "num", 0, CONF_U32, num, 5, 100, "X", "1", "h"),
		{ NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL },
	};
	struct cfg c = { 0 };
	char err[256], out[4096];
	FILE *f;

	TEST_EQ(conf_load(dflt_opts, &c, 1, none, err, sizeof(err)), 0);
	TEST_STREQ(c.name, "n0");
	TEST_EQ(c.list.n, 2);
	TEST_STREQ(c.list.v[0], "a");
	TEST_STREQ(c.list.v[1], "b");
	TEST_EQ(c.num, 7);
	TEST_ASSERT(c.flag);
	conf_free(dflt_opts, &c);

	/* the file's list replaces the default; so does the command line's */
	if (write_file("item x\nnum 9\nflag no\n"))
		return 1;
	memset(&c, 0, sizeof(c));
	TEST_EQ(conf_load(dflt_opts, &c, 3, args, err, sizeof(err)), 0);
	TEST_EQ(c.list.n, 1);
	TEST_STREQ(c.list.v[0], "x");
	TEST_EQ(c.num, 9);
	TEST_ASSERT(!c.flag);
	conf_free(dflt_opts, &c);
	memset(&c, 0, sizeof(c));
	TEST_EQ(conf_load(dflt_opts, &c, 5, args, err, sizeof(err)), 0);
	TEST_EQ(c.list.n, 1);
	TEST_STREQ(c.list.v[0], "z");
	conf_free(dflt_opts, &c);
	unlink(path);

	/* a command line error is still reported as such */
	memset(&c, 0, sizeof(c));
	TEST_EQ(conf_load(dflt_opts, &c, 3, bad_args, err, sizeof(err)),
	        EINVAL);
	TEST_STREQ(err, "'num' takes a number from 5 to 100, not '200'");
	conf_free(dflt_opts, &c);

	/* a default outside its own range is a fault of the table */
	memset(&c, 0, sizeof(c));
	TEST_EQ(conf_load(bad, &c, 1, none, err, sizeof(err)), EINVAL);
	TEST_STREQ(err, "default of 'num': 'num' takes a number from 5 to "
	                "100, not '1'");

	/* usage prints each default */
	f = fmemopen(out, sizeof(out), "w");
	TEST_ASSERT(f != NULL);
	conf_usage(f, "prog", "summary", dflt_opts);
	fclose(f);
	TEST_ASSERT(strstr(out, "--item X") && strstr(out, "(default a b)"));
	TEST_ASSERT(strstr(out, "(default 7)"));
	return 0;
}

static int command_line_errors(void)
{
	struct cfg c = { 0 };
	char err[256];
	char *a1[] = { "prog", "--nope", NULL };
	char *a2[] = { "prog", "--name", NULL };
	char *a3[] = { "prog", "stray", NULL };
	char *a4[] = { "prog", "-x", NULL };
	char *a5[] = { "prog", "--flag", "no", NULL };

	TEST_EQ(conf_parse_args(opts, &c, 2, a1, err, sizeof(err)), EINVAL);
	TEST_STREQ(err, "unknown option '--nope' (see --help)");
	TEST_EQ(conf_parse_args(opts, &c, 2, a2, err, sizeof(err)), EINVAL);
	TEST_STREQ(err, "option '--name' needs X");
	TEST_EQ(conf_parse_args(opts, &c, 2, a3, err, sizeof(err)), EINVAL);
	TEST_STREQ(err, "unexpected argument 'stray'");
	TEST_EQ(conf_parse_args(opts, &c, 2, a4, err, sizeof(err)), EINVAL);
	TEST_STREQ(err, "unknown option '-x' (see --help)");
	TEST_EQ(conf_parse_args(opts, &c, 3, a5, err, sizeof(err)), EINVAL);
	TEST_STREQ(err, "unexpected argument 'no': a yes/no option takes its "
	                "value after '=' (--flag=no)");
	conf_free(opts, &c);
	return 0;
}

static int file_arg(void)
{
	char *a1[] = { "p", "-v", "-c", "/etc/x.conf", NULL };
	char *a2[] = { "p", "--config=/y", NULL };
	char *a3[] = { "p", "-v", NULL };
	char *a4[] = { "p", "-c/etc/z.conf", NULL };

	TEST_STREQ(conf_file_arg(4, a1), "/etc/x.conf");
	TEST_STREQ(conf_file_arg(2, a4), "/etc/z.conf");
	TEST_STREQ(conf_file_arg(2, a2), "/y");
	TEST_ASSERT(conf_file_arg(2, a3) == NULL);
	return 0;
}

/* The real tables: every name parses, and the checks say what is wrong */
static int hrac_table(void)
{
	char *argv[] = { "hrac",
		         "--server",
		         "https://h.example/sofw/",
		         "--proxy",
		         "http://p:3128",
		         "--proxy-user",
		         "u:p",
		         "--proxy-auth",
		         "digest",
		         "--proxy-tunnel",
		         "--cacert",
		         "/ca",
		         "--id",
		         "site",
		         "--secret-file",
		         "/s",
		         "--down-mode",
		         "poll",
		         "--up-mode",
		         "batch",
		         "--allow",
		         "10.0.0.0/8",
		         "--sip",
		         "10.0.0.1:5060",
		         NULL };
	struct hrac_conf c;
	char err[256];

	memset(&c, 0, sizeof(c));
	TEST_EQ(conf_defaults(hrac_opts, &c, err, sizeof(err)), 0);
	TEST_EQ(conf_parse_args(hrac_opts, &c, 24, argv, err, sizeof(err)), 0);
	TEST_EQ(hrac_conf_check(&c, err, sizeof(err)), 0);
	TEST_STREQ(c.proxy, "http://p:3128");
	TEST_ASSERT(c.proxy_tunnel);
	TEST_EQ(c.media_max_age, 60);
	TEST_EQ(c.allow.n, 1);
	conf_set_str(&c.down_mode, "sideways");
	TEST_ASSERT(hrac_conf_check(&c, err, sizeof(err)) != 0);
	TEST_STREQ(err, "--down-mode is auto, stream or poll");
	conf_set_str(&c.down_mode, "poll");
	TEST_STREQ(c.http_version, "1.1");
	conf_set_str(&c.http_version, "2");
	TEST_EQ(hrac_conf_check(&c, err, sizeof(err)), 0);
	conf_set_str(&c.http_version, "3");
	TEST_ASSERT(hrac_conf_check(&c, err, sizeof(err)) != 0);
	TEST_STREQ(err, "--http-version is 1.1 or 2");
	conf_free(hrac_opts, &c);

	memset(&c, 0, sizeof(c));
	TEST_EQ(conf_defaults(hrac_opts, &c, err, sizeof(err)), 0);
	TEST_ASSERT(hrac_conf_check(&c, err, sizeof(err)) != 0);
	TEST_STREQ(err, "no HRAS: give --server URL");
	conf_free(hrac_opts, &c);
	return 0;
}

static int hras_table(void)
{
	char *argv[] = { "hras-fcgi",
		         "-f",
		         "-s",
		         "unix:/run/x.sock",
		         "--hracs",
		         "/h",
		         "--keepalive",
		         "15",
		         "--socket-mode",
		         "0600",
		         "-vv",
		         "--users",
		         "/u",
		         NULL };
	struct hras_conf c;
	char err[256];

	memset(&c, 0, sizeof(c));
	TEST_EQ(conf_load(hras_opts, &c, 13, argv, err, sizeof(err)), 0);
	TEST_EQ(hras_conf_check(&c, err, sizeof(err)), 0);
	TEST_EQ(c.tunnel.keepalive, 15);
	TEST_EQ(c.socket_mode, 0600);
	TEST_EQ(c.verbose, 2);
	TEST_EQ(c.tunnel.down_max, 300);
	TEST_ASSERT(c.sip.auth_inside);
	TEST_EQ(c.tunnel.status_allow.n, 2);
	TEST_STREQ(c.tunnel.status_allow.v[0], "127.0.0.0/8");
	TEST_STREQ(c.tunnel.status_allow.v[1], "::1/128");
	conf_set_str(&c.tunnel.base_path, "sofw");
	TEST_ASSERT(hras_conf_check(&c, err, sizeof(err)) != 0);
	TEST_ASSERT(strstr(err, "base-path must start and end with '/'"));
	conf_free(hras_opts, &c);

	/* a registrar without users only when asked for, or echo only */
	memset(&c, 0, sizeof(c));
	TEST_EQ(conf_load(hras_opts, &c, 11, argv, err, sizeof(err)), 0);
	TEST_ASSERT(hras_conf_check(&c, err, sizeof(err)) != 0);
	TEST_ASSERT(strstr(err, "--open-registrar"));
	c.sip.open_registrar = true;
	TEST_EQ(hras_conf_check(&c, err, sizeof(err)), 0);
	c.sip.open_registrar = false;
	c.echo = true;
	TEST_EQ(hras_conf_check(&c, err, sizeof(err)), 0);
	conf_free(hras_opts, &c);

	memset(&c, 0, sizeof(c));
	TEST_EQ(conf_defaults(hras_opts, &c, err, sizeof(err)), 0);
	TEST_ASSERT(hras_conf_check(&c, err, sizeof(err)) != 0);
	TEST_ASSERT(strstr(err, "--hracs FILE"));
	conf_free(hras_opts, &c);
	return 0;
}

/* --help fits a terminal: no line of either program's over 79 columns,
 * a long option's help wrapped under the help column */
static int usage_width(void)
{
	static char out[32768];
	const struct conf_opt *tables[] = { hrac_opts, hras_opts };

	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		FILE *f = fmemopen(out, sizeof(out), "w");
		char *line, *save = NULL;

		TEST_ASSERT(f);
		conf_usage(f, "prog",
		           "a summary long enough to be wrapped at "
		           "the right margin of an eighty-column "
		           "terminal, as the real ones are",
		           tables[i]);
		fclose(f);
		TEST_ASSERT(strstr(out, "--verbose"));
		for (line = strtok_r(out, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (strlen(line) > 79) {
				fprintf(stderr, "too wide: %s\n", line);
				return 1;
			}
		}
	}
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(file_values),  UNIT_TEST(file_errors),
		UNIT_TEST(command_line), UNIT_TEST(list_override),
		UNIT_TEST(defaults),     UNIT_TEST(command_line_errors),
		UNIT_TEST(file_arg),     UNIT_TEST(hrac_table),
		UNIT_TEST(hras_table),   UNIT_TEST(usage_width),
		UNIT_TEST(compare_copy),
	};

	return unit_main("conf", tests, ARRAY_SIZE(tests));
}
