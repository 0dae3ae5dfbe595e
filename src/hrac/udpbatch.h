/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file udpbatch.h  Datagrams in batches: recvmmsg and sendmmsg
 *
 * A socket that wakes the loop reads up to UDPBATCH_MAX datagrams in one
 * system call; the datagrams for many sockets (one read of the tunnel)
 * queue and leave with one sendmmsg per socket.  Fixed buffers, allocated
 * once: nothing per packet.  A queued datagram is a copy, so what it was
 * copied from may go; the socket it is queued for must stay open until
 * udpbatch_flush() (or udpbatch_drop()).
 */

enum {
	UDPBATCH_MAX = 32,  /* datagrams per system call */
	UDPBATCH_SZ = 2048, /* one RTP packet; larger ones are cut on receive
	                       and sent on their own */
};

struct udpbatch;

/* A datagram that could not be sent: @arg as given to udpbatch_add() */
typedef void(udpbatch_fail_h)(void *arg, int err);

int udpbatch_alloc(struct udpbatch **bp, udpbatch_fail_h *failh);
void udpbatch_free(struct udpbatch *b);
int udpbatch_open(int *fdp, const struct sa *laddr);
int udpbatch_recv(struct udpbatch *b, int fd);
const uint8_t *udpbatch_rx(const struct udpbatch *b, unsigned i, size_t *len,
                           struct sa *src);
int udpbatch_add(struct udpbatch *b, int fd, const struct sa *dst,
                 const uint8_t *p, size_t len, void *arg);
unsigned udpbatch_flush(struct udpbatch *b);
void udpbatch_drop(struct udpbatch *b);
unsigned udpbatch_pending(const struct udpbatch *b);
