#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# hras-fcgi killed (SIGKILL: a crash) in the middle of two calls and
# started again 1 s later with the same configuration (issue 11, third
# row), hrac through Squid as a plain proxy.  HRAS keeps its
# registrations in a state file (--state).  The calls that were up at
# the crash must get their media back (RTP at 50 packets/s each way,
# tests/fault.sh) within GOAL_MS of hras-fcgi serving again (its log
# says "ready"), lose no more than the outage explains and nothing
# twice; the UPDATE sent while it was down and the BYE after are
# answered (the calls end normally, BYE 200), no phone gets a SIP
# message twice; the inside phones are still registered (bob is called
# without registering again) and a new call each way works.
. "$(dirname "$0")/../fault.sh"

GOAL_MS=${GOAL_MS:-1000} # media back within this long of hras-fcgi's "ready"

fault_test hras "$GOAL_MS" plain
