/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file hrac.h  hrac: configuration and the process context
 *
 * hrac is single-threaded: libre's loop serves the phones' UDP and
 * libcurl's HTTP (curl_loop.h).
 */

struct hrac_conf {
	bool foreground;
	char *config;
	char *server;
	char *proxy;
	char *proxy_user;
	char *proxy_user_file;
	char *proxy_auth; /* any, basic, digest, ntlm */
	bool proxy_tunnel;
	char *cacert;
	bool insecure;
	char *http_version; /* over TLS: 1.1, or 2 where HRAS offers it */
	char *id;
	char *secret_file;
	bool diagnose;
	bool takeover; /* replace another hrac's session of this identity */
	uint32_t pings;
	int verbose;
	char *log_facility; /* syslog facility: daemon, user, local0-7 */
	char *pidfile;
	char *sip;           /* ADDR:PORT the phones send SIP to */
	char *sip_advertise; /* ADDR:PORT phones are told (Record-Route) */
	struct conf_list allow;
	bool allow_local;     /* also the networks of this host's interfaces */
	uint32_t seen_ttl;    /* s a phone's address stays allowed */
	uint32_t sip_tcp_max; /* phones' TCP connections at most */
	char *rtp_ip;         /* where phones send media */
	char *rtp_ports;      /* LO-HI */
	char *status_file;    /* state written here every few seconds */
	bool status;          /* print the state of the running hrac */
	bool json;            /* ... as JSON */
	char *metrics_file;   /* Prometheus text, for node_exporter */
	char *down_mode;      /* auto, stream, poll */
	char *up_mode;        /* auto, stream, batch */
	uint32_t media_max_age;
	uint32_t sip_queue;
	uint32_t media_queue;
	uint32_t probe_ms;
	uint32_t coalesce_us; /* up: a busy link's frames share writes */
	uint32_t reprobe;     /* s after a fallback to try streaming again */
	char *user;           /* run as this user and group once bound */
	char *group;
	bool test_config; /* -t: check the configuration, exit */
	bool help;
	bool version;
};

/* What the tunnel configuration points into: kept by the caller */
struct hrac_resolved {
	char server[1024];
	char proxy[1024];
	char secret[SECRET_MAX + 2];
	char proxy_user[SECRET_MAX + 2]; /* from --proxy-user-file */
};

extern const struct conf_opt hrac_opts[];
int hrac_conf_check(struct hrac_conf *cfg, char *err, size_t errsz);
int hrac_conf_files(const struct hrac_conf *cfg, const struct hrac_resolved *r,
                    char *err, size_t errsz);
int hrac_tunnel_conf(const struct hrac_conf *cfg, struct hrac_resolved *r,
                     struct tunnel_conf *tc, char *err, size_t errsz);
