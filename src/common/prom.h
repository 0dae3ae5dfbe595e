/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file prom.h  Metrics in the Prometheus text exposition format (0.0.4)
 *
 * What an administrator scrapes: hras-fcgi serves it at {base}/metrics,
 * hrac writes it for node_exporter's textfile collector.  Each family
 * is a HELP and a TYPE line, then its samples; label values are escaped
 * (backslash, double quote, newline) so that a name from a file or a
 * peer cannot forge a sample.  Appends to a libre mbuf; nothing here
 * touches the packet path, the callers render from counters kept as
 * plain integers.
 */

enum prom_type {
	PROM_COUNTER,
	PROM_GAUGE,
};

/* One sample of a family split by one label: its value, and the count */
struct prom_kv {
	const char *label;
	uint64_t v;
};

int prom_family(struct mbuf *mb, const char *name, enum prom_type type,
                const char *help);
int prom_sample(struct mbuf *mb, const char *name, const char *k1,
                const char *v1, const char *k2, const char *v2, uint64_t v);
int prom_one(struct mbuf *mb, const char *name, enum prom_type type,
             const char *help, uint64_t v);
int prom_by(struct mbuf *mb, const char *name, enum prom_type type,
            const char *help, const char *key, const struct prom_kv *kv,
            size_t n);
int prom_process(struct mbuf *mb, const char *prog, const char *version,
                 const char *k2, const char *v2, uint64_t up_s);
