/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file prom.c  Metrics in the Prometheus text exposition format (0.0.4)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "prom.h"

/* HELP text escapes backslash and newline; a label value also '"' */
static int put_escaped(struct mbuf *mb, const char *s, bool quote)
{
	int err = 0;

	for (; *s && !err; s++) {
		if (*s == '\\')
			err = mbuf_write_str(mb, "\\\\");
		else if (*s == '\n')
			err = mbuf_write_str(mb, "\\n");
		else if (quote && *s == '"')
			err = mbuf_write_str(mb, "\\\"");
		else
			err = mbuf_write_u8(mb, (uint8_t)*s);
	}
	return err;
}

int prom_family(struct mbuf *mb, const char *name, enum prom_type type,
                const char *help)
{
	int err;

	err = mbuf_printf(mb, "# HELP %s ", name);
	err |= put_escaped(mb, help, false);
	err |= mbuf_printf(mb, "\n# TYPE %s %s\n", name,
	                   type == PROM_COUNTER ? "counter" : "gauge");
	return err;
}

static int put_label(struct mbuf *mb, const char *k, const char *v)
{
	int err = mbuf_printf(mb, "%s=\"", k);

	err |= put_escaped(mb, v ? v : "", true);
	err |= mbuf_write_u8(mb, '"');
	return err;
}

/* One sample: NAME{K1="V1",K2="V2"} V; k1 (then k2) NULL: no label */
int prom_sample(struct mbuf *mb, const char *name, const char *k1,
                const char *v1, const char *k2, const char *v2, uint64_t v)
{
	int err = mbuf_write_str(mb, name);

	if (k1) {
		err |= mbuf_write_u8(mb, '{');
		err |= put_label(mb, k1, v1);
		if (k2) {
			err |= mbuf_write_u8(mb, ',');
			err |= put_label(mb, k2, v2);
		}
		err |= mbuf_write_u8(mb, '}');
	}
	err |= mbuf_printf(mb, " %llu\n", (unsigned long long)v);
	return err;
}

/* A family of one sample without labels */
int prom_one(struct mbuf *mb, const char *name, enum prom_type type,
             const char *help, uint64_t v)
{
	int err = prom_family(mb, name, type, help);

	err |= prom_sample(mb, name, NULL, NULL, NULL, NULL, v);
	return err;
}

/* A family whose samples differ in one label, @key: reasons, directions */
int prom_by(struct mbuf *mb, const char *name, enum prom_type type,
            const char *help, const char *key, const struct prom_kv *kv,
            size_t n)
{
	int err = prom_family(mb, name, type, help);

	for (size_t i = 0; i < n; i++)
		err |= prom_sample(mb, name, key, kv[i].label, NULL, NULL,
		                   kv[i].v);
	return err;
}

/**
 * The process's families, sofw_PROG_: build_info (labelled with the
 * version, and @k2=@v2 if given), start_time_seconds, uptime_seconds
 *
 * @param up_s  How long the process has run (its own monotonic clock:
 *              the start time then moves with neither a clock step nor
 *              the host's uptime)
 */
int prom_process(struct mbuf *mb, const char *prog, const char *version,
                 const char *k2, const char *v2, uint64_t up_s)
{
	char name[64], help[96];
	int err;

	snprintf(name, sizeof(name), "sofw_%s_build_info", prog);
	snprintf(help, sizeof(help), "1, labelled with the version of %s",
	         prog);
	err = prom_family(mb, name, PROM_GAUGE, help);
	err |= prom_sample(mb, name, "version", version, k2, v2, 1);
	snprintf(name, sizeof(name), "sofw_%s_start_time_seconds", prog);
	snprintf(help, sizeof(help),
	         "when this %s started, seconds since the epoch", prog);
	err |=
	    prom_one(mb, name, PROM_GAUGE, help, (uint64_t)time(NULL) - up_s);
	snprintf(name, sizeof(name), "sofw_%s_uptime_seconds", prog);
	snprintf(help, sizeof(help), "seconds this %s process has run", prog);
	err |= prom_one(mb, name, PROM_GAUGE, help, up_s);
	return err;
}
