/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file status.h  What hras-fcgi reports at GET {base}/status, as JSON
 *
 * HRAC sessions, registrations, calls with their streams and legs (relay
 * ports, packets, bytes, drops), and relay totals.  The loop thread owns
 * all of it, so the loop thread builds the report, once a second and
 * at start-up, and publishes it to the tunnel's report (tunnel/report.h)
 * for the status endpoint, whose thread encodes it.  Loop thread only.
 */

struct hras;

void status_refresh(struct hras *h, bool now);
