/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file reload.h  hrac's SIGHUP: the whole configuration read again, what
 * may change live applied, what needs a restart named in the log; and
 * the passwords of the command line hidden from ps
 */

struct hrac_conf;
struct hrac_resolved;
struct tunnel_conf;
struct tunnel;
struct sip_lan;

/* What a reload may change: main's, pointed to for the process's life */
struct hrac_live {
	struct hrac_conf *cfg;
	struct hrac_resolved *res;
	struct tunnel_conf *tc;
	struct tunnel *t;
	struct sip_lan *lan;
};

int hrac_reload_init(int argc, char *argv[]);
void hrac_reload_start(const struct hrac_live *live);
void hrac_reload_stop(void);
void hrac_reload_close(void);
void hrac_reload(void);
