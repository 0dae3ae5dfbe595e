/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sip_fuzz.c  libFuzzer target: raw SIP into HRAS's SIP service
 *
 * The real service (sipsrv, registrar, proxy on libre) listens on
 * loopback; the input goes to it over UDP, as any stranger's datagram
 * would, and libre's loop runs until it has been handled.
 *
 *  - An input that starts "SIP/2.0 " is a response: a fixed INVITE from
 *    a caller is first proxied to a registered callee, and the input,
 *    with the Via of that forwarded INVITE put on top, is the callee's
 *    answer: the proxy's response path (best response, forwarding,
 *    challenges, stray responses).  A 486 then ends the transaction, so
 *    state does not grow from run to run.
 *  - Anything else is a request from a stranger: validation, loops,
 *    registrar, routing, in-dialog requests, CANCEL, OPTIONS.
 *
 * Properties: no crash, no sanitizer report, no leak, and the service
 * still answers an OPTIONS after every input.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "quota.h"
#include "hracs.h"
#include "session.h"
#include "inbox.h"
#include "tunsrv.h"
#include "iface.h"
#include "rat.h"
#include "sipsrv.h"
#include "proxy.h"
#include "store.h"
#include "hras.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MSG_MAX = 70000 };

struct world {
	struct hras h;
	int caller, callee, stranger; /* UDP sockets of the phones */
	struct sockaddr_in server;
	uint16_t callee_port, caller_port;
	uint32_t n;
	uint32_t answered, unanswered; /* response-path inputs fuzzed, not */
	char buf[MSG_MAX + 1024];
	char fwd[MSG_MAX];
};

static struct world *W;

static void stop(void *arg)
{
	(void)arg;
	re_cancel();
}

/* Run libre's loop until what is ready has been handled */
static void spin(void)
{
	struct tmr t;

	/* an expired timer makes the loop poll with a 1 ms timeout: what
	 * was sent on loopback is ready by then, and handled first */
	tmr_init(&t);
	tmr_start(&t, 0, stop, NULL);
	re_main(NULL);
	tmr_cancel(&t);
}

static int udp_sock(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &al))
		abort();
	if (port)
		*port = ntohs(a.sin_port);
	return fd;
}

static void send_to_server(int fd, const void *p, size_t n)
{
	(void)sendto(fd, p, n, 0, (const struct sockaddr *)&W->server,
	             sizeof(W->server));
	spin();
}

/* The datagram waiting on a socket that contains needle (late
 * retransmissions of earlier answers may be waiting too) */
static bool recv_match(int fd, const char *needle, char *out, size_t outsz)
{
	ssize_t n;

	while ((n = recv(fd, out, outsz - 1, 0)) >= 0) {
		out[n] = '\0';
		if (strstr(out, needle))
			return true;
	}
	return false;
}

static void drain(int fd)
{
	char b[2048];

	while (recv(fd, b, sizeof(b), 0) >= 0)
		;
}

static uint16_t free_port(void)
{
	uint16_t port;
	int fd = udp_sock(&port);

	close(fd);
	return port;
}

static void register_callee(void)
{
	int n = snprintf(W->buf, sizeof(W->buf),
	                 "REGISTER sip:example.test SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKreg\r\n"
	                 "From: <sip:bob@example.test>;tag=r1\r\n"
	                 "To: <sip:bob@example.test>\r\n"
	                 "Call-ID: reg@fuzz\r\nCSeq: 1 REGISTER\r\n"
	                 "Contact: <sip:bob@127.0.0.1:%u>\r\n"
	                 "Expires: 7200\r\nMax-Forwards: 70\r\n"
	                 "Content-Length: 0\r\n\r\n",
	                 W->callee_port, W->callee_port);

	send_to_server(W->callee, W->buf, (size_t)n);
	if (!recv_match(W->callee, "Call-ID: reg@fuzz", W->fwd,
	                sizeof(W->fwd)) ||
	    strncmp(W->fwd, "SIP/2.0 200", 11)) {
		fprintf(stderr, "sip_fuzz: bob could not register: %s\n",
		        W->fwd);
		abort();
	}
}

/* A run that fuzzed the response path with nothing, and said nothing,
 * would look like a pass: say how many, and fail if none */
static void report(void)
{
	fprintf(stderr,
	        "sip_fuzz: response path: %u inputs fuzzed, %u not "
	        "(the INVITE was refused)\n",
	        W->answered, W->unanswered);
	if (W->unanswered && !W->answered)
		_exit(1);
}

static void setup(void)
{
	char port[32];
	char *argv[] = { "sip_fuzz",     "--sip",
		         port,           "--domain",
		         "example.test", "--rate-limit",
		         "1000000",      "--rate-burst",
		         "1000000",      "--max-transactions",
		         "1000",         NULL };
	char err[256];
	struct chan_limits lim;
	uint16_t sp = free_port();

	W = calloc(1, sizeof(*W));
	if (!W || libre_init())
		abort();
	log_init("sip_fuzz", true, getenv("SIP_FUZZ_LOG") ? 1 : -3);
	snprintf(port, sizeof(port), "127.0.0.1:%u", sp);
	if (conf_load(hras_opts, &W->h.cfg, ARRAY_SIZE(argv) - 1, argv, err,
	              sizeof(err))) {
		fprintf(stderr, "sip_fuzz: %s\n", err);
		abort();
	}
	/* the service as hras-fcgi starts it (main.c), with its relay */
	tunsrv_chan_limits(&W->h.cfg.tunnel, &lim);
	if (sessions_alloc(&W->h.tun.sessions, 4, &lim) ||
	    sipsrv_alloc(&W->h.sip, &W->h.cfg.sip, W->h.tun.sessions) ||
	    rat_alloc(&W->h.relay, &W->h.cfg.media, W->h.tun.sessions,
	              sipsrv_laddr(W->h.sip),
	              proxy_tx_life_ms(W->h.cfg.sip.timer_c)))
		abort();
	sipsrv_use_relay(W->h.sip, W->h.relay);

	W->server.sin_family = AF_INET;
	W->server.sin_port = htons(sp);
	W->server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	W->caller = udp_sock(&W->caller_port);
	W->callee = udp_sock(&W->callee_port);
	W->stranger = udp_sock(NULL);
	register_callee();
	atexit(report);
}

