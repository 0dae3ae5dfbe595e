/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file main.c  hras-fcgi: start-up, the loop thread, shutdown
 *
 * Start-up order matters: options, identities and every file and value
 * that can be checked without binding (conf_files.c: a configuration
 * error, exit 2, on the terminal); the pid file's lock (a second instance
 * stops here, touching nothing); the FastCGI socket; daemon (before any
 * thread; the first process waits for the daemon's word); libre and the
 * inbox (bound to this thread's loop), the SIP service; the privilege
 * drop; then worker threads with signals blocked so that SIGTERM, SIGINT
 * and SIGHUP reach this thread; then "ready" (daemon_ready()).
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
#include "pidfile.h"
#include "privdrop.h"
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
#include "store.h"
#include "hras.h"
#include "dispatch.h"
#include "status.h"
#include "callstate.h"
#include "callshare.h"
#include "fcgi_listen.h"
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

/* Media failover (callshare.h): our calls in the shared store, a dead
 * node's taken over */
static int start_share(struct hras *h)
{
	const struct sa *relay = rat_public_ip(h->relay);
	char addr[64];
	int e;

	if (!store_shared(h->store))
		return 0;
	re_snprintf(addr, sizeof(addr), "%j", relay);
	store_set_relay(h->store, addr);
	if (!h->calls) {
		log_warn("no --state: this node's calls are not shared, and a "
		         "dead node's not taken over (media failover)");
		return 0;
	}
	if (sa_is_any(relay))
		log_warn("--public-ip is not set: a survivor cannot relay "
		         "this node's calls on its address");
	e = callshare_alloc(&h->share, h->store, h->calls, h->sip, relay);
	if (e)
		log_error("media failover: %s", strerror(e));
	return e;
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
	e = sipsrv_use_store(h->sip, h->store);
	if (e) {
		log_error("shared store: %s", strerror(e));
		return e;
	}
	/* the calls of an earlier run, before any HRAC can reconnect */
	if (cfg->sip.state) {
		/* with a shared store, Redis says whose they are */
		e = callstate_alloc(&h->calls, cfg->sip.state, h->relay,
		                    h->sip->dialogs, !store_shared(h->store));
		if (e)
			return e;
	}
	return start_share(h);
}

/* Everything that needs the loop thread, and the workers, in order;
 * @return the exit code */
static int run(struct hras *h, const struct fcgi_listen *fl)
{
	sigset_t block, old;
	struct sigaction sa;
	char ready[256];
	int e, rc = DAEMON_EXIT_START;

	e = libre_init();
	if (e) {
		log_error("libre_init: %s", strerror(e));
		return rc;
	}
	/* libre_init() installs a one-shot SIGPIPE handler (it re-arms
	 * itself, too late when two threads hit a closed peer at once):
	 * ignore the signal, every write checks its EPIPE */
	signal(SIGPIPE, SIG_IGN);
	/* FCGX_Init() made SIGUSR1 stop accept() for good: a stray signal
	 * must not silently end the service */
	signal(SIGUSR1, SIG_IGN);
	fd_setsize(LOOP_FDS);

	/* the shared store first: the rooms above load from it */
	e = store_alloc(&h->store, &h->cfg.store, NULL, NULL);
	if (e)
		goto out;
	e = dispatch_alloc(&h->dispatch, h);
	e = e ? e
	      : tunsrv_init(&h->tun, &h->cfg.tunnel, h->tun.hracs,
	                    dispatch_frame, h->dispatch);
	if (e) {
		log_error("start-up: %s", strerror(e));
		goto out;
	}
	/* the SIP service, unless this is only an echo for tests; its
	 * own error line said what failed */
	if (h->cfg.sip.listen.n || !h->cfg.echo)
		e = start_sip(h);
	if (e)
		goto out;
	/* every socket is bound: become --user, and still write --state */
	rc = privdrop_start(h->cfg.user, h->cfg.group, "--state",
	                    h->cfg.sip.state);
	if (rc)
		goto out;
	rc = DAEMON_EXIT_START;
	/* from here on the log goes where a daemon's goes; the terminal
	 * was for start-up errors */
	if (!h->cfg.foreground)
		log_init("hras-fcgi", false, h->cfg.verbose);

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
	e = tunsrv_start(&h->tun, h->listen_fd, h->peer_uid);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		log_error("cannot start worker threads: %s", strerror(e));
		goto out;
	}

	snprintf(ready, sizeof(ready),
	         "ready: %zu HRAC identities, endpoints under %s, FastCGI on "
	         "%s",
	         hracs_count(h->tun.hracs), h->cfg.tunnel.base_path, fl->what);
	log_info("%s", ready);
	daemon_ready(ready);

	status_refresh(h, true);
	e = re_main(on_signal);
	rc = e ? DAEMON_EXIT_START : DAEMON_EXIT_OK;
	daemon_stopping();
	log_info("shutting down");

	tunsrv_stop(&h->tun);
out:
	signal_dispatch = NULL;
	h->share = mem_deref(h->share);
	h->calls = mem_deref(h->calls); /* written while they are whole */
	h->sip = mem_deref(h->sip);
	h->relay = mem_deref(h->relay);
	tunsrv_close(&h->tun);
	h->dispatch = mem_deref(h->dispatch);
	h->store = mem_deref(h->store); /* its users are gone */
	libre_close();
	return rc;
}

/* Everything checked before anything is bound: @return the exit code */
static int check_config(struct hras *h)
{
	char err[512];

	if (hracs_alloc(&h->tun.hracs, h->cfg.tunnel.hracs, err, sizeof(err))) {
		fprintf(stderr, "hras-fcgi: HRAC identities: %s\n", err);
		return DAEMON_EXIT_CONFIG;
	}
	if (hras_conf_files(&h->cfg, err, sizeof(err))) {
		fprintf(stderr, "hras-fcgi: %s\n", err);
		return DAEMON_EXIT_CONFIG;
	}
	return 0;
}

/* The FastCGI socket: --socket, or the one systemd or spawn-fcgi passed */
static int open_listener(struct hras *h, struct fcgi_listen *fl)
{
	struct fcgi_listen_conf lc;
	char err[512];

	hras_fcgi_listen_conf(&lc, &h->cfg, FCGI_BACKLOG);
	if (h->cfg.socket ? fcgi_listen_open(fl, &lc, err, sizeof(err))
	                  : fcgi_listen_inherit(fl, err, sizeof(err))) {
		fprintf(stderr, "hras-fcgi: %s\n", err);
		/* no socket at all is a configuration error */
		return h->cfg.socket ? DAEMON_EXIT_START : DAEMON_EXIT_CONFIG;
	}
	h->listen_fd = fl->fd;
	/* checked with the configuration: the user exists */
	if (fcgi_listen_peer_uid(&lc, &h->peer_uid, err, sizeof(err))) {
		fprintf(stderr, "hras-fcgi: %s\n", err);
		return DAEMON_EXIT_CONFIG;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct fcgi_listen fl = { .fd = -1 };
	struct pidfile pf = { .fd = -1 };
	struct hras h;
	char err[512];
	int rc = 0;

	memset(&h, 0, sizeof(h));
	h.listen_fd = -1;
	h.started = mono_us();

	if (load_options(&h.cfg, argc, argv) || hras_reload_init(argc, argv)) {
		rc = DAEMON_EXIT_CONFIG;
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

	/* start-up errors go to the terminal, daemon or not, until ready */
	log_set_facility(h.cfg.log_facility);
	log_init("hras-fcgi", true, h.cfg.verbose);
	rc = check_config(&h);
	if (rc)
		goto out;
	if (h.cfg.test_config) {
		printf("hras-fcgi: configuration OK\n");
		goto out;
	}
	fit_descriptors(&h.cfg);

	if (h.cfg.pidfile &&
	    pidfile_lock(&pf, h.cfg.pidfile, err, sizeof(err))) {
		fprintf(stderr, "hras-fcgi: %s\n", err);
		rc = DAEMON_EXIT_START;
		goto out;
	}
	if (FCGX_Init()) {
		fprintf(stderr, "hras-fcgi: FCGX_Init failed\n");
		rc = DAEMON_EXIT_START;
		goto out;
	}
	rc = open_listener(&h, &fl);
	if (rc)
		goto out;

	if (!h.cfg.foreground) {
		int e = daemon_detach(fl.fd == STDIN_FILENO);

		if (e) {
			log_error("cannot become a daemon: %s", strerror(e));
			rc = DAEMON_EXIT_START;
			goto out;
		}
	}
	if (h.cfg.pidfile) {
		int e = pidfile_write(&pf);

		if (e)
			log_warn("--pidfile %s: %s", h.cfg.pidfile,
			         strerror(e));
	}

	rc = run(&h, &fl);
out:
	fcgi_listen_close(&fl);
	pidfile_remove(&pf);
	/* the first process, if still waiting, exits with our code once
	 * the socket and pid file are gone */
	daemon_failed(rc);
	hracs_free(h.tun.hracs);
	conf_free(hras_opts, &h.cfg);
	hras_reload_close();
	log_close();
	return rc;
}
