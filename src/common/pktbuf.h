/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file pktbuf.h  An mbuf that points at bytes someone else owns
 *
 * libre sends from an mbuf; a packet already in memory (the payload of
 * a frame that came down the tunnel) is sent from where it is instead
 * of being copied into one first.  Only for calls that read the mbuf and
 * do not keep it (udp_send, tcp_send: libre copies what it must queue).
 */

static inline void pktbuf_view(struct mbuf *mb, const uint8_t *p, size_t n)
{
	memset(mb, 0, sizeof(*mb));
	mb->buf = (uint8_t *)p;
	mb->size = mb->end = n;
}
