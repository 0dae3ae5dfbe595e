/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file main.c  hras-fcgi: start-up, the loop thread, shutdown
 *
 * Start-up order matters: options, identities, daemon (before any thread),
 * libre and the inbox (bound to this thread's loop), the FastCGI socket,
 * then worker threads with signals blocked so that SIGTERM, SIGINT and
 * SIGHUP reach this thread.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcgiapp.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "daemon.h"
#include "log.h"
#include "quota.h"
#include "mono.h"
#include "hracs.h"
#include "session.h"
#include "inbox.h"
#include "tunsrv.h"
#include "iface.h"
#include "rat.h"
#include "portpool.h"
#include "sipsrv.h"
#include "proxy.h"
#include "hras.h"
#include "dispatch.h"
#include "status.h"
#include "callstate.h"
#include "reload.h"

#ifndef SOFW_VERSION
#define SOFW_VERSION "0.1"
#endif

enum {
	FD_RESERVE = 256, /* the loop, logs, SIP TCP, state files */
	FCGI_BACKLOG = 256,
	LOOP_FDS = 65536,
};

static const char summary[] =
    "SoFW HTTP relay agent server: the tunnel's far end, a FastCGI "
    "responder behind nginx.";

/* for the signal handler only */
static struct dispatch *signal_dispatch;

static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		if (signal_dispatch)
			dispatch_request_reload(signal_dispatch);
		return;
	}
	re_cancel();
}

static int load_options(struct hras_conf *cfg, int argc, char *argv[])
{
	char err[512];

	if (conf_load(hras_opts, cfg, argc, argv, err, sizeof(err)) ||
	    (!cfg->help && !cfg->version &&
	     hras_conf_check(cfg, err, sizeof(err)))) {
		fprintf(stderr, "hras-fcgi: %s\n", err);
		return EINVAL;
	}
	return 0;
}

/*
 * Raise the open-files limit, and if the bounds still need more than it
 * allows (a worker thread's request, an inside phone's gateway socket,
 * two per relay port pair), size the phones and pairs down to fit: a
 * bound that can be reached should not fail with EMFILE half-way
 */
static void fit_descriptors(struct hras_conf *cfg)
{
	uint64_t nofile = daemon_raise_nofile(), fixed, want, budget;
	uint64_t phones = cfg->sip.max_phones, pairs;
	uint16_t lo, hi;

	if (portpool_parse(cfg->media.rtp_ports, &lo, &hi))
		return;
	pairs = (uint64_t)(hi - lo + 1) / 2;
	fixed = FD_RESERVE + cfg->tunnel.threads;
	want = phones + 2 * pairs;
	if (nofile >= fixed + want)
		return;
	budget = nofile > fixed ? nofile - fixed : 0;
	cfg->sip.max_phones = (uint32_t)max(16, phones * budget / want);
	cfg->media.max_pairs = (uint32_t)max(1, pairs * budget / want);
	log_warn("open files: the limit is %llu, the bounds need %llu: at most "
	         "%u inside phones and %u relay port pairs (raise the limit, "
	         "e.g. LimitNOFILE, or lower --max-phones, --rtp-ports or "
	         "--threads)",
	         (unsigned long long)nofile, (unsigned long long)(fixed + want),
	         cfg->sip.max_phones, cfg->media.max_pairs);
}

/* A unix socket left by an earlier run would make bind() fail */
static void remove_stale_socket(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
}

/* unix:PATH, HOST:PORT, :PORT; NULL means the inherited fd 0 */
static int open_listener(const struct hras_conf *cfg)
{
	const char *spec = cfg->socket;
	int fd;

	if (!spec)
		return 0;

	if (!strncmp(spec, "unix:", 5)) {
		const char *path = spec + 5;

		remove_stale_socket(path);
		fd = FCGX_OpenSocket(path, FCGI_BACKLOG);
		if (fd >= 0 && chmod(path, cfg->socket_mode) < 0)
			log_warn("chmod %s: %s", path, strerror(errno));
	} else {
		fd = FCGX_OpenSocket(spec, FCGI_BACKLOG);
	}
	if (fd < 0)
		log_error("cannot listen on FastCGI socket %s: %s", spec,
		          strerror(errno));
	return fd;
}

/* The SIP service and the media relay it tells about every call */
static int start_sip(struct hras *h)
{
	const struct hras_conf *cfg = &h->cfg;
	int e;

	e = sipsrv_alloc(&h->sip, &cfg->sip, h->tun.sessions);
	if (e)
		return e;
	/* an unanswered call's relay lives as long as its transaction */
	e = rat_alloc(&h->relay, &cfg->media, h->tun.sessions,
	              sipsrv_laddr(h->sip), proxy_tx_life_ms(cfg->sip.timer_c));
	if (e) {
		log_error("media relay: %s", strerror(e));
		return e;
	}
	sipsrv_use_relay(h->sip, h->relay);
	/* the calls of an earlier run, before any HRAC can reconnect */
	if (cfg->sip.state) {
		e = callstate_alloc(&h->calls, cfg->sip.state, h->relay,
		                    h->sip->dialogs);
		if (e)
			return e;
	}
	return 0;
}

