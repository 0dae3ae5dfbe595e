/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file metrics.h  What hras-fcgi serves at GET {base}/metrics:
 * Prometheus text (hras-fcgi(8), METRICS)
 *
 * Rendered by the loop thread, which owns what it counts, with the status
 * (status.c: once a second) and published to the tunnel's report for
 * the metrics endpoint (tunnel/ep_metrics.c).  Loop thread only.
 */

struct hras;

int metrics_render(struct mbuf *mb, struct hras *h);
