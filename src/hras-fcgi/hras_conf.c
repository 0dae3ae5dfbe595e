/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file hras_conf.c  hras-fcgi options: the one table (with the
 * defaults), cross-option checks
 *
 * Option names are a contract with deployers' scripts: add, never rename.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "conf.h"
#include "log.h"
#include "frame.h"
#include "cidr.h"
#include "coalesce_rule.h"
#include "quota.h"
#include "store.h"
#include "hracs.h"
#include "inbox.h"
#include "tunsrv.h"
#include "iface.h"
#include "rat.h"
#include "portpool.h"
#include "sipsrv.h"
#include "hras.h"

#define OPT(...) CONF_OPT(hras_conf, __VA_ARGS__)

const struct conf_opt hras_opts[] = {
	OPT("foreground", 'f', CONF_BOOL, foreground, 0, 0, NULL, NULL,
	    "stay in the foreground and log to stderr"),
	OPT("config", 'c', CONF_STR, config, 0, 0, "FILE", NULL,
	    "read options from FILE (see hras-fcgi.conf(5))"),
	OPT("socket", 's', CONF_STR, socket, 0, 0, "unix:PATH|HOST:PORT", NULL,
	    "FastCGI socket (default: systemd's, or fd 0)"),
	OPT("socket-mode", 0, CONF_OCTAL, socket_mode, 0, 0777, "MODE", "0660",
	    "permissions of a unix socket, octal"),
	OPT("socket-owner", 0, CONF_STR, socket_owner, 0, 0, "USER", NULL,
	    "owner of a unix socket"),
	OPT("socket-group", 0, CONF_STR, socket_group, 0, 0, "GROUP", NULL,
	    "group of a unix socket, e.g. nginx's www-data"),
	OPT("socket-remote", 0, CONF_BOOL, socket_remote, 0, 0, NULL, NULL,
	    "allow a TCP socket beyond loopback"),
	OPT("socket-peer-user", 0, CONF_STR, socket_peer_user, 0, 0, "USER",
	    NULL, "serve a TCP socket's connections from USER's sockets only"),
	OPT("user", 0, CONF_STR, user, 0, 0, "USER", NULL,
	    "run as USER once every socket is bound"),
	OPT("group", 0, CONF_STR, group, 0, 0, "GROUP", NULL,
	    "run as GROUP (default: the user's own group)"),
	OPT("test-config", 't', CONF_BOOL, test_config, 0, 0, NULL, NULL,
	    "check the configuration and its files, then exit"),
	OPT("hracs", 0, CONF_STR, tunnel.hracs, 0, 0, "FILE", NULL,
	    "HRAC identities, lines name:secret (mode 0600)"),
	OPT("verbose", 'v', CONF_COUNT, verbose, 0, 9, NULL, NULL,
	    "more logging (repeat for more)"),
	OPT("log-facility", 0, CONF_STR, log_facility, 0, 0, "NAME", "daemon",
	    "syslog facility, e.g. local3"),
	OPT("pidfile", 0, CONF_STR, pidfile, 0, 0, "FILE", NULL,
	    "write the process id to FILE"),
	OPT("base-path", 0, CONF_STR, tunnel.base_path, 0, 0, "PATH", "/sofw/",
	    "URL path of the tunnel endpoints"),
	OPT("keepalive", 0, CONF_U32, tunnel.keepalive, 1, 3600, "SECONDS",
	    "20", "keepalive interval on idle streams"),
	OPT("down-max", 0, CONF_U32, tunnel.down_max, 10, 86400, "SECONDS",
	    "300", "a down stream ends after this long"),
	OPT("session-idle", 0, CONF_U32, tunnel.session_idle, 5, 86400,
	    "SECONDS", "60", "drop a session without a down stream this long"),
	OPT("poll-hold", 0, CONF_U32, tunnel.poll_hold, 1, 300, "SECONDS", "20",
	    "hold a long poll this long at most"),
	OPT("max-payload", 0, CONF_U32, tunnel.max_payload, 1500,
	    FRAME_MAX_PAYLOAD, "BYTES", "65535",
	    "largest frame payload accepted"),
	OPT("frame-timeout", 0, CONF_U32, tunnel.frame_timeout, 1, 300,
	    "SECONDS", "10", "a frame must arrive whole within this time"),
	OPT("threads", 0, CONF_U32, tunnel.threads, 4, 4096, "N", "256",
	    "FastCGI worker threads at most"),
	OPT("max-sessions", 0, CONF_U32, tunnel.max_sessions, 1, 65536, "N",
	    "1024", "tunnel sessions at most"),
	OPT("media-max-age", 0, CONF_U32, tunnel.media_max_age, 1, 10000, "MS",
	    "60", "drop media queued longer than this"),
	OPT("media-queue", 0, CONF_U32, tunnel.media_queue, 65536, 1 << 28,
	    "BYTES", "1048576", "media queued per session at most"),
	OPT("sip-queue", 0, CONF_U32, tunnel.sip_queue, 65536, 1 << 28, "BYTES",
	    "4194304", "signalling awaiting ack per session"),
	OPT("inbox", 0, CONF_U32, tunnel.inbox_bytes, 1 << 18, 1 << 28, "BYTES",
	    "8388608", "frames waiting for the SIP/relay thread"),
	OPT("coalesce-us", 0, CONF_U32, tunnel.coalesce_us, 0,
	    COALESCE_RULE_MAX_US, "US", "0",
	    "a busy down stream also waits this long for more, 0: never"),
	OPT("echo", 0, CONF_BOOL, echo, 0, 0, NULL, NULL,
	    "diagnostic: send every frame back down its tunnel"),
	OPT("sip", 0, CONF_LIST, sip.listen, 0, 0, "ADDR:PORT", NULL,
	    "SIP for outside phones, UDP and TCP (repeatable)"),
	OPT("domain", 0, CONF_LIST, sip.domain, 0, 0, "DOMAIN", NULL,
	    "a SIP domain served here (repeatable)"),
	OPT("users", 0, CONF_STR, sip.users, 0, 0, "FILE", NULL,
	    "digest users, lines user:realm:HA1 (mode 0600)"),
	OPT("realm", 0, CONF_STR, sip.realm, 0, 0, "REALM", NULL,
	    "digest realm (default: the first domain)"),
	OPT("state", 0, CONF_STR, sip.state, 0, 0, "FILE", NULL,
	    "keep registrations here across restarts"),
	OPT("outbound", 0, CONF_STR, sip.outbound, 0, 0, "SIP-URI", NULL,
	    "route for domains not served here (a trunk)"),
	OPT("open-registrar", 0, CONF_BOOL, sip.open_registrar, 0, 0, NULL,
	    NULL, "run without --users: anyone may register anything"),
	OPT("auth-inside", 0, CONF_BOOL, sip.auth_inside, 0, 0, NULL, "yes",
	    "inside phones authenticate too"),
	OPT("digest-algorithms", 0, CONF_STR, sip.digest_algorithms, 0, 0,
	    "LIST", "md5,sha-256", "digest challenges, preferred first"),
	OPT("expires-default", 0, CONF_U32, sip.expires_default, 1, 86400, "S",
	    "3600", "registration time when none is asked"),
	OPT("expires-min", 0, CONF_U32, sip.expires_min, 1, 86400, "S", "60",
	    "shortest registration; shorter asks get 423"),
	OPT("expires-max", 0, CONF_U32, sip.expires_max, 1, 604800, "S", "7200",
	    "longest registration"),
	OPT("max-contacts", 0, CONF_U32, sip.max_contacts, 1, 100, "N", "10",
	    "contacts per address of record"),
	OPT("max-bindings", 0, CONF_U32, sip.max_bindings, 1, 10000000, "N",
	    "100000", "registrations at most"),
	OPT("rate-limit", 0, CONF_U32, sip.rate_limit, 0, 1000000, "N", "50",
	    "SIP requests/s per outside source, 0: none"),
	OPT("rate-burst", 0, CONF_U32, sip.rate_burst, 1, 1000000, "N", "200",
	    "requests a source may send at once"),
	OPT("max-phones", 0, CONF_U32, sip.max_phones, 16, 1000000, "N",
	    "10000", "inside phones the gateway knows at once"),
	OPT("timer-c", 0, CONF_U32, sip.timer_c, 5, 3600, "S", "185",
	    "longest wait for an INVITE's final answer"),
	OPT("nonce-ttl", 0, CONF_U32, sip.nonce_ttl, 10, 3600, "S", "300",
	    "digest nonce lifetime"),
	OPT("max-transactions", 0, CONF_U32, sip.max_transactions, 16, 10000000,
	    "N", "100000", "proxy transactions at once"),
	OPT("max-dialogs", 0, CONF_U32, sip.max_dialogs, 16, 10000000, "N",
	    "100000", "dialogs kept at once"),
	OPT("dialog-max", 0, CONF_U32, sip.dialog_max, 60, 604800, "S", "86400",
	    "a dialog ends this long after its last request"),
	OPT("public-ip", 0, CONF_STR, media.public_ip, 0, 0, "ADDR", NULL,
	    "media address outside phones see (default: the first --sip)"),
	OPT("rtp-ports", 0, CONF_STR, media.rtp_ports, 0, 0, "LO-HI",
	    "20000-29999", "relay ports, in RTP/RTCP pairs"),
	OPT("media-timeout", 0, CONF_U32, media.media_timeout, 5, 86400, "S",
	    "60", "a call's relay goes after this long without RTP"),
	OPT("relay-window-us", 0, CONF_U32, media.relay_window_us, 0,
	    COALESCE_RULE_MAX_US, "US", "0",
	    "a busy relay reads outside packets together this often, 0: "
	    "each at once"),
	OPT("store", 0, CONF_STR, store.url, 0, 0, "file|URL", "file",
	    "shared state: file (one node) or redis://, redis+unix://"),
	OPT("store-password-file", 0, CONF_STR, store.password_file, 0, 0,
	    "FILE", NULL, "the Redis password (mode 0600)"),
	OPT("node-id", 0, CONF_STR, store.node, 0, 0, "NAME", NULL,
	    "this node's name among several (default: the host name)"),
	OPT("node-sip", 0, CONF_STR, store.node_sip, 0, 0, "ADDR:PORT", NULL,
	    "SIP address other nodes reach this one at"),
	OPT("status-allow", 0, CONF_LIST, tunnel.status_allow, 0, 0, "CIDR",
	    "127.0.0.0/8 ::1/128",
	    "who may read the status and metrics endpoints"),
	OPT("help", 'h', CONF_BOOL, help, 0, 0, NULL, NULL, "this text"),
	OPT("version", 'V', CONF_BOOL, version, 0, 0, NULL, NULL,
	    "print the version"),
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL },
};
_Static_assert(ARRAY_SIZE(hras_opts) <= CONF_OPTS_MAX,
               "conf_load_file checks options set twice up to CONF_OPTS_MAX");

