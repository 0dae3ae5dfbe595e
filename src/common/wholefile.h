/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file wholefile.h  Replacing a file whole: a reader sees the old one or
 * the new one, never half of one, even after a crash
 *
 * The new content goes to a temporary file of a name nobody can guess or
 * prepare (mkstemp: created new, never through a link), next to the file;
 * it is synced, renamed over the file, and the directory is synced so
 * that the rename itself survives a power cut.
 */

typedef int(wholefile_write_h)(FILE *f, void *arg);

int wholefile_replace(const char *path, mode_t mode, bool sync,
                      wholefile_write_h *writeh, void *arg);
