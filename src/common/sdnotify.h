/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sdnotify.h  Telling systemd how the service is (sd_notify(3))
 *
 * Without $NOTIFY_SOCKET (no systemd, or not Type=notify) every call is a
 * no-op that succeeds, so callers need no condition of their own.
 */

int sdnotify(const char *state);
