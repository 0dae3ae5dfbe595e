/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file statefield.c  Fields of the line-oriented state files
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "statefield.h"

bool statefield_ok(const char *s)
{
	return strcmp(s, "-") && !strpbrk(s, "\t\r\n");
}

/* A tab, then @s ("-" when empty) */
void statefield_str(FILE *f, const char *s)
{
	fprintf(f, "\t%s", s[0] ? s : "-");
}

/* A tab, then @a as ADDR:PORT ([ADDR]:PORT for IPv6), "-" when unset */
void statefield_sa(FILE *f, const struct sa *a)
{
	if (sa_isset(a, SA_ADDR))
		re_fprintf(f, "\t%J", a);
	else
		fputs("\t-", f);
}

/**
 * Cut a line at its tabs (empty fields kept; the line end dropped)
 *
 * @return the number of fields, max + 1 when there are more than @max
 */
size_t statefield_split(char *line, char **fld, size_t max)
{
	size_t n = 0;
	char *p;

	line[strcspn(line, "\r\n")] = '\0';
	while ((p = strsep(&line, "\t"))) {
		if (n == max)
			return max + 1;
		fld[n++] = p;
	}
	return n;
}

/* @fld into @dst ("-": empty); ERANGE if it does not fit */
int statefield_str_read(char *dst, size_t size, const char *fld)
{
	if (!strcmp(fld, "-"))
		fld = "";
	if (strlen(fld) >= size)
		return ERANGE;
	memcpy(dst, fld, strlen(fld) + 1);
	return 0;
}

/* @fld into @a ("-": unset); EINVAL if it is no ADDR:PORT */
int statefield_sa_read(struct sa *a, const char *fld)
{
	const char *port = strrchr(fld, ':');

	sa_init(a, AF_UNSPEC);
	if (!strcmp(fld, "-"))
		return 0;
	if (!port || !port[1] ||
	    strspn(port + 1, "0123456789") != strlen(port + 1))
		return EINVAL;
	if (sa_decode(a, fld, strlen(fld)) || !sa_port(a)) {
		sa_init(a, AF_UNSPEC);
		return EINVAL;
	}
	return 0;
}
