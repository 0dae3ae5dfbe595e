#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# nginx (master and workers) killed in the middle of two calls and
# started again 1 s later (issue 11, second row), with hrac through Squid
# as a plain proxy and with CONNECT + TLS.  RTP at 50 packets/s each way
# on both calls (tests/fault.sh) must come back within GOAL_MS of nginx
# accepting connections again, lose no more than the outage explains and
# nothing twice; the UPDATE sent during the outage and the BYE after it
# are answered, no phone gets a SIP message twice; a new call each way
# works after.
. "$(dirname "$0")/../fault.sh"

GOAL_MS=${GOAL_MS:-500} # media back within this long of nginx listening

fault_test nginx "$GOAL_MS" plain connect
