/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file endpoints.h  The tunnel's HTTP endpoints (sofw-tunnel(7))
 *
 * Each runs on a FastCGI worker thread for the life of its request.
 */

struct tunsrv;
struct hreq;

void ep_serve(struct tunsrv *t, FCGX_Request *r);

void ep_open(struct hreq *q);
void ep_down(struct hreq *q);
void ep_up(struct hreq *q);
void ep_close(struct hreq *q);
void ep_status(struct hreq *q);
bool ep_status_allowed(struct hreq *q);
void ep_metrics(struct hreq *q);

struct session *ep_session(struct hreq *q, uint32_t *epoch);
int ep_read_timeout(struct hreq *q, uint32_t seconds);
