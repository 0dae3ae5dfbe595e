/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file callstate.h  The calls that are up, kept across a restart of
 * hras-fcgi
 *
 * With --state FILE, the relay's established calls (rat_state_write) and
 * the confirmed dialogs (dialogs_state_write) are written to FILE.calls
 * whenever they change: a snapshot taken on the loop thread at most every
 * CALLSTATE_DELAY_MS, written whole by a thread of its own
 * (statewriter.h).  At start-up, before the tunnel opens, the file is
 * read back: the calls get their relay ports again, their dialogs their
 * routes, and the HRACs are told their ports when they reconnect.
 *
 *   # sofw-calls 1
 *   saved UNIX-MS
 *   c ...   (rat_state.c)
 *   d ...   (dialog.c)
 *
 * With a shared store (--store redis://), each snapshot also goes to
 * the other nodes (callstate_share, callshare.h), and the calls of a
 * dead node are taken up from its last one (callstate_adopt).
 *
 * Loop thread only.
 */

enum {
	CALLSTATE_DELAY_MS = 50, /* changes gathered into one snapshot */
};

struct callstate;
struct rat;
struct dialogs;

/* A snapshot for the other nodes: @text (@len bytes, the file's very
 * content); @empty: no call, no dialog in it */
typedef void(callstate_share_h)(const char *text, size_t len, bool empty,
                                void *arg);

int callstate_alloc(struct callstate **csp, const char *state_path,
                    struct rat *r, struct dialogs *ds, bool take_up);
void callstate_share(struct callstate *cs, callstate_share_h *h, void *arg);
int callstate_adopt(struct callstate *cs, const char *text, size_t len,
                    const struct sa *relay, const char *from, unsigned *calls,
                    unsigned *dialogs);
