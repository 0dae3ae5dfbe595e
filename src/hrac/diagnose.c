/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file diagnose.c  hrac --diagnose: test the path to HRAS once, report
 *
 * Runs the real tunnel (same code, same fallbacks) with reconnects off,
 * then measures round trips with PING frames.  Every failure ends in one
 * sentence a network administrator can act on, and a non-zero exit.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "secret.h"
#include "curl_loop.h"
#include "tunnel.h"
#include "hrac.h"
#include "diagnose.h"

enum {
	DIAG_TIMEOUT_MS = 30000,
	PING_TIMEOUT_MS = 3000,
};

struct diag {
	struct tunnel *t;
	FILE *out;
	uint32_t pings, sent, answered;
	uint64_t *rtt; /* us */
	uint64_t ping_at;
	bool pinging, failed, done;
	char error[512];
	struct tmr timeout, ping_tmr;
};

static void finish(struct diag *d)
{
	if (d->done)
		return;
	d->done = true;
	tmr_cancel(&d->ping_tmr);
	tunnel_close(d->t); /* TUNNEL_CLOSED ends the loop */
}

static void fail(struct diag *d, const char *why)
{
	if (!d->failed) {
		d->failed = true;
		snprintf(d->error, sizeof(d->error), "%s", why);
	}
	finish(d);
}

static void send_ping(struct diag *d);

static void ping_timeout(void *arg)
{
	struct diag *d = arg;
	char why[128];

	snprintf(why, sizeof(why),
	         "ping %u got no answer within %d ms: the path loses frames",
	         d->sent, PING_TIMEOUT_MS);
	fail(d, why);
}

static void send_ping(struct diag *d)
{
	char payload[32];
	struct frame f;
	int n;

	if (d->sent == d->pings) {
		finish(d);
		return;
	}
	n = snprintf(payload, sizeof(payload), "diagnose:%u", ++d->sent);
	memset(&f, 0, sizeof(f));
	f.type = FRAME_KEEPALIVE;
	f.flags = FRAME_F_PING;
	f.payload = (const uint8_t *)payload;
	f.len = (size_t)n;

	d->ping_at = mono_us();
	tmr_start(&d->ping_tmr, PING_TIMEOUT_MS, ping_timeout, d);
	tunnel_send(d->t, &f);
}

static void next_ping(void *arg)
{
	send_ping(arg);
}

static void on_frame(const struct frame *f, void *arg)
{
	struct diag *d = arg;
	char want[32];
	int n;

	if (f->type != FRAME_KEEPALIVE || !(f->flags & FRAME_F_PONG) ||
	    !d->pinging)
		return;
	/* the answer to the ping in flight, once: "diagnose:1" must not
	 * match "diagnose:10", nor a duplicate PONG count twice */
	n = snprintf(want, sizeof(want), "diagnose:%u", d->sent);
	if (d->answered >= d->sent || d->answered >= d->pings ||
	    f->len < (size_t)n || memcmp(f->payload, want, (size_t)n) ||
	    (f->len > (size_t)n && f->payload[n] >= '0' &&
	     f->payload[n] <= '9'))
		return;

	d->rtt[d->answered++] = mono_us() - d->ping_at;
	tmr_cancel(&d->ping_tmr);
	/* not from inside the tunnel's receive path */
	tmr_start(&d->ping_tmr, 0, next_ping, d);
}

static void on_event(enum tunnel_event ev, const char *msg, void *arg)
{
	struct diag *d = arg;
	const struct tunnel_params *p = tunnel_params(d->t);

	switch (ev) {

	case TUNNEL_OPENED:
		fprintf(d->out,
		        "  session:    opened (keepalive %u s, streams "
		        "renewed every %u s)\n",
		        p->keepalive, p->down_max);
		if (tunnel_http(d->t)[0])
			fprintf(d->out, "  http:       %s\n",
			        tunnel_http(d->t));
		if (tunnel_tls_peer(d->t)[0])
			fprintf(d->out, "  TLS peer:   %s\n",
			        tunnel_tls_peer(d->t));
		break;
	case TUNNEL_DOWN_MODE:
		fprintf(d->out, "  down:       %s\n", msg);
		break;
	case TUNNEL_UP_MODE:
		fprintf(d->out, "  up:         %s\n", msg);
		break;
	case TUNNEL_PATH_OK:
		if (!d->pinging) {
			d->pinging = true;
			send_ping(d);
		}
		break;
	case TUNNEL_ERROR:
	case TUNNEL_REFUSED:
		fail(d, msg);
		break;
	case TUNNEL_CLOSED:
		re_cancel();
		break;
	}
}

static void overall_timeout(void *arg)
{
	struct diag *d = arg;

	if (d->done) {
		re_cancel();
		return;
	}
	fail(d, "no working tunnel within 30 s: the path neither works nor "
	        "fails clearly (a silent firewall or proxy?)");
	tmr_start(&d->timeout, 5000, overall_timeout, d);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report_rtt(struct diag *d)
{
	uint32_t n = d->answered;
	size_t p99;

	if (!n)
		return;
	qsort(d->rtt, n, sizeof(*d->rtt), cmp_u64);
	p99 = (size_t)((n * 99 + 99) / 100) - 1;
	fprintf(d->out,
	        "  round trip: %u pings: median %.2f ms, p99 %.2f ms, max "
	        "%.2f ms\n",
	        n, d->rtt[n / 2] / 1000.0, d->rtt[p99] / 1000.0,
	        d->rtt[n - 1] / 1000.0);
}

int diagnose_run(const struct hrac_conf *cfg, struct tunnel_conf *tc,
                 struct curl_loop *cl)
{
	struct diag d;
	int e;

	memset(&d, 0, sizeof(d));
	d.out = stdout;
	d.pings = cfg->pings;
	d.rtt = calloc(d.pings, sizeof(*d.rtt));
	if (!d.rtt)
		return 2;
	tmr_init(&d.timeout);
	tmr_init(&d.ping_tmr);

	tc->once = true;
	tc->certinfo = true;
	/* a session of its own: a running hrac of this site keeps its own */
	tc->probe = true;
	e = tunnel_alloc(&d.t, tc, cl, on_frame, on_event, &d);
	if (e) {
		free(d.rtt);
		return 2;
	}

	/* the URLs as tunnel.c shows them: a password never printed */
	fprintf(d.out, "hrac diagnose: HRAS %s as '%s'\n", tunnel_server(d.t),
	        tc->id);
	fprintf(d.out, "  path:       %s\n", tunnel_path(d.t));
	fflush(d.out);

	tmr_start(&d.timeout, DIAG_TIMEOUT_MS, overall_timeout, &d);
	tunnel_start(d.t);
	re_main(NULL);

	report_rtt(&d);
	if (d.failed)
		fprintf(d.out, "result: FAILED: %s\n", d.error);
	else
		fprintf(d.out,
		        "result: OK: the tunnel works (down %s, up %s)\n",
		        tunnel_down_mode(d.t), tunnel_up_mode(d.t));

	tmr_cancel(&d.timeout);
	tmr_cancel(&d.ping_tmr);
	tunnel_free(d.t);
	free(d.rtt);
	return d.failed ? 1 : 0;
}
