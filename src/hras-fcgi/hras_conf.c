/**
 * @file hras_conf.c  hras-fcgi options: the one table, defaults, checks
 *
 * Option names are a contract with deployers' scripts: add, never rename.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "hras.h"
#include "portpool.h"
#include "cidr.h"

#define OPT(name, s, type, field, min, max, arg, help)                         \
	{                                                                      \
		name, s, type, offsetof(struct hras_conf, field), min, max,    \
		    arg, help                                                  \
	}

const struct conf_opt hras_opts[] = {
	OPT("foreground", 'f', CONF_BOOL, foreground, 0, 0, NULL,
	    "stay in the foreground and log to stderr"),
	OPT("config", 'c', CONF_STR, config, 0, 0, "FILE",
	    "read options from FILE (see hras-fcgi.conf(5))"),
	OPT("socket", 's', CONF_STR, socket, 0, 0, "unix:PATH|HOST:PORT",
	    "FastCGI socket (default: inherited fd 0, as from spawn-fcgi)"),
	OPT("socket-mode", 0, CONF_OCTAL, socket_mode, 0, 0777, "MODE",
	    "permissions of a unix socket, octal (default 0660)"),
	OPT("hracs", 0, CONF_STR, hracs, 0, 0, "FILE",
	    "HRAC identities, lines name:secret (mode 0600)"),
	OPT("verbose", 'v', CONF_COUNT, verbose, 0, 9, NULL,
	    "more logging (repeat for more)"),
	OPT("pidfile", 0, CONF_STR, pidfile, 0, 0, "FILE",
	    "write the process id to FILE"),
	OPT("base-path", 0, CONF_STR, base_path, 0, 0, "PATH",
	    "URL path of the tunnel endpoints (default /sofw/)"),
	OPT("keepalive", 0, CONF_U32, keepalive, 1, 3600, "SECONDS",
	    "keepalive interval on idle streams (default 20)"),
	OPT("down-max", 0, CONF_U32, down_max, 10, 86400, "SECONDS",
	    "a down stream ends after this long (default 300)"),
	OPT("session-idle", 0, CONF_U32, session_idle, 5, 86400, "SECONDS",
	    "drop a session without a down stream this long (default 60)"),
	OPT("poll-hold", 0, CONF_U32, poll_hold, 1, 300, "SECONDS",
	    "hold a long poll this long at most (default 20)"),
	OPT("max-payload", 0, CONF_U32, max_payload, 1500, FRAME_MAX_PAYLOAD,
	    "BYTES", "largest frame payload accepted (default 65535)"),
	OPT("frame-timeout", 0, CONF_U32, frame_timeout, 1, 300, "SECONDS",
	    "a frame must arrive whole within this time (default 10)"),
	OPT("threads", 0, CONF_U32, threads, 4, 4096, "N",
	    "FastCGI worker threads at most (default 256)"),
	OPT("max-sessions", 0, CONF_U32, max_sessions, 1, 65536, "N",
	    "tunnel sessions at most (default 1024)"),
	OPT("media-max-age", 0, CONF_U32, media_max_age, 1, 10000, "MS",
	    "drop media queued longer than this (default 60)"),
	OPT("media-queue", 0, CONF_U32, media_queue, 65536, 1 << 28, "BYTES",
	    "media queued per session at most (default 1048576)"),
	OPT("sip-queue", 0, CONF_U32, sip_queue, 65536, 1 << 28, "BYTES",
	    "signalling awaiting ack per session (default 4194304)"),
	OPT("inbox", 0, CONF_U32, inbox_bytes, 1 << 18, 1 << 28, "BYTES",
	    "frames waiting for the SIP/relay thread (default 8388608)"),
	OPT("echo", 0, CONF_BOOL, echo, 0, 0, NULL,
	    "diagnostic: send every frame back down its tunnel"),
	OPT("sip", 0, CONF_LIST, sip, 0, 0, "ADDR:PORT",
	    "SIP for outside phones, UDP and TCP (repeatable)"),
	OPT("domain", 0, CONF_LIST, domain, 0, 0, "DOMAIN",
	    "a SIP domain served here (repeatable)"),
	OPT("users", 0, CONF_STR, users, 0, 0, "FILE",
	    "digest users, lines user:realm:HA1 (mode 0600)"),
	OPT("realm", 0, CONF_STR, realm, 0, 0, "REALM",
	    "digest realm (default: the first domain)"),
	OPT("state", 0, CONF_STR, state, 0, 0, "FILE",
	    "keep registrations here across restarts"),
	OPT("outbound", 0, CONF_STR, outbound, 0, 0, "SIP-URI",
	    "route for domains not served here (a trunk)"),
	OPT("auth-inside", 0, CONF_BOOL, auth_inside, 0, 0, NULL,
	    "inside phones authenticate too (default yes)"),
	OPT("digest-algorithms", 0, CONF_STR, digest_algorithms, 0, 0, "LIST",
	    "digest challenges, preferred first (default md5,sha-256)"),
	OPT("expires-default", 0, CONF_U32, expires_default, 1, 86400, "S",
	    "registration time when none is asked (default 3600)"),
	OPT("expires-min", 0, CONF_U32, expires_min, 1, 86400, "S",
	    "shortest registration (default 60; below: 423)"),
	OPT("expires-max", 0, CONF_U32, expires_max, 1, 604800, "S",
	    "longest registration (default 7200)"),
	OPT("max-contacts", 0, CONF_U32, max_contacts, 1, 100, "N",
	    "contacts per address of record (default 10)"),
	OPT("max-bindings", 0, CONF_U32, max_bindings, 1, 10000000, "N",
	    "registrations at most (default 100000)"),
	OPT("rate-limit", 0, CONF_U32, rate_limit, 0, 1000000, "N",
	    "SIP requests/s per outside source, 0: none (default 50)"),
	OPT("rate-burst", 0, CONF_U32, rate_burst, 1, 1000000, "N",
	    "requests a source may send at once (default 200)"),
	OPT("max-phones", 0, CONF_U32, max_phones, 16, 1000000, "N",
	    "inside phones the gateway knows at once (default 10000)"),
	OPT("timer-c", 0, CONF_U32, timer_c, 5, 3600, "S",
	    "longest wait for an INVITE's final answer (default 185)"),
	OPT("nonce-ttl", 0, CONF_U32, nonce_ttl, 10, 3600, "S",
	    "digest nonce lifetime (default 300)"),
	OPT("max-transactions", 0, CONF_U32, max_transactions, 16, 10000000,
	    "N", "proxy transactions at once (default 100000)"),
	OPT("public-ip", 0, CONF_STR, public_ip, 0, 0, "ADDR",
	    "media address outside phones see (default: the first --sip)"),
	OPT("rtp-ports", 0, CONF_STR, rtp_ports, 0, 0, "LO-HI",
	    "relay ports, in RTP/RTCP pairs (default 20000-29999)"),
	OPT("media-timeout", 0, CONF_U32, media_timeout, 5, 86400, "S",
	    "a call's relay goes after this long without RTP (default 60)"),
	OPT("status-allow", 0, CONF_LIST, status_allow, 0, 0, "CIDR",
	    "who may read the status endpoint (default 127.0.0.1/32, ::1)"),
	OPT("help", 'h', CONF_BOOL, help, 0, 0, NULL, "this text"),
	OPT("version", 'V', CONF_BOOL, version, 0, 0, NULL,
	    "print the version"),
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

void hras_conf_defaults(struct hras_conf *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->socket_mode = 0660;
	conf_set_str(&cfg->base_path, "/sofw/");
	conf_set_str(&cfg->digest_algorithms, "md5,sha-256");
	cfg->keepalive = 20;
	cfg->down_max = 300;
	cfg->session_idle = 60;
	cfg->poll_hold = 20;
	cfg->max_payload = FRAME_MAX_PAYLOAD;
	cfg->frame_timeout = 10;
	cfg->threads = 256;
	cfg->max_sessions = 1024;
	cfg->media_max_age = 60;
	cfg->media_queue = 1 << 20;
	cfg->sip_queue = 4 << 20;
	cfg->inbox_bytes = 8 << 20;
	cfg->auth_inside = true;
	cfg->expires_default = 3600;
	cfg->expires_min = 60;
	cfg->expires_max = 7200;
	cfg->max_contacts = 10;
	cfg->max_bindings = 100000;
	cfg->rate_limit = 50;
	cfg->rate_burst = 200;
	cfg->max_phones = 10000;
	cfg->timer_c = 185; /* RFC 3261 §16.6: more than 3 minutes */
	cfg->nonce_ttl = 300;
	cfg->max_transactions = 100000;
	conf_set_str(&cfg->rtp_ports, "20000-29999");
	cfg->media_timeout = 60;
}

