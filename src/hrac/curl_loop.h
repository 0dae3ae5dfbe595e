/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file curl_loop.h  libcurl's multi interface driven by libre's loop
 *
 * One thread serves UDP (libre) and HTTP (libcurl): curl tells which
 * sockets to watch and when to wake; libre's fd_listen and tmr do the
 * watching.  A transfer is a struct curl_job: its easy handle and what to
 * call when it completes.
 */

struct curl_job;
typedef void(curl_done_h)(struct curl_job *job, CURLcode res);

struct curl_job {
	CURL *easy;
	curl_done_h *doneh;
	void *arg;
	bool active;      /* added to the multi handle */
	struct le le;     /* in the loop's jobs, while active */
	curl_socket_t fd; /* its socket, as curl last named it */
};

struct curl_loop;

int curl_loop_alloc(struct curl_loop **lp);
void curl_loop_free(struct curl_loop *l);
int curl_loop_add(struct curl_loop *l, struct curl_job *job);
void curl_loop_remove(struct curl_loop *l, struct curl_job *job);
void curl_loop_resume_send(struct curl_loop *l, CURL *easy);
bool curl_loop_busy(const struct curl_loop *l);
