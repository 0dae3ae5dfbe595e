/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file main.c  hrac: start-up, run, shutdown
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <curl/curl.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "daemon.h"
#include "pidfile.h"
#include "privdrop.h"
#include "wholefile.h"
#include "log.h"
#include "mono.h"
#include "secret.h"
#include "curl_loop.h"
#include "tunnel.h"
#include "sip_lan.h"
#include "media_lan.h"
#include "diagnose.h"
#include "hrac.h"
#include "reload.h"
#include "status.h"

#ifndef SOFW_VERSION
#define SOFW_VERSION "0.1"
#endif

enum {
	CLOSE_WAIT_MS = 3000,
	DRAIN_MS = 1500, /* for HRAS to acknowledge what phones sent;
	                  * taken from the close's CLOSE_WAIT_MS */
	CLOSE_WAIT_MIN_MS = 1000,
	DRAIN_POLL_MS = 20,
	LOOP_FDS = 65536,
	FD_RESERVE = 64, /* the loop, libcurl's connections, files */
};

static const char summary[] =
    "SoFW HTTP relay agent client: phones on this LAN register to it; it "
    "carries their SIP and RTP to HRAS through an HTTP tunnel.";

struct hrac {
	struct hrac_conf cfg;
	struct hrac_resolved res;
	struct tunnel_conf tc;
	struct curl_loop *cl;
	struct tunnel *t;
	struct sip_lan *lan;
	struct media_lan *media;
	struct status *status; /* the status and metrics files */
	struct tmr quit, drain;
	uint64_t drain_until; /* ms */
	bool closing;
	bool closed;
	bool refused; /* HRAS: the identity is another hrac's */
};

/*
 * Raise the open-files limit; if the phones' TCP connections and the
 * media ports (two per pair) still need more, fewer TCP connections are
 * taken than --sip-tcp-max says, and the log says so
 */
static void fit_descriptors(struct hrac_conf *cfg)
{
	uint64_t nofile = daemon_raise_nofile(), pairs, want;
	unsigned lo, hi;

	if (sscanf(cfg->rtp_ports, "%u-%u", &lo, &hi) != 2 || hi < lo)
		return;
	pairs = (hi - lo + 1) / 2;
	want = FD_RESERVE + cfg->sip_tcp_max + 2 * pairs;
	if (nofile >= want)
		return;
	if (nofile > FD_RESERVE + 2 * pairs + 16)
		cfg->sip_tcp_max = (uint32_t)(nofile - FD_RESERVE - 2 * pairs);
	else
		cfg->sip_tcp_max = 16;
	log_warn("open files: the limit is %llu, the bounds need %llu: at most "
	         "%u phones' TCP connections (raise the limit, e.g. "
	         "LimitNOFILE, or narrow --rtp-ports)",
	         (unsigned long long)nofile, (unsigned long long)want,
	         cfg->sip_tcp_max);
}

static int load_options(struct hrac_conf *cfg, int argc, char *argv[])
{
	char err[512];

	if (conf_load(hrac_opts, cfg, argc, argv, err, sizeof(err)) ||
	    (!cfg->help && !cfg->version && !cfg->status &&
	     hrac_conf_check(cfg, err, sizeof(err)))) {
		fprintf(stderr, "hrac: %s\n", err);
		return EINVAL;
	}
	return 0;
}

static void on_frame(const struct frame *f, void *arg)
{
	struct hrac *h = arg;

	switch (f->type) {

	case FRAME_SIP:
		sip_lan_deliver(h->lan, f);
		break;
	case FRAME_RTP:
	case FRAME_RTCP:
		media_lan_deliver(h->media, f);
		break;
	case FRAME_CONTROL: {
		char text[128];

		if (f->len >= sizeof(text))
			break;
		memcpy(text, f->payload, f->len);
		text[f->len] = '\0';
		media_lan_control(h->media, text);
		break;
	}
	default:
		log_debug("%s frame from HRAS ignored",
		          frame_type_name(f->type));
		break;
	}
}

/* The frames of one read from HRAS are in: the phones' media leaves */
static void on_batch_end(void *arg)
{
	struct hrac *h = arg;

	media_lan_flush(h->media);
}

static void source_hold(void *arg)
{
	media_lan_hold(((struct hrac *)arg)->media);
}

static void source_drain(void *arg)
{
	media_lan_drain_held(((struct hrac *)arg)->media);
}

static void source_release(void *arg)
{
	media_lan_release(((struct hrac *)arg)->media);
}

