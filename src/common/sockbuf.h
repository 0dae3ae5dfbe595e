/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sockbuf.h  Larger receive buffers for sockets libre opened
 *
 * libre 1.1 does not hand out the UDP socket of a SIP transport, yet a
 * burst of signalling (a batch of frames from the tunnel passed to the
 * SIP stack in one go) overflows the kernel's default buffer of about
 * 200 KiB and datagrams are lost.  This finds the process's datagram
 * socket bound to an address and grows its buffer.
 */

int sockbuf_grow_bound(const struct sa *laddr, int bytes);
