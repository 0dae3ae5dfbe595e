/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file conf_files.c  hras-fcgi: everything in the configuration that can
 * be checked without binding, before daemonizing (and for -t)
 *
 * What is found here is a configuration error (exit 2) that reaches the
 * terminal; what is left for start-up is only what binding can tell (a
 * port in use), exit 1.
 */
#include <errno.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "quota.h"
#include "hracs.h"
#include "inbox.h"
#include "tunsrv.h"
#include "iface.h"
#include "rat.h"
#include "portpool.h"
#include "sipsrv.h"
#include "digest.h"
#include "daemon.h"
#include "secret.h"
#include "privdrop.h"
#include "fcgi_listen.h"
#include "store.h"
#include "hras.h"

static int check_sip(const struct hras_conf *cfg, char *err, size_t errsz)
{
	for (size_t i = 0; i < cfg->sip.listen.n; i++) {
		const char *v = cfg->sip.listen.v[i];
		struct sa sa;

		if (sa_decode(&sa, v, strlen(v)) || !sa_port(&sa)) {
			snprintf(
			    err, errsz,
			    "--sip takes ADDR:PORT, e.g. 192.0.2.1:5060 or "
			    "[2001:db8::1]:5060, not '%s'",
			    v);
			return EINVAL;
		}
		if (sa_is_any(&sa)) {
			snprintf(err, errsz,
			         "--sip %s: a wildcard address is not "
			         "supported; give this host's address (repeat "
			         "--sip for several)",
			         v);
			return EINVAL;
		}
	}
	return 0;
}

static int check_users(const struct hras_conf *cfg, char *err, size_t errsz)
{
	char msg[512];
	struct digest *d = NULL;
	const char *realm = cfg->sip.realm;
	int e;

	e = digest_algorithms_check(cfg->sip.digest_algorithms, err, errsz);
	if (e || !cfg->sip.users)
		return e;
	if (!realm)
		realm = cfg->sip.domain.n ? cfg->sip.domain.v[0] : "";
	e = digest_alloc(&d, cfg->sip.users, realm, cfg->sip.nonce_ttl,
	                 cfg->sip.digest_algorithms, msg, sizeof(msg));
	mem_deref(d);
	if (e)
		snprintf(err, errsz, "users: %s", msg);
	return e;
}

/* The state file's directory must exist; the file, if there, be ours to
 * read.  Whether the user run as may write it is known only after the
 * drop (main.c checks again then). */
static int check_state(const struct hras_conf *cfg, char *err, size_t errsz)
{
	const char *path = cfg->sip.state;
	char buf[4096];
	const char *dir;
	int e;

	if (!path)
		return 0;
	e = daemon_dir_check("--state", path, "StateDirectory", err, errsz);
	if (e)
		return e;
	snprintf(buf, sizeof(buf), "%s", path);
	dir = dirname(buf);
	if (!access(path, F_OK) && access(path, R_OK)) {
		snprintf(err, errsz, "--state %s: %s", path, strerror(errno));
		return EACCES;
	}
	if (!cfg->user && access(dir, W_OK | X_OK)) {
		snprintf(err, errsz,
		         "--state %s: cannot write in the directory %s: %s",
		         path, dir, strerror(errno));
		return EACCES;
	}
	return 0;
}

static int check_outbound(const struct hras_conf *cfg, char *err, size_t errsz)
{
	struct uri uri;
	struct pl pl;

	if (!cfg->sip.outbound)
		return 0;
	pl_set_str(&pl, cfg->sip.outbound);
	if (uri_decode(&uri, &pl) ||
	    (pl_strcasecmp(&uri.scheme, "sip") &&
	     pl_strcasecmp(&uri.scheme, "sips")) ||
	    !pl_isset(&uri.host)) {
		snprintf(err, errsz,
		         "--outbound takes a SIP URI like "
		         "sip:trunk.example.net:5060, not '%s'",
		         cfg->sip.outbound);
		return EINVAL;
	}
	return 0;
}

/* The Redis password file: there, ours alone (0600), not empty */
static int check_store_password(const struct hras_conf *cfg, char *err,
                                size_t errsz)
{
	char pw[STORE_PASSWORD_MAX];
	int e;

	if (!cfg->store.password_file)
		return 0;
	e = secret_file_read(cfg->store.password_file, pw, sizeof(pw), err,
	                     errsz);
	if (!e && !pw[0]) {
		snprintf(err, errsz, "--store-password-file %s is empty",
		         cfg->store.password_file);
		e = EINVAL;
	}
	memset(pw, 0, sizeof(pw));
	return e;
}

/* The FastCGI socket's options, as fcgi_listen.c takes them */
void hras_fcgi_listen_conf(struct fcgi_listen_conf *lc,
                           const struct hras_conf *cfg, int backlog)
{
	memset(lc, 0, sizeof(*lc));
	lc->spec = cfg->socket;
	lc->mode = cfg->socket_mode;
	lc->owner = cfg->socket_owner;
	lc->group = cfg->socket_group;
	lc->remote = cfg->socket_remote;
	lc->peer_user = cfg->socket_peer_user;
	lc->backlog = backlog;
}

/**
 * Check the files and the values only start-up used to look at: the
 * users file, --digest-algorithms, --sip, --state, --outbound, the
 * socket, --user/--group, --pidfile
 *
 * @return 0, or an errno with one line in @err
 */
int hras_conf_files(const struct hras_conf *cfg, char *err, size_t errsz)
{
	struct fcgi_listen_conf lc;
	struct privdrop pd;
	int e;

	hras_fcgi_listen_conf(&lc, cfg, 0);
	if (!cfg->socket && (cfg->socket_owner || cfg->socket_group)) {
		snprintf(err, errsz,
		         "--socket-owner and --socket-group need --socket "
		         "unix:PATH (an inherited socket is set up by who "
		         "passes it)");
		return EINVAL;
	}
	e = check_sip(cfg, err, errsz);
	e = e ? e : check_users(cfg, err, errsz);
	e = e ? e : check_state(cfg, err, errsz);
	e = e ? e : check_outbound(cfg, err, errsz);
	e = e ? e : check_store_password(cfg, err, errsz);
	e = e ? e
	      : daemon_dir_check("--pidfile", cfg->pidfile, "RuntimeDirectory",
	                         err, errsz);
	e = e ? e : fcgi_listen_check(&lc, err, errsz);
	e = e ? e : privdrop_lookup(&pd, cfg->user, cfg->group, err, errsz);
	return e;
}
