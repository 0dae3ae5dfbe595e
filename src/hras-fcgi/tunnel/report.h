/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file report.h  The status report, handed from the loop thread to workers
 *
 * The loop thread owns what the report describes (sessions, registrations,
 * calls), the workers serve HTTP: the loop thread renders the report
 * (status.c) into a snapshot here, in three versions (the status without
 * and with each call's identifiers, and the metrics), and the status and
 * metrics endpoints copy the one they were asked for under the lock.
 * The JSON versions are handed over built, as libre odicts, and encoded
 * by the report's own thread, off the loop that relays the packets; they
 * are rendered only while someone asks for them (report_wanted), and a
 * request after a quiet spell waits for the next.  Safe from any thread.
 */

enum {
	REPORT_MAX = 4 << 20, /* a larger report is not published */
};

/* Which snapshot */
enum report_kind {
	REPORT_STATUS = 0,  /* the status JSON */
	REPORT_CALLS = 1,   /* ... with the calls' identifiers */
	REPORT_METRICS = 2, /* Prometheus text (metrics.c) */
	REPORT_KINDS
};

struct odict;
struct report;

int report_alloc(struct report **rp);
void report_free(struct report *r);
int report_publish(struct report *r, enum report_kind k, const char *text,
                   size_t len);
int report_copy(struct report *r, enum report_kind k, char **text, size_t *len);
int report_encode(struct report *r, enum report_kind k, const struct odict *o);
void report_publish_odict(struct report *r, enum report_kind k,
                          struct odict *o);
bool report_wanted(struct report *r, enum report_kind k);
