#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# hrac killed (SIGKILL: a crash) in the middle of two calls and started
# again 1 s later with the same configuration, through Squid CONNECT +
# TLS (issue 11: "hrac too").
#
# What a restarted hrac guarantees (our choice, the same bar as for
# hras-fcgi): the same identity is accepted again at once (the crashed
# process's session does not lock it out); the calls that were up get
# their media back within GOAL_MS of the new hrac's start (HRAS still
# holds the calls and their relay ports, so it can hand them back), lose
# no more than the outage explains and nothing twice; the UPDATE sent
# while hrac was down (the phone retransmits it) and the BYE after are
# answered, so both calls end normally with BYE 200; the inside phones
# stay registered without registering again (bob is called right
# after) and a new call each way works.
. "$(dirname "$0")/../fault.sh"

GOAL_MS=${GOAL_MS:-1000} # media back within this long of hrac's start

fault_test hrac "$GOAL_MS" connect
