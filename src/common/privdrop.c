/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file privdrop.c  Running as an unprivileged user once bound
 *
 * Started as root (to bind SIP's port 5060, a socket in /run), the
 * programs become --user/--group as soon as every socket is bound and the
 * files that need root are open.  The names are looked up before
 * anything starts, so that a missing user is a configuration error
 * reported at once, not after daemonizing.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "daemon.h"
#include "log.h"
#include "privdrop.h"

/**
 * A user and/or group name (or number) to ids, for --user/--group and
 * --socket-owner/--socket-group (@uopt, @gopt name them in messages)
 *
 * @param uid  set when @user is given, else (uid_t)-1
 * @param gid  @group's, else @user's primary group, else (gid_t)-1
 */
int privdrop_id(const char *uopt, const char *user, const char *gopt,
                const char *group, uid_t *uid, gid_t *gid, char *err,
                size_t errsz)
{
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (user) {
		struct passwd *pw = getpwnam(user);

		if (!pw) {
			snprintf(err, errsz,
			         "%s %s: no such user (create it, e.g. with "
			         "systemd-sysusers or adduser --system)",
			         uopt, user);
			return ENOENT;
		}
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (group) {
		struct group *gr = getgrnam(group);

		if (!gr) {
			snprintf(err, errsz, "%s %s: no such group", gopt,
			         group);
			return ENOENT;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/* --user USER, --group GROUP: either may be NULL */
int privdrop_lookup(struct privdrop *pd, const char *user, const char *group,
                    char *err, size_t errsz)
{
	int e;

	memset(pd, 0, sizeof(*pd));
	e = privdrop_id("--user", user, "--group", group, &pd->uid, &pd->gid,
	                err, errsz);
	if (e)
		return e;
	pd->set_user = user != NULL;
	pd->set_group = user || group;
	if (user)
		snprintf(pd->user, sizeof(pd->user), "%s", user);
	return 0;
}

/**
 * Become the user and group: supplementary groups, gid, then uid, and
 * check that root cannot be had back
 */
int privdrop_apply(const struct privdrop *pd, char *err, size_t errsz)
{
	int e;

	if (!pd->set_user && !pd->set_group)
		return 0;
	/* already the user (started by systemd or su): nothing to drop */
	if ((!pd->set_user || (getuid() == pd->uid && geteuid() == pd->uid)) &&
	    getgid() == pd->gid && getegid() == pd->gid)
		return 0;
	if (geteuid() != 0) {
		snprintf(err, errsz,
		         "--user/--group: only root can change to another "
		         "user or group (start as root, or without "
		         "--user/--group)");
		return EPERM;
	}
	if (pd->set_user ? initgroups(pd->user, pd->gid)
	                 : setgroups(1, &pd->gid)) {
		e = errno;
		snprintf(err, errsz, "--user %s: supplementary groups: %s",
		         pd->user, strerror(e));
		return e;
	}
	if (setresgid(pd->gid, pd->gid, pd->gid)) {
		e = errno;
		snprintf(err, errsz, "--group: setgid %u: %s",
		         (unsigned)pd->gid, strerror(e));
		return e;
	}
	if (pd->set_user && setresuid(pd->uid, pd->uid, pd->uid)) {
		e = errno;
		snprintf(err, errsz, "--user %s: setuid: %s", pd->user,
		         strerror(e));
		return e;
	}
	/* a root that comes back would make the drop worthless */
	if (pd->set_user && pd->uid != 0 &&
	    (setuid(0) == 0 || seteuid(0) == 0 || geteuid() != pd->uid)) {
		snprintf(err, errsz,
		         "--user %s: root privileges could be "
		         "regained; refusing to run",
		         pd->user);
		return EPERM;
	}
	return 0;
}

/**
 * After the drop: can we still write @path?  The state and status files
 * are replaced whole (a temporary file renamed over them), so what counts
 * is their directory; the file itself may still be root's from before the
 * drop.  @opt names the option in the message.
 */
int privdrop_writable(const char *opt, const char *path, char *err,
                      size_t errsz)
{
	char buf[4096];
	const char *dir;
	int e;

	snprintf(buf, sizeof(buf), "%s", path);
	dir = dirname(buf);
	if (access(dir, W_OK | X_OK)) {
		e = errno;
		snprintf(err, errsz,
		         "%s %s: not writable by uid %u (%s): give the "
		         "directory %s to that user (chown)",
		         opt, path, (unsigned)getuid(), strerror(e), dir);
		return e;
	}
	return 0;
}

/**
 * Start-up's drop: become @user/@group (either may be NULL), then check
 * that @path (the file option @opt names, or NULL) can still be written
 *
 * @return 0, or the exit code (the error line logged)
 */
int privdrop_start(const char *user, const char *group, const char *opt,
                   const char *path)
{
	struct privdrop pd;
	char err[512];
	int e;

	e = privdrop_lookup(&pd, user, group, err, sizeof(err));
	e = e ? e : privdrop_apply(&pd, err, sizeof(err));
	if (e) {
		log_error("%s", err);
		return DAEMON_EXIT_START;
	}
	if (user && path && privdrop_writable(opt, path, err, sizeof(err))) {
		log_error("%s", err);
		return DAEMON_EXIT_CONFIG;
	}
	return 0;
}
