/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file fcgi_listen.c  The FastCGI socket nginx connects to
 *
 * Opened here rather than by libfcgi's FCGX_OpenSocket(), which prints
 * "bind/listen: <reason>" without a name and calls exit(errno), turns any
 * spec it cannot parse into a unix socket in the current directory, and
 * listens on every address for ":PORT".  libfcgi only gets the descriptor
 * (FCGX_InitRequest).
 *
 * Three sources, in this order: --socket; a socket systemd passed
 * (LISTEN_FDS/LISTEN_PID, sd_listen_fds(3), always fd 3); standard input
 * when it is a listening socket (spawn-fcgi).  None is an error at once.
 *
 * A unix socket path is removed before binding only when nothing answers
 * on it: a second hras-fcgi started by mistake must not unlink the live
 * socket of the first (nginx would answer 502 until a restart).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>
#include "privdrop.h"
#include "fcgi_listen.h"

enum { SD_LISTEN_FDS_START = 3 };

static const char usage[] =
    "takes unix:PATH or HOST:PORT (e.g. unix:/run/sofw/hras.sock or "
    "127.0.0.1:9000)";

struct tcp_spec {
	char host[256];
	char port[8];
};

/* HOST:PORT or [V6]:PORT; the port numeric */
static int tcp_parse(struct tcp_spec *t, const char *spec, char *err,
                     size_t errsz)
{
	const char *colon, *h = spec;
	size_t hl;
	char *end;
	unsigned long port;

	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb || rb[1] != ':')
			goto bad;
		h = spec + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon) {
			if (spec[0] &&
			    strspn(spec, "0123456789") == strlen(spec)) {
				snprintf(
				    err, errsz,
				    "--socket %s: give an address with the "
				    "port, e.g. 127.0.0.1:%s (or "
				    "unix:PATH)",
				    spec, spec);
				return EINVAL;
			}
			goto bad;
		}
		if (colon != strchr(spec, ':')) {
			snprintf(err, errsz,
			         "--socket %s: write an IPv6 address in "
			         "brackets, e.g. [::1]:9000",
			         spec);
			return EINVAL;
		}
		hl = (size_t)(colon - spec);
	}
	if (!hl) {
		snprintf(err, errsz,
		         "--socket %s: give the address to listen on, e.g. "
		         "127.0.0.1%s (no address would be every address)",
		         spec, colon);
		return EINVAL;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port < 1 || port > 65535 ||
	    hl >= sizeof(t->host)) {
		snprintf(err, errsz,
		         "--socket %s: the port must be a number from 1 to "
		         "65535",
		         spec);
		return EINVAL;
	}
	memcpy(t->host, h, hl);
	t->host[hl] = '\0';
	snprintf(t->port, sizeof(t->port), "%lu", port);
	return 0;
bad:
	snprintf(err, errsz, "--socket %s", usage);
	snprintf(err + strlen(err), errsz - strlen(err), ", not '%s'", spec);
	return EINVAL;
}

static bool loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		const uint8_t *b = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127;
	}
	return false;
}

static int tcp_resolve(struct addrinfo **res, const struct tcp_spec *t,
                       const struct fcgi_listen_conf *c, char *err,
                       size_t errsz)
{
	struct addrinfo hints;
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	r = getaddrinfo(t->host, t->port, &hints, res);
	if (r) {
		snprintf(err, errsz, "--socket %s: cannot resolve %s: %s",
		         c->spec, t->host, gai_strerror(r));
		return EINVAL;
	}
	if (!c->remote && !loopback((*res)->ai_addr)) {
		snprintf(err, errsz,
		         "--socket %s: not a loopback address: the FastCGI "
		         "port would be open to other hosts; give "
		         "--socket-remote to listen there anyway (and "
		         "firewall it)",
		         c->spec);
		freeaddrinfo(*res);
		*res = NULL;
		return EPERM;
	}
	return 0;
}

