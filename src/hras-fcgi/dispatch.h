/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file dispatch.h  The loop thread's share of the tunnel: each frame that
 * came up goes to its room; the once-a-second tick; reloads
 *
 * Frames arrive from the inbox: PING is answered with PONG here; SIP goes
 * to the SIP service's gateway; RTP and RTCP to the media relay; control
 * frames by their verb ("lan-sip" to the SIP service, "lan-rtp" to the
 * relay).  Answers go back through session_send().  Loop thread only,
 * except dispatch_request_reload() (async-signal-safe).
 */

struct hras;
struct dispatch;
struct session;

int dispatch_alloc(struct dispatch **dp, struct hras *h);
void dispatch_frame(struct session *s, const uint8_t *wire, size_t len,
                    void *arg);
void dispatch_request_reload(struct dispatch *d);