/* Everything that needs the loop thread, and the workers, in order */
static int run(struct hras *h)
{
	sigset_t block, old;
	struct sigaction sa;
	int e;

	e = libre_init();
	if (e) {
		log_error("libre_init: %s", strerror(e));
		return e;
	}
	/* libre_init() installs a one-shot SIGPIPE handler (it re-arms
	 * itself, too late when two threads hit a closed peer at once):
	 * ignore the signal, every write checks its EPIPE */
	signal(SIGPIPE, SIG_IGN);
	/* FCGX_Init() made SIGUSR1 stop accept() for good: a stray signal
	 * must not silently end the service */
	signal(SIGUSR1, SIG_IGN);
	fd_setsize(LOOP_FDS);

	e = dispatch_alloc(&h->dispatch, h);
	e = e ? e
	      : tunsrv_init(&h->tun, &h->cfg.tunnel, h->tun.hracs,
	                    dispatch_frame, h->dispatch);
	/* the SIP service, unless this is only an echo for tests */
	if (!e && (h->cfg.sip.listen.n || !h->cfg.echo))
		e = start_sip(h);
	if (e) {
		log_error("start-up: %s", strerror(e));
		goto out;
	}

	signal_dispatch = h->dispatch;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGHUP, &sa, NULL);

	/* workers inherit this mask: signals go to the loop thread */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	e = tunsrv_start(&h->tun, h->listen_fd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		log_error("cannot start worker threads: %s", strerror(e));
		goto out;
	}

	log_info("ready: %zu HRAC identities, endpoints under %s, FastCGI on "
	         "%s",
	         hracs_count(h->tun.hracs), h->cfg.tunnel.base_path,
	         h->cfg.socket ? h->cfg.socket : "fd 0");

	status_refresh(h);
	e = re_main(on_signal);
	log_info("shutting down");

	tunsrv_stop(&h->tun);
out:
	signal_dispatch = NULL;
	h->calls = mem_deref(h->calls); /* written while they are whole */
	h->sip = mem_deref(h->sip);
	h->relay = mem_deref(h->relay);
	tunsrv_close(&h->tun);
	h->dispatch = mem_deref(h->dispatch);
	libre_close();
	return e;
}

int main(int argc, char *argv[])
{
	struct hras h;
	char err[512];
	int rc = 0;

	memset(&h, 0, sizeof(h));
	h.listen_fd = -1;
	h.started = mono_us();

	if (load_options(&h.cfg, argc, argv) || hras_reload_init(argc, argv)) {
		rc = 2;
		goto out;
	}
	if (h.cfg.help) {
		conf_usage(stdout, "hras-fcgi", summary, hras_opts);
		goto out;
	}
	if (h.cfg.version) {
		printf("hras-fcgi %s (tunnel protocol %d)\n", SOFW_VERSION,
		       FRAME_VERSION);
		goto out;
	}

	if (hracs_alloc(&h.tun.hracs, h.cfg.tunnel.hracs, err, sizeof(err))) {
		fprintf(stderr, "hras-fcgi: HRAC identities: %s\n", err);
		rc = 2;
		goto out;
	}

	log_set_facility(h.cfg.log_facility);
	log_init("hras-fcgi", h.cfg.foreground, h.cfg.verbose);
	fit_descriptors(&h.cfg);

	if (FCGX_Init()) {
		log_error("FCGX_Init failed");
		rc = 1;
		goto out;
	}
	h.listen_fd = open_listener(&h.cfg);
	if (h.listen_fd < 0) {
		rc = 1;
		goto out;
	}

	if (!h.cfg.foreground) {
		int e = daemon_detach(!h.cfg.socket);

		if (e) {
			log_error("cannot become a daemon: %s", strerror(e));
			rc = 1;
			goto out;
		}
	}
	if (h.cfg.pidfile)
		daemon_pidfile(h.cfg.pidfile);

	rc = run(&h) ? 1 : 0;

	if (h.cfg.socket && !strncmp(h.cfg.socket, "unix:", 5))
		unlink(h.cfg.socket + 5);
	if (h.cfg.pidfile)
		unlink(h.cfg.pidfile);
out:
	hracs_free(h.tun.hracs);
	conf_free(hras_opts, &h.cfg);
	hras_reload_close();
	log_close();
	return rc;
}
