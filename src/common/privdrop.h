/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file privdrop.h  Running as an unprivileged user once bound
 */

struct privdrop {
	bool set_user;
	bool set_group;
	uid_t uid;
	gid_t gid;
	char user[64];
};

int privdrop_lookup(struct privdrop *pd, const char *user, const char *group,
                    char *err, size_t errsz);
int privdrop_id(const char *uopt, const char *user, const char *gopt,
                const char *group, uid_t *uid, gid_t *gid, char *err,
                size_t errsz);
int privdrop_apply(const struct privdrop *pd, char *err, size_t errsz);
int privdrop_writable(const char *opt, const char *path, char *err,
                      size_t errsz);
int privdrop_start(const char *user, const char *group, const char *opt,
                   const char *path);
