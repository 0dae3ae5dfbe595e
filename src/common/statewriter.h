/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file statewriter.h  A state file kept up to date off the loop thread
 *
 * The loop thread writes a snapshot of its state into memory (cheap) and
 * hands it over; a thread of its own writes it whole (wholefile.h: a new
 * file synced, renamed over the old, the directory synced), so the loop
 * never waits for a disk.  Only the newest snapshot waits: one handed
 * over while another is being written replaces the one waiting, so a
 * burst of changes costs one write more, and memory holds at most two
 * snapshots.  A failed write is logged once until one succeeds again.
 */

struct statewriter;

int statewriter_alloc(struct statewriter **swp, const char *path, mode_t mode);
void statewriter_free(struct statewriter *sw);
int statewriter_put(struct statewriter *sw, wholefile_write_h *writeh,
                    void *arg);
bool statewriter_waiting(struct statewriter *sw);
int statewriter_sync(struct statewriter *sw);
const char *statewriter_path(const struct statewriter *sw);
