#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Voice across the simulated firewall with Squid in CONNECT mode (HTTPS to
# HRAS): inside calls outside with RTP both ways and hold/resume; and two
# sites with the same private addresses (10.77.10.0/24 each) call each
# other through HRAS, media relayed tunnel to tunnel.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"

fw_world
fw_hrac a connect
fw_hrac b connect
expect_log "$T/hrac-a.log" "tunnel to https://192.0.2.1/sofw/: CONNECT through http://$FW_PLAN.1:3128"

register lan-a alice $FW_PLAN.11
register lan-b bob $FW_PLAN.11
register - olivia 192.0.2.10

log "== inside calls outside through CONNECT + TLS"
voice_call lan-a alice $FW_PLAN.11 7000 - olivia 192.0.2.10 16000
wait_step uac-alice-olivia resumed
talk lan-a $FW_PLAN.11 7000 "$PEER"
call_ended "alice calls olivia"

log "== two sites with the same private addresses call each other"
# alice must be given her hrac's port
ECHO_SECONDS=14 PEER_LIKE="$FW_PLAN.10:4*" voice_call \
	lan-a alice $FW_PLAN.11 7004 lan-b bob $FW_PLAN.11 7002
received uas-bob INVITE | tr -d '\r' | grep -q "^c=IN IP4 $FW_PLAN.10$" ||
	fail "bob was not given his own hrac's address"
n=$(status | python3 -c '
import json, sys
r = json.load(sys.stdin)
legs = [l for c in r["calls"] for s in c["streams"] for l in s["legs"]]
print(" ".join(sorted(l["side"] for l in legs)))')
[ "$n" = "site-a site-b" ] || fail "the call's legs are not one per site: $n"
wait_step uac-alice-bob resumed
talk lan-a $FW_PLAN.11 7004 "$PEER"
wait "$UAC_PID" || fail "alice's call to bob failed"
wait_uas "bob"
wait "$ECHO_PID" || fail "bob's echo failed"
log "bob's phone got: $(cat "$T/echo-bob.out")"
[ "$(field_of intact "$(cat "$T/echo-bob.out")")" -ge 98 ] || fail "bob's phone missed RTP"
relay_idle
fw_connect_carried b
log "voice through Squid CONNECT + TLS, and site to site, works"
