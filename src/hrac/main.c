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
#include <unistd.h>
#include <curl/curl.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "daemon.h"
#include "log.h"
#include "secret.h"
#include "curl_loop.h"
#include "tunnel.h"
#include "sip_lan.h"
#include "diagnose.h"
#include "hrac.h"

#ifndef SOFW_VERSION
#define SOFW_VERSION "0.1"
#endif

enum {
	CLOSE_WAIT_MS = 3000,
	LOOP_FDS = 65536,
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
	struct tmr quit;
	bool closing;
	bool closed;
};

static int load_options(struct hrac_conf *cfg, int argc, char *argv[])
{
	char err[512];

	hrac_conf_defaults(cfg);
	if (conf_load(hrac_opts, cfg, argc, argv, err, sizeof(err)) ||
	    (!cfg->help && !cfg->version &&
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
	default:
		/* media relay and control arrive with later features */
		log_debug("%s frame from HRAS ignored",
		          frame_type_name(f->type));
		break;
	}
}

static void on_event(enum tunnel_event ev, const char *msg, void *arg)
{
	struct hrac *h = arg;

	if (ev == TUNNEL_OPENED && h->lan)
		sip_lan_announce(h->lan);
	if (ev == TUNNEL_CLOSED && h->closing) {
		h->closed = true;
		re_cancel();
	}
	(void)msg;
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

static int run(struct hrac *h)
{
	char err[512];
	int e;

	e = tunnel_alloc(&h->t, &h->tc, h->cl, on_frame, on_event, h);
	if (e) {
		log_error("tunnel: %s", strerror(e));
		return e;
	}
	e = sip_lan_alloc(&h->lan, &h->cfg, h->t, err, sizeof(err));
	if (e) {
		log_error("%s", err);
		return e;
	}
	log_info("phones send SIP (UDP, TCP) to %s; HRAS is %s as '%s'",
	         h->cfg.sip, h->tc.server, h->tc.id);

	tunnel_start(h->t);
	re_main(on_signal);

	/* tell HRAS to free the session now, but do not wait long */
	log_info("shutting down");
	h->closing = true;
	tmr_init(&h->quit);
	tmr_start(&h->quit, CLOSE_WAIT_MS, quit_anyway, h);
	tunnel_close(h->t);
	if (!h->closed)
		re_main(NULL);
	tmr_cancel(&h->quit);
	return 0;
}

int main(int argc, char *argv[])
{
	struct hrac h;
	char err[512];
	int rc = 0;

	memset(&h, 0, sizeof(h));
	if (load_options(&h.cfg, argc, argv)) {
		rc = 2;
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
	if (hrac_tunnel_conf(&h.cfg, &h.res, &h.tc, err, sizeof(err))) {
		fprintf(stderr, "hrac: %s\n", err);
		rc = 2;
		goto out;
	}

	signal(SIGPIPE, SIG_IGN);
	log_init("hrac", h.cfg.foreground || h.cfg.diagnose,
	         h.cfg.diagnose ? h.cfg.verbose - 2 : h.cfg.verbose);

	if (!h.cfg.foreground && !h.cfg.diagnose) {
		int e = daemon_detach(false);

		if (e) {
			log_error("cannot become a daemon: %s", strerror(e));
			rc = 1;
			goto out;
		}
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) || libre_init()) {
		log_error("cannot initialise libcurl or libre");
		rc = 1;
		goto out;
	}
	fd_setsize(LOOP_FDS);
	if (curl_loop_alloc(&h.cl)) {
		log_error("out of memory");
		rc = 1;
		goto done;
	}

	if (h.cfg.diagnose) {
		rc = diagnose_run(&h.cfg, &h.tc, h.cl);
	} else {
		if (h.cfg.pidfile)
			daemon_pidfile(h.cfg.pidfile);
		rc = run(&h) ? 1 : 0;
		sip_lan_free(h.lan);
		tunnel_free(h.t);
		if (h.cfg.pidfile)
			unlink(h.cfg.pidfile);
	}

	curl_loop_free(h.cl);
done:
	libre_close();
	curl_global_cleanup();
out:
	explicit_bzero(h.res.secret, sizeof(h.res.secret));
	conf_free(hrac_opts, &h.cfg);
	log_close();
	return rc;
}
