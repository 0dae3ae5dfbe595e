/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file fcgi_listen.h  The FastCGI socket nginx connects to
 */

struct fcgi_listen_conf {
	const char *spec;          /* unix:PATH or HOST:PORT; NULL: inherited */
	uint32_t mode;             /* a unix socket's permissions */
	const char *owner, *group; /* a unix socket's; NULL: ours */
	bool remote;               /* a TCP socket may be non-loopback */
	const char *peer_user;     /* a TCP socket's only client; NULL: any */
	int backlog;
};

struct fcgi_listen {
	int fd;        /* -1: none */
	bool own_path; /* a unix socket we made: removed on close */
	char path[108];
	dev_t dev;
	ino_t ino;
	char what[160]; /* for the log: "unix:/run/sofw/hras.sock", "fd 3
	                   (systemd)" */
};

int fcgi_listen_check(const struct fcgi_listen_conf *c, char *err,
                      size_t errsz);
int fcgi_listen_open(struct fcgi_listen *l, const struct fcgi_listen_conf *c,
                     char *err, size_t errsz);
int fcgi_listen_inherit(struct fcgi_listen *l, char *err, size_t errsz);
void fcgi_listen_close(struct fcgi_listen *l);
int fcgi_listen_peer_uid(const struct fcgi_listen_conf *c, long *uid, char *err,
                         size_t errsz);