/* --store and the node's options: a node id and address only matter
 * among several nodes, and there they must be right */
static int check_store(const struct hras_conf *cfg, char *err, size_t errsz)
{
	struct store_url u;
	struct sa sa;
	const char *v = cfg->store.node_sip;

	if (store_url_parse(&u, cfg->store.url, err, errsz))
		return 1;
	if (u.kind == STORE_FILE &&
	    (cfg->store.password_file || cfg->store.node || v)) {
		snprintf(err, errsz,
		         "--store-password-file, --node-id and --node-sip "
		         "need a shared store: give --store redis://...");
		return 1;
	}
	if (u.password[0] && cfg->store.password_file) {
		snprintf(err, errsz,
		         "--store has a password and --store-password-file "
		         "gives one: give one of them");
		return 1;
	}
	if (cfg->store.node && !store_node_id_valid(cfg->store.node)) {
		snprintf(err, errsz,
		         "--node-id takes letters, digits, '.', '-' and '_' "
		         "(at most %d), not '%s'",
		         STORE_NODE_MAX - 1, cfg->store.node);
		return 1;
	}
	if (v &&
	    (sa_decode(&sa, v, strlen(v)) || !sa_port(&sa) || sa_is_any(&sa))) {
		snprintf(err, errsz,
		         "--node-sip takes this node's ADDR:PORT as the "
		         "others reach it, e.g. 10.0.0.1:5060, not '%s'",
		         v);
		return 1;
	}
	memset(&u, 0, sizeof(u));
	return 0;
}

