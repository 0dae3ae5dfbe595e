/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file reload.h  SIGHUP: the whole configuration read again, what may
 * change live applied, what needs a restart named in the log
 */

int hras_reload_init(int argc, char *const argv[]);
void hras_reload(struct hras *h);
void hras_reload_close(void);
