/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sip_refuse.h  A final answer hrac gives in HRAS's place
 *
 * A phone's request that hrac took but cannot hand to HRAS (the tunnel's
 * queue is full, or hrac is going away with the request not yet
 * acknowledged) gets a 503 with Retry-After from hrac itself (RFC 3261
 * §21.5.4): the phone learns at once that the request went nowhere and
 * may send it again, instead of waiting for its transaction to time out
 * (over TCP it never resends on its own).  Built statelessly from the
 * request as RFC 3261 §8.2.6 says: every Via, From, To (with a tag),
 * Call-ID, CSeq.  ACK is never answered.
 */

int sip_refuse_build(struct mbuf **mbp, const uint8_t *req, size_t len,
                     uint16_t scode, const char *reason, uint32_t retry_after);