static void on_event(enum tunnel_event ev, const char *msg, void *arg)
{
	struct hrac *h = arg;

	status_tunnel_event(h->status, ev, msg);
	if (ev == TUNNEL_OPENED && h->lan)
		sip_lan_announce(h->lan);
	if (ev == TUNNEL_OPENED && h->media)
		media_lan_announce(h->media);
	if (ev == TUNNEL_CLOSED && h->closing) {
		h->closed = true;
		re_cancel();
	}
	if (ev == TUNNEL_REFUSED) {
		/* another hrac holds this identity: stop, do not fight */
		h->refused = true;
		re_cancel();
	}
}

static void on_signal(int sig);

static void drain_poll(void *arg)
{
	struct hrac *h = arg;

	if (!tunnel_unacked(h->t) || mono_ms() >= h->drain_until) {
		re_cancel();
		return;
	}
	tmr_start(&h->drain, DRAIN_POLL_MS, drain_poll, h);
}

static void refuse_unacked(const struct frame *f, void *arg)
{
	struct hrac *h = arg;

	sip_lan_refuse(h->lan, f, "HRAC Restarting");
}

/*
 * Going away: what phones sent and HRAS has not acknowledged gets
 * DRAIN_MS to get there; the requests still not there are answered 503
 * (sip_refuse.h), so a phone on TCP, which never resends on its own,
 * knows to send them again.  A second signal cuts the wait short.
 */
static void drain(struct hrac *h)
{
	uint32_t n = tunnel_unacked(h->t);

	if (!n)
		return;
	log_info("%u SIP messages not yet acknowledged by HRAS: waiting up to "
	         "%u ms",
	         n, DRAIN_MS);
	h->drain_until = mono_ms() + DRAIN_MS;
	tmr_init(&h->drain);
	tmr_start(&h->drain, DRAIN_POLL_MS, drain_poll, h);
	re_main(on_signal);
	tmr_cancel(&h->drain);
	n = tunnel_unacked(h->t);
	if (!n)
		return;
	log_warn("%u SIP messages did not reach HRAS: the phones whose "
	         "requests they are get 503 from hrac",
	         n);
	tunnel_apply_unacked(h->t, refuse_unacked, h);
}

static void quit_anyway(void *arg)
{
	(void)arg;
	re_cancel();
}

static void on_signal(int sig)
{
	(void)sig;
	re_cancel();
}

/* @return 0, or the exit code */
static int run(struct hrac *h)
{
	uint64_t stopping;
	char err[512];
	int e;

	e = tunnel_alloc(&h->t, &h->tc, h->cl, on_frame, on_event, h);
	if (e) {
		log_error("tunnel: %s", strerror(e));
		return DAEMON_EXIT_START;
	}
	e = sip_lan_alloc(&h->lan, &h->cfg, h->t, err, sizeof(err));
	if (e) {
		log_error("%s", err);
		return DAEMON_EXIT_START;
	}
	e = media_lan_alloc(&h->media, &h->cfg, h->lan, h->t, err, sizeof(err));
	if (e) {
		log_error("%s", err);
		return DAEMON_EXIT_START;
	}
	tunnel_set_batch_end(h->t, on_batch_end);
	tunnel_set_source(h->t, &(struct tunnel_source){
	                            .hold = source_hold,
	                            .drain = source_drain,
	                            .release = source_release,
	                            .arg = h,
	                        });
	/* the phones' ports are bound: become --user, and still write
	 * --status-file */
	e = privdrop_start(h->cfg.user, h->cfg.group, "--status-file",
	                   h->cfg.status_file);
	if (e)
		return e;
	/* from here on the log goes where a daemon's goes; the terminal
	 * was for start-up errors */
	if (!h->cfg.foreground)
		log_init("hrac", false, h->cfg.verbose);
	log_info("phones send SIP (UDP, TCP) to %s; HRAS is %s as '%s'",
	         h->cfg.sip, tunnel_server(h->t), h->tc.id);
	e = status_alloc(&h->status, &h->cfg, &h->tc, h->t, h->lan, h->media);
	if (e)
		return DAEMON_EXIT_START;
	snprintf(err, sizeof(err), "tunnel connecting to %s",
	         tunnel_server(h->t));
	daemon_ready(err);

	/* SIGHUP: the configuration again (reload.c) */
	hrac_reload_start(
	    &(struct hrac_live){ &h->cfg, &h->res, &h->tc, h->t, h->lan });
	tunnel_start(h->t);
	re_main(on_signal);
	hrac_reload_stop();
	if (h->refused) {
		/* never had the session: nothing to close */
		status_close(h->status);
		return DAEMON_EXIT_START;
	}

	daemon_stopping();
	log_info("shutting down");
	stopping = mono_ms();
	drain(h);
	/* tell HRAS to free the session now, but do not wait long */
	h->closing = true;
	tmr_init(&h->quit);
	tmr_start(&h->quit,
	          max(CLOSE_WAIT_MIN_MS,
	              CLOSE_WAIT_MS - (int64_t)(mono_ms() - stopping)),
	          quit_anyway, h);
	tunnel_close(h->t);
	if (!h->closed)
		re_main(NULL);
	tmr_cancel(&h->quit);
	status_close(h->status);
	return 0;
}

