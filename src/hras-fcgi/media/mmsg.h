/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file mmsg.h  The relay's UDP sockets, read in batches
 *
 * libre's UDP sockets allocate an mbuf for every packet and read one
 * packet per wake-up.  The relay's sockets are its own instead: each
 * wake-up takes every datagram waiting, up to MMSG_BATCH, with one
 * recvmmsg() into buffers allocated once, and sends straight from where
 * the packet is.  Loop thread only.
 */

enum {
	MMSG_BATCH = 32,  /* datagrams per read */
	MMSG_SIZE = 2048, /* one RTP packet; larger ones are cut */
};

struct mmsg_rx;

typedef void(mmsg_recv_h)(const struct sa *src, const uint8_t *p, size_t len,
                          void *arg);

int mmsg_rx_alloc(struct mmsg_rx **rxp);
int mmsg_recv(struct mmsg_rx *rx, int fd, mmsg_recv_h *h, void *arg);
int mmsg_bind(int *fdp, const struct sa *local);
int mmsg_send(int fd, const struct sa *dst, const uint8_t *p, size_t len);
