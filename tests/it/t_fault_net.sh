#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# The network fails in the middle of two calls (issue 11, item 1): site
# a's uplink, between Squid's host and the outside, goes silent for 1 s
# (every packet either way dropped, no RST, no ICMP: tests/fault.sh,
# fault net) and is restored, with hrac through Squid as a plain proxy
# and with CONNECT + TLS; then once more for 1.6 s, plain.  Nothing
# restarts: the connections that were open stay open on both sides of
# the silence, and TCP retransmits on them 0.2, 0.6, 1.4, 3.0 s after
# the first loss.  A 1 s outage ends 0.4 s before a retransmission, one
# of 1.6 s 1.4 s before the next: only the second shows whether hrac
# itself catches the path's return (fresh requests beside the stalled
# ones, hrac(8) Reconnection).  RTP at 50 packets/s each way on both
# calls must come back within GOAL_MS of the path being restored, lose
# no more than the outage explains and nothing twice; the UPDATE sent
# during the outage and the BYE after it are answered, no phone gets a
# SIP message twice; a new call each way works after.
. "$(dirname "$0")/../fault.sh"

GOAL_MS=${GOAL_MS:-500} # media back within this long of the path's return

command -v nft >/dev/null || fail "no nft (Debian's nftables)"
fault_test net "$GOAL_MS" plain connect plain:1600