int main(int argc, char *argv[])
{
	struct pidfile pf = { .fd = -1 };
	struct hrac h;
	char err[512];
	int rc = 0;

	memset(&h, 0, sizeof(h));
	if (load_options(&h.cfg, argc, argv) || hrac_reload_init(argc, argv)) {
		rc = DAEMON_EXIT_CONFIG;
		goto out;
	}
	if (h.cfg.help) {
		conf_usage(stdout, "hrac", summary, hrac_opts);
		goto out;
	}
	if (h.cfg.version) {
		printf("hrac %s (tunnel protocol %d, %s)\n", SOFW_VERSION,
		       FRAME_VERSION, curl_version());
		goto out;
	}
	if (h.cfg.status) {
		rc = status_show(&h.cfg);
		goto out;
	}
	if (hrac_tunnel_conf(&h.cfg, &h.res, &h.tc, err, sizeof(err)) ||
	    hrac_conf_files(&h.cfg, &h.res, err, sizeof(err))) {
		fprintf(stderr, "hrac: %s\n", err);
		rc = DAEMON_EXIT_CONFIG;
		goto out;
	}
	if (h.cfg.test_config) {
		printf("hrac: configuration OK\n");
		goto out;
	}

	/* start-up errors go to the terminal, daemon or not, until ready */
	log_set_facility(h.cfg.log_facility);
	log_init("hrac", true,
	         h.cfg.diagnose ? h.cfg.verbose - 2 : h.cfg.verbose);
	if (!h.cfg.diagnose)
		fit_descriptors(&h.cfg);

	if (!h.cfg.diagnose && h.cfg.pidfile &&
	    pidfile_lock(&pf, h.cfg.pidfile, err, sizeof(err))) {
		fprintf(stderr, "hrac: %s\n", err);
		rc = DAEMON_EXIT_START;
		goto out;
	}
	if (!h.cfg.foreground && !h.cfg.diagnose) {
		int e = daemon_detach(false);

		if (e) {
			log_error("cannot become a daemon: %s", strerror(e));
			rc = DAEMON_EXIT_START;
			goto out;
		}
	}
	if (h.cfg.pidfile && !h.cfg.diagnose) {
		int e = pidfile_write(&pf);

		if (e)
			log_warn("--pidfile %s: %s", h.cfg.pidfile,
			         strerror(e));
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) || libre_init()) {
		log_error("cannot initialise libcurl or libre");
		rc = DAEMON_EXIT_START;
		goto out;
	}
	/* libre_init() installs a one-shot SIGPIPE handler that re-arms
	 * itself only once it has run: a second write to a closed phone
	 * or proxy connection before then would kill hrac.  Ignore the
	 * signal; every write checks its EPIPE */
	signal(SIGPIPE, SIG_IGN);
	fd_setsize(LOOP_FDS);
	if (curl_loop_alloc(&h.cl)) {
		log_error("out of memory");
		rc = DAEMON_EXIT_START;
		goto done;
	}

	if (h.cfg.diagnose) {
		rc = diagnose_run(&h.cfg, &h.tc, h.cl);
	} else {
		rc = run(&h);
		mem_deref(h.status);
		mem_deref(h.media);
		sip_lan_free(h.lan);
		tunnel_free(h.t);
	}

	curl_loop_free(h.cl);
done:
	libre_close();
	curl_global_cleanup();
out:
	pidfile_remove(&pf);
	/* the first process, if still waiting, exits with our code once
	 * the pid file is gone */
	daemon_failed(rc);
	explicit_bzero(h.res.secret, sizeof(h.res.secret));
	explicit_bzero(h.res.proxy_user, sizeof(h.res.proxy_user));
	conf_free(hrac_opts, &h.cfg);
	hrac_reload_close();
	log_close();
	return rc;
}
