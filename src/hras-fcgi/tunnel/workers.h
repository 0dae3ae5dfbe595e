/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file workers.h  The FastCGI worker threads
 *
 * libfcgi serves one request per thread, and a tunnel request lives for
 * minutes, so the pool grows on demand (a thread is added whenever none
 * is left waiting in accept) up to --threads.
 */

struct tunsrv;
struct workers;

int workers_start(struct workers **wp, struct tunsrv *t, int listen_fd,
                  long peer_uid, uint32_t max);
void workers_halt(struct workers *ws);
void workers_stop(struct workers *ws);
void workers_counts(struct workers *ws, uint32_t *threads, uint32_t *busy);
