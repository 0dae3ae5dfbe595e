#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Voice across a simulated corporate firewall, Squid in plain mode: the
# LAN has no route out (proven first); through hrac and Squid, phones
# register, call out and are called, RTP and RTCP flow both ways intact
# (also after hold and resume), a stranger's packets to a relay port
# never reach the phone, CANCEL and BYE leave no call and no open port.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"

fw_world

log "== the firewall: from the LAN nothing reaches the outside"
if in_ns lan-a timeout 3 bash -c 'exec 3<>/dev/tcp/192.0.2.1/80' 2>/dev/null; then
	fail "TCP from the LAN reached the outside"
fi
in_ns lan-a python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b"x", ("192.0.2.1", 5060))
except OSError as e:
    print("UDP from the LAN:", e.strerror); sys.exit(0)
sys.exit(1)' || fail "UDP from the LAN left it"
# Without a route that proves little: give the LAN one through its proxy
# host, and the outside one back to the LAN through the same host, which
# does not forward (IP forwarding off).  The phone's REGISTER now leaves
# the LAN, and no answer comes back; nor does TCP get through.
in_ns lan-a ip route add default via $FW_PLAN.1 || fail "a route through proxy-a"
ip route add $FW_PLAN.0/24 via 198.51.100.2 || fail "a route back through proxy-a"
if in_ns lan-a timeout 3 bash -c 'exec 3<>/dev/tcp/192.0.2.1/80' 2>/dev/null; then
	fail "TCP from the LAN went through the proxy host"
fi
if sipp_at lan-a reg-direct 192.0.2.1:5060 -sf "$SIPP_SCEN/register.xml" \
	-s alice -au alice -ap alice-pw -set domain $DOMAIN -set expires 300 \
	-m 1 -i $FW_PLAN.11 -p 5060 -timeout 3 -timeout_error >"$T/direct.out" 2>&1; then
	fail "a phone registered to HRAS without SoFW"
fi
grep -q "^REGISTER sip:" "$T"/sipp-reg-direct/*_messages.log ||
	fail "the direct REGISTER was not even sent: $(tail -3 "$T/direct.out")"
grep -q "message received" "$T"/sipp-reg-direct/*_messages.log &&
	fail "the phone got an answer from outside without SoFW"
in_ns lan-a ip route del default via $FW_PLAN.1
ip route del $FW_PLAN.0/24 via 198.51.100.2
log "a phone cannot register to HRAS directly, even routed through the proxy host: the firewall holds"

log "== through hrac and Squid (plain HTTP proxy)"
fw_hrac a plain
expect_log "$T/hrac-a.log" "tunnel to http://192.0.2.1/sofw/: plain HTTP proxy http://$FW_PLAN.1:3128"
register lan-a alice $FW_PLAN.11
register - olivia 192.0.2.10
register - oscar 192.0.2.11

log "== inside calls outside: RTP both ways, hold, resume"
# alice must be given hrac's media port
PEER_LIKE="$FW_PLAN.10:4*" voice_call lan-a alice $FW_PLAN.11 7000 - olivia 192.0.2.10 16000
received uas-olivia INVITE | tr -d '\r' | grep -q "^c=IN IP4 192.0.2.1$" ||
	fail "olivia was not given HRAS's public address"
received uas-olivia INVITE | tr -d '\r' | grep -q "^o=alice 1000 1 IN IP4 192.0.2.1$" ||
	fail "the inside address leaked in o="
wait_step uac-alice-olivia held
wait_step uac-alice-olivia resumed
talk lan-a $FW_PLAN.11 7000 "$PEER"
call_ended "alice calls olivia"
log "after BYE: no call, no open relay port"

log "== outside calls inside; a stranger's packets do not reach the phone"
# oscar must be given an HRAS relay port
ECHO_SECONDS=12 PEER_LIKE="192.0.2.1:3*" voice_call \
	- oscar 192.0.2.11 16002 lan-a alice $FW_PLAN.11 7002
python3 "$SOFW_TOP/tests/tools/rtp-peer.py" stranger --bind 192.0.2.13:6100 \
	--to "$PEER" --count 20 >/dev/null
wait "$UAC_PID" || fail "oscar's call scenario failed"
wait_uas "alice"
wait "$ECHO_PID" || fail "alice's echo failed"
echo_out=$(cat "$T/echo-alice.out")
log "alice's phone got: $echo_out"
[ "$(field_of strangers "$echo_out")" = 0 ] || fail "a stranger's packets reached the phone"
[ "$(field_of intact "$echo_out")" -ge 49 ] || fail "alice's phone missed RTP: $echo_out"
[ "$(status_field drops_stranger)" -ge 20 ] || fail "HRAS did not count the stranger's packets"
expect_log "$T/hras.log" "packet from 192.0.2.13:6100 to relay port [0-9]+ dropped: not the call's party"
relay_idle

log "== CANCEL before the answer"
answer lan-a alice $FW_PLAN.11 uas_ring.xml
call - oscar 192.0.2.11 alice uac_cancel.xml -set fromdomain visitor.test ||
	fail "the CANCEL scenario failed"
wait_uas "alice, cancelled"
relay_idle
expect_log "$T/hras.log" "relay closed \(the call was not answered\)"
log "voice through Squid (plain) works"