static int unix_check(const struct fcgi_listen_conf *c, char *err, size_t errsz)
{
	const char *path = c->spec + 5;
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *dir;
	struct stat st;
	uid_t uid;
	gid_t gid;

	if (!*path) {
		snprintf(err, errsz,
		         "--socket unix: needs a path, e.g. "
		         "unix:/run/sofw/hras.sock");
		return EINVAL;
	}
	if (strlen(path) >= sizeof(buf)) {
		snprintf(err, errsz,
		         "--socket %s: the path is %zu bytes long; a unix "
		         "socket's path holds at most %zu",
		         c->spec, strlen(path), sizeof(buf) - 1);
		return ENAMETOOLONG;
	}
	snprintf(buf, sizeof(buf), "%s", path);
	dir = dirname(buf);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errsz,
		         "--socket %s: the directory %s does not exist (create "
		         "it, e.g. install -d %s, or RuntimeDirectory= in a "
		         "systemd unit)",
		         c->spec, dir, dir);
		return ENOENT;
	}
	return privdrop_id("--socket-owner", c->owner, "--socket-group",
	                   c->group, &uid, &gid, err, errsz);
}

/**
 * Check a --socket spec and its options without binding anything
 * (also for -t); an error is a configuration error
 */
int fcgi_listen_check(const struct fcgi_listen_conf *c, char *err, size_t errsz)
{
	struct addrinfo *res;
	struct tcp_spec t;
	int e;

	if (c->peer_user && (!c->spec || !strncmp(c->spec, "unix:", 5))) {
		snprintf(err, errsz,
		         "--socket-peer-user is for a TCP --socket (a unix "
		         "socket keeps others out with --socket-mode and "
		         "--socket-group)");
		return EINVAL;
	}
	if (!c->spec)
		return 0;
	if (!strncmp(c->spec, "unix:", 5))
		return unix_check(c, err, errsz);
	e = fcgi_listen_peer_uid(c, &(long){ 0 }, err, errsz);
	if (e)
		return e;
	if (c->owner || c->group) {
		snprintf(err, errsz,
		         "--socket-owner and --socket-group are for a unix "
		         "socket, not %s",
		         c->spec);
		return EINVAL;
	}
	e = tcp_parse(&t, c->spec, err, errsz);
	if (e)
		return e;
	e = tcp_resolve(&res, &t, c, err, errsz);
	if (!e)
		freeaddrinfo(res);
	return e;
}

static const char *hint(int e)
{
	switch (e) {

	case EADDRINUSE:
		return " (another program listens there)";
	case EACCES:
	case EPERM:
		return " (this user may not create it there)";
	case EADDRNOTAVAIL:
		return " (not an address of this host)";
	default:
		return "";
	}
}

/* Is something answering on the unix socket @path? */
static int unix_in_use(const char *path, bool *live)
{
	struct sockaddr_un sa;
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	*live = r == 0 || errno == EAGAIN; /* EAGAIN: a full backlog */
	r = r == 0 || errno == EAGAIN || errno == ECONNREFUSED ? 0 : errno;
	close(fd);
	return r;
}

static int unix_open(struct fcgi_listen *l, const struct fcgi_listen_conf *c,
                     char *err, size_t errsz)
{
	const char *path = c->spec + 5;
	struct sockaddr_un sa;
	struct stat st;
	bool live = false;
	mode_t old;
	uid_t uid;
	gid_t gid;
	int e;

	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errsz,
			         "--socket %s: %s exists and is not a socket "
			         "(remove it, or give another path)",
			         c->spec, path);
			return EEXIST;
		}
		e = unix_in_use(path, &live);
		if (e) {
			snprintf(err, errsz,
			         "--socket %s: cannot tell whether %s is in "
			         "use: %s",
			         c->spec, path, strerror(e));
			return e;
		}
		if (live) {
			snprintf(err, errsz,
			         "another hras-fcgi is listening on %s (stop "
			         "it first, or give another --socket)",
			         path);
			return EADDRINUSE;
		}
		(void)unlink(path); /* left by a run that ended badly */
	}

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		goto fail;
	/* never a moment with wider permissions than asked */
	old = umask(~c->mode & 0777);
	e = bind(l->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (e)
		goto fail;
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->own_path = true;
	if (!stat(path, &st)) {
		l->dev = st.st_dev;
		l->ino = st.st_ino;
	}
	if (chmod(path, c->mode))
		goto fail;
	(void)privdrop_id("--socket-owner", c->owner, "--socket-group",
	                  c->group, &uid, &gid, err, errsz);
	if ((c->owner || c->group) && chown(path, uid, gid)) {
		e = errno;
		snprintf(err, errsz,
		         "--socket-owner/--socket-group: cannot give %s to "
		         "%s%s%s: %s (only root can)",
		         path, c->owner ? c->owner : "", c->group ? ":" : "",
		         c->group ? c->group : "", strerror(e));
		return e;
	}
	if (listen(l->fd, c->backlog))
		goto fail;
	return 0;
fail:
	e = errno;
	snprintf(err, errsz, "--socket %s: cannot listen on %s: %s%s", c->spec,
	         path, strerror(e), hint(e));
	return e;
}

