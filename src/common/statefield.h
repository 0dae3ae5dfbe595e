/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file statefield.h  Fields of the line-oriented state files
 *
 * One record per line, its fields separated by tabs; "-" stands for an
 * empty string or an unset address.  A value that would not read back as
 * it was written (one holding a tab or a line end, or "-" itself) is
 * refused by statefield_ok(): its record is not written.
 */

enum {
	STATEFIELD_LINE_MAX = 32768, /* the longest record read back */
};

bool statefield_ok(const char *s);
void statefield_str(FILE *f, const char *s);
void statefield_sa(FILE *f, const struct sa *a);
size_t statefield_split(char *line, char **fld, size_t max);
int statefield_str_read(char *dst, size_t size, const char *fld);
int statefield_sa_read(struct sa *a, const char *fld);