/* Cross-option checks, after the file and the command line */
int hras_conf_check(const struct hras_conf *cfg, char *err, size_t errsz)
{
	uint16_t lo, hi;
	struct sa sa;
	size_t n;

	if (log_facility_check(cfg->log_facility, err, errsz))
		return 1;
	if (!cfg->tunnel.hracs) {
		snprintf(err, errsz,
		         "no HRAC identities: give --hracs FILE (lines "
		         "name:secret)");
		return 1;
	}
	n = strlen(cfg->tunnel.base_path);
	if (cfg->tunnel.base_path[0] != '/' ||
	    cfg->tunnel.base_path[n - 1] != '/') {
		snprintf(err, errsz,
		         "base-path must start and end with '/', not '%s'",
		         cfg->tunnel.base_path);
		return 1;
	}
	if (!cfg->sip.users && !cfg->sip.open_registrar &&
	    (cfg->sip.listen.n || !cfg->echo)) {
		snprintf(err, errsz,
		         "no --users: without them anyone could register any "
		         "address of record and call out; give --users FILE, "
		         "or --open-registrar to run so on purpose");
		return 1;
	}
	if (cfg->sip.expires_min > cfg->sip.expires_max ||
	    cfg->sip.expires_default < cfg->sip.expires_min ||
	    cfg->sip.expires_default > cfg->sip.expires_max) {
		snprintf(err, errsz,
		         "expires-min <= expires-default <= expires-max "
		         "does not hold");
		return 1;
	}
	if (cfg->tunnel.down_max <= cfg->tunnel.keepalive) {
		snprintf(err, errsz,
		         "down-max (%u s) must be longer than keepalive (%u s)",
		         cfg->tunnel.down_max, cfg->tunnel.keepalive);
		return 1;
	}
	if (portpool_parse(cfg->media.rtp_ports, &lo, &hi)) {
		snprintf(err, errsz,
		         "rtp-ports takes LO-HI within 1024-65535, not '%s'",
		         cfg->media.rtp_ports);
		return 1;
	}
	if (cfg->media.public_ip && sa_set_str(&sa, cfg->media.public_ip, 0)) {
		snprintf(err, errsz,
		         "public-ip takes an IPv4 or IPv6 address, "
		         "not '%s'",
		         cfg->media.public_ip);
		return 1;
	}
	for (size_t i = 0; i < cfg->tunnel.status_allow.n; i++) {
		struct cidr c;

		if (cidr_parse(&c, cfg->tunnel.status_allow.v[i])) {
			snprintf(err, errsz,
			         "status-allow takes a network like "
			         "127.0.0.1/32, not '%s'",
			         cfg->tunnel.status_allow.v[i]);
			return 1;
		}
	}
	if (check_store(cfg, err, errsz))
		return 1;
	if (cfg->tunnel.session_idle <= cfg->tunnel.keepalive) {
		snprintf(err, errsz,
		         "session-idle (%u s) must be longer than keepalive "
		         "(%u s)",
		         cfg->tunnel.session_idle, cfg->tunnel.keepalive);
		return 1;
	}

	return 0;
}