static int tcp_open(struct fcgi_listen *l, const struct fcgi_listen_conf *c,
                    char *err, size_t errsz)
{
	struct addrinfo *res;
	struct tcp_spec t;
	int e, on = 1;

	e = tcp_parse(&t, c->spec, err, errsz);
	e = e ? e : tcp_resolve(&res, &t, c, err, errsz);
	if (e)
		return e;
	l->fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	e = l->fd < 0 ? errno : 0;
	if (!e)
		(void)setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &on,
		                 sizeof(on));
	if (!e && bind(l->fd, res->ai_addr, res->ai_addrlen))
		e = errno;
	if (!e && listen(l->fd, c->backlog))
		e = errno;
	freeaddrinfo(res);
	if (e)
		snprintf(err, errsz, "--socket %s: cannot listen: %s%s",
		         c->spec, strerror(e), hint(e));
	return e;
}

/**
 * Open the socket --socket names
 *
 * @return 0; EINVAL and the like for a configuration error (as
 *         fcgi_listen_check() finds); otherwise an errno of opening it
 */
int fcgi_listen_open(struct fcgi_listen *l, const struct fcgi_listen_conf *c,
                     char *err, size_t errsz)
{
	int e;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	snprintf(l->what, sizeof(l->what), "%s", c->spec);
	if (!strncmp(c->spec, "unix:", 5))
		e = unix_open(l, c, err, errsz);
	else
		e = tcp_open(l, c, err, errsz);
	if (e)
		fcgi_listen_close(l);
	return e;
}

static bool listening(int fd)
{
	int on = 0;
	socklen_t len = sizeof(on);

	return !getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) && on;
}

/**
 * No --socket: the socket systemd passed, or standard input from
 * spawn-fcgi; neither is an error that says what to give
 */
int fcgi_listen_inherit(struct fcgi_listen *l, char *err, size_t errsz)
{
	const char *pid = getenv("LISTEN_PID");
	const char *fds = getenv("LISTEN_FDS");

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (pid && fds && strtol(pid, NULL, 10) == (long)getpid() &&
	    strtol(fds, NULL, 10) >= 1) {
		/* for us only, not for what we might start */
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		if (!listening(SD_LISTEN_FDS_START)) {
			snprintf(err, errsz,
			         "systemd passed fd %d, but it is not a "
			         "listening socket (ListenStream= in the "
			         ".socket unit)",
			         SD_LISTEN_FDS_START);
			return ENOTSOCK;
		}
		l->fd = SD_LISTEN_FDS_START;
		(void)fcntl(l->fd, F_SETFD, FD_CLOEXEC);
		snprintf(l->what, sizeof(l->what), "fd %d from systemd", l->fd);
		return 0;
	}
	if (listening(STDIN_FILENO)) {
		l->fd = STDIN_FILENO;
		snprintf(l->what, sizeof(l->what), "fd 0 (inherited)");
		return 0;
	}
	snprintf(err, errsz,
	         "no FastCGI socket: give --socket unix:PATH or HOST:PORT, or "
	         "start from a systemd .socket unit or spawn-fcgi (standard "
	         "input is not a listening socket)");
	return ENOTSOCK;
}

/* Close; a unix socket we made is removed if the path is still ours */
void fcgi_listen_close(struct fcgi_listen *l)
{
	struct stat st;

	if (l->own_path && !stat(l->path, &st) && st.st_dev == l->dev &&
	    st.st_ino == l->ino)
		(void)unlink(l->path);
	l->own_path = false;
	if (l->fd > STDERR_FILENO)
		close(l->fd);
	l->fd = -1;
}

/**
 * The user whose sockets alone may connect (--socket-peer-user), in @uid;
 * -1: anyone who reaches the socket
 */
int fcgi_listen_peer_uid(const struct fcgi_listen_conf *c, long *uid, char *err,
                         size_t errsz)
{
	uid_t u;
	gid_t g;
	int e;

	*uid = -1;
	if (!c->peer_user)
		return 0;
	e = privdrop_id("--socket-peer-user", c->peer_user, NULL, NULL, &u, &g,
	                err, errsz);
	if (!e)
		*uid = (long)u;
	return e;
}
