#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# A call that is up across hrac's SIGHUP keeps its media (issue 12, item
# 7).  Two calls through site a's hrac (Squid, CONNECT + TLS), four RTP
# streams (tests/fault.sh); mid-call hrac's config file changes
# (proxy-auth any -> basic: an option of the tunnel, so hrac reopens it
# on the new settings, tunnel_reconf) and hrac gets SIGHUP.  The session
# is resumed: media is back within GOAL_MS of the reload, loses no more
# than the gap explains and nothing twice, the UPDATE across it and the
# BYE after are answered.
. "$(dirname "$0")/../fault.sh"

GOAL_MS=${GOAL_MS:-500}
FAULT_RESTART_MS=0

fault_says() { echo "hrac's tunnel settings changed and SIGHUP"; }
# the fault: the config changed, SIGHUP; BACK: hrac logged the reload
fault_kill() {
	HUP_N=$(grep -c "reloaded: changed" "$T/hrac-a.log")
	sed -i 's/^proxy-auth any$/proxy-auth basic/' "$T/hrac-a.conf"
	mono >"$T/fault-down"
	kill -HUP "$FW_HRAC_a" || fail "hrac is gone"
}
fault_start() {
	rm -f "$T/fault-back"
	mono >"$T/fault-start"
	wait_log_more "$T/hrac-a.log" "reloaded: changed: proxy-auth" "$HUP_N"
	mono >"$T/fault-back"
}

fault_world
FAULT_MODE=connect
printf 'proxy-auth any\n' >"$T/hrac-a.conf"
chmod 600 "$T/hrac-a.conf"
fw_hrac a connect -c "$T/hrac-a.conf"
wait_more "$T/hrac-a.log" "info: (up|down): (streaming|batch POST|long polling) works" 1 200
register lan-a alice $FW_PLAN.11
register lan-a bob $FW_PLAN.12
fault_calls
fault_run hup
kill -0 "$FW_HRAC_a" || fail "hrac died on SIGHUP"
expect_log "$T/hrac-a.log" "tunnel to .*\(the session resumed\)"
expect_log "$T/hrac-a.log" "session resumed: of"
fault_check_media "$GOAL_MS"
fault_check_sip
fault_verdict "$(fault_says)"
