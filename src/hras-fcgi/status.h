/**
 * @file status.h  What hras-fcgi reports at GET {base}/status, as JSON
 *
 * The loop thread owns the registrations and the RAT, the workers serve
 * HTTP: so the loop thread renders the report once a second (and on
 * demand, see status_refresh) into a snapshot, and a worker copies the
 * latest snapshot under its lock.  The report: HRAC sessions,
 * registrations, calls with their streams and legs (relay ports,
 * packets, bytes, drops), and relay totals.
 */

struct status;
struct hras;

int status_alloc(struct status **sp);
void status_free(struct status *st);
void status_refresh(struct status *st, struct hras *h);
int status_copy(struct status *st, char **json, size_t *len);