/* Cross-option checks, after the file and the command line */
int hras_conf_check(struct hras_conf *cfg, char *err, size_t errsz)
{
	uint16_t lo, hi;
	struct sa sa;
	size_t n;

	if (!cfg->hracs) {
		snprintf(err, errsz,
		         "no HRAC identities: give --hracs FILE (lines "
		         "name:secret)");
		return 1;
	}
	n = strlen(cfg->base_path);
	if (cfg->base_path[0] != '/' || cfg->base_path[n - 1] != '/') {
		snprintf(err, errsz,
		         "base-path must start and end with '/', not '%s'",
		         cfg->base_path);
		return 1;
	}
	if (cfg->expires_min > cfg->expires_max ||
	    cfg->expires_default < cfg->expires_min ||
	    cfg->expires_default > cfg->expires_max) {
		snprintf(err, errsz,
		         "expires-min <= expires-default <= expires-max "
		         "does not hold");
		return 1;
	}
	if (cfg->down_max <= cfg->keepalive) {
		snprintf(err, errsz,
		         "down-max (%u s) must be longer than keepalive (%u s)",
		         cfg->down_max, cfg->keepalive);
		return 1;
	}
	if (portpool_parse(cfg->rtp_ports, &lo, &hi)) {
		snprintf(err, errsz,
		         "rtp-ports takes LO-HI within 1024-65535, not '%s'",
		         cfg->rtp_ports);
		return 1;
	}
	if (cfg->public_ip && sa_set_str(&sa, cfg->public_ip, 0)) {
		snprintf(err, errsz,
		         "public-ip takes an IPv4 or IPv6 address, "
		         "not '%s'",
		         cfg->public_ip);
		return 1;
	}
	for (size_t i = 0; i < cfg->status_allow.n; i++) {
		struct cidr c;

		if (cidr_parse(&c, cfg->status_allow.v[i])) {
			snprintf(err, errsz,
			         "status-allow takes a network like "
			         "127.0.0.1/32, not '%s'",
			         cfg->status_allow.v[i]);
			return 1;
		}
	}
	if (cfg->session_idle <= cfg->keepalive) {
		snprintf(err, errsz,
		         "session-idle (%u s) must be longer than keepalive "
		         "(%u s)",
		         cfg->session_idle, cfg->keepalive);
		return 1;
	}

	return 0;
}

void hras_chan_limits(const struct hras_conf *cfg, struct chan_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->rel_max_bytes = cfg->sip_queue;
	lim->rel_max_frames = 16384;
	lim->media_max_bytes = cfg->media_queue;
	lim->media_max_age = (uint64_t)cfg->media_max_age * 1000;
	lim->rto = 1000000;
	lim->max_payload = cfg->max_payload;
}
