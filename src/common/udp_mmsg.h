/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file udp_mmsg.h  UDP datagrams read in batches, into buffers allocated
 * once
 *
 * What hras-fcgi's relay (media/mmsg) and hrac's media sockets
 * (udpbatch) share: one recvmmsg() takes every datagram waiting, up to
 * UDP_MMSG_BATCH, into fixed buffers, so a wake-up costs one system call
 * and nothing is allocated per packet.  The struct is public so that a
 * user embeds it (udpbatch queues what it sends in the same buffers).
 */

enum {
	UDP_MMSG_BATCH = 32,  /* datagrams per system call */
	UDP_MMSG_SIZE = 2048, /* one RTP packet; larger ones are cut */
};

struct udp_mmsg {
	struct mmsghdr msg[UDP_MMSG_BATCH];
	struct iovec iov[UDP_MMSG_BATCH];
	struct sockaddr_storage name[UDP_MMSG_BATCH];
	uint8_t buf[UDP_MMSG_BATCH][UDP_MMSG_SIZE];
};

void udp_mmsg_init(struct udp_mmsg *m);
int udp_mmsg_recv(struct udp_mmsg *m, int fd);
const uint8_t *udp_mmsg_at(const struct udp_mmsg *m, unsigned i, size_t *len,
                           struct sa *src);
int udp_mmsg_bind(int *fdp, const struct sa *local, bool v6only);
int udp_mmsg_send(int fd, const struct sa *dst, const uint8_t *p, size_t len);
