/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file read_hold.h  Many UDP sockets, read together at a window's end
 *
 * Under a timed window (hrac's up window, hras-fcgi's relay window) a
 * busy link's packets should not wake the loop one by one: they wait in
 * their sockets and the window's end reads them all.  The sockets sit in
 * an epoll set of their own (ep); the loop (libre's fd_listen) watches a
 * second set, the gate, whose one entry is ep.  Held, that entry asks for
 * no events; released, any readable socket makes the gate readable and
 * the woken handler runs.  Holding and releasing change that one entry
 * (EPOLL_CTL_MOD): adding an epoll set to another makes the kernel walk
 * every socket in it (ep_loop_check), which a hold per window must not
 * pay.
 *
 * A drain reads what is ready now, a bounded number of sockets per call
 * (READ_HOLD_EVENTS per epoll_wait, READ_HOLD_ROUNDS of them; the rest
 * stays ready for the next).  Each ready socket is named by the key its
 * owner gave it; the owner finds it again by that key, so a socket closed
 * during a drain is simply not found.  Loop thread only.
 */

enum {
	READ_HOLD_EVENTS = 128, /* sockets per epoll_wait of a drain */
	READ_HOLD_ROUNDS = 16,  /* epoll_waits per drain at most */
};

struct read_hold;

/* The gate opened: a packet came while the sockets were not held */
typedef void(read_hold_woken_h)(void *arg);
/* During a drain: the socket added with @key is readable */
typedef void(read_hold_ready_h)(uint64_t key, void *arg);

int read_hold_alloc(struct read_hold **rhp, read_hold_woken_h *wokenh,
                    void *arg);
int read_hold_add(struct read_hold *rh, int fd, uint64_t key);
void read_hold_del(struct read_hold *rh, int fd);
void read_hold_drain(struct read_hold *rh, read_hold_ready_h *h, void *arg);
int read_hold_hold(struct read_hold *rh);
int read_hold_release(struct read_hold *rh);
