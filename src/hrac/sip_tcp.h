/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sip_tcp.h  Phones on SIP over TCP: their connections to hrac
 *
 * Each accepted connection is known by the phone's address; a message
 * for that address goes back over it (RFC 3261 18.2.2).  hrac never
 * connects to a phone: when the connection is gone, the message is
 * dropped and the phone's retransmission or re-registration recovers.
 */

struct sip_tcp;
struct sa;

/* A whole message from a phone */
typedef void(sip_tcp_recv_h)(const struct sa *src, const uint8_t *msg,
                             size_t len, void *arg);

int sip_tcp_alloc(struct sip_tcp **stp, const struct sa *laddr,
                  uint32_t max_conns, uint64_t idle_ms, sip_tcp_recv_h *rh,
                  void *arg);
int sip_tcp_send(struct sip_tcp *st, const struct sa *dst, const uint8_t *msg,
                 size_t len);
