/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file iface.c  A side of the server, written in state files
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "hracs.h"
#include "statefield.h"
#include "iface.h"

void iface_state_write(FILE *f, const struct iface *s)
{
	if (s->inside)
		fprintf(f, "\ti,%d,%s", s->tcp, s->hrac);
	else
		fprintf(f, "\to,%d,%d", s->tcp, s->af);
}

int iface_state_read(struct iface *s, const char *fld)
{
	char io;
	int tcp, used = 0;

	memset(s, 0, sizeof(*s));
	if (sscanf(fld, "%c,%d,%n", &io, &tcp, &used) != 2 || !used ||
	    (io != 'i' && io != 'o'))
		return EINVAL;
	s->inside = io == 'i';
	s->tcp = tcp != 0;
	if (!s->inside) {
		s->af = atoi(fld + used);
		return 0;
	}
	if (!hracs_id_valid(fld + used, strlen(fld + used)))
		return EINVAL;
	return statefield_str_read(s->hrac, sizeof(s->hrac), fld + used);
}
