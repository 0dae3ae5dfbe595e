/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file hras.h  hras-fcgi: the process, its options, and what it owns
 *
 * The program is four rooms under the process (README in this
 * directory: the map, the threads, the ownership rules):
 *
 *   store/   the state nodes share (Redis), or none, on the loop thread
 *   tunnel/  the tunnel's HTTP endpoints, on FastCGI worker threads
 *   media/   the media relay (Relay Agent Table), on the loop thread
 *   sip/     registrar, location service, proxy, on the loop thread
 *
 * The process (main.c) starts them in order, dispatch.c hands each frame
 * that came up the tunnel to its room, status.c renders the report.
 */

struct dispatch;
struct sipsrv;
struct rat;
struct store;

struct hras_conf {
	bool foreground;
	char *config;
	char *socket; /* unix:PATH or HOST:PORT; NULL: inherited fd 0 */
	uint32_t socket_mode;
	char *socket_owner; /* a unix socket's owner and group */
	char *socket_group;
	char *socket_peer_user; /* a TCP socket's only local client */
	bool socket_remote;     /* a TCP socket may listen beyond loopback */
	char *user;             /* run as this user and group once bound */
	char *group;
	bool test_config; /* -t: check the configuration, exit */
	int verbose;
	char *log_facility; /* syslog facility: daemon, user, local0-7 */
	char *pidfile;
	bool echo; /* diagnostic: send frames back */
	bool help;
	bool version;

	struct store_conf store;
	struct tunsrv_conf tunnel;
	struct sipsrv_conf sip;
	struct rat_conf media;
};

struct hras {
	struct hras_conf cfg;
	struct store *store;       /* the shared state; "file": none */
	struct tunsrv tun;         /* the HRACs' tunnels; worker threads */
	struct dispatch *dispatch; /* frames from the tunnel, on the loop */
	struct sipsrv *sip;        /* NULL: --echo without --sip */
	struct rat *relay;         /* the media relay; with the SIP service */
	struct callstate *calls;   /* NULL: no --state */
	struct callshare *share;   /* NULL: no shared store, or no --state */
	int listen_fd;
	long peer_uid;    /* --socket-peer-user's uid; -1: none */
	uint64_t started; /* us, monotonic */
};

extern const struct conf_opt hras_opts[];
int hras_conf_check(const struct hras_conf *cfg, char *err, size_t errsz);
struct fcgi_listen_conf;
int hras_conf_files(const struct hras_conf *cfg, char *err, size_t errsz);
void hras_fcgi_listen_conf(struct fcgi_listen_conf *lc,
                           const struct hras_conf *cfg, int backlog);