/* The top Via line of a message, with its line end */
static const char *top_via(const char *msg, size_t *len)
{
	const char *v = strstr(msg, "\r\nVia: ");
	const char *e;

	if (!v)
		return NULL;
	v += 2;
	e = strstr(v, "\r\n");
	if (!e)
		return NULL;
	*len = (size_t)(e - v) + 2;
	return v;
}

static void invite_and_answer(const uint8_t *data, size_t size)
{
	const char *via, *eol;
	size_t vlen, first;
	int n;

	n = snprintf(W->buf, sizeof(W->buf),
	             "INVITE sip:bob@example.test SIP/2.0\r\n"
	             "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKc%u\r\n"
	             "From: <sip:alice@example.test>;tag=a%u\r\n"
	             "To: <sip:bob@example.test>\r\n"
	             "Call-ID: call%u@fuzz\r\nCSeq: 1 INVITE\r\n"
	             "Contact: <sip:alice@127.0.0.1:%u>\r\n"
	             "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
	             W->caller_port, W->n, W->n, W->n, W->caller_port);
	send_to_server(W->caller, W->buf, (size_t)n);
	snprintf(W->buf, sizeof(W->buf), "Call-ID: call%u@fuzz", W->n);
	if (!recv_match(W->callee, W->buf, W->fwd, sizeof(W->fwd))) {
		W->unanswered++; /* refused (transactions full, say) */
		return;
	}
	W->answered++;
	via = top_via(W->fwd, &vlen);
	if (!via)
		abort(); /* the proxy forwarded a request without a Via */

	/* the input's first line, HRAS's Via, the rest of the input */
	eol = memchr(data, '\n', size);
	first = eol ? (size_t)(eol - (const char *)data) + 1 : size;
	if (first + vlen + (size - first) + 2 > sizeof(W->buf))
		return;
	memcpy(W->buf, data, first);
	n = (int)first;
	if (!eol)
		W->buf[n++] = '\r', W->buf[n++] = '\n';
	memcpy(W->buf + n, via, vlen);
	n += (int)vlen;
	memcpy(W->buf + n, data + first, size - first);
	n += (int)(size - first);
	send_to_server(W->callee, W->buf, (size_t)n);

	/* end the transaction whatever the input did */
	n = snprintf(W->buf, sizeof(W->buf),
	             "SIP/2.0 486 Busy Here\r\n%.*s"
	             "From: <sip:alice@example.test>;tag=a%u\r\n"
	             "To: <sip:bob@example.test>;tag=b%u\r\n"
	             "Call-ID: call%u@fuzz\r\nCSeq: 1 INVITE\r\n"
	             "Content-Length: 0\r\n\r\n",
	             (int)vlen, via, W->n, W->n, W->n);
	send_to_server(W->callee, W->buf, (size_t)n);

	/* and the caller acknowledges the final answer, ending its side */
	n = snprintf(W->buf, sizeof(W->buf),
	             "ACK sip:bob@example.test SIP/2.0\r\n"
	             "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKc%u\r\n"
	             "From: <sip:alice@example.test>;tag=a%u\r\n"
	             "To: <sip:bob@example.test>;tag=b%u\r\n"
	             "Call-ID: call%u@fuzz\r\nCSeq: 1 ACK\r\n"
	             "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
	             W->caller_port, W->n, W->n, W->n, W->n);
	send_to_server(W->caller, W->buf, (size_t)n);
}

static void still_serving(void)
{
	char reply[2048], callid[64];
	int n = snprintf(W->buf, sizeof(W->buf),
	                 "OPTIONS sip:127.0.0.1:%u SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP 127.0.0.1:9;rport;"
	                 "branch=z9hG4bKopt%u\r\n"
	                 "From: <sip:x@example.test>;tag=o\r\n"
	                 "To: <sip:example.test>\r\n"
	                 "Call-ID: opt%u@fuzz\r\nCSeq: 1 OPTIONS\r\n"
	                 "Max-Forwards: 0\r\nContent-Length: 0\r\n\r\n",
	                 ntohs(W->server.sin_port), W->n, W->n);

	drain(W->stranger);
	send_to_server(W->stranger, W->buf, (size_t)n);
	snprintf(callid, sizeof(callid), "Call-ID: opt%u@fuzz", W->n);
	if (!recv_match(W->stranger, callid, reply, sizeof(reply)) ||
	    strncmp(reply, "SIP/2.0 200", 11)) {
		fprintf(stderr,
		        "sip_fuzz: the service stopped answering: %.40s\n",
		        reply);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!W)
		setup();
	if (size > MSG_MAX)
		return 0;
	W->n++;

	if (size >= 8 && !memcmp(data, "SIP/2.0 ", 8))
		invite_and_answer(data, size);
	else
		send_to_server(W->stranger, data, size);

	drain(W->caller);
	drain(W->callee);
	if (W->n % 64 == 0)
		still_serving();
	return 0;
}
