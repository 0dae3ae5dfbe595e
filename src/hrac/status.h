/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file status.h  What hrac says of itself: the status file (JSON), the
 * status line on SIGUSR1, the metrics file (metrics.c), hrac --status
 *
 * The running hrac writes the status file (--status-file) and the
 * metrics file (--metrics-file) every STATUS_MS, whole (wholefile.h);
 * the metrics file also at once when the tunnel opens or fails, so that
 * an alert on sofw_hrac_tunnel_up does not wait.  Neither holds a
 * secret: the proxy is named by its path only as tunnel_path() gives
 * it, and never in the metrics.  hrac --status reads the status file
 * back and exits 1 when the tunnel is down or the file is stale.
 */

struct hrac_conf;
struct tunnel_conf;
struct tunnel;
struct sip_lan;
struct media_lan;

struct status {
	const struct hrac_conf *cfg;
	const struct tunnel_conf *tc;
	struct tunnel *t;
	struct sip_lan *lan;
	struct media_lan *media;
	struct tmr tmr;
	uint64_t started;     /* ms, monotonic */
	int64_t last_open;    /* s since the epoch: the last successful open */
	char last_error[256]; /* the tunnel's last error, "" if none */
	bool was_open;        /* as the metrics file last said */
	bool closing;         /* hrac is going away: the tunnel is down */
	uint32_t ticks;
	int status_err, metrics_err; /* the files' last errors, said once */
};

int status_alloc(struct status **sp, const struct hrac_conf *cfg,
                 const struct tunnel_conf *tc, struct tunnel *t,
                 struct sip_lan *lan, struct media_lan *media);
void status_tunnel_event(struct status *st, enum tunnel_event ev,
                         const char *msg);
void status_close(struct status *st);
int status_show(const struct hrac_conf *cfg);

bool status_tunnel_up(const struct status *st);
int metrics_print(struct mbuf *mb, const struct status *st);
