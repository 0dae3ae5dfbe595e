/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file report.h  The status report, handed from the loop thread to workers
 *
 * The loop thread owns what the report describes (sessions, registrations,
 * calls), the workers serve HTTP: the loop thread renders the report
 * (status.c) into a snapshot here, in two versions (without and with
 * each call's identifiers), and the status endpoint copies the one it
 * was asked for under the lock.  Safe from any thread.
 */

enum {
	REPORT_MAX = 4 << 20, /* a larger report is not published */
};

struct report;

int report_alloc(struct report **rp);
void report_free(struct report *r);
int report_publish(struct report *r, bool details, const char *json,
                   size_t len);
int report_copy(struct report *r, bool details, char **json, size_t *len);
