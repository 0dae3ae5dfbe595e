#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# RAT rows: a late offer (the 200 OK offers, the ACK answers) sets up the
# relay as well, and voice flows.  No row outlives its call: a call whose
# phones send no media loses
# its relay after --media-timeout; a call whose session timer (RFC 4028
# Session-Expires) runs out without a refresh loses it too.  And the
# state reports: HRAS's status endpoint, hrac --status and SIGUSR1.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"

fw_world --media-timeout 5
fw_hrac a plain
register lan-a alice $FW_PLAN.11
register - olivia 192.0.2.10

log "== a late offer: the 200 OK carries the offer, the ACK the answer"
# the offer alice gets must name hrac
TALK_MS=3000 PEER_LIKE="$FW_PLAN.10:4*" voice_call \
	lan-a alice $FW_PLAN.11 7000 - olivia 192.0.2.10 16000 uac_late.xml
received uas-olivia ACK | tr -d '\r' | grep -q "^c=IN IP4 192.0.2.1$" ||
	fail "the answer in the ACK olivia got does not name HRAS"
call_ended "olivia, late offer"

log "== a call without media: its relay goes after --media-timeout"
answer - olivia 192.0.2.10 uas_media.xml -set mip 192.0.2.10 -set mport 16000
TALK_MS=14000 media_call lan-a alice $FW_PLAN.11 olivia 7000
wait_step uac-alice-olivia talking
wait_status calls 1 || fail "the call has no row"
[ "$(status_field open_relay_ports)" = 4 ] || fail "not 2 + 2 relay ports: $(status_field open_relay_ports)"
wait_log "$T/hras.log" "relay closed \(no media either way for media-timeout\)" 300
relay_idle
log "the row went while the call was still up"
# the call itself goes on, and ends with its BYE
wait "$UAC_PID" || fail "the call did not end well"
wait_uas "olivia, in a call without media"

log "== a session timer that runs out"
answer - olivia 192.0.2.10 uas_se.xml -set mip 192.0.2.10 -set mport 16000 -set se 2
TALK_MS=14000 media_call lan-a alice $FW_PLAN.11 olivia 7000
wait_step uac-alice-olivia talking
wait_log "$T/hras.log" "relay closed \(its session timer ran out\)" 300
relay_idle
# the call itself goes on, and ends with its BYE
wait "$UAC_PID" || fail "the call did not end well"
wait_uas "olivia, whose session timer ran out"

log "== the reports"
status | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["sessions"][0]["hrac"] == "site-a", r["sessions"]
assert r["registrations"] == 2, r["registrations"]
assert r["relay"]["calls_total"] >= 3, r["relay"]  # re-INVITEs after a timeout relay anew
print("status:", json.dumps(r["relay"]))' || fail "the status report is wrong"
code=$(curl -s -o /dev/null -w '%{http_code}' --interface 198.51.100.1 http://192.0.2.1/sofw/status)
[ "$code" = 403 ] || fail "the status was served outside --status-allow ($code)"
ours hrac-status in_ns lan-a "$BIN/hrac" --status --status-file "$T/hrac-a.status" ||
	fail "hrac --status: $(cat "$T/hrac-status.out")"
out=$(cat "$T/hrac-status.out")
grep -q "^tunnel: open to http://192.0.2.1/sofw/, path plain HTTP proxy" <<<"$out" ||
	fail "hrac --status says: $out"
grep -q "^media on $FW_PLAN.10 ports 40000-40999: 0 pairs open" <<<"$out" ||
	fail "hrac --status media: $out"
kill -USR1 "$FW_HRAC_a"
wait_log "$T/hrac-a.log" "info: status: hrac .* as 'site-a'" 100
log "hras status, hrac --status and SIGUSR1 report"
